/**
 * Face alignment: from a face's 68 landmarks, the transform that maps it onto a canonical
 * square face chip, and the chip itself (OpenCV.js `warpAffine`).
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import { cropImage } from "../image/crop_image.ts";
import { loadOpenCV, WasmScope } from "../runtime/opencv.ts";
import type { Point } from "../image/point.ts";
import { meanFacePoint } from "./_mean_face.ts";

/** An affine map x' = a·x + b·y + c, y' = d·x + e·y + f. */
export interface Affine {
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
  readonly e: number;
  readonly f: number;
}

/**
 * How a face becomes a chip:
 * - `"template"`: a similarity transform (rotation, scale, translation), least squares over
 *   `points`, onto dlib's mean face (as dlib's `get_face_chip_details` makes the chips its
 *   face recognition network was trained on);
 * - `"box"`: face-api.js's way: the landmarks' bounding box grown by 20%, made square about
 *   its centre, scaled to the chip (no rotation);
 * - `"five"`: a similarity transform, least squares over five points made from the 68 (each
 *   eye's centre as the mean of its six landmarks, the nose tip 30, the mouth corners 48 and
 *   54), onto InsightFace's five-point template for 112x112 chips, scaled to the chip (how
 *   ArcFace-style networks such as MobileFaceNet were trained). `padding` and `points` do
 *   not apply.
 */
export type AlignMethod = "template" | "box" | "five";

/**
 * InsightFace's five-point template for a 112x112 chip (pixels): right eye, left eye (in the
 * image: the subject's right eye is on the left), nose tip, right and left mouth corners.
 */
export const FIVE_POINT_TEMPLATE: readonly Point[] = Object.freeze([
  { x: 38.2946, y: 51.6963 },
  { x: 73.5318, y: 51.5014 },
  { x: 56.0252, y: 71.7366 },
  { x: 41.5493, y: 92.3655 },
  { x: 70.7299, y: 92.2041 },
]);

/**
 * The five points of the `"five"` method from a face's 68 landmarks: the eye centres (means
 * of 36–41 and 42–47), the nose tip (30), the mouth corners (48, 54).
 *
 * @example
 * ```ts
 * import { fivePoints } from "./align_face.ts";
 * const lm = Array.from({ length: 68 }, (_, i) => ({ x: i, y: 2 * i }));
 * const [eye] = fivePoints(lm);
 * if (eye!.x !== 38.5 || eye!.y !== 77) throw new Error(JSON.stringify(eye));
 * ```
 */
export function fivePoints(landmarks: readonly Point[]): Point[] {
  const mean = (from: number, to: number) => {
    let x = 0, y = 0;
    for (let i = from; i < to; i++) [x, y] = [x + landmarks[i]!.x, y + landmarks[i]!.y];
    return { x: x / (to - from), y: y / (to - from) };
  };
  return [mean(36, 42), mean(42, 48), landmarks[30]!, landmarks[48]!, landmarks[54]!];
}

/** Options of {@linkcode alignmentTransform}. */
export interface AlignOptions {
  /** Default `"template"` (measured better; see docs/guide.md). */
  readonly method?: AlignMethod;
  /** Chip side in pixels. Default 150 (the embedding network's input). */
  readonly size?: number;
  /** Template margin around the mean face, as a fraction of its side (dlib's `padding`). Default 0.25. */
  readonly padding?: number;
  /**
   * Landmarks (17–67) fitted for `"template"`. Default: the eye corners (36, 39, 42, 45), the
   * nose tip (30) and the mouth corners (48, 54).
   */
  readonly points?: readonly number[];
}

/** The defaults of {@linkcode AlignOptions}. */
export const DEFAULT_ALIGN_OPTIONS: Readonly<Required<AlignOptions>> = Object.freeze({
  method: "template",
  size: 150,
  padding: 0.25,
  points: Object.freeze([36, 39, 42, 45, 30, 48, 54]),
});

