/**
 * The pipeline: one image → its faces, each with its 68 landmarks, its feature vector and
 * (for the feature sets that need it) its embedding. Detector, landmarker and embedder are
 * loaded once by {@linkcode createPipeline}; what decides how a photo becomes numbers is
 * recorded by {@linkcode pipelineSettings} in every cache and model.
 *
 * @module
 */

import { assetSha256 } from "../_asset.ts";
import { configDifference } from "../_config.ts";
import { blazefaceModelUrl } from "../detect/blazeface.ts";
import {
  cascadeUrl,
  createFaceDetector,
  DEFAULT_DETECTOR,
  type DetectorName,
  type DetectorOptions,
  type DetectorSettings,
  type Face,
  type FaceDetector,
  resolveDetectorOptions,
} from "../detect/detect_faces.ts";
import type { AlignOptions } from "../embed/align_face.ts";
import {
  createEmbedder,
  type EmbedderOptions,
  embeddingModelUrl,
  type FaceEmbedder,
  resolveEmbedderOptions,
} from "../embed/embed_faces.ts";
import { DEFAULT_FEATURE_SET, type FeatureSet, featureSet, type FeatureSetName } from "../features/feature_sets.ts";
import type { Image } from "../image/image.ts";
import {
  createLandmarker,
  type FaceLandmarker,
  type LandmarkerOptions,
  landmarkModelUrl,
  POINTS_CROP,
  resolveLandmarkerOptions,
} from "../landmarks/detect_landmarks.ts";
import type { Point } from "../landmarks/point.ts";

/** Everything that decides how a photo becomes features. */
export interface PipelineOptions {
  readonly detector?: DetectorOptions;
  readonly landmarks?: LandmarkerOptions;
  /** The feature set. Default {@linkcode DEFAULT_FEATURE_SET}. */
  readonly features?: FeatureSetName;
  /** Face alignment for the embedding (used by the sets that need it). */
  readonly embedder?: EmbedderOptions;
}

/** A feature set as recorded in caches and models. */
export interface FeatureSetRecord {
  readonly name: FeatureSetName;
  readonly version: number;
}

/**
 * How photos are processed, as recorded: the resolved detector, landmark and (for the sets
 * that use the embedding) alignment options, and the sha256 of every model asset in use.
 */
export type PipelineSettings = Readonly<Record<string, unknown>>;

/**
 * The settings and feature set that a cache or model records for `options`. Two runs with
 * equal settings and feature set turn the same photo into the same numbers.
 *
 * @param options The pipeline options (defaults filled in).
 * @returns The settings and the feature set's name and version.
 * @throws {RangeError} For invalid options or an unknown feature set.
 */
export async function pipelineSettings(
  options: PipelineOptions,
): Promise<{ settings: PipelineSettings; features: FeatureSetRecord }> {
  const detector = resolveDetectorOptions(options.detector);
  const landmarks = resolveLandmarkerOptions(options.landmarks, detector.detector);
  const set = featureSet(options.features ?? DEFAULT_FEATURE_SET);
  const assets: Record<string, string> = detector.detector === "haar"
    ? { cascade: await assetSha256(cascadeUrl(detector.cascade)) }
    : { face_detector: await assetSha256(blazefaceModelUrl()) };
  assets.landmark_model = await assetSha256(landmarkModelUrl(landmarks.model));
  // Only the sets that use the embedding record its model and the alignment (so geometry caches
  // are unaffected by them).
  const align = set.needsEmbedding ? resolveEmbedderOptions(options.embedder) : undefined;
  if (align) assets.embedding_model = await assetSha256(embeddingModelUrl());
  return {
    settings: {
      detector: recordedDetector(detector),
      landmarks: recordedLandmarks(landmarks, detector),
      ...(align ? { align: { ...align, points: [...align.points] } } : {}),
      assets,
    },
    features: { name: set.name, version: set.version },
  };
}

/**
 * The detector's settings as caches and models record them. Haar's are recorded as before
 * the learned detector existed (without a `detector` field), so that caches and models made
 * with Haar by any Face2Vec compare equal; a recorded detector without that field is Haar.
 */
