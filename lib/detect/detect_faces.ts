/**
 * The face detectors, one registry entry each ({@linkcode DETECTOR_REGISTRY}): the learned
 * BlazeFace (the default) and the original's Haar cascade. Each entry owns its name,
 * version, assets, defaults, landmark crop, recorded settings and factory (see
 * {@linkcode DetectorEntry}); nothing else branches on a detector's name. Adding a detector
 * is its entry (a module beside this one, and its line in the registry) and its asset line
 * in `scripts/make_assets.ts`.
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import { BLAZEFACE_DETECTOR } from "./blazeface.ts";
import type { DetectorEntry, FaceOf } from "./detector_entry.ts";
import { HAAR_DETECTOR } from "./haar.ts";

// Kept at this path for the modules that import them from here.
export { type CascadeName, CASCADES, cascadeUrl, DEFAULT_DETECTOR_OPTIONS, type HaarOptions } from "./haar.ts";
export type { BlazeFaceOptions } from "./blazeface.ts";
export type { DetectorEntry, RotateMode } from "./detector_entry.ts";

/**
 * Every detector by name, the default first: `blazeface`, the learned one (MediaPipe's
 * BlazeFace as ONNX; chosen by measurement: see the README), and `haar`, the original
 * Face2Vec's OpenCV cascade.
 */
export const DETECTOR_REGISTRY = Object.freeze({
  blazeface: BLAZEFACE_DETECTOR,
  haar: HAAR_DETECTOR,
});

/** The names of the detectors (the keys of {@linkcode DETECTOR_REGISTRY}). */
export type DetectorName = keyof typeof DETECTOR_REGISTRY;

/** An entry of any options or settings (what a registry holds). */
// deno-lint-ignore no-explicit-any
export type SomeDetectorEntry = DetectorEntry<string, any>;

/**
 * A set of detector entries by name: {@linkcode DETECTOR_REGISTRY}, or another one given to
 * the functions here (a test's own detector, injected without editing the registry).
 */
export type DetectorRegistry = Readonly<Record<string, SomeDetectorEntry>>;

/** The detectors, the default first. */
export const DETECTORS: readonly DetectorName[] = Object.freeze(Object.keys(DETECTOR_REGISTRY) as DetectorName[]);

/** The detector used when none is named. */
export const DEFAULT_DETECTOR: DetectorName = "blazeface";

type Registered = (typeof DETECTOR_REGISTRY)[DetectorName];
type OptionsOf<E> = E extends DetectorEntry<string, infer O> ? O : never;
type Intersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/**
 * Load-time options of {@linkcode createFaceDetector}: which detector, and its options (the
 * fields of the other detectors are ignored). `pad`, `fallback`, `angles` and `rotate` mean
 * the same for BlazeFace and Haar, with defaults of each detector's own.
 */
export type DetectorOptions =
  & {
    /** Which detector. Default {@linkcode DEFAULT_DETECTOR}. */
    readonly detector?: DetectorName;
  }
  & Intersection<OptionsOf<Registered>>;

/** The options in force: the detector's name and each of its options. */
export type DetectorSettings = {
  [N in DetectorName]: { readonly detector: N } & Required<OptionsOf<(typeof DETECTOR_REGISTRY)[N]>>;
}[DetectorName];

/** A detected face: plain data, in float pixels of the EXIF-oriented image. */
export type Face = FaceOf<DetectorName>;

/**
 * Where a face box came from: a detector's name (its plain pass on the image), `"padded"` (a
 * pass on the image with a border, tried only when the plain pass finds nothing),
 * `"fallback"` (the whole image, when nothing was found and the fallback is on).
 */
export type FaceSource = Face["source"];

/** A loaded face detector. Free it with `dispose()`. */
export interface FaceDetector {
  /** The options in force, defaults filled in. */
  readonly options: Readonly<DetectorSettings>;
  /**
   * Finds every face in an image, largest first.
   * @throws {Error} After `dispose()`.
   */
  detect(image: Image): Promise<Face[]>;
  /** Frees the detector's WASM memory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * A detector's entry by name.
 *
 * @param name A detector's name.
 * @param registry The entries to look in. Default {@linkcode DETECTOR_REGISTRY}.
 * @returns The entry.
 * @throws {RangeError} For an unknown name, listing the known ones.
 * @example
 * ```ts
 * import { detectorEntry } from "./detect_faces.ts";
 * if (detectorEntry("haar").defaults.cascade !== "frontalface_default") throw new Error();
 * ```
 */
export function detectorEntry(
  name: string,
  registry: DetectorRegistry = DETECTOR_REGISTRY,
): SomeDetectorEntry {
  const entry = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!entry) throw new RangeError(`detector must be ${Object.keys(registry).join(" | ")}, got ${name}`);
  return entry;
}

