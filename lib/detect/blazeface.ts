/**
 * The learned face detector: MediaPipe's BlazeFace (back-camera model, 256x256 input) as
 * ONNX, run by the project's one onnxruntime owner. The photo is shrunk whole into the input
 * (a square letterbox); when that finds nothing, a pass with a border around the photo (tight
 * crops such as ORL, where the face fills the frame), then rotated passes (tilted heads).
 * Its registry entry is {@linkcode BLAZEFACE_DETECTOR}.
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import { readAsset } from "../_asset.ts";
import { createOnnxSession } from "../runtime/onnx.ts";
import {
  anchorCentres,
  type AnchorLayout,
  decodeDetections,
  type InputRegion,
  type RawDetection,
  sampleInput,
  weightedNms,
} from "./_blaze.ts";
import { iou } from "../image/box.ts";
import type { DetectorEntry, FaceOf, LoadedDetector, RotateMode } from "./detector_entry.ts";

/** Options of the learned detector; every field has a measured default. */
export interface BlazeFaceOptions {
  /** Smallest score (0–1) a face is kept with. Default 0.5. */
  readonly minScore?: number;
  /** Overlap (IoU) above which two detections are one face, merged by weighted NMS. Default 0.3. */
  readonly nmsIou?: number;
  /**
   * When the plain pass finds no face, detect again with a black border of this fraction of
   * the photo's longer side on each side (for tight crops: the net expects some context).
   * 0 turns it off. Default 0.25.
   */
  readonly pad?: number;
  /** When nothing is found, return the whole image as one `"fallback"` face. Default false. */
  readonly fallback?: boolean;
  /** Angles (degrees, counter-clockwise) of the rotated passes. Default `[-45, 45]`. */
  readonly angles?: readonly number[];
  /** When the rotated passes run (as for Haar). Default `"when-none"`. */
  readonly rotate?: RotateMode;
}

/** The defaults of {@linkcode BlazeFaceOptions}, chosen on the even halves (see docs/guide.md). */
export const DEFAULT_BLAZEFACE_OPTIONS: Readonly<Required<BlazeFaceOptions>> = Object.freeze({
  minScore: 0.5,
  nmsIou: 0.3,
  pad: 0.25,
  fallback: false,
  angles: Object.freeze([-45, 45]),
  rotate: "when-none",
});

/** The converted model's anchor layout: 16x16 cells x 2 anchors at stride 16, 8x8 x 6 at stride 32. */
export const BLAZEFACE_LAYOUT: AnchorLayout = Object.freeze({
  inputSize: 256,
  layers: Object.freeze([{ stride: 16, perCell: 2 }, { stride: 32, perCell: 6 }]),
});

/**
 * Where the converted model lives (beside this module, in a checkout or at a URL).
 *
 * @returns The asset's URL.
 */
export function blazefaceModelUrl(): URL {
  return new URL("./models/blazeface_back.onnx", import.meta.url);
}

/**
 * The options in force: defaults filled in, validated.
 *
 * @param options Partial options.
 * @returns Every option.
 * @throws {RangeError} For out-of-range options.
 * @example
 * ```ts
 * import { resolveBlazeFaceOptions } from "./blazeface.ts";
 * const o = resolveBlazeFaceOptions({ minScore: 0.7 });
 * if (o.minScore !== 0.7 || o.nmsIou !== 0.3 || o.rotate !== "when-none") throw new Error(JSON.stringify(o));
 * ```
 */
export function resolveBlazeFaceOptions(options: BlazeFaceOptions = {}): Required<BlazeFaceOptions> {
  const d = DEFAULT_BLAZEFACE_OPTIONS;
  const o: Required<BlazeFaceOptions> = {
    minScore: options.minScore ?? d.minScore,
    nmsIou: options.nmsIou ?? d.nmsIou,
    pad: options.pad ?? d.pad,
    fallback: options.fallback ?? d.fallback,
    angles: options.angles ?? d.angles,
    rotate: options.rotate ?? d.rotate,
  };
  const bad = (name: string, v: unknown, want: string) => {
    throw new RangeError(`detector option ${name} must be ${want}, got ${v}`);
  };
  if (!(o.minScore > 0 && o.minScore < 1)) bad("minScore", o.minScore, "between 0 and 1");
  if (!(o.nmsIou > 0 && o.nmsIou < 1)) bad("nmsIou", o.nmsIou, "between 0 and 1");
  if (!(o.pad >= 0 && o.pad <= 2)) bad("pad", o.pad, "from 0 to 2");
  if (typeof o.fallback !== "boolean") bad("fallback", o.fallback, "true or false");
  if (!Array.isArray(o.angles) || !o.angles.every((a) => Math.abs(a) > 0 && Math.abs(a) < 180)) {
    bad("angles", o.angles, "a list of non-zero angles between -180 and 180");
  }
  if (!["never", "when-none", "always"].includes(o.rotate)) bad("rotate", o.rotate, "never | when-none | always");
  return o;
}

/** A face the learned detector found. */
type Face = FaceOf<"blazeface">;