function recordedDetector(d: DetectorSettings): Record<string, unknown> {
  if (d.detector === "haar") {
    const { detector: _, ...haar } = d;
    return { ...haar, angles: [...haar.angles] };
  }
  return { ...d, angles: [...d.angles] };
}

/**
 * The landmark settings as recorded: behind Haar, `refine` and `mirror` only when on (as before
 * they existed); with `refine` on, the refinement pass's crop ({@linkcode POINTS_CROP}) too, so
 * that a change to it shows as a difference.
 */
function recordedLandmarks(l: Required<LandmarkerOptions>, d: DetectorSettings): Record<string, unknown> {
  const { refine, mirror, ...rest } = l;
  const crop = refine ? { points_crop: { ...POINTS_CROP } } : {};
  if (d.detector !== "haar") return { ...l, ...crop };
  return { ...rest, ...(refine ? { refine } : {}), ...(mirror ? { mirror } : {}), ...crop };
}

/**
 * The pipeline options that recorded settings describe (the inverse of {@linkcode pipelineSettings}).
 *
 * @param settings Settings from a cache or model.
 * @param features The feature set's name.
 * @returns Detector, landmark, feature-set and alignment options.
 */
export function pipelineOptionsFrom(settings: PipelineSettings, features: FeatureSetName): PipelineOptions {
  const stored = settings as { detector?: DetectorOptions; landmarks?: LandmarkerOptions; align?: AlignOptions };
  const { size: _size, ...align } = stored.align ?? {};
  const embedder: EmbedderOptions | undefined = stored.align ? { align } : undefined;
  // Settings recorded without a detector name are Haar's (every cache and model made before the learned detector).
  const detector: DetectorOptions = { detector: "haar", ...stored.detector };
  return { detector, landmarks: stored.landmarks, features, embedder };
}

/**
 * `options` with another detector: the flag a user gives beats the detector recorded in a
 * cache or model. The landmark crop then takes the new detector's defaults (its calibration
 * belongs to the detector); the landmark network stays.
 *
 * @param options Pipeline options (from a cache or model).
 * @param detector The detector asked for, or undefined to keep the recorded one.
 * @returns The options to process photos with.
 */
export function withDetector(options: PipelineOptions, detector: DetectorName | undefined): PipelineOptions {
  const recorded = options.detector?.detector ?? DEFAULT_DETECTOR;
  if (detector === undefined || detector === recorded) return options;
  const model = options.landmarks?.model;
  return { ...options, detector: { detector }, landmarks: model ? { model } : undefined };
}

/** The detector that options name (the library's default when they name none). */
export function detectorOf(options: PipelineOptions): DetectorName {
  return options.detector?.detector ?? DEFAULT_DETECTOR;
}

/**
 * The first setting or asset in which recorded settings differ from how this Face2Vec would
 * process photos with them now (an asset changed, a setting no longer exists or has a new
 * default), as `key: old → new`.
 *
 * @param settings Settings from a cache or model.
 * @param features The feature set recorded beside them.
 * @returns The difference, or undefined when there is none.
 */
export async function settingsDifference(
  settings: PipelineSettings,
  features: FeatureSetRecord,
): Promise<string | undefined> {
  const now = await pipelineSettings(pipelineOptionsFrom(settings, features.name));
  return configDifference(settings, now.settings) ?? configDifference(features, now.features);
}

/** One face through the pipeline: its box, landmarks, features and (when computed) embedding. */
export interface ProcessedFace extends Face {
  readonly landmarks: readonly Point[];
  readonly features: Float32Array;
  /** Present when the pipeline has an embedder. */
  readonly embedding?: Float32Array;
}

/** The largest face of an image, and how many faces the image has. */
export interface LargestFace {
  readonly face: ProcessedFace;
  /** How many faces the detector found (the largest is `face`). */
  readonly faces: number;
}

