import type { Box } from "../detect/box.ts";
import type { DetectorName } from "../detect/detect_faces.ts";
import type { Image } from "../image/image.ts";
import { readAsset } from "../_asset.ts";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import type { Point } from "./point.ts";

/** Which 68-point network: `"full"` (more accurate) or `"tiny"` (about twice as fast). */
export type LandmarkModel = "full" | "tiny";

/** Load-time options of {@linkcode createLandmarker}. */
export interface LandmarkerOptions {
  /** The network. Default `"full"`. */
  readonly model?: LandmarkModel;
  /**
   * Side of the square crop fed to the network, as a multiple of the face box's larger side.
   * Default 1.1 (chosen with `shiftY` on the even half of HELEN; see docs/guide.md).
   */
  readonly scale?: number;
  /**
   * Vertical shift of the crop's centre, as a fraction of the box's height (+ = down).
   * Default 0.2: Haar boxes sit higher on the face than the boxes the network was trained on.
   */
  readonly shiftY?: number;
  /**
   * A second pass on the crop the first pass's points give (the bounding box of the 68 points
   * through {@linkcode POINTS_CROP}), whose points are kept. Default false: on the even half of
   * HELEN it gains nothing behind either detector (median NME 4.85% → 4.87% behind BlazeFace,
   * 4.99% → 4.93% behind Haar) at twice the cost.
   */
  readonly refine?: boolean;
  /**
   * The (last) pass also runs on the mirrored crop, and the two sets of points, the mirrored
   * one flipped back, are averaged. Default true behind the learned detector (median NME on
   * the even half of HELEN 4.85% → 4.70%), false behind Haar (the original's pipeline).
   */
  readonly mirror?: boolean;
}

/** The defaults of {@linkcode LandmarkerOptions} behind the Haar detector (the original's pipeline). */
export const DEFAULT_LANDMARKER_OPTIONS: Readonly<Required<LandmarkerOptions>> = Object.freeze({
  model: "full",
  scale: 1.1,
  shiftY: 0.2,
  refine: false,
  mirror: false,
});

/**
 * The defaults behind each detector: one fixed calibration of its box to the landmark crop,
 * fitted on the even half of HELEN (`deno task tune landmarks`), and whether to refine.
 */
export const LANDMARKER_DEFAULTS: Readonly<Record<DetectorName, Readonly<Required<LandmarkerOptions>>>> = Object
  .freeze({
    haar: DEFAULT_LANDMARKER_OPTIONS,
    blazeface: Object.freeze({ model: "full", scale: 1.3, shiftY: 0.1, refine: false, mirror: true }),
  });

/**
 * The crop from a face's 68 points (their bounding box as a "box"): the refinement pass's
 * crop, and the crop from ground-truth points that shows the net's own ceiling. Fitted on
 * the even half of HELEN (`deno task tune landmarks --points`: median NME 4.71% there, the
 * best any square crop gave this net).
 */
export const POINTS_CROP: Readonly<{ scale: number; shiftY: number }> = Object.freeze({ scale: 1.3, shiftY: 0.05 });

/** The square region of the image that the network sees for one face, in whole pixels. */
export interface Crop {
  readonly x: number;
  readonly y: number;
  readonly size: number;
}

/** A loaded landmark network. Free it with `dispose()`. */
export interface FaceLandmarker {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<Required<LandmarkerOptions>>;
  /**
   * The 68 landmarks (0-based iBUG order, image pixels) of each face box, in one batched run.
   * @throws {Error} After `dispose()`.
   */
  landmarks(image: Image, boxes: readonly Box[]): Promise<Point[][]>;
  /** Frees the ONNX session. Idempotent. */
  dispose(): Promise<void>;
}

const INPUT = 112;

/**
 * The square crop for a face box: centred on the box (shifted by `shiftY` · height), side
 * `scale` · max(width, height), rounded to whole pixels. It may reach outside the image:
 * that part is black, as in face-api.js's own padding to square.
 *
 * @param box The face box.
 * @param options Crop scale and shift (defaults as {@linkcode DEFAULT_LANDMARKER_OPTIONS}).
 * @returns The crop.
 * @example
 * ```ts
 * import { landmarkCrop } from "./detect_landmarks.ts";
 * const c = landmarkCrop({ x: 10, y: 20, width: 100, height: 80 }, { scale: 1.2, shiftY: 0.25 });
 * // side 1.2 · 100 = 120, centred on (60, 60 + 0.25 · 80) = (60, 80)
 * if (c.size !== 120 || c.x !== 0 || c.y !== 20) throw new Error(JSON.stringify(c));
 * ```
 */
