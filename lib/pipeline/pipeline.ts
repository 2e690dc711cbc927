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
import {
  createFaceDetector,
  DEFAULT_DETECTOR,
  type DetectorName,
  type DetectorOptions,
  detectorOptionsFrom,
  type Face,
  type FaceDetector,
  resolveDetector,
} from "../detect/detect_faces.ts";
import {
  type EmbedderOptions,
  embedderOptionsFrom,
  type FaceEmbedder,
  recordedEmbedder,
  resolveEmbedder,
  type SomeEmbedderEntry,
} from "../embed/embed_faces.ts";
import { DEFAULT_FEATURE_SET, type FeatureSet, featureSet, type FeatureSetName } from "../features/feature_sets.ts";
import type { Image } from "../image/image.ts";
import {
  createLandmarker,
  type FaceLandmarker,
  type LandmarkerOptions,
  recordLandmarkerSettings,
  resolveLandmarkerOptions,
} from "../landmarks/detect_landmarks.ts";
import { landmarkNetwork } from "../landmarks/landmark_networks.ts";
import type { Point } from "../image/point.ts";
import { PIPELINE_PARTS, type PipelineParts } from "./parts.ts";

/** Everything that decides how a photo becomes features. */
export interface PipelineOptions {
  readonly detector?: DetectorOptions;
  readonly landmarks?: LandmarkerOptions;
  /** The feature set. Default {@linkcode DEFAULT_FEATURE_SET}. */
  readonly features?: FeatureSetName;
  /** The embedding network and the face alignment (used by the sets that need the embedding). */
  readonly embedder?: EmbedderOptions;
}

/** A feature set as recorded in caches and models. */
export interface FeatureSetRecord {
  readonly name: FeatureSetName;
  readonly version: number;
}

/**
 * How photos are processed, as recorded: the resolved detector, landmark and (for the sets
 * that use the embedding) embedder options, and the sha256 of every model asset in use.
 */
export type PipelineSettings = Readonly<Record<string, unknown>>;

/** The entry of each part that `options` name, with its settings in force. */
function resolveParts(options: PipelineOptions, parts: PipelineParts) {
  const detector = resolveDetector(options.detector, parts.detectors);
  const setup = { defaults: detector.entry.landmarks, networks: parts.landmarks };
  const landmarks = resolveLandmarkerOptions(options.landmarks, setup);
  const name = options.features ?? DEFAULT_FEATURE_SET;
  // Only the sets that use the embedding record its network (so geometry caches are unaffected by it).
  const embedder = featureSet(name).needsEmbedding ? resolveEmbedder(options.embedder, parts.embedders) : undefined;
  // A set that uses the embedding is as long as its network's embeddings.
  const set = featureSet(name, embedder?.entry.size);
  return { detector, landmarks, setup, set, embedder };
}

/**
 * The settings and feature set that a cache or model records for `options`: each part's
 * entry is asked once for what it records (the detector under `detector`, the landmarker
 * under `landmarks` as the detector's entry records it, the embedder's fields when the set
 * uses the embedding) and for the assets it loads (their sha256 under `assets`). Two runs
 * with equal settings and feature set turn the same photo into the same numbers.
 *
 * @param options The pipeline options (defaults filled in).
 * @param parts The registries. Default {@linkcode PIPELINE_PARTS}.
 * @returns The settings and the feature set's name and version.
 * @throws {RangeError} For invalid options or an unknown part or feature set.
 */
export async function pipelineSettings(
  options: PipelineOptions,
  parts: PipelineParts = PIPELINE_PARTS,
): Promise<{ settings: PipelineSettings; features: FeatureSetRecord }> {
  const { detector, landmarks, set, embedder } = resolveParts(options, parts);
  const { detector: _, ...own } = detector.settings;
  const urls = {
    ...detector.entry.assetsInUse(own),
    ...landmarkNetwork(landmarks.model, parts.landmarks).assetsInUse(),
    ...embedder?.entry.assetsInUse(embedder.settings),
  };
  const assets: Record<string, string> = {};
  for (const [key, url] of Object.entries(urls)) assets[key] = await assetSha256(url);
  const recordedLandmarks = recordLandmarkerSettings(landmarks, parts.landmarks);
  return {
    settings: {
      detector: {
        ...detector.entry.record(own),
        ...(detector.entry.version !== 1 ? { version: detector.entry.version } : {}),
      },
      landmarks: detector.entry.recordLandmarks?.(recordedLandmarks) ?? recordedLandmarks,
      ...embedder?.entry.record(embedder.settings),
      assets,
    },
    features: { name: set.name, version: set.version },
  };
}

