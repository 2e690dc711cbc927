/**
 * Landmark accuracy on annotated photos (HELEN, 68 points): NME = mean point-to-point error
 * divided by the distance between the annotated outer eye corners (points 36 and 45,
 * 0-based), in percent. The face used is the `haar`/`padded` box with the best IoU (≥ 0.5)
 * against the box around the annotated points; photos without one count as not found.
 * One implementation for the report, the tuning script and the tests.
 *
 * @module
 */

import { type Box, iou } from "../image/box.ts";
import {
  createFaceDetector,
  DEFAULT_DETECTOR,
  type DetectorOptions,
  type FaceDetector,
} from "../detect/detect_faces.ts";
import { cropImage } from "../image/crop_image.ts";
import type { Image } from "../image/image.ts";
import { readImage } from "../image/read_image.ts";
import { type Crop, type FaceLandmarker, type LandmarkerOptions, pointsCrop } from "../landmarks/detect_landmarks.ts";
import { createLandmarker, resolveLandmarkerOptions } from "../detect/landmark_crops.ts";
import type { Point } from "../image/point.ts";
import { parsePts } from "../landmarks/read_pts.ts";
import { LANDMARK_MODELS } from "../landmarks/landmark_networks.ts";
import type { CeilingNmeFigures, DetectorNmeFigures, NmeFigures } from "./schema.ts";
import { withHalves } from "./_figures.ts";

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

/** The landmark networks the figures compare. */

/**
 * A box whose landmark crop (`landmarkCrop` with `options`' scale and shift) is exactly `crop`:
 * a square of side size / scale, raised by the shift.
 *
 * @param crop The crop wanted.
 * @param options The landmarker's scale and shift.
 * @returns The box.
 * @example
 * ```ts
 * import { boxForCrop } from "./landmarks.ts";
 * const box = boxForCrop({ x: 0, y: 0, size: 100 }, { scale: 1, shiftY: 0 });
 * if (box.x !== 0 || box.width !== 100) throw new Error(JSON.stringify(box));
 * ```
 */
export function boxForCrop(crop: Crop, options: Pick<Required<LandmarkerOptions>, "scale" | "shiftY">): Box {
  const side = crop.size / options.scale, centre = crop.size / 2 - side / 2;
  return { x: crop.x + centre, y: crop.y + centre - options.shiftY * side, width: side, height: side };
}

/**
 * Landmark NME (percent of the outer-eye-corner distance) on annotated photos behind one
 * detector's boxes, with that detector's default landmark options: each network, and the
 * default network with the refinement pass off and on. The face is the detector's real box
 * with IoU >= 0.5 against the box around the annotated points.
 *
 * @param photos Annotated photos (`NAME.jpg` beside `NAME.pts`), sorted by path.
 * @param detector The detector's options (its name included).
 * @returns The figures, with their halves.
 */
export async function landmarkFigures(
  photos: readonly { path: string; relative: string }[],
  detector: DetectorOptions & { detector: NonNullable<DetectorOptions["detector"]> },
): Promise<DetectorNmeFigures> {
  const d = detector.detector;
  const found = await createFaceDetector(detector);
  let faces: AnnotatedFace[];
  try {
    faces = await loadAnnotated(photos, found);
  } finally {
    await found.dispose();
  }
  const figures = async (options: LandmarkerOptions) => {
    const lm = await createLandmarker(options, d);
    try {
      return withHalves(await landmarkErrors(faces, lm), summarizeNme);
    } finally {
      await lm.dispose();
    }
  };
  const defaults = resolveLandmarkerOptions({}, d);
  const models: Record<string, NmeFigures> = {};
  for (const model of LANDMARK_MODELS) models[model] = await figures(model === defaults.model ? {} : { model });
  const other = await figures({ refine: !defaults.refine }), mine = models[defaults.model]!;
  return {
    ...mine,
    options: { ...defaults },
    models,
    refine: defaults.refine ? { off: other, on: mine } : { off: mine, on: other },
  };
}

/**
 * Landmark NME from crops of the annotated points (`pointsCrop` of the truth, one pass, no
 * refinement, no mirroring): what each network gives when the crop is the one it was trained
 * on, whatever the detector.
 *
 * @param photos Annotated photos (`NAME.jpg` beside `NAME.pts`), sorted by path.
 * @returns Each network's figures, and the default network's at the top.
 */
export async function ceilingFigures(
  photos: readonly { path: string; relative: string }[],
): Promise<CeilingNmeFigures> {
  const models: Record<string, NmeFigures> = {};
  for (const model of LANDMARK_MODELS) {
    const lm = await createLandmarker({ model, refine: false, mirror: false }, DEFAULT_DETECTOR);
    try {
      const errors: (number | undefined)[] = [];
      for (const p of photos) {
        const ptsPath = p.path.replace(/\.[^.]+$/, ".pts");
        const truth = parsePts(await Deno.readTextFile(ptsPath), ptsPath);
        const face = { relative: p.relative, truth, box: boxForCrop(pointsCrop(truth), lm.options) };
        errors.push(...await landmarkErrors([{ ...face, region: await readImage(p.path) }], lm));
      }
      models[model] = withHalves(errors, summarizeNme);
    } finally {
      await lm.dispose();
    }
  }
  return { ...models[resolveLandmarkerOptions({}, DEFAULT_DETECTOR).model]!, models };
}
