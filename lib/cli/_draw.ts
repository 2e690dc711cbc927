/**
 * Annotated copies for `--draw DIR`, the same for every command: each face's box coloured by
 * where it came from, its landmarks as dots, written under DIR at the photo's relative path.
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import type { FaceSource } from "../detect/detect_faces.ts";
import { drawBoxes, type Rgb } from "../image/draw_boxes.ts";
import { encodeImage, formatForName } from "../image/encode_image.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import { writeFileAtomic } from "../_fs.ts";

/** Box colours in drawings: green = Haar, cyan = the learned detector, yellow = padded pass, red = whole-image fallback. */
export const SOURCE_COLORS: Readonly<Record<FaceSource, Rgb>> = {
  haar: [0, 230, 0],
  blazeface: [0, 200, 255],
  padded: [255, 200, 0],
  fallback: [255, 40, 40],
};

/** Landmark dots in drawings. */
export const LANDMARK_COLOR: Rgb = [0, 200, 255];

/** The name of each box colour, and what the source is called, for legends. */
const SOURCE_LEGEND: Readonly<Record<FaceSource, readonly [color: string, what: string]>> = {
  blazeface: ["cyan", "BlazeFace box"],
  haar: ["green", "Haar box"],
  padded: ["yellow", "found in the padded pass"],
  fallback: ["red", "whole-image fallback"],
};

/**
 * The legend of a drawing: each box colour and what it means, then the landmark dots.
 *
 * @param sources The sources to name (default: all, the default detector's first).
 */
export function drawingLegend(sources: readonly FaceSource[] = ["blazeface", "haar", "padded", "fallback"]): string {
  return [...sources.map((s) => SOURCE_LEGEND[s].join(": ")), "cyan dots: landmarks"].join(", ");
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
