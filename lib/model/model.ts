/**
 * What a model is, as plain typed data: its information (`model.json`'s fields), its
 * network's weights and the names and order they are saved in, its gallery; the pipeline
 * options its photos were processed with; and the gallery-only model (made by enrolment
 * alone), written here once for the model folder, the database store, the service and the CLI.
 *
 * @module
 */

import { Gallery } from "../gallery/gallery.ts";
import type { DetectorName } from "../detect/detect_faces.ts";
import type { EmbedderOptions } from "../embed/embed_faces.ts";
import type { PipelineParts } from "../pipeline/parts.ts";
import type { PredictMethod } from "../features/feature_sets.ts";
import {
  type FeatureSetRecord,
  type PipelineOptions,
  pipelineOptionsFrom,
  type PipelineSettings,
  pipelineSettings,
  recordedEmbedderOf,
} from "../pipeline/pipeline.ts";

/**
 * The format's name and version, in every `model.json`. Version 2 keeps the gallery in
 * binary segments (`gallery: [files]`); version 1 (a `gallery.json`) is still read, and
 * written as version 2 on the next save.
 */
export const MODEL_FORMAT = { format: "face2vec-model", version: 2 } as const;

/** Activation functions the network options accept. */
export type Activation = "tanh" | "sigmoid" | "relu" | "linear";

/** The activations `model.json` may name (see {@linkcode Activation}). */
export const ACTIVATIONS: readonly Activation[] = ["tanh", "sigmoid", "relu", "linear"];

/**
 * The classifier's architecture, the original Face2Vec's network by default:
 * Dense(hidden1) applied over each row of the (3, 68) input, BatchNormalization,
 * activation1, Dense(hidden2), activation2, Flatten, (Dropout), Dense(classes), softmax;
 * truncated-normal init on the first layer, L2 on every kernel and bias. `model.json`
 * records it (every field given).
 */
export interface NetworkOptions {
  /** Default 68. */
  readonly hidden1?: number;
  /** Default 32. */
  readonly hidden2?: number;
  /** Default "tanh". */
  readonly activation1?: Activation;
  /** Default "sigmoid". */
  readonly activation2?: Activation;
  /** Dropout before the last layer (0 = none). Default 0. */
  readonly dropout?: number;
  /** L2 strength on kernels and biases. Default 1e-4, chosen by measurement on LFW faces (5 folds, 100 epochs). */
  readonly l2?: number;
}

/** The names of the network's trainable parameters, in the order the weights file holds them. */
export const PARAM_NAMES = ["w1", "b1", "gamma", "beta", "w2", "b2", "w3", "b3"] as const;
/** Batch-normalisation statistics (not trained by gradient), after the parameters in the weights file. */
export const STAT_NAMES = ["movingMean", "movingVar"] as const;

/** A network's weights by name: each a shape and its float32 values. */
export interface Weights {
  readonly [name: string]: { readonly shape: readonly number[]; readonly values: Float32Array };
}

/** Everything a saved model holds besides its weights and gallery. */
export interface ModelInfo {
  /** Class index → person (the network's classes; empty for a gallery-only model). */
  readonly labels: readonly string[];
  /** The network's architecture; null for a gallery-only model (made by enrolment alone). */
  readonly network: Required<NetworkOptions> | null;
  /** Rows of one feature sample (3 for geometry). */
  readonly rows: number;
  /** The feature set's name and version. */
  readonly features: FeatureSetRecord;
  /** The pipeline configuration of the cache it was trained on (detector, landmarks, assets). */
  readonly pipeline: PipelineSettings;
  /** Faces whose top probability is below this are "unknown" (`label: null`). */
  readonly minProb: number;
  /** The default way to name a face (the feature set's method when trained; "nearest" for a gallery-only model). */
  readonly method: PredictMethod;
  /** For "nearest": faces farther than this from every enrolled face are unknown; null without embeddings. */
  readonly maxDistance: number | null;
  /** How it was trained and how it scored in cross-validation. */
  readonly training: Readonly<Record<string, unknown>>;
}

