/**
 * The original Face2Vec's face detector: a Haar cascade (Viola-Jones) on OpenCV.js. The image
 * is converted to gray, scaled down to the working size, contrast-boosted and searched; when
 * the upright pass finds nothing, rotated passes (tilted heads), then a pass with a border
 * (tight crops such as ORL). Boxes are in the original pixels. Its registry entry is
 * {@linkcode HAAR_DETECTOR}.
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import { readAsset } from "../_asset.ts";
import { type Box, iou } from "../image/box.ts";
import { contrastMat, type ContrastMethod, grayMat } from "./enhance.ts";
import { type CascadeClassifier, loadOpenCV, type Mat, type OpenCV, WasmScope } from "../runtime/opencv.ts";
import type { DetectorEntry, FaceOf, LoadedDetector, RotateMode } from "./detector_entry.ts";
import { DEFAULT_LANDMARKER_OPTIONS } from "../landmarks/detect_landmarks.ts";

/** The Haar cascades bundled from OpenCV (see `lib/detect/cascades/PROVENANCE.md`). */
export type CascadeName = "frontalface_default" | "frontalface_alt" | "frontalface_alt2";

/** The cascades that can be chosen, in the order the docs list them. */
export const CASCADES: readonly CascadeName[] = ["frontalface_default", "frontalface_alt", "frontalface_alt2"];

/** The Haar detector's options; every field has a measured default. */
export interface HaarOptions {
  /** Which OpenCV cascade. Default `"frontalface_default"` (best recall, fastest). */
  readonly cascade?: CascadeName;
  /** Scale step between pyramid levels (> 1). Default 1.1. */
  readonly scaleFactor?: number;
  /** Overlapping raw hits needed to keep a box. Default 5. */
  readonly minNeighbors?: number;
  /** Smallest face side, in pixels of the working copy. Default 30. */
  readonly minSize?: number;
  /** The image is scaled down (never up) so its longer side is at most this. Default 640. */
  readonly workingSize?: number;
  /** Contrast boost before detection. Default `"equalize"`. */
  readonly contrast?: ContrastMethod;
  /** CLAHE clip limit when `contrast` is `"clahe"`. Default 2. */
  readonly clipLimit?: number;
  /** CLAHE tiles per side when `contrast` is `"clahe"`. Default 5. */
  readonly tiles?: number;
  /**
   * When the plain pass finds no face, detect again with a replicated border of this
   * fraction of the width/height on each side (for tight crops such as ORL). 0 turns it
   * off. Default 0.25.
   */
  readonly pad?: number;
  /** When nothing is found, return the whole image as one `"fallback"` face. Default false. */
  readonly fallback?: boolean;
  /**
   * Angles (degrees, counter-clockwise) of the rotated passes, for tilted heads the upright
   * cascade misses; their boxes are mapped back (same size, centred on the face) and
   * overlaps with upright boxes are dropped. Default `[-25, 25]`.
   */
  readonly angles?: readonly number[];
  /**
   * When the rotated passes run: `"when-none"` only when the upright pass finds nothing (a
   * portrait with a tilted head costs extra, other photos nothing), `"always"` (every tilted
   * face in group photos, at about 1.7x the time on 1920 px photos), or `"never"`.
   * Default `"when-none"`.
   */
  readonly rotate?: RotateMode;
  /**
   * The rotated passes search a smaller copy whose longer side is at most this (they find
   * the larger faces only, and cost far less). Default 320.
   */
  readonly rotatedSize?: number;
  /** Smallest face side for the rotated passes, in pixels of their copy. Default 24. */
  readonly rotatedMinSize?: number;
}

/** The Haar detector's defaults, chosen on the even half of each dataset (see docs/guide.md). */
export const DEFAULT_DETECTOR_OPTIONS: Readonly<Required<HaarOptions>> = Object.freeze({
  cascade: "frontalface_default",
  scaleFactor: 1.1,
  minNeighbors: 5,
  minSize: 30,
  workingSize: 640,
  contrast: "equalize",
  clipLimit: 2,
  tiles: 5,
  pad: 0.25,
  fallback: false,
  angles: Object.freeze([-25, 25]),
  rotate: "when-none",
  rotatedSize: 320,
  rotatedMinSize: 24,
});