/**
 * The similarity transform (rotation, uniform scale, translation; no reflection) that maps
 * `from` onto `to` with the least squared error.
 *
 * @param from Source points.
 * @param to Target points, as many as `from` (at least 2, not all equal).
 * @returns The transform.
 * @throws {RangeError} For fewer than 2 pairs, unequal lengths or coincident source points.
 * @example
 * ```ts
 * import { applyAffine, fitSimilarity } from "./align_face.ts";
 * // A 90° turn and a doubling: (1, 0) → (0, 2), (0, 1) → (−2, 0).
 * const t = fitSimilarity([{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }], [{ x: 5, y: 5 }, { x: 5, y: 7 }, { x: 3, y: 5 }]);
 * const p = applyAffine(t, { x: 1, y: 1 });
 * if (Math.abs(p.x - 3) > 1e-9 || Math.abs(p.y - 7) > 1e-9) throw new Error(JSON.stringify(p));
 * ```
 */
export function fitSimilarity(from: readonly Point[], to: readonly Point[]): Affine {
  const n = from.length;
  if (n < 2 || to.length !== n) throw new RangeError(`need 2 or more point pairs, got ${n} and ${to.length}`);
  const mean = (ps: readonly Point[]) => ({
    x: ps.reduce((s, p) => s + p.x, 0) / n,
    y: ps.reduce((s, p) => s + p.y, 0) / n,
  });
  const mf = mean(from), mt = mean(to);
  let sxx = 0, dot = 0, cross = 0;
  for (let i = 0; i < n; i++) {
    const px = from[i]!.x - mf.x, py = from[i]!.y - mf.y;
    const qx = to[i]!.x - mt.x, qy = to[i]!.y - mt.y;
    sxx += px * px + py * py;
    dot += px * qx + py * qy;
    cross += px * qy - py * qx;
  }
  if (!(sxx > 0)) throw new RangeError("the source points coincide");
  // x' = α·x − β·y + tx, y' = β·x + α·y + ty with α = s·cos θ, β = s·sin θ.
  const alpha = dot / sxx, beta = cross / sxx;
  return {
    a: alpha,
    b: -beta,
    c: mt.x - (alpha * mf.x - beta * mf.y),
    d: beta,
    e: alpha,
    f: mt.y - (beta * mf.x + alpha * mf.y),
  };
}

/**
 * Applies an affine map to a point.
 *
 * @example
 * ```ts
 * import { applyAffine } from "./align_face.ts";
 * const p = applyAffine({ a: 2, b: 0, c: 1, d: 0, e: 2, f: -1 }, { x: 3, y: 4 });
 * if (p.x !== 7 || p.y !== 7) throw new Error(JSON.stringify(p));
 * ```
 */
export function applyAffine(t: Affine, p: Point): Point {
  return { x: t.a * p.x + t.b * p.y + t.c, y: t.d * p.x + t.e * p.y + t.f };
}

/**
 * The inverse of an affine map.
 *
 * @throws {RangeError} When the map is singular.
 */
export function invertAffine(t: Affine): Affine {
  const det = t.a * t.e - t.b * t.d;
  if (!(Math.abs(det) > 1e-12)) throw new RangeError("singular affine map");
  const a = t.e / det, b = -t.b / det, d = -t.d / det, e = t.a / det;
  return { a, b, c: -(a * t.c + b * t.f), d, e, f: -(d * t.c + e * t.f) };
}

/**
 * Where a landmark should land in the chip, for the `"template"` method.
 *
 * @param index A landmark index, 17–67.
 * @param options Chip size and padding.
 * @returns Chip pixels.
 * @throws {RangeError} For an index outside 17–67.
 * @example
 * ```ts
 * import { templatePoint } from "./align_face.ts";
 * // dlib's mean face puts the nose tip (30) at x 0.490127: with padding 0.25 and a 150 px chip,
 * // (0.25 + 0.490127) / 1.5 · 150 = 74.01.
 * const p = templatePoint(30, { size: 150, padding: 0.25 });
 * if (Math.abs(p.x - 74.0127) > 1e-3) throw new Error(String(p.x));
 * ```
 */
export function templatePoint(index: number, options: Pick<AlignOptions, "size" | "padding"> = {}): Point {
  const size = options.size ?? DEFAULT_ALIGN_OPTIONS.size;
  const padding = options.padding ?? DEFAULT_ALIGN_OPTIONS.padding;
  const m = meanFacePoint(index);
  return { x: ((padding + m.x) / (1 + 2 * padding)) * size, y: ((padding + m.y) / (1 + 2 * padding)) * size };
}