export function landmarkCrop(box: Box, options: Pick<LandmarkerOptions, "scale" | "shiftY"> = {}): Crop {
  const scale = options.scale ?? DEFAULT_LANDMARKER_OPTIONS.scale;
  const shiftY = options.shiftY ?? DEFAULT_LANDMARKER_OPTIONS.shiftY;
  const size = Math.max(1, Math.round(Math.max(box.width, box.height) * scale));
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2 + shiftY * box.height;
  return { x: Math.round(cx - size / 2), y: Math.round(cy - size / 2), size };
}

/**
 * The crop for a face whose 68 points are known (the refinement pass; the ground-truth
 * ceiling): {@linkcode landmarkCrop} of the points' bounding box with {@linkcode POINTS_CROP}.
 *
 * @param points A face's 68 points.
 * @returns The crop.
 * @example
 * ```ts
 * import { pointsCrop } from "./detect_landmarks.ts";
 * const square = Array.from({ length: 68 }, (_, k) => ({ x: 100 + (k % 2) * 50, y: 100 + (k % 3) * 25 }));
 * const c = pointsCrop(square);
 * if (c.size !== 65 || c.x !== 93) throw new Error(JSON.stringify(c));
 * ```
 */
export function pointsCrop(points: readonly Point[]): Crop {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const p of points) {
    x0 = Math.min(x0, p.x), y0 = Math.min(y0, p.y), x1 = Math.max(x1, p.x), y1 = Math.max(y1, p.y);
  }
  return landmarkCrop({ x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, POINTS_CROP);
}