/**
 * The pipeline options that recorded settings describe (the inverse of {@linkcode pipelineSettings}).
 *
 * @param settings Settings from a cache or model.
 * @param features The feature set's name.
 * @param parts The registries. Default {@linkcode PIPELINE_PARTS}.
 * @returns Detector, landmark, feature-set and embedder options (a part not in `parts` named
 * as recorded, refused when the options are resolved).
 */
export function pipelineOptionsFrom(
  settings: PipelineSettings,
  features: FeatureSetName,
  parts: PipelineParts = PIPELINE_PARTS,
): PipelineOptions {
  const stored = settings as { detector?: Record<string, unknown>; landmarks?: LandmarkerOptions };
  const detector = detectorOptionsFrom(stored.detector, parts.detectors);
  const embedder = embedderOptionsFrom(settings, parts.embedders) as EmbedderOptions | undefined;
  return { detector, landmarks: stored.landmarks, features, embedder };
}

/**
 * The embedding network that made the embeddings of a cache or model, from its recorded
 * settings (the one they name, else the default network, which records no name): its entry's
 * `size` and `norm` are what the stored embeddings must be.
 *
 * @param settings Settings from a cache or model (or a cache's whole configuration).
 * @param parts The registries. Default {@linkcode PIPELINE_PARTS}.
 * @returns The network's entry.
 * @throws {RangeError} When they name a network not in `parts` (the message names it).
 * @example
 * ```ts
 * import { pipelineSettings, recordedEmbedderOf } from "./pipeline.ts";
 * const { settings } = await pipelineSettings({ features: "embedding" });
 * if (recordedEmbedderOf(settings).size !== 128) throw new Error();
 * ```
 */
export function recordedEmbedderOf(
  settings: PipelineSettings,
  parts: PipelineParts = PIPELINE_PARTS,
): SomeEmbedderEntry {
  return recordedEmbedder(settings, parts.embedders);
}

/**
 * The feature set that recorded settings and a feature set's name give: for the sets that
 * use the embedding, as long as the embeddings of the network the settings record.
 *
 * @param settings Settings from a cache or model (or a cache's whole configuration).
 * @param name The feature set's name.
 * @param parts The registries. Default {@linkcode PIPELINE_PARTS}.
 * @returns The feature set.
 * @throws {RangeError} For an unknown feature set, or (for a set that uses the embedding)
 * settings that name a network not in `parts`.
 * @example
 * ```ts
 * import { recordedFeatureSet } from "./pipeline.ts";
 * if (recordedFeatureSet({}, "both").length !== 332) throw new Error();
 * ```
 */
export function recordedFeatureSet(
  settings: PipelineSettings,
  name: string,
  parts: PipelineParts = PIPELINE_PARTS,
): FeatureSet {
  const set = featureSet(name);
  return set.needsEmbedding ? featureSet(name, recordedEmbedder(settings, parts.embedders).size) : set;
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

/**
 * The detector that options name (the library's default when they name none).
 *
 * @param options Pipeline options.
 * @returns The detector's name.
 */
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
 * @param parts The registries. Default {@linkcode PIPELINE_PARTS}.
 * @returns The difference, or undefined when there is none.
 * @throws {RangeError} When the settings name a part not in `parts`.
 */
export async function settingsDifference(
  settings: PipelineSettings,
  features: FeatureSetRecord,
  parts: PipelineParts = PIPELINE_PARTS,
): Promise<string | undefined> {
  const now = await pipelineSettings(pipelineOptionsFrom(settings, features.name, parts), parts);
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
  /** The registries the parts come from. Default {@linkcode PIPELINE_PARTS}. */
  readonly parts?: PipelineParts;
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
  const parts = create.parts ?? PIPELINE_PARTS;
  const { landmarks, setup, set: features, embedder: used } = resolveParts(options, parts);
  const embedding = used ?? (create.embed ? resolveEmbedder(options.embedder, parts.embedders) : undefined);
  const detector = await createFaceDetector(options.detector, parts.detectors);
  let landmarker: FaceLandmarker | undefined, embedder: FaceEmbedder | undefined;
  try {
    landmarker = create.landmarks === false ? undefined : await createLandmarker(landmarks, setup);
    embedder = embedding ? await embedding.entry.create(embedding.settings) : undefined;
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