/**
 * The options in force: defaults filled in, validated.
 *
 * @throws {RangeError} For an unknown method, a size outside 16–1024, padding outside 0–2 or
 * fewer than 2 template points.
 */
export function resolveAlignOptions(options: AlignOptions = {}): Required<AlignOptions> {
  const o: Required<AlignOptions> = { ...DEFAULT_ALIGN_OPTIONS, ...options };
  if (o.method !== "template" && o.method !== "box" && o.method !== "five") {
    throw new RangeError(`alignment method must be template | box | five, got ${o.method}`);
  }
  if (!Number.isInteger(o.size) || o.size < 16 || o.size > 1024) {
    throw new RangeError(`chip size must be an integer from 16 to 1024, got ${o.size}`);
  }
  if (!(o.padding >= 0 && o.padding <= 2)) throw new RangeError(`chip padding must be from 0 to 2, got ${o.padding}`);
  if (o.points.length < 2) throw new RangeError("alignment needs 2 or more template points");
  for (const i of o.points) meanFacePoint(i);
  return { ...o, points: [...o.points] };
}

/**
 * The map from image pixels to chip pixels for one face.
 *
 * @param landmarks The face's 68 landmarks (image pixels).
 * @param options Method, chip size, padding, template points.
 * @returns The image → chip transform.
 * @throws {RangeError} For invalid options or fewer than 68 landmarks.
 * @example
 * ```ts
 * import { alignmentTransform, applyAffine, templatePoint } from "./align_face.ts";
 * // Landmarks that are the template itself, shifted by (10, 20) and doubled: the eyes land on the template.
 * const landmarks = Array.from({ length: 68 }, (_, i) => {
 *   const p = i >= 17 ? templatePoint(i) : { x: 0, y: 0 };
 *   return { x: 2 * p.x + 10, y: 2 * p.y + 20 };
 * });
 * const t = alignmentTransform(landmarks);
 * const eye = applyAffine(t, landmarks[36]!), want = templatePoint(36);
 * if (Math.hypot(eye.x - want.x, eye.y - want.y) > 1e-6) throw new Error(JSON.stringify(eye));
 * ```
 */
export function alignmentTransform(landmarks: readonly Point[], options: AlignOptions = {}): Affine {
  const o = resolveAlignOptions(options);
  if (landmarks.length < 68) throw new RangeError(`need 68 landmarks, got ${landmarks.length}`);
  if (o.method === "template") {
    return fitSimilarity(o.points.map((i) => landmarks[i]!), o.points.map((i) => templatePoint(i, o)));
  }
  if (o.method === "five") {
    const k = o.size / 112;
    return fitSimilarity(fivePoints(landmarks), FIVE_POINT_TEMPLATE.map((p) => ({ x: p.x * k, y: p.y * k })));
  }
  const xs = landmarks.map((p) => p.x), ys = landmarks.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const side = Math.max(x1 - x0, y1 - y0) * 1.2;
  if (!(side > 0)) throw new RangeError("the landmarks coincide");
  const s = o.size / side;
  // The square's centre goes to the chip's centre (pixel-centre coordinates: (size − 1) / 2).
  const cx = (x0 + x1) / 2, cy = (y0 + y1) / 2, half = (o.size - 1) / 2;
  return { a: s, b: 0, c: half - s * cx, d: 0, e: s, f: half - s * cy };
}

/**
 * Cuts the chip that `transform` defines out of an image: RGB, `size`x`size`, black outside
 * the image, bilinear (OpenCV `warpAffine`). When the chip is smaller than the face in the
 * image, the face's region is first shrunk by area averaging (`INTER_AREA`) to the chip's
 * scale, so that large photos are not aliased. Deterministic: the same inputs give the same
 * bytes, and every path through it (enrolment, query, caching) uses this one function.
 *
 * @param image The photo (gray is copied to all three channels).
 * @param transform Image → chip pixels (from {@linkcode alignmentTransform}).
 * @param size Chip side. Default 150.
 * @returns The chip.
 * @example
 * ```ts
 * import { extractChip } from "./align_face.ts";
 * const img = { width: 40, height: 40, channels: 1 as const, data: new Uint8Array(1600).fill(200) };
 * // Doubling the image's top-left 20x20 pixels into a 40 px chip.
 * const chip = await extractChip(img, { a: 2, b: 0, c: 0, d: 0, e: 2, f: 0 }, 40);
 * if (chip.channels !== 3 || chip.data[3 * (20 * 40 + 20)] !== 200) throw new Error("unexpected chip");
 * ```
 */
