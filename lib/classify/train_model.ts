/**
 * A model from a cache, as `train` makes it: the plan (samples, the feature set's network
 * and thresholds, the folds the smallest class allows, the model to continue from), then
 * the training, then the model with its gallery.
 *
 * @module
 */

import { configDifference } from "../_config.ts";
import type { Cache } from "../dataset/cache.ts";
import { DEFAULT_FEATURE_SET, FEATURE_SETS, featureSet } from "../features/feature_sets.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { Gallery } from "../gallery/gallery.ts";
import { type FeatureSetRecord, type PipelineSettings, recordedEmbedderOf } from "../pipeline/pipeline.ts";
import { replaceKeepingEnrolled } from "../model/enrol.ts";
import type { Model, ModelInfo } from "../model/model.ts";
import { ModelError } from "../model/model_error.ts";
import { loadModel, ModelFolder, type UpdateOptions } from "../model/model_folder.ts";
import { DEFAULT_NETWORK, networkFor, type NetworkOptions } from "./network.ts";
import { type Samples, samplesFromCache } from "./samples.ts";
import { type EpochMetrics, trainClassifier, type TrainResult } from "./train.ts";

/** Options of {@linkcode planTraining}. */
export interface TrainingRequest {
  /** Cross-validation folds asked for (fewer when the smallest class is smaller). Default 10. */
  readonly folds?: number;
  /** L2 strength. Default: the network's (1e-4), or with `resume` the resumed model's. */
  readonly l2?: number;
  /** Probability under which the network's answer is unknown. Default: the feature set's, or the resumed model's. */
  readonly minProb?: number;
  /** Gallery distance beyond which a face is unknown. Default: the network's (`distances.open`; dlib 0.455), or the resumed model's. */
  readonly maxDistance?: number;
  /** Continue the final model saved in this folder (see {@linkcode resumableModel}). */
  readonly resume?: string;
}

/** What training a cache will do, decided before any training. */
export interface TrainingPlan {
  readonly samples: Samples;
  /** The cache's feature set and pipeline settings, recorded in the model. */
  readonly features: FeatureSetRecord;
  readonly pipeline: PipelineSettings;
  readonly network: Required<NetworkOptions>;
  readonly minProb: number;
  readonly maxDistance: number | null;
  /** Folds in use: those asked for, or fewer when the smallest class has fewer photos (0 = none). */
  readonly folds: number;
  /** Photos of the smallest class. */
  readonly smallestClass: number;
  /** The model whose final weights training continues, and the epochs it had. */
  readonly previous?: { readonly model: Model; readonly epochs: number };
}

/**
 * Decides how a cache will be trained.
 *
 * @param cache A cache from `readCache`.
 * @param request Folds, thresholds, regularisation and the model to resume.
 * @returns The plan.
 * @throws {RangeError} When the cache holds no usable photo.
 * @throws {ModelError} With `resume`, when that model cannot be continued (kind "unsuitable",
 * "missing" or "invalid"; the message says why).
 */
export async function planTraining(cache: Cache, request: TrainingRequest = {}): Promise<TrainingPlan> {
  const samples = samplesFromCache(cache);
  const { features, labels: _labels, ...pipeline } = cache.config as Record<string, unknown> & {
    features: FeatureSetRecord;
  };
  const set = featureSet(features.name);
  let network: Required<NetworkOptions> = { ...networkFor(set), l2: request.l2 ?? DEFAULT_NETWORK.l2 };
  let minProb = request.minProb ?? set.minProb;
  let maxDistance = request.maxDistance;
  let previous: TrainingPlan["previous"];
  if (request.resume !== undefined) {
    const model = await resumableModel(request.resume, samples, features, pipeline, network);
    // Regularisation and the thresholds may change; by default they stay the model's.
    network = { ...model.info.network!, l2: request.l2 ?? model.info.network!.l2 };
    minProb = request.minProb ?? model.info.minProb;
    maxDistance ??= model.info.maxDistance ?? undefined;
    previous = { model, epochs: totalEpochs(model) };
  }
  const perClass = samples.names.map((_, c) => samples.labels.filter((l) => l === c).length);
  const smallestClass = Math.min(...perClass);
  let folds = request.folds ?? 10;
  if (folds >= 2 && smallestClass < folds) folds = smallestClass >= 2 ? smallestClass : 0;
  return {
    samples,
    features,
    pipeline,
    network,
    minProb,
    // The recorded network's own default (each network's distances differ in scale).
    maxDistance: set.needsEmbedding
      ? (maxDistance ?? recordedEmbedderOf(pipeline as PipelineSettings).distances.open)
      : null,
    folds,
    smallestClass,
    previous,
  };
}

