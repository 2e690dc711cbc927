/**
 * Landmark accuracy on annotated photos (HELEN, 68 points): NME = mean point-to-point error
 * divided by the distance between the annotated outer eye corners (points 36 and 45,
 * 0-based), in percent. The face used is the `haar`/`padded` box with the best IoU (≥ 0.5)
 * against the box around the annotated points; photos without one count as not found.
 * One implementation for the report, the tuning script and the tests.
 *
 * @module
 */

import { type Box, iou } from "../detect/box.ts";
import type { FaceDetector } from "../detect/detect_faces.ts";
import { cropImage } from "../image/crop_image.ts";
import type { Image } from "../image/image.ts";
import { readImage } from "../image/read_image.ts";
import type { FaceLandmarker } from "../landmarks/detect_landmarks.ts";
import type { Point } from "../landmarks/point.ts";
import { parsePts } from "../landmarks/read_pts.ts";

/** An annotated photo, reduced to what landmark evaluation needs. */
export interface AnnotatedFace {
  readonly relative: string;
  readonly truth: readonly Point[];
  /** The matched detector box, in the coordinates of `region` (undefined: no face found). */
  readonly box?: Box;
  /** The part of the photo around the face (enough for any crop up to 3x the box). */
  readonly region?: Image;
}

/** The box around a set of points. */
export function boundingBox(points: readonly Point[]): Box {
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const x = Math.min(...xs), y = Math.min(...ys);
  return { x, y, width: Math.max(...xs) - x, height: Math.max(...ys) - y };
}

/** NME in percent: mean point distance / distance between points 36 and 45 of the truth. */
export function nme(pred: readonly Point[], truth: readonly Point[]): number {
  const d = (a: Point, b: Point) => Math.hypot(a.x - b.x, a.y - b.y);
  const iod = d(truth[36]!, truth[45]!);
  let s = 0;
  for (let i = 0; i < truth.length; i++) s += d(pred[i]!, truth[i]!);
  return (100 * s) / truth.length / iod;
}

/**
 * Reads annotated photos (`NAME.jpg` + `NAME.pts`), detects faces and keeps, per photo, the
 * matched box and the region around it.
 */
export async function loadAnnotated(
  photos: readonly { path: string; relative: string }[],
  detector: FaceDetector,
): Promise<AnnotatedFace[]> {
  const out: AnnotatedFace[] = [];
  for (const p of photos) {
    const ptsPath = p.path.replace(/\.[^.]+$/, ".pts");
    const truth = parsePts(await Deno.readTextFile(ptsPath), ptsPath);
    const image = await readImage(p.path);
    const want = boundingBox(truth);
    let best: Box | undefined, bestIou = 0.5;
    for (const f of (await detector.detect(image))) {
      if (f.source === "fallback") continue;
      const v = iou(f.box, want);
      if (v >= bestIou) [best, bestIou] = [f.box, v];
    }
    if (!best) {
      out.push({ relative: p.relative, truth });
      continue;
    }
    const side = Math.max(best.width, best.height);
    const rx = Math.max(0, Math.floor(best.x - 1.5 * side)), ry = Math.max(0, Math.floor(best.y - 1.5 * side));
    const region = cropImage(image, { x: rx, y: ry, width: best.width + 3 * side, height: best.height + 3 * side });
    out.push({
      relative: p.relative,
      truth: truth.map((t) => ({ x: t.x - rx, y: t.y - ry })),
      box: { ...best, x: best.x - rx, y: best.y - ry },
      region,
    });
  }
  return out;
}

/** NME per photo (undefined where no face was found). */
export async function landmarkErrors(
  faces: readonly AnnotatedFace[],
  landmarker: FaceLandmarker,
): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  for (const f of faces) {
    if (!f.box || !f.region) {
      out.push(undefined);
      continue;
    }
    const [pred] = await landmarker.landmarks(f.region, [f.box]);
    out.push(nme(pred!, f.truth));
  }
  return out;
}

/** Median and mean NME over found faces, and the share of photos with a face. */
export function summarizeNme(
  errors: readonly (number | undefined)[],
): { median: number; mean: number; found_rate: number; n: number } {
  const found = errors.filter((e): e is number => e !== undefined).sort((a, b) => a - b);
  const m = found.length;
  const median = m === 0 ? NaN : m % 2 ? found[(m - 1) / 2]! : (found[m / 2 - 1]! + found[m / 2]!) / 2;
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    median: r(median),
    mean: r(found.reduce((a, b) => a + b, 0) / m),
    found_rate: errors.length === 0 ? 0 : r(m / errors.length),
    n: errors.length,
  };
}