export async function extractChip(image: Image, transform: Affine, size = 150): Promise<Image> {
  const cv = await loadOpenCV();
  const out: Image = { width: size, height: size, channels: 3, data: new Uint8Array(size * size * 3) };
  // The chip's footprint in the image, 2 px of context for the interpolation.
  const inv = invertAffine(transform);
  const corners = [[0, 0], [size, 0], [0, size], [size, size]].map(([x, y]) => applyAffine(inv, { x: x!, y: y! }));
  const fx0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.x))) - 2);
  const fy0 = Math.max(0, Math.floor(Math.min(...corners.map((p) => p.y))) - 2);
  const fx1 = Math.min(image.width, Math.ceil(Math.max(...corners.map((p) => p.x))) + 2);
  const fy1 = Math.min(image.height, Math.ceil(Math.max(...corners.map((p) => p.y))) + 2);
  if (fx1 <= fx0 || fy1 <= fy0) return out;
  const region = cropImage(image, { x: fx0, y: fy0, width: fx1 - fx0, height: fy1 - fy0 });
  using scope = new WasmScope();
  let src = scope.track(new cv.Mat(region.height, region.width, cv.CV_8UC3));
  if (region.channels === 3) src.data.set(region.data);
  else {
    const d = src.data;
    for (let i = 0; i < region.data.length; i++) d[3 * i] = d[3 * i + 1] = d[3 * i + 2] = region.data[i]!;
  }
  // After an area shrink of the region by kx, ky: x = x0 + (u + 0.5) / kx − 0.5 (pixel centres).
  let kx = 1, ky = 1;
  const scale = Math.sqrt(Math.abs(transform.a * transform.e - transform.b * transform.d));
  if (scale < 1) {
    const w = Math.max(1, Math.round(region.width * scale)), h = Math.max(1, Math.round(region.height * scale));
    const small = scope.track(new cv.Mat());
    cv.resize(src, small, new cv.Size(w, h), 0, 0, cv.INTER_AREA);
    src = small;
    [kx, ky] = [w / region.width, h / region.height];
  }
  const m = composeShrink(transform, fx0, fy0, kx, ky);
  const mat = scope.track(cv.matFromArray(2, 3, cv.CV_64F, [m.a, m.b, m.c, m.d, m.e, m.f]));
  const dst = scope.track(new cv.Mat());
  cv.warpAffine(src, dst, mat, new cv.Size(size, size), cv.INTER_LINEAR, cv.BORDER_CONSTANT);
  out.data.set(dst.data.subarray(0, size * size * 3));
  return out;
}

/** transform ∘ (u, v ↦ image pixel of a `src` shrunk by kx, ky from a region at x0, y0). */
function composeShrink(t: Affine, x0: number, y0: number, kx: number, ky: number): Affine {
  // x = u / kx + (x0 + 0.5 / kx − 0.5), y = v / ky + (y0 + 0.5 / ky − 0.5)
  const ox = x0 + 0.5 / kx - 0.5, oy = y0 + 0.5 / ky - 0.5;
  return {
    a: t.a / kx,
    b: t.b / ky,
    c: t.a * ox + t.b * oy + t.c,
    d: t.d / kx,
    e: t.e / ky,
    f: t.d * ox + t.e * oy + t.f,
  };
}

/**
 * A chip mirrored left to right (the face as in a mirror; the chip's template is symmetric,
 * so the mirrored face stays aligned).
 *
 * @example
 * ```ts
 * import { mirrorChip } from "./align_face.ts";
 * const chip = { width: 2, height: 1, channels: 3 as const, data: Uint8Array.of(1, 2, 3, 4, 5, 6) };
 * if (mirrorChip(chip).data.join() !== "4,5,6,1,2,3") throw new Error();
 * ```
 */
export function mirrorChip(chip: Image): Image {
  const { width: w, height: h, channels: c } = chip;
  const data = new Uint8Array(chip.data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + (w - 1 - x)) * c, to = (y * w + x) * c;
      for (let k = 0; k < c; k++) data[to + k] = chip.data[from + k]!;
    }
  }
  return { ...chip, data };
}