/** A loaded learned detector: `detect` is asynchronous (the network runs in onnxruntime). */
export interface BlazeFaceDetector extends LoadedDetector<"blazeface"> {
  readonly options: Readonly<Required<BlazeFaceOptions>>;
}

/**
 * The learned detector's registry entry: the default detector (chosen by measurement, see
 * the README). Its settings are recorded with its name.
 */
export const BLAZEFACE_DETECTOR: DetectorEntry<"blazeface", BlazeFaceOptions> = Object.freeze({
  name: "blazeface",
  version: 1,
  description: "MediaPipe's BlazeFace (back-camera model, 256x256) as ONNX on onnxruntime",
  assets: Object.freeze({
    files: Object.freeze([blazefaceModelUrl()]),
    provenance: new URL("./models/PROVENANCE.md", import.meta.url),
  }),
  defaults: DEFAULT_BLAZEFACE_OPTIONS,
  // Fitted on the even half of HELEN behind BlazeFace's boxes (`deno task tune landmarks`); the
  // mirrored pass: median NME 4.85% → 4.70% there.
  landmarks: Object.freeze({ scale: 1.3, shiftY: 0.1, refine: false, mirror: true }),
  recordsName: true,
  drawing: { color: [0, 200, 255] as const, colorName: "cyan", legend: "BlazeFace box" },
  resolve: resolveBlazeFaceOptions,
  record: (settings: Required<BlazeFaceOptions>) => ({
    detector: "blazeface",
    ...settings,
    angles: [...settings.angles],
  }),
  assetsInUse: () => ({ face_detector: blazefaceModelUrl() }),
  create: createBlazeFaceDetector,
});

/**
 * Loads the learned detector.
 *
 * @param options Score threshold, suppression, padding and rotation (see {@linkcode BlazeFaceOptions}).
 * @returns The detector; call `dispose()` when done.
 * @throws {RangeError} For out-of-range options.
 */
export async function createBlazeFaceDetector(options: BlazeFaceOptions = {}): Promise<BlazeFaceDetector> {
  const o = resolveBlazeFaceOptions(options);
  const session = await createOnnxSession(await readAsset(blazefaceModelUrl()));
  const anchors = anchorCentres(BLAZEFACE_LAYOUT);
  const size = BLAZEFACE_LAYOUT.inputSize;
  let disposed = false;
  /** The raw detections (before suppression) of one pass over `region`. */
  const pass = async (image: Image, region: InputRegion): Promise<RawDetection[]> => {
    const input = sampleInput(image, region, size);
    const out = await session.run({ input: { data: input, dims: [1, size, size, 3] } });
    return decodeDetections(out.logits!.data, out.regressors!.data, 16, BLAZEFACE_LAYOUT, anchors, region, o.minScore);
  };
  return {
    options: Object.freeze(o),
    async detect(image: Image): Promise<Face[]> {
      if (disposed) throw new Error("FaceDetector.detect() called after dispose()");
      const side = Math.max(image.width, image.height);
      const whole = { cx: image.width / 2, cy: image.height / 2, side, angle: 0 };
      const plain = await pass(image, whole);
      let found = weightedNms(plain, o.nmsIou).map((d) => toFace(d, image, "blazeface"));
      // A tight crop (the face fills the frame; the net wants some context around it): a pass
      // with a border when the plain pass finds nothing, or when on a photo no larger than the
      // input (a thumbnail or a crop) its largest face is under a third of the photo's side (a
      // part of the face, not the face); merged with the plain pass's.
      const largest = Math.max(0, ...found.map((f) => f.box.width));
      if (o.pad > 0 && (found.length === 0 || (side <= size && largest < side / 3))) {
        const padded = await pass(image, { ...whole, side: side * (1 + 2 * o.pad) });
        const before = found;
        // A face the plain pass had too keeps its source; the others are the padded pass's.
        found = weightedNms([...plain, ...padded], o.nmsIou).map((d) =>
          toFace(d, image, before.some((f) => iou(f.box, d.box) > o.nmsIou) ? "blazeface" : "padded")
        );
      }
      if (o.angles.length > 0 && (o.rotate === "always" || (o.rotate === "when-none" && found.length === 0))) {
        const turned: Face[] = [];
        for (const angle of o.angles) {
          for (const d of weightedNms(await pass(image, { ...whole, angle }), o.nmsIou)) {
            const f = toFace(d, image, "blazeface");
            if ([...found, ...turned].every((k) => iou(k.box, f.box) <= o.nmsIou)) turned.push(f);
          }
        }
        found = [...found, ...turned];
      }
      if (found.length === 0 && o.fallback) {
        found = [{ box: { x: 0, y: 0, width: image.width, height: image.height }, source: "fallback" }];
      }
      return found.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height);
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}

/** A decoded detection as a face: its box clamped to the image, its score and keypoints. */
function toFace(d: RawDetection, image: Image, source: "blazeface" | "padded"): Face {
  const x0 = Math.max(0, d.box.x), y0 = Math.max(0, d.box.y);
  const x1 = Math.min(image.width, d.box.x + d.box.width), y1 = Math.min(image.height, d.box.y + d.box.height);
  return {
    box: { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) },
    source,
    score: d.score,
    keypoints: d.keypoints,
  };
}
