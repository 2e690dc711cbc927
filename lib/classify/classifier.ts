import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import { writeFileAtomic } from "../_fs.ts";
import { forward, type NetworkOptions, PARAM_NAMES, type StackedParams, STAT_NAMES } from "./network.ts";
import { loadTfjs } from "./tfjs.ts";
import type { TrainResult, Weights } from "./train.ts";

/** The format's name and version, in every `model.json`. */
export const MODEL_FORMAT = { format: "face2vec-model", version: 1 } as const;

/** Everything a saved model holds besides its weights. */
export interface ModelInfo {
  /** Class index → person. */
  readonly labels: readonly string[];
  readonly network: Required<NetworkOptions>;
  /** Rows of one feature sample (3 for geometry). */
  readonly rows: number;
  /** The feature set's name and version. */
  readonly features: { readonly name: string; readonly version: number };
  /** The pipeline configuration of the cache it was trained on (detector, landmarks, assets). */
  readonly pipeline: Readonly<Record<string, unknown>>;
  /** Faces whose top probability is below this are "unknown" (`label: null`). */
  readonly minProb: number;
  /** How it was trained and how it scored in cross-validation. */
  readonly training: Readonly<Record<string, unknown>>;
}

/** A model: its information and its weights. */
export interface Model {
  readonly info: ModelInfo;
  readonly weights: Weights;
}

/** One face's answer. */
export interface Prediction {
  /** The person, or null when the top probability is under `minProb`. */
  readonly label: string | null;
  readonly probability: number;
  readonly runnerUp: { readonly label: string; readonly probability: number } | null;
}

/**
 * Saves a model to a folder: `model.json` (information and a tfjs-style weights manifest)
 * and `weights.bin` (float32, little-endian, in manifest order). Each file is written
 * atomically, the weights first.
 */
export async function saveModel(dir: string, model: Model): Promise<void> {
  const names = [...PARAM_NAMES, ...STAT_NAMES];
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
  return { info: info as unknown as ModelInfo, weights };
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
): Model {
  return {
    info: {
      labels,
      network: result.network,
      rows,
      features: info.features ?? { name: "geometry", version: 1 },
      pipeline: info.pipeline ?? {},
      minProb: info.minProb ?? 0,
      training: info.training ?? {},
    },
    weights: result.weights,
  };
}

/** A loaded classifier; `dispose()` frees its tensors. */
export interface Classifier {
  readonly info: ModelInfo;
  /** Class probabilities for feature vectors, one Float32Array per sample. */
  probabilities(features: readonly Float32Array[]): Promise<Float32Array[]>;
  /** The answer for each feature vector (top label, or null under `minProb`, and the runner-up). */
  predict(features: readonly Float32Array[], minProb?: number): Promise<Prediction[]>;
  dispose(): void;
}

/**
 * Creates a classifier from a model (weights into tfjs tensors on the WASM backend).
 *
 * @param model A model from {@linkcode loadModel} or training.
 * @returns The classifier.
 */
export async function createClassifier(model: Model): Promise<Classifier> {
  const tf = await loadTfjs();
  const params = Object.fromEntries(
    [...PARAM_NAMES, ...STAT_NAMES].map((k) => {
      const w = model.weights[k]!;
      return [k, tf.variable(tf.tensor(w.values, [1, ...w.shape]), false, `${k}_${crypto.randomUUID()}`)];
    }),
  ) as StackedParams;
  const { info } = model;
  const probabilities = async (features: readonly Float32Array[]) => {
    if (features.length === 0) return [];
    const dim = features[0]!.length;
    const x = new Float32Array(features.length * dim);
    features.forEach((f, i) => x.set(f, i * dim));
    const p = tf.tidy(() =>
      tf.softmax(forward(tf, params, tf.tensor3d(x, [1, features.length, dim]), info.rows, info.network, false))
    );
    const values = (await p.data()) as Float32Array;
    p.dispose();
    const c = info.labels.length;
    return features.map((_, i) => values.slice(i * c, (i + 1) * c));
  };
  return {
    info,
    probabilities,
    async predict(features, minProb = info.minProb) {
      return (await probabilities(features)).map((p) => {
        const order = [...p.keys()].sort((a, b) => p[b]! - p[a]!);
        const [top, second] = [order[0]!, order[1]];
        return {
          label: p[top]! >= minProb ? info.labels[top]! : null,
          probability: p[top]!,
          runnerUp: second === undefined ? null : { label: info.labels[second]!, probability: p[second]! },
        };
      });
    },
    dispose() {
      for (const v of Object.values(params)) (v as Tf.Variable).dispose();
    },
  };
}