/** For each iBUG point, the point it becomes in a mirrored face (jaw, brows, nose, eyes, mouth). */
export const MIRROR: readonly number[] = Object.freeze([
  ...[16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
  ...[26, 25, 24, 23, 22, 21, 20, 19, 18, 17],
  ...[27, 28, 29, 30, 35, 34, 33, 32, 31],
  ...[45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40],
  ...[54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55],
  ...[64, 63, 62, 61, 60, 67, 66, 65],
]);

/**
 * Creates a 68-point face landmark estimator: face-api.js's landmark network converted to
 * ONNX (`lib/landmarks/models/`), run by onnxruntime-web (WASM). Points are in the iBUG/dlib
 * 68-point layout, 0-based (30 = nose tip, 36 and 45 = outer eye corners).
 *
 * @param options Network and crop (see {@linkcode LandmarkerOptions}).
 * @returns The estimator; call `dispose()` when done.
 * @throws {RangeError} For out-of-range options.
 * @example
 * ```ts
 * import { createLandmarker } from "./detect_landmarks.ts";
 * const landmarker = await createLandmarker({ model: "tiny" });
 * try {
 *   const img = { width: 100, height: 100, channels: 1 as const, data: new Uint8Array(100 * 100).fill(120) };
 *   const [points] = await landmarker.landmarks(img, [{ x: 20, y: 20, width: 60, height: 60 }]);
 *   if (points?.length !== 68) throw new Error("expected 68 points");
 * } finally {
 *   await landmarker.dispose();
 * }
 * ```
 */
export async function createLandmarker(
  options: LandmarkerOptions = {},
  detector: DetectorName = "haar",
): Promise<FaceLandmarker> {
  const o = resolveLandmarkerOptions(options, detector);
  const session: OnnxSession = await createOnnxSession(await readAsset(landmarkModelUrl(o.model)));
  let disposed = false;
  /** One batched run on `crops` (each also mirrored when `mirror`): the points in image pixels. */
  const run = async (image: Image, crops: readonly Crop[], mirror: boolean): Promise<Point[][]> => {
    const input = cropsToInput(image, mirror ? [...crops, ...crops] : crops, mirror ? crops.length : Infinity);
    const n = mirror ? 2 * crops.length : crops.length;
    const v = (await session.run({ input: { data: input, dims: [n, INPUT, INPUT, 3] } })).landmarks!.data;
    const at = (i: number, k: number, flip: boolean): Point => {
      const c = crops[i % crops.length]!, u = v[i * 136 + 2 * k]!, w = v[i * 136 + 2 * k + 1]!;
      return { x: c.x + (flip ? 1 - u : u) * c.size, y: c.y + w * c.size };
    };
    return crops.map((_, i) =>
      Array.from({ length: 68 }, (_, k) => {
        const p = at(i, k, false);
        if (!mirror) return p;
        // The mirrored crop's point k is the face's point MIRROR[k], seen flipped.
        const q = at(i + crops.length, MIRROR[k]!, true);
        return { x: (p.x + q.x) / 2, y: (p.y + q.y) / 2 };
      })
    );
  };
  return {
    options: Object.freeze(o),
    async landmarks(image: Image, boxes: readonly Box[]): Promise<Point[][]> {
      if (disposed) throw new Error("FaceLandmarker.landmarks() called after dispose()");
      if (boxes.length === 0) return [];
      const first = await run(image, boxes.map((b) => landmarkCrop(b, o)), o.mirror && !o.refine);
      if (!o.refine) return first;
      return await run(image, first.map((p) => pointsCrop(p)), o.mirror);
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}

/**
 * The options in force for `options`: defaults filled in, validated.
 *
 * @param options Partial landmarker options.
 * @returns Every option.
 * @throws {RangeError} For out-of-range options.
 */
export function resolveLandmarkerOptions(
  options: LandmarkerOptions = {},
  detector: DetectorName = "haar",
): Required<LandmarkerOptions> {
  const d = LANDMARKER_DEFAULTS[detector];
  if (!d) throw new RangeError(`unknown detector ${detector}`);
  const o: Required<LandmarkerOptions> = {
    model: options.model ?? d.model,
    scale: options.scale ?? d.scale,
    shiftY: options.shiftY ?? d.shiftY,
    refine: options.refine ?? d.refine,
    mirror: options.mirror ?? d.mirror,
  };
  if (typeof o.refine !== "boolean" || typeof o.mirror !== "boolean") {
    throw new RangeError(`landmark options refine and mirror must be true or false`);
  }
  if (o.model !== "full" && o.model !== "tiny") {
    throw new RangeError(`landmark model must be full | tiny, got ${o.model}`);
  }
  if (!(o.scale >= 0.5 && o.scale <= 3)) {
    throw new RangeError(`landmark crop scale must be from 0.5 to 3, got ${o.scale}`);
  }
  if (!(Math.abs(o.shiftY) <= 1)) throw new RangeError(`landmark crop shiftY must be from -1 to 1, got ${o.shiftY}`);
  return o;
}

/**
 * Where a bundled landmark model lives (beside this module, in a checkout or at a URL).
 *
 * @param model Which network.
 * @returns The asset's URL.
 */
export function landmarkModelUrl(model: LandmarkModel): URL {
  const file = model === "full" ? "face_landmark_68.onnx" : "face_landmark_68_tiny.onnx";
  return new URL(`./models/${file}`, import.meta.url);
}

/**
 * Copies each crop (black outside the image) into 112x112 RGB floats, NHWC: an area average
 * when shrinking, bilinear when enlarging. Plain JS, so the landmark stage does not wait for
 * OpenCV.js to load.
 */
function cropsToInput(image: Image, crops: readonly Crop[], mirrorFrom = Infinity): Float32Array {
  const out = new Float32Array(crops.length * INPUT * INPUT * 3);
  const { width: w, height: h, channels: ch, data } = image;
  const px = (x: number, y: number, k: number) =>
    x < 0 || y < 0 || x >= w || y >= h ? 0 : data[(y * w + x) * ch + (ch === 1 ? 0 : k)]!;
  crops.forEach((c, i) => {
    const base = i * INPUT * INPUT * 3;
    const f = c.size / INPUT;
    const flip = i >= mirrorFrom;
    for (let oy = 0; oy < INPUT; oy++) {
      for (let ox = 0; ox < INPUT; ox++) {
        const o = base + (oy * INPUT + (flip ? INPUT - 1 - ox : ox)) * 3;
        if (f >= 1) {
          const xa = c.x + Math.floor(ox * f), xb = c.x + Math.max(Math.floor((ox + 1) * f), Math.floor(ox * f) + 1);
          const ya = c.y + Math.floor(oy * f), yb = c.y + Math.max(Math.floor((oy + 1) * f), Math.floor(oy * f) + 1);
          const n = (xb - xa) * (yb - ya);
          for (let k = 0; k < 3; k++) {
            let sum = 0;
            for (let y = ya; y < yb; y++) for (let x = xa; x < xb; x++) sum += px(x, y, k);
            out[o + k] = sum / n;
          }
        } else {
          // Pixel centres: source coordinate of the output pixel's centre.
          const sx = c.x + (ox + 0.5) * f - 0.5, sy = c.y + (oy + 0.5) * f - 0.5;
          const x0 = Math.floor(sx), y0 = Math.floor(sy), ax = sx - x0, ay = sy - y0;
          for (let k = 0; k < 3; k++) {
            out[o + k] = (1 - ay) * ((1 - ax) * px(x0, y0, k) + ax * px(x0 + 1, y0, k)) +
              ay * ((1 - ax) * px(x0, y0 + 1, k) + ax * px(x0 + 1, y0 + 1, k));
          }
        }
      }
    }
  });
  return out;
}