/**
 * Where a bundled cascade's XML lives (beside this module, in a checkout or at a URL).
 *
 * @param cascade The cascade's name.
 * @returns The asset's URL.
 */
export function cascadeUrl(cascade: CascadeName): URL {
  return new URL(`./cascades/haarcascade_${cascade}.xml`, import.meta.url);
}

/** A face the cascade found. */
type HaarFace = FaceOf<"haar">;
/** What `source` a Haar face may have. */
type HaarSource = HaarFace["source"];

/**
 * The Haar detector's registry entry. Its settings are recorded without the detector's name
 * (as before the learned detector existed), with `refine` and `mirror` of the landmarks only
 * when on, so that caches and models made with Haar by any Face2Vec compare equal.
 */
export const HAAR_DETECTOR: DetectorEntry<"haar", HaarOptions> = Object.freeze({
  name: "haar",
  version: 1,
  description: "the original Face2Vec's OpenCV Haar cascade (Viola-Jones) on OpenCV.js",
  assets: Object.freeze({
    files: Object.freeze(CASCADES.map(cascadeUrl)),
    provenance: new URL("./cascades/PROVENANCE.md", import.meta.url),
  }),
  defaults: DEFAULT_DETECTOR_OPTIONS,
  // The landmark crop of the original pipeline (fitted on the even half of HELEN behind Haar's boxes).
  landmarks: Object.freeze({
    scale: DEFAULT_LANDMARKER_OPTIONS.scale,
    shiftY: DEFAULT_LANDMARKER_OPTIONS.shiftY,
    refine: DEFAULT_LANDMARKER_OPTIONS.refine,
    mirror: DEFAULT_LANDMARKER_OPTIONS.mirror,
  }),
  recordsName: false,
  drawing: { color: [0, 230, 0] as const, colorName: "green", legend: "Haar box" },
  resolve(options: Partial<HaarOptions>): Required<HaarOptions> {
    const o: Required<HaarOptions> = { ...DEFAULT_DETECTOR_OPTIONS, ...options };
    validate(o);
    return o;
  },
  record: (settings: Required<HaarOptions>) => ({ ...settings, angles: [...settings.angles] }),
  recordLandmarks: (recorded: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(recorded).filter(([k, v]) => !((k === "refine" || k === "mirror") && !v))),
  assetsInUse: (settings: Required<HaarOptions>) => ({ cascade: cascadeUrl(settings.cascade) }),
  create: createHaarDetector,
});

/**
 * Loads a Haar cascade detector.
 *
 * @param o The settings in force (from {@linkcode HAAR_DETECTOR}'s `resolve`).
 * @returns The detector; call `dispose()` when done.
 * @throws {Error} When the cascade cannot be loaded.
 */
async function createHaarDetector(o: Required<HaarOptions>): Promise<LoadedDetector<"haar">> {
  const cv = await loadOpenCV();
  const xml = await readAsset(cascadeUrl(o.cascade));
  const classifier = loadCascade(cv, o.cascade, xml);
  let disposed = false;
  return {
    detect(image: Image): Promise<HaarFace[]> {
      if (disposed) return Promise.reject(new Error("FaceDetector.detect() called after dispose()"));
      try {
        return Promise.resolve(detect(cv, classifier, o, image));
      } catch (e) {
        return Promise.reject(e);
      }
    },
    dispose() {
      if (!disposed) classifier.delete();
      disposed = true;
      return Promise.resolve();
    },
  };
}