/** Options of {@linkcode trainModel}: how long and how the classifier trains. */
export interface TrainModelOptions {
  /** Default 100. */
  readonly epochs?: number;
  /** Default 10. */
  readonly batch?: number;
  /** Default 0. */
  readonly seed?: number;
  /** TensorBoard event files here (one run per fold). */
  readonly logdir?: string;
  /** Deno workers sharing the folds. Default 1. */
  readonly workers?: number;
  /** Where the cache was read from, recorded in the model. */
  readonly cachePath?: string;
  readonly onEpoch?: (epoch: number, metrics: EpochMetrics) => void;
}

/** A trained model and how training went. */
export interface TrainedModel {
  readonly model: Model;
  readonly result: TrainResult;
}

/**
 * Trains the plan's network (k-fold cross-validation, then the final model, continuing the
 * resumed model's weights if any) and assembles the model. Models with the embedding keep
 * every training face's embedding as their gallery (the one "nearest" answers from and
 * `enrol` adds to); a resumed model keeps its other enrolled faces too.
 *
 * @param cache The cache the plan was made from (its records give the gallery).
 * @param plan From {@linkcode planTraining}.
 * @param options Epochs, batch, seed, logging, workers.
 * @returns The model (not saved) and the training result.
 */
export async function trainModel(
  cache: Cache,
  plan: TrainingPlan,
  options: TrainModelOptions = {},
): Promise<TrainedModel> {
  const { samples, previous } = plan;
  const epochs = options.epochs ?? 100, batch = options.batch ?? 10, seed = options.seed ?? 0;
  const result = await trainClassifier(samples.features, samples.labels, samples.rows, {
    folds: plan.folds,
    epochs,
    batch,
    seed,
    network: plan.network,
    logdir: options.logdir,
    workers: options.workers,
    initial: previous?.model.weights,
    onEpoch: options.onEpoch,
  });
  const set = featureSet(plan.features.name);
  const gallery: GalleryEntry[] = [];
  if (set.needsEmbedding) {
    const trained = new Set(samples.paths);
    // Only faces added by enrol: a training face of the old model whose photo left the cache goes with it.
    gallery.push(...[...(previous?.model.gallery ?? [])].filter((e) => e.enrolled && !trained.has(e.path)));
    for (const r of [...cache.records.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (r.status === "ok" && r.embedding) {
        gallery.push({ label: r.label, path: r.path, embedding: Float32Array.from(r.embedding) });
      }
    }
  }
  const resumedFrom = previous?.epochs ?? 0;
  const model = modelFromTraining(result, samples.names, samples.rows, {
    features: plan.features,
    pipeline: plan.pipeline,
    minProb: plan.minProb,
    method: set.method,
    maxDistance: plan.maxDistance,
    training: {
      cache: options.cachePath,
      faces: samples.features.length,
      folds: plan.folds,
      epochs,
      ...(previous ? { resumed_from: resumedFrom } : {}),
      total_epochs: resumedFrom + epochs,
      batch,
      seed,
      kfold_mean: result.mean,
      kfold_std: result.std,
      fold_accuracy: result.folds.map((f) => f.accuracy),
      ms: Math.round(result.ms),
    },
  }, gallery);
  return { model, result };
}

/** Epochs a saved model's final weights have been trained for (all runs, resumed ones included). */
function totalEpochs(model: Model): number {
  const t = model.info.training as { total_epochs?: unknown; epochs?: unknown };
  const n = typeof t.total_epochs === "number" ? t.total_epochs : t.epochs;
  return typeof n === "number" && Number.isFinite(n) ? n : 0;
}

/**
 * The model in `dir`, if training can continue from it on these samples: same people in the
 * same order, same feature set and pipeline as the cache, same network sizes and activations
 * as requested (L2 and dropout may change: they shape training, not the weights).
 *
 * @throws {ModelError} Kind "unsuitable" with the reason (`DIR: cannot resume: …`); "missing"
 * when there is no model.
 */
export async function resumableModel(
  dir: string,
  samples: Samples,
  features: FeatureSetRecord,
  pipeline: PipelineSettings,
  network: Required<NetworkOptions>,
): Promise<Model> {
  const refuse = (kind: "missing" | "invalid" | "unsuitable", why: string) =>
    new ModelError(kind, dir, `cannot resume: ${why}`);
  let model: Model;
  try {
    model = await loadModel(dir);
  } catch (e) {
    if (!(e instanceof ModelError)) throw e;
    if (e.kind === "missing") throw refuse("missing", "no model here (train without --resume first)");
    const file = e.file.startsWith(`${dir}/`) ? e.file.slice(dir.length + 1) : e.file;
    throw refuse("invalid", `${file}: ${e.reason}`);
  }
  const { info } = model;
  if (!info.network) throw refuse("unsuitable", "it has no trained network (a model made by enrolment alone)");
  const had = info.labels, now = samples.names;
  if (had.join("\n") !== now.join("\n")) {
    const gone = had.filter((l) => !now.includes(l)), added = now.filter((l) => !had.includes(l));
    const what = [
      gone.length ? `not in the cache: ${gone.join(", ")}` : "",
      added.length ? `new in the cache: ${added.join(", ")}` : "",
    ].filter(Boolean).join("; ");
    throw refuse("unsuitable", `the model's people differ from the cache's (${what || "another order"})`);
  }
  const featureDiff = configDifference(info.features, features) ??
    (info.rows === samples.rows ? undefined : `rows: ${info.rows} → ${samples.rows}`);
  if (featureDiff) throw refuse("unsuitable", `the model was trained on other features (${featureDiff})`);
  const pipelineDiff = configDifference(info.pipeline, pipeline);
  if (pipelineDiff) {
    throw refuse("unsuitable", `the cache was made with other settings than the model (${pipelineDiff})`);
  }
  const arch = (n: Required<NetworkOptions>) => ({
    hidden1: n.hidden1,
    hidden2: n.hidden2,
    activation1: n.activation1,
    activation2: n.activation2,
  });
  const networkDiff = configDifference(arch(info.network), arch(network));
  if (networkDiff) throw refuse("unsuitable", `its network differs from the one requested (${networkDiff})`);
  return model;
}

/**
 * Saves a newly trained model over the one in `dir`, keeping the faces enrolled into the old
 * one (added with `enrol`, marked `enrolled`) that the new one's gallery lacks, when both
 * take the same embeddings (the same feature set and pipeline): one read-modify-write under
 * the folder's writers' lock (lib/model's `ModelFolder.update`), which it takes.
 *
 * @param dir The model folder.
 * @param model The new model.
 * @param options How long to wait for another writer of the folder, and a note when waiting.
 * @returns How many enrolled faces were carried over.
 * @throws {LockError} When another writer holds the folder for longer than the timeout.
 */
export async function saveKeepingEnrolled(dir: string, model: Model, options: UpdateOptions = {}): Promise<number> {
  return await replaceKeepingEnrolled(new ModelFolder(dir), model, options);
}

/**
 * A model from a training result: its final weights and the information to apply them.
 *
 * @param result What {@linkcode trainClassifier} returned.
 * @param labels Class index → person.
 * @param rows Rows of one feature sample.
 * @param info The rest of the model's information (feature set, pipeline, minProb, training).
 * @param gallery The model's gallery (default: none).
 * @returns The model.
 */
export function modelFromTraining(
  result: TrainResult,
  labels: readonly string[],
  rows: number,
  info: Partial<Omit<ModelInfo, "labels" | "network" | "rows">> = {},
  gallery: readonly GalleryEntry[] | Gallery = [],
): Model {
  const faces = gallery instanceof Gallery ? gallery : Gallery.from(gallery);
  return {
    info: {
      labels,
      network: result.network,
      rows,
      features: info.features ?? { name: DEFAULT_FEATURE_SET, version: FEATURE_SETS[DEFAULT_FEATURE_SET].version },
      pipeline: info.pipeline ?? {},
      minProb: info.minProb ?? 0,
      method: info.method ?? (faces.size ? "nearest" : "network"),
      maxDistance: info.maxDistance ?? null,
      training: info.training ?? {},
    },
    weights: result.weights,
    gallery: faces,
  };
}
