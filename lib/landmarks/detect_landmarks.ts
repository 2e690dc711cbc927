/**
 * The 68-point landmarker: the crop of each face box fed to a landmark network (see
 * `landmark_networks.ts`), optionally mirrored and refined, and the settings it records.
 * It knows no detector: the crop's defaults behind each detector belong to that detector's
 * entry, and the pipeline hands them in ({@linkcode LandmarkerSetup}).
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import {
  DEFAULT_LANDMARK_MODEL,
  LANDMARK_NETWORKS,
  type LandmarkModel,
  landmarkNetwork,
  type LandmarkNetworks,
} from "./landmark_networks.ts";

export { LANDMARK_MODELS, type LandmarkModel } from "./landmark_networks.ts";

/** Load-time options of {@linkcode createLandmarker}. */
export interface LandmarkerOptions {
  /** The network. Default `"full"`. */
  readonly model?: LandmarkModel;
  /**
   * Side of the square crop fed to the network, as a multiple of the face box's larger side.
   * Default: the detector's (1.1 for the original's crop, chosen with `shiftY` on the even
   * half of HELEN; see docs/guide.md).
   */
  readonly scale?: number;
  /**
   * Vertical shift of the crop's centre, as a fraction of the box's height (+ = down).
   * Default: the detector's (0.2 for the original's crop: its cascade's boxes sit higher on
   * the face than the boxes the network was trained on).
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
   * one flipped back, are averaged. Default: the detector's (true behind the learned detector:
   * median NME on the even half of HELEN 4.85% → 4.70%; false for the original's crop).
   */
  readonly mirror?: boolean;
}

/** The defaults of the crop a detector hands the landmarker: every option but the network. */
export type LandmarkCropDefaults = Readonly<Required<Omit<LandmarkerOptions, "model">>>;

/** The defaults of {@linkcode LandmarkerOptions} when no detector's are given: the original Face2Vec's crop. */
export const DEFAULT_LANDMARKER_OPTIONS: Readonly<Required<LandmarkerOptions>> = Object.freeze({
  model: DEFAULT_LANDMARK_MODEL,
  scale: 1.1,
  shiftY: 0.2,
  refine: false,
  mirror: false,
});

/** What a landmarker is made with besides its options (both optional). */
export interface LandmarkerSetup {
  /**
   * The crop's defaults, for the options left out: the detector's (its entry's `landmarks`).
   * Default: {@linkcode DEFAULT_LANDMARKER_OPTIONS}'s crop.
   */
  readonly defaults?: LandmarkCropDefaults;
  /** The networks `model` names. Default `LANDMARK_NETWORKS` (a test may inject its own). */
  readonly networks?: LandmarkNetworks;
}

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
 * @param setup The crop's defaults (the detector's) and the networks (see {@linkcode LandmarkerSetup}).
 * @returns The estimator; call `dispose()` when done.
 * @throws {RangeError} For out-of-range options or an unknown network.
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
  setup: LandmarkerSetup = {},
): Promise<FaceLandmarker> {
  const o = resolveLandmarkerOptions(options, setup);
  const network = await landmarkNetwork(o.model, setup.networks).create();
  const size = network.inputSize;
  let disposed = false;
  /** One batched run on `crops` (each also mirrored when `mirror`): the points in image pixels. */
  const run = async (image: Image, crops: readonly Crop[], mirror: boolean): Promise<Point[][]> => {
    const input = cropsToInput(image, mirror ? [...crops, ...crops] : crops, size, mirror ? crops.length : Infinity);
    const v = await network.run(input, mirror ? 2 * crops.length : crops.length);
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
        await network.dispose();
      }
    },
  };
}

/**
 * The options in force for `options`: the crop's defaults (`setup.defaults`, else
 * {@linkcode DEFAULT_LANDMARKER_OPTIONS}'s) filled in, validated.
 *
 * @param options Partial landmarker options.
 * @param setup The crop's defaults and the networks (see {@linkcode LandmarkerSetup}).
 * @returns Every option.
 * @throws {RangeError} For out-of-range options or an unknown network.
 * @example
 * ```ts
 * import { resolveLandmarkerOptions } from "./detect_landmarks.ts";
 * const defaults = { scale: 1.3, shiftY: 0.1, refine: false, mirror: true };
 * const o = resolveLandmarkerOptions({ model: "tiny" }, { defaults });
 * if (o.model !== "tiny" || o.scale !== 1.3 || !o.mirror) throw new Error(JSON.stringify(o));
 * ```
 */