/** Load-time options of {@linkcode createPipeline} besides the pipeline's own. */
export interface CreatePipelineOptions {
  /** Load the embedder even when the feature set does not need it. Default false. */
  readonly embed?: boolean;
  /** Load the landmarker (without it, only `detector` is usable). Default true. */
  readonly landmarks?: boolean;
}

/** A loaded pipeline. Free it with `dispose()`. */
export interface Pipeline {
  readonly detector: FaceDetector;
  /** Absent only when created with `landmarks: false`. */
  readonly landmarker?: FaceLandmarker;
  /** Present when the feature set needs the embedding (or `embed` was asked for). */
  readonly embedder?: FaceEmbedder;
  readonly features: FeatureSet;
  /**
   * Every face of the image, largest first, through landmarks, features and embedding.
   * @throws {RangeError} When the pipeline was created without landmarks.
   */
  processFaces(image: Image): Promise<ProcessedFace[]>;
  /**
   * The largest face of the image through landmarks, features and embedding (only that face
   * is processed): what preprocessing caches, `enrol` enrols and `compare` compares.
   * @returns The face and the count of faces, or undefined when none is found.
   * @throws {RangeError} When the pipeline was created without landmarks.
   */
  processLargestFace(image: Image): Promise<LargestFace | undefined>;
  /** Frees every runtime object it holds. */
  dispose(): Promise<void>;
}

/**
 * Loads the detector, landmarker, feature set and, when the set needs it or `embed` is
 * true, the embedder for `options`.
 *
 * @param options Detector, landmark, feature-set and alignment options.
 * @param create What to load besides the feature set's needs.
 * @returns The pipeline; call `dispose()` when done.
 * @throws {RangeError} For invalid options.
 * @example
 * ```ts
 * import { createPipeline } from "./pipeline.ts";
 * import { createImage } from "../image/image.ts";
 * const pipeline = await createPipeline({ features: "geometry" });
 * try {
 *   const flat = createImage(64, 64, 1);
 *   flat.data.fill(90);
 *   if ((await pipeline.processFaces(flat)).length !== 0) throw new Error("a flat image has no face");
 * } finally {
 *   await pipeline.dispose();
 * }
 * ```
 */
export async function createPipeline(options: PipelineOptions, create: CreatePipelineOptions = {}): Promise<Pipeline> {
  const features = featureSet(options.features ?? DEFAULT_FEATURE_SET);
  const detector = await createFaceDetector(options.detector);
  let landmarker: FaceLandmarker | undefined, embedder: FaceEmbedder | undefined;
  try {
    landmarker = create.landmarks === false
      ? undefined
      : await createLandmarker(options.landmarks, detector.options.detector);
    embedder = features.needsEmbedding || create.embed ? await createEmbedder(options.embedder) : undefined;
  } catch (e) {
    // What was loaded before the failure is freed.
    await detector.dispose();
    await landmarker?.dispose();
    throw e;
  }
  const process = async (image: Image, faces: readonly Face[]): Promise<ProcessedFace[]> => {
    if (!landmarker) throw new RangeError("this pipeline was created without landmarks");
    const points = await landmarker.landmarks(image, faces.map((f) => f.box));
    const embeddings = embedder ? await embedder.embed(image, points) : undefined;
    return faces.map((face, i) => {
      const landmarks = points[i]!, embedding = embeddings?.[i];
      return {
        ...face,
        landmarks,
        features: features.compute({ landmarks, embedding }),
        ...(embedding ? { embedding } : {}),
      };
    });
  };
  return {
    detector,
    landmarker,
    embedder,
    features,
    processFaces: async (image) => process(image, await detector.detect(image)),
    async processLargestFace(image) {
      if (!landmarker) throw new RangeError("this pipeline was created without landmarks");
      const found = await detector.detect(image);
      if (found.length === 0) return undefined;
      const [face] = await process(image, found.slice(0, 1));
      return { face: face!, faces: found.length };
    },
    async dispose() {
      await detector.dispose();
      await landmarker?.dispose();
      await embedder?.dispose();
    },
  };
}