/** A model: its information, its network's weights and its embedding gallery. */
export interface Model {
  readonly info: ModelInfo;
  /** Empty for a gallery-only model. */
  readonly weights: Weights;
  /** Enrolled faces (empty for geometry models). */
  readonly gallery: Gallery;
}

/**
 * The pipeline options a model's photos were processed with.
 *
 * @param info A model's information.
 * @param parts The registries. Default the library's.
 * @returns Detector, landmark, feature-set and alignment options.
 * @example
 * ```ts
 * import { galleryOnlyInfo, modelPipelineOptions } from "./model.ts";
 * const info = galleryOnlyInfo({ name: "embedding", version: 1 }, {}, 0.5);
 * if (modelPipelineOptions(info).features !== "embedding") throw new Error();
 * ```
 */
export function modelPipelineOptions(info: ModelInfo, parts?: PipelineParts): PipelineOptions {
  return pipelineOptionsFrom(info.pipeline, info.features.name, parts);
}

/**
 * The default distances of the embedding network a model records (its entry's `distances`:
 * `open` for a gallery, `verify` for `compare`).
 *
 * @param info The model's information.
 * @param parts The registries. Default: the library's.
 * @returns The distances.
 * @throws {RangeError} When it names a network not in `parts`.
 */
export function modelDistances(info: ModelInfo, parts?: PipelineParts): { open: number; verify: number } {
  return recordedEmbedderOf(info.pipeline, parts).distances;
}

/**
 * The information of a gallery-only model: no network, named by the nearest person.
 *
 * @param features Its feature set (one with the embedding).
 * @param pipeline Its photos' processing settings.
 * @param maxDistance The open-set distance.
 * @returns The information.
 * @example
 * ```ts
 * import { galleryOnlyInfo } from "./model.ts";
 * const info = galleryOnlyInfo({ name: "embedding", version: 1 }, {}, 0.455);
 * if (info.network !== null || info.method !== "nearest" || info.rows !== 1) throw new Error();
 * ```
 */
export function galleryOnlyInfo(
  features: FeatureSetRecord,
  pipeline: PipelineSettings,
  maxDistance: number,
): ModelInfo {
  return {
    labels: [],
    network: null,
    rows: 1,
    features,
    pipeline,
    minProb: 0,
    method: "nearest",
    maxDistance,
    training: {},
  };
}

/**
 * A model of information alone: no weights, an empty gallery (a database gallery's settings
 * as a model: its pipeline; its faces stay where they are kept).
 *
 * @param info The information.
 * @returns The model.
 * @example
 * ```ts
 * import { galleryOnlyInfo, modelOfInfo } from "./model.ts";
 * const m = modelOfInfo(galleryOnlyInfo({ name: "embedding", version: 1 }, {}, 0.455));
 * if (m.gallery.size !== 0 || Object.keys(m.weights).length !== 0) throw new Error();
 * ```
 */
export function modelOfInfo(info: ModelInfo): Model {
  return { info, weights: {}, gallery: Gallery.from([]) };
}

/**
 * A new gallery-only model: the default pipeline with the embedding, no network, named by
 * the nearest person beyond its network's `distances.open` "unknown".
 *
 * @param detector The face detector (default: the library's).
 * @param options The embedding network (default: the library's) and the registries it is in.
 * @returns The model, with an empty gallery.
 * @example
 * ```ts
 * import { newGalleryModel } from "./model.ts";
 * const m = await newGalleryModel();
 * if (m.info.network !== null || m.info.features.name !== "embedding" || m.gallery.size !== 0) throw new Error();
 * ```
 */
export async function newGalleryModel(
  detector?: DetectorName,
  options: { readonly embedder?: EmbedderOptions; readonly parts?: PipelineParts } = {},
): Promise<Model> {
  const { settings, features } = await pipelineSettings({
    features: "embedding",
    ...(detector ? { detector: { detector } } : {}),
    ...(options.embedder ? { embedder: options.embedder } : {}),
  }, options.parts);
  const distances = recordedEmbedderOf(settings, options.parts).distances;
  return modelOfInfo(galleryOnlyInfo(features, settings, distances.open));
}