function validate(o: Required<HaarOptions>): void {
  const bad = (name: string, v: unknown, want: string) => {
    throw new RangeError(`detector option ${name} must be ${want}, got ${v}`);
  };
  if (!CASCADES.includes(o.cascade)) bad("cascade", o.cascade, CASCADES.join(" | "));
  if (!(o.scaleFactor > 1)) bad("scaleFactor", o.scaleFactor, "> 1");
  if (!(Number.isInteger(o.minNeighbors) && o.minNeighbors >= 0)) {
    bad("minNeighbors", o.minNeighbors, "a whole number >= 0");
  }
  if (!(o.minSize >= 1)) bad("minSize", o.minSize, ">= 1");
  if (!(o.workingSize >= 24)) bad("workingSize", o.workingSize, ">= 24");
  if (!["none", "equalize", "clahe"].includes(o.contrast)) bad("contrast", o.contrast, "none | equalize | clahe");
  if (!(o.clipLimit > 0)) bad("clipLimit", o.clipLimit, "> 0");
  if (!(Number.isInteger(o.tiles) && o.tiles > 0)) bad("tiles", o.tiles, "a whole number > 0");
  if (!(o.pad >= 0 && o.pad <= 2)) bad("pad", o.pad, "from 0 to 2");
  if (!Array.isArray(o.angles) || !o.angles.every((a) => Math.abs(a) > 0 && Math.abs(a) < 90)) {
    bad("angles", o.angles, "a list of non-zero angles between -90 and 90");
  }
  if (!["never", "when-none", "always"].includes(o.rotate)) bad("rotate", o.rotate, "never | when-none | always");
  if (!(o.rotatedMinSize >= 1)) bad("rotatedMinSize", o.rotatedMinSize, ">= 1");
  if (!(o.rotatedSize >= 24)) bad("rotatedSize", o.rotatedSize, ">= 24");
}

function loadCascade(cv: OpenCV, name: string, xml: Uint8Array): CascadeClassifier {
  // The classifier reads from Emscripten's in-memory FS; the file is removed once loaded.
  const file = `face2vec_${name}_${crypto.randomUUID()}.xml`;
  cv.FS_createDataFile("/", file, xml, true, false, false);
  const classifier = new cv.CascadeClassifier();
  try {
    if (!classifier.load(`/${file}`) || classifier.empty()) {
      throw new Error(`could not load Haar cascade ${name}`);
    }
    return classifier;
  } catch (e) {
    classifier.delete();
    throw e;
  } finally {
    cv.FS_unlink(`/${file}`);
  }
}

function detect(cv: OpenCV, classifier: CascadeClassifier, o: Required<HaarOptions>, image: Image): HaarFace[] {
  using scope = new WasmScope();
  const gray = grayMat(cv, image, scope);
  const scale = Math.min(1, o.workingSize / Math.max(image.width, image.height));
  let work = gray;
  if (scale < 1) {
    work = scope.track(new cv.Mat());
    const size = new cv.Size(
      Math.max(1, Math.round(image.width * scale)),
      Math.max(1, Math.round(image.height * scale)),
    );
    cv.resize(gray, work, size, 0, 0, cv.INTER_AREA);
  }
  const enhanced = contrastMat(cv, work, { method: o.contrast, clipLimit: o.clipLimit, tiles: o.tiles }, scope);
  // Working-copy pixels per original pixel, per axis (rounding makes them differ slightly).
  const sx = enhanced.cols / image.width;
  const sy = enhanced.rows / image.height;
  const toImage = (r: Box, dx: number, dy: number, source: HaarSource): HaarFace => {
    const x0 = clamp((r.x - dx) / sx, 0, image.width);
    const y0 = clamp((r.y - dy) / sy, 0, image.height);
    const x1 = clamp((r.x - dx + r.width) / sx, 0, image.width);
    const y1 = clamp((r.y - dy + r.height) / sy, 0, image.height);
    return { box: { x: x0, y: y0, width: x1 - x0, height: y1 - y0 }, source };
  };
  const upright = runCascade(cv, classifier, o, o.minSize, enhanced, scope);
  let rotated: Box[] = [];
  if (o.angles.length > 0 && (o.rotate === "always" || (o.rotate === "when-none" && upright.length === 0))) {
    // The rotated passes run on a smaller copy; their boxes are scaled up to the working copy.
    const k = Math.min(1, o.rotatedSize / Math.max(enhanced.cols, enhanced.rows));
    let small = enhanced;
    if (k < 1) {
      small = scope.track(new cv.Mat());
      cv.resize(
        enhanced,
        small,
        new cv.Size(Math.round(enhanced.cols * k), Math.round(enhanced.rows * k)),
        0,
        0,
        cv.INTER_AREA,
      );
    }
    const kx = enhanced.cols / small.cols, ky = enhanced.rows / small.rows;
    rotated = o.angles.flatMap((a) => runRotated(cv, classifier, o, small, a, scope))
      .map((b) => ({ x: b.x * kx, y: b.y * ky, width: b.width * kx, height: b.height * ky }));
  }
  let faces = suppressOverlaps([...upright, ...rotated]).map((r) => toImage(r, 0, 0, "haar"));
  if (faces.length === 0 && o.pad > 0) {
    const top = Math.round(o.pad * enhanced.rows);
    const left = Math.round(o.pad * enhanced.cols);
    const padded = scope.track(new cv.Mat());
    cv.copyMakeBorder(enhanced, padded, top, top, left, left, cv.BORDER_REPLICATE);
    faces = runCascade(cv, classifier, o, o.minSize, padded, scope)
      .map((r) => toImage(r, left, top, "padded"))
      .filter((f) => f.box.width >= 1 && f.box.height >= 1);
  }
  if (faces.length === 0 && o.fallback) {
    faces = [{ box: { x: 0, y: 0, width: image.width, height: image.height }, source: "fallback" }];
  }
  return faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
}

