/**
 * Annotated copies for `--draw DIR`, the same for every command: each face's box coloured by
 * where it came from, its landmarks as dots, written under DIR at the photo's relative path.
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import { DETECTOR_REGISTRY, type DetectorName, type FaceSource } from "../detect/detect_faces.ts";
import type { DetectorEntry } from "../detect/detector_entry.ts";
import { drawBoxes, type Rgb } from "../image/draw_boxes.ts";
import { encodeImage, formatForName } from "../image/encode_image.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import { writeFileAtomic } from "../_fs.ts";

/** The sources of a box that are not a detector: the padded pass, the whole-image fallback. */
const PASS_DRAWING = {
  padded: { color: [255, 200, 0], colorName: "yellow", legend: "found in the padded pass" },
  fallback: { color: [255, 40, 40], colorName: "red", legend: "whole-image fallback" },
} as const;

/** How each source of a box is drawn: each detector as its registry entry says, then the padded pass and the fallback. */
const SOURCE_DRAWING: Readonly<Record<FaceSource, DetectorEntry["drawing"]>> = {
  ...Object.fromEntries(Object.values(DETECTOR_REGISTRY).map((e) => [e.name, e.drawing])) as Record<
    DetectorName,
    DetectorEntry["drawing"]
  >,
  ...PASS_DRAWING,
};

/** Box colours in drawings, by source (each detector's from its registry entry; yellow = padded pass, red = fallback). */
export const SOURCE_COLORS: Readonly<Record<FaceSource, Rgb>> = Object.fromEntries(
  Object.entries(SOURCE_DRAWING).map(([source, d]) => [source, d.color]),
) as Record<FaceSource, Rgb>;

/** Landmark dots in drawings. */
export const LANDMARK_COLOR: Rgb = [0, 200, 255];

/**
 * The legend of a drawing: each box colour and what it means, then the landmark dots.
 *
 * @param sources The sources to name (default: all: the detectors in the registry's order, the default first, then the
 * padded pass and the fallback).
 */
export function drawingLegend(sources: readonly FaceSource[] = Object.keys(SOURCE_DRAWING) as FaceSource[]): string {
  return [...sources.map((s) => `${SOURCE_DRAWING[s].colorName}: ${SOURCE_DRAWING[s].legend}`), "cyan dots: landmarks"]
    .join(", ");
}

/**
 * Writes an annotated copy of `image` to `dir/relative`, in the photo's own format; PGM/PPM
 * photos become colour `.ppm` files, and a name without a known image extension gets `.png`.
 */
export async function writeAnnotated(
  dir: string,
  relative: string,
  image: Image,
  faces: readonly { readonly box: Box; readonly source: FaceSource }[],
  points: readonly (readonly Point[])[] = [],
): Promise<void> {
  const outlines = faces.map((f) => ({ ...f.box, color: SOURCE_COLORS[f.source] }));
  const dots = points.flatMap((pts, i) => {
    const radius = Math.max(1.5, faces[i]!.box.width / 90);
    return pts.map((p) => ({ ...p, radius, color: LANDMARK_COLOR }));
  });
  const format = formatForName(relative);
  const rel = format === undefined
    ? `${relative}.png`
    : format === "pnm"
    ? relative.replace(/\.[^.]+$/, ".ppm")
    : relative;
  await writeFileAtomic(
    `${dir}/${rel}`,
    await encodeImage(drawBoxes(image, outlines, undefined, dots), format ?? "png"),
  );
}