export function resolveLandmarkerOptions(
  options: LandmarkerOptions = {},
  setup: LandmarkerSetup = {},
): Required<LandmarkerOptions> {
  const d = setup.defaults ?? DEFAULT_LANDMARKER_OPTIONS;
  const o: Required<LandmarkerOptions> = {
    model: options.model ?? DEFAULT_LANDMARK_MODEL,
    scale: options.scale ?? d.scale,
    shiftY: options.shiftY ?? d.shiftY,
    refine: options.refine ?? d.refine,
    mirror: options.mirror ?? d.mirror,
  };
  if (typeof o.refine !== "boolean" || typeof o.mirror !== "boolean") {
    throw new RangeError(`landmark options refine and mirror must be true or false`);
  }
  landmarkNetwork(o.model, setup.networks ?? LANDMARK_NETWORKS);
  if (!(o.scale >= 0.5 && o.scale <= 3)) {
    throw new RangeError(`landmark crop scale must be from 0.5 to 3, got ${o.scale}`);
  }
  if (!(Math.abs(o.shiftY) <= 1)) throw new RangeError(`landmark crop shiftY must be from -1 to 1, got ${o.shiftY}`);
  return o;
}

/**
 * The landmark settings as caches and models record them: the network's name (and its
 * version from 2 on), the crop, and, with `refine` on, the refinement pass's crop
 * ({@linkcode POINTS_CROP}), so that a change to it shows as a difference.
 *
 * @param options The options in force (from {@linkcode resolveLandmarkerOptions}).
 * @param networks The networks. Default `LANDMARK_NETWORKS`.
 * @returns The record, plain and JSON-ready.
 * @throws {RangeError} For an unknown network.
 * @example
 * ```ts
 * import { recordLandmarkerSettings, resolveLandmarkerOptions } from "./detect_landmarks.ts";
 * const r = recordLandmarkerSettings(resolveLandmarkerOptions({ refine: true }));
 * if (JSON.stringify(r.points_crop) !== '{"scale":1.3,"shiftY":0.05}' || r.model !== "full") throw new Error();
 * ```
 */
export function recordLandmarkerSettings(
  options: Required<LandmarkerOptions>,
  networks: LandmarkNetworks = LANDMARK_NETWORKS,
): Record<string, unknown> {
  const { version } = landmarkNetwork(options.model, networks);
  const { model, ...crop } = options;
  return {
    model,
    ...(version !== 1 ? { version } : {}),
    ...crop,
    ...(options.refine ? { points_crop: { ...POINTS_CROP } } : {}),
  };
}

/**
 * Where a bundled landmark model lives (beside this module, in a checkout or at a URL).
 *
 * @param model Which network.
 * @returns The asset's URL.
 * @throws {RangeError} For an unknown network.
 */
export function landmarkModelUrl(model: LandmarkModel): URL {
  return landmarkNetwork(model).assets.files[0]!;
}

/**
 * Copies each crop (black outside the image) into `side`x`side` RGB floats, NHWC: an area average
 * when shrinking, bilinear when enlarging. Plain JS, so the landmark stage does not wait for
 * OpenCV.js to load.
 */
function cropsToInput(image: Image, crops: readonly Crop[], side: number, mirrorFrom = Infinity): Float32Array {
  const out = new Float32Array(crops.length * side * side * 3);
  const { width: w, height: h, channels: ch, data } = image;
  const px = (x: number, y: number, k: number) =>
    x < 0 || y < 0 || x >= w || y >= h ? 0 : data[(y * w + x) * ch + (ch === 1 ? 0 : k)]!;
  crops.forEach((c, i) => {
    const base = i * side * side * 3;
    const f = c.size / side;
    const flip = i >= mirrorFrom;
    for (let oy = 0; oy < side; oy++) {
      for (let ox = 0; ox < side; ox++) {
        const o = base + (oy * side + (flip ? side - 1 - ox : ox)) * 3;
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