function runCascade(
  cv: OpenCV,
  classifier: CascadeClassifier,
  o: Required<HaarOptions>,
  minSize: number,
  mat: Mat,
  scope: WasmScope,
): Box[] {
  const rects = scope.track(new cv.RectVector());
  classifier.detectMultiScale(
    mat,
    rects,
    o.scaleFactor,
    o.minNeighbors,
    0,
    new cv.Size(minSize, minSize),
    new cv.Size(0, 0),
  );
  const out: Box[] = [];
  for (let i = 0; i < rects.size(); i++) {
    const r = rects.get(i);
    out.push({ x: r.x, y: r.y, width: r.width, height: r.height });
  }
  return out;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, v));
}

/**
 * Runs the cascade on `mat` rotated by `angle` degrees (counter-clockwise) on a canvas large
 * enough to hold it, and maps each box's centre back; the box keeps its size.
 */
function runRotated(
  cv: OpenCV,
  classifier: CascadeClassifier,
  o: Required<HaarOptions>,
  mat: Mat,
  angle: number,
  scope: WasmScope,
): Box[] {
  const t = (angle * Math.PI) / 180;
  const cos = Math.cos(t), sin = Math.sin(t);
  const w = mat.cols, h = mat.rows;
  const W = Math.ceil(w * Math.abs(cos) + h * Math.abs(sin));
  const H = Math.ceil(w * Math.abs(sin) + h * Math.abs(cos));
  // Forward map (OpenCV's convention, y down): p' = R (p - c) + c', R = [[cos, sin], [-sin, cos]].
  const cx = w / 2, cy = h / 2, ox = W / 2, oy = H / 2;
  const m = scope.track(cv.matFromArray(2, 3, cv.CV_64F, [
    cos,
    sin,
    ox - cos * cx - sin * cy,
    -sin,
    cos,
    oy + sin * cx - cos * cy,
  ]));
  const rotated = scope.track(new cv.Mat());
  cv.warpAffine(mat, rotated, m, new cv.Size(W, H), cv.INTER_LINEAR, cv.BORDER_REPLICATE);
  return runCascade(cv, classifier, o, o.rotatedMinSize, rotated, scope).map((r) => {
    const qx = r.x + r.width / 2 - ox, qy = r.y + r.height / 2 - oy;
    // Inverse: p = R^T (p' - c') + c.
    const px = cos * qx - sin * qy + cx, py = sin * qx + cos * qy + cy;
    return { x: px - r.width / 2, y: py - r.height / 2, width: r.width, height: r.height };
  });
}

/** Keeps boxes in order, dropping any that overlaps (IoU > 0.3) one already kept. */
function suppressOverlaps(boxes: readonly Box[]): Box[] {
  const kept: Box[] = [];
  for (const b of boxes) if (kept.every((k) => iou(k, b) <= 0.3)) kept.push(b);
  return kept;
}