/**
 * The entry and the settings in force for `options`: the detector's own fields over its
 * defaults, validated (the other detectors' fields are dropped).
 *
 * @param options Partial detector options.
 * @param registry The entries. Default {@linkcode DETECTOR_REGISTRY}.
 * @returns The entry and the settings (its name first).
 * @throws {RangeError} For an unknown detector or out-of-range options.
 */
export function resolveDetector(
  options: DetectorOptions = {},
  registry: DetectorRegistry = DETECTOR_REGISTRY,
): { entry: SomeDetectorEntry; settings: DetectorSettings } {
  const { detector = DEFAULT_DETECTOR, ...rest } = options as DetectorOptions & Record<string, unknown>;
  const entry = detectorEntry(detector, registry);
  const own = Object.fromEntries(Object.entries(rest).filter(([k, v]) => v !== undefined && k in entry.defaults));
  return { entry, settings: { detector: entry.name, ...entry.resolve(own) } as DetectorSettings };
}

/**
 * The options in force for `options`: the detector's name and its options, defaults filled
 * in, validated (the other detectors' fields are dropped).
 *
 * @param options Partial detector options.
 * @param registry The entries. Default {@linkcode DETECTOR_REGISTRY}.
 * @returns Every option of the chosen detector.
 * @throws {RangeError} For an unknown detector or out-of-range options.
 * @example
 * ```ts
 * import { resolveDetectorOptions } from "./detect_faces.ts";
 * const o = resolveDetectorOptions({ detector: "haar", minScore: 0.9 });
 * if (o.detector !== "haar" || "minScore" in o || o.minNeighbors !== 5) throw new Error(JSON.stringify(o));
 * ```
 */
export function resolveDetectorOptions(
  options: DetectorOptions = {},
  registry: DetectorRegistry = DETECTOR_REGISTRY,
): DetectorSettings {
  return resolveDetector(options, registry).settings;
}

/**
 * The detector options that a detector's recorded settings describe (the inverse of its
 * entry's `record`): settings recorded without a name are those of the entry that records
 * none (Haar: every cache and model made before the learned detector).
 *
 * @param recorded The `detector` field of recorded settings (absent: the defaults of the unnamed entry).
 * @param registry The entries. Default {@linkcode DETECTOR_REGISTRY}.
 * @returns The options, the detector's name first.
 * @example
 * ```ts
 * import { detectorOptionsFrom } from "./detect_faces.ts";
 * if (detectorOptionsFrom({ minNeighbors: 3 }).detector !== "haar") throw new Error();
 * if (detectorOptionsFrom({ detector: "blazeface" }).detector !== "blazeface") throw new Error();
 * ```
 */
export function detectorOptionsFrom(
  recorded: Readonly<Record<string, unknown>> | undefined,
  registry: DetectorRegistry = DETECTOR_REGISTRY,
): DetectorOptions {
  const unnamed = Object.values(registry).find((e) => !e.recordsName);
  return { ...(unnamed ? { detector: unnamed.name } : {}), ...recorded } as DetectorOptions;
}

/**
 * Creates a face detector: the learned one (BlazeFace on onnxruntime; the default), or a
 * Haar cascade (Viola-Jones) on OpenCV.js, where the image is converted to gray, scaled
 * down to the working size, contrast-boosted, and searched. Boxes are in the original pixels.
 *
 * @param options The detector and its parameters (see {@linkcode DetectorOptions}).
 * @param registry The entries. Default {@linkcode DETECTOR_REGISTRY}.
 * @returns The detector; call `dispose()` when done.
 * @throws {RangeError} For out-of-range options.
 * @example
 * ```ts
 * import { createFaceDetector } from "./detect_faces.ts";
 * for (const detector of ["blazeface", "haar"] as const) {
 *   const d = await createFaceDetector({ detector, fallback: true });
 *   try {
 *     // A flat gray image has no face: the whole-image fallback is returned.
 *     const img = { width: 64, height: 64, channels: 1 as const, data: new Uint8Array(64 * 64).fill(128) };
 *     const faces = await d.detect(img);
 *     if (faces.length !== 1 || faces[0]?.source !== "fallback") throw new Error(JSON.stringify(faces));
 *   } finally {
 *     await d.dispose();
 *   }
 * }
 * ```
 */
export async function createFaceDetector(
  options: DetectorOptions = {},
  registry: DetectorRegistry = DETECTOR_REGISTRY,
): Promise<FaceDetector> {
  const { entry, settings } = resolveDetector(options, registry);
  const { detector: _, ...own } = settings;
  const loaded = await entry.create(own);
  return {
    options: Object.freeze(settings),
    detect: (image) => loaded.detect(image) as Promise<Face[]>,
    dispose: () => loaded.dispose(),
  };
}
