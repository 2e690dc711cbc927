/**
 * A saved model: `model.json` (what the model is and how its photos were processed),
 * `weights.bin` (the network's float32 weights) and the embedding gallery. Saving, loading
 * and the typed error a caller acts on.
 *
 * @module
 */

import { sha256Hex } from "../_asset.ts";
import { canonicalJson } from "../_config.ts";
import { writeFileAtomic } from "../_fs.ts";
import { DEFAULT_FEATURE_SET, FEATURE_SETS, featureSet, type PredictMethod } from "../features/feature_sets.ts";
import { type GalleryEntry, loadGallery, saveGallery } from "../gallery/gallery.ts";
import type { FeatureSetRecord, PipelineSettings } from "../pipeline/pipeline.ts";
import { type NetworkOptions, PARAM_NAMES, STAT_NAMES } from "./network.ts";
import type { TrainResult, Weights } from "./train.ts";

/** Why a model folder cannot be used, for callers that act on it. */
export type ModelErrorKind =
  /** The folder holds no `model.json`. */
  | "missing"
  /** A file is not a Face2Vec model, or its parts disagree. */
  | "invalid"
  /** Photos would now be processed differently than the model's photos were. */
  | "mismatch"
  /** The model cannot serve the request (no network, no embedding, no gallery, cannot resume). */
  | "unsuitable";

/** A model folder that cannot be used; `message` is one line naming the file and the reason. */
export class ModelError extends Error {
  override name = "ModelError";
  /**
   * @param kind What is wrong, for callers that act on it.
   * @param file The folder or file at fault.
   * @param reason Why, in a few words.
   */
  constructor(readonly kind: ModelErrorKind, readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

/** The format's name and version, in every `model.json`. */
export const MODEL_FORMAT = { format: "face2vec-model", version: 1 } as const;

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
  readonly gallery: readonly GalleryEntry[];
}

/**
 * Saves a model to a folder: `model.json` (information and a tfjs-style weights manifest),
 * `weights.bin` (float32, little-endian, in manifest order) and `gallery.json` (enrolled
 * embeddings, when any). Each file is written atomically, `model.json` last.
 */
export async function saveModel(dir: string, model: Model): Promise<void> {
  const names = model.info.network ? [...PARAM_NAMES, ...STAT_NAMES] : [];
  const total = names.reduce((n, k) => n + model.weights[k]!.values.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const k of names) {
    bin.set(model.weights[k]!.values, o);
    o += model.weights[k]!.values.length;
  }
  const json = {
    ...MODEL_FORMAT,
    ...model.info,
    pipeline_sha256: await pipelineDigest(model.info),
    weightsManifest: [{
      paths: ["weights.bin"],
      weights: names.map((k) => ({ name: k, shape: model.weights[k]!.shape, dtype: "float32" })),
    }],
  };
  await writeFileAtomic(`${dir}/weights.bin`, new Uint8Array(bin.buffer));
  if (model.gallery.length) await saveGallery(dir, model.gallery);
  await writeFileAtomic(`${dir}/model.json`, JSON.stringify(json, null, 2) + "\n");
}

/** The sha256 of a model's feature set and pipeline settings, as `model.json` records it. */
function pipelineDigest(info: Pick<ModelInfo, "features" | "pipeline">): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson({ features: info.features, pipeline: info.pipeline })));
}

/**
 * Loads a model saved by {@linkcode saveModel}.
 *
 * @throws {ModelError} When the folder holds no Face2Vec model (kind "missing"), or it is not one or its
 * weights do not match the manifest (kind "invalid").
 */
export async function loadModel(dir: string): Promise<Model> {
  let json: Record<string, unknown> & {
    weightsManifest?: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) {
      throw new ModelError("missing", `${dir}/model.json`, "no model here (run train first)");
    }
    throw new ModelError("invalid", `${dir}/model.json`, String(e));
  }
  if (json.format !== MODEL_FORMAT.format || json.version !== MODEL_FORMAT.version) {
    throw new ModelError("invalid", `${dir}/model.json`, `not a Face2Vec model (version ${MODEL_FORMAT.version})`);
  }
  const bytes = await Deno.readFile(`${dir}/weights.bin`);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const weights: Record<string, { shape: number[]; values: Float32Array }> = {};
  let o = 0;
  for (const w of json.weightsManifest?.[0]?.weights ?? []) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    weights[w.name] = { shape: w.shape, values: all.slice(o, o + n) };
    o += n;
  }
  if (o !== all.length) {
    throw new ModelError("invalid", `${dir}/weights.bin`, `${all.length} values, the manifest lists ${o}`);
  }
  const { format: _f, version: _v, weightsManifest: _w, pipeline_sha256: digest, ...info } = json;
  // A model.json whose processing settings were edited by hand would be applied with the new
  // settings to a network trained with the old ones: refused (models saved before the digest
  // existed have none, and load as they did).
  if (digest !== undefined && digest !== await pipelineDigest(info as unknown as ModelInfo)) {
    throw new ModelError(
      "invalid",
      `${dir}/model.json`,
      "its features or pipeline settings were changed after training (pipeline_sha256 differs); train it again",
    );
  }
  try {
    featureSet(String((info.features as { name?: unknown } | undefined)?.name));
  } catch (e) {
    throw new ModelError("invalid", `${dir}/model.json`, `features.name: ${(e as Error).message}`);
  }
  return { info: info as unknown as ModelInfo, weights, gallery: await loadGallery(dir) };
}

/**
 * A model from a training result: its final weights and the information to apply them.
 *
 * @param result What {@linkcode trainClassifier} returned.
 * @param labels Class index → person.
 * @param rows Rows of one feature sample.
 * @param info The rest of the model's information (feature set, pipeline, minProb, training).
 */
export function modelFromTraining(
  result: TrainResult,
  labels: readonly string[],
  rows: number,
  info: Partial<Omit<ModelInfo, "labels" | "network" | "rows">> = {},
  gallery: readonly GalleryEntry[] = [],
): Model {
  return {
    info: {
      labels,
      network: result.network,
      rows,
      features: info.features ?? { name: DEFAULT_FEATURE_SET, version: FEATURE_SETS[DEFAULT_FEATURE_SET].version },
      pipeline: info.pipeline ?? {},
      minProb: info.minProb ?? 0,
      method: info.method ?? (gallery.length ? "nearest" : "network"),
      maxDistance: info.maxDistance ?? null,
      training: info.training ?? {},
    },
    weights: result.weights,
    gallery,
  };
}
