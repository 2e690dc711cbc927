import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import { writeFileAtomic } from "../_fs.ts";
import { forward, type NetworkOptions, PARAM_NAMES, type StackedParams, STAT_NAMES } from "./network.ts";
import { loadTfjs } from "../runtime/tfjs.ts";
import type { TrainResult, Weights } from "./train.ts";
import { createMatcher, type GalleryEntry, loadGallery, saveGallery } from "../gallery/gallery.ts";

/**
 * How a model names a face: `"network"` (the trained classifier's top class, unknown under
 * `minProb`) or `"nearest"` (the nearest enrolled face in the embedding gallery, unknown
 * beyond `maxDistance`).
 */
export type PredictMethod = "network" | "nearest";

/**
 * The probability under which the network's answer is "unknown", for feature sets whose
 * threshold was not measured (`embedding`, whose default is the gallery anyway).
 */
export const DEFAULT_MIN_PROB = 0.5;

/**
 * The default probability under which the network's answer is "unknown" (stored in the model
 * by `train`), per feature set: the value that minimises the largest open-set error rate on
 * LFW's even-position people (`deno task report`, commit ce35ea4; half of them enrolled with
 * half of their photos, a network trained on those): 0.34 for `geometry` (which stays poor at
 * any threshold: 46% of strangers named and 45% of known faces called unknown there) and 0.9
 * for `both` (3.6% and 4.4%). Other sets get {@linkcode DEFAULT_MIN_PROB}.
 *
 * @param featureSet A feature set name.
 * @returns The threshold, 0–1.
 * @example
 * ```ts
 * import { defaultMinProb } from "./classifier.ts";
 * if (defaultMinProb("both") !== 0.9) throw new Error();
 * ```
 */
export function defaultMinProb(featureSet: string): number {
  return featureSet === "geometry" ? 0.34 : featureSet === "both" ? 0.9 : DEFAULT_MIN_PROB;
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
  readonly features: { readonly name: string; readonly version: number };
  /** The pipeline configuration of the cache it was trained on (detector, landmarks, assets). */
  readonly pipeline: Readonly<Record<string, unknown>>;
  /** Faces whose top probability is below this are "unknown" (`label: null`). */
  readonly minProb: number;
  /** The default way to name a face: "nearest" for models with embeddings, else "network". */
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

/** One face's answer. */
export interface Prediction {
  /** The person, or null for unknown (under `minProb`, or beyond `maxDistance`). */
  readonly label: string | null;
  /** How it was named. */
  readonly method: PredictMethod;
  /** The most likely person, named or not: `label` is this person, or null when they are too unlikely. */
  readonly candidate: string;
  /** "network": the top class probability; "nearest": null. */
  readonly probability: number | null;
  /** "nearest": the distance to the nearest enrolled face; "network": null. */
  readonly distance: number | null;
  /** The next most likely person (another class, or the nearest face of another person). */
  readonly runnerUp: {
    readonly label: string;
    readonly probability: number | null;
    readonly distance: number | null;
  } | null;
}

/** What one face offers a classifier: its features and, for embedding models, its embedding. */
export interface FaceVectors {
  readonly features: Float32Array;
  readonly embedding?: Float32Array;
}

/** Per-call options of {@linkcode Classifier.predict}. */
export interface PredictOptions {
  /** Default: the model's `method`. */
  readonly method?: PredictMethod;
  /** Default: the model's `minProb`. */
  readonly minProb?: number;
  /** Default: the model's `maxDistance`. */
  readonly maxDistance?: number;
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
    weightsManifest: [{
      paths: ["weights.bin"],
      weights: names.map((k) => ({ name: k, shape: model.weights[k]!.shape, dtype: "float32" })),
    }],
  };
  await writeFileAtomic(`${dir}/weights.bin`, new Uint8Array(bin.buffer));
  if (model.gallery.length) await saveGallery(dir, model.gallery);
  await writeFileAtomic(`${dir}/model.json`, JSON.stringify(json, null, 2) + "\n");
}

/**
 * Loads a model saved by {@linkcode saveModel}.
 *
 * @throws {Error} When the folder holds no Face2Vec model or its weights do not match the manifest.
 */
export async function loadModel(dir: string): Promise<Model> {
  let json: Record<string, unknown> & {
    weightsManifest?: { paths: string[]; weights: { name: string; shape: number[] }[] }[];
  };
  try {
    json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  } catch (e) {
    throw new Error(
      `${dir}/model.json: ${e instanceof Deno.errors.NotFound ? "no model here (run train first)" : String(e)}`,
    );
  }
  if (json.format !== MODEL_FORMAT.format || json.version !== MODEL_FORMAT.version) {
    throw new Error(`${dir}/model.json: not a Face2Vec model (version ${MODEL_FORMAT.version})`);
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
  if (o !== all.length) throw new Error(`${dir}/weights.bin: ${all.length} values, the manifest lists ${o}`);
  const { format: _f, version: _v, weightsManifest: _w, ...info } = json;
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
      features: info.features ?? { name: "geometry", version: 1 },
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

/** A loaded classifier; `dispose()` frees its tensors. */
export interface Classifier {
  readonly info: ModelInfo;
  /** The embedding gallery (for "nearest"). */
  readonly gallery: readonly GalleryEntry[];
  /**
   * The network's class probabilities for feature vectors, one Float32Array per sample.
   * @throws {RangeError} For a gallery-only model (it has no network).
   */
  probabilities(features: readonly Float32Array[]): Promise<Float32Array[]>;
  /**
   * The answer for each face: by the network (top label, or null under `minProb`) or by the
   * nearest enrolled face (null beyond `maxDistance`), with the runner-up.
   * @throws {RangeError} For "nearest" without embeddings or an empty gallery, "network" without a network.
   */
  predict(faces: readonly FaceVectors[], options?: PredictOptions): Promise<Prediction[]>;
  dispose(): void;
}

/**
 * Creates a classifier from a model (network weights into tfjs tensors on the WASM backend;
 * tfjs is not loaded for a gallery-only model).
 *
 * @param model A model from {@linkcode loadModel} or training.
 * @returns The classifier.
 */
export async function createClassifier(model: Model): Promise<Classifier> {
  const { info, gallery } = model;
  const network = info.network;
  const tf = network ? await loadTfjs() : undefined;
  const params = tf
    ? Object.fromEntries(
      [...PARAM_NAMES, ...STAT_NAMES].map((k) => {
        const w = model.weights[k]!;
        return [k, tf.variable(tf.tensor(w.values, [1, ...w.shape]), false, `${k}_${crypto.randomUUID()}`)];
      }),
    ) as StackedParams
    : undefined;
  const probabilities = async (features: readonly Float32Array[]) => {
    if (!tf || !params || !network) throw new RangeError("this model has no trained network (gallery only)");
    if (features.length === 0) return [];
    const dim = features[0]!.length;
    const x = new Float32Array(features.length * dim);
    features.forEach((f, i) => x.set(f, i * dim));
    const p = tf.tidy(() =>
      tf.softmax(forward(tf, params, tf.tensor3d(x, [1, features.length, dim]), info.rows, network, false))
    );
    const values = (await p.data()) as Float32Array;
    p.dispose();
    const c = info.labels.length;
    return features.map((_, i) => values.slice(i * c, (i + 1) * c));
  };
  let matcher: ReturnType<typeof createMatcher> | undefined;
  return {
    info,
    gallery,
    probabilities,
    async predict(faces, options = {}) {
      const method = options.method ?? info.method;
      if (method === "nearest") {
        const maxDistance = options.maxDistance ?? info.maxDistance ?? Infinity;
        matcher ??= createMatcher(gallery);
        return faces.map((f) => {
          if (!f.embedding) throw new RangeError("nearest-neighbour prediction needs the face embedding");
          const n = matcher!(f.embedding, maxDistance);
          return {
            label: n.label,
            candidate: n.candidate,
            method,
            probability: null,
            distance: n.distance,
            runnerUp: n.runnerUp && { label: n.runnerUp.label, probability: null, distance: n.runnerUp.distance },
          };
        });
      }
      const minProb = options.minProb ?? info.minProb;
      return (await probabilities(faces.map((f) => f.features))).map((p) => {
        const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
        const [top, second] = [order[0]!, order[1]];
        return {
          label: p[top]! >= minProb ? info.labels[top]! : null,
          candidate: info.labels[top]!,
          method,
          probability: p[top]!,
          distance: null,
          runnerUp: second === undefined
            ? null
            : { label: info.labels[second]!, probability: p[second]!, distance: null },
        };
      });
    },
    dispose() {
      for (const v of Object.values(params ?? {})) (v as Tf.Variable).dispose();
    },
  };
}
