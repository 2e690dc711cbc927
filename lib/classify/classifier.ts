/**
 * A classifier over a model: the trained network (tfjs, WASM backend) and the embedding
 * gallery, naming each face or answering "unknown".
 *
 * @module
 */

import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import type { PredictMethod } from "../features/feature_sets.ts";
import { galleryMatcher, type Matcher } from "../gallery/matcher.ts";
import type { Gallery } from "../gallery/gallery.ts";
import { loadTfjs } from "../runtime/tfjs.ts";
import type { Model, ModelInfo } from "../model/model.ts";
import { forward, PARAM_NAMES, type StackedParams, STAT_NAMES } from "./network.ts";

export type { PredictMethod };

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

/** A loaded classifier; `dispose()` frees its tensors. */
export interface Classifier {
  readonly info: ModelInfo;
  /** The embedding gallery (for "nearest"). */
  readonly gallery: Gallery;
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
 * @param model A model from a model folder or training.
 * @param options A matcher to name faces by ("nearest") instead of the model's own gallery
 * (a database store's).
 * @returns The classifier.
 */
export async function createClassifier(
  model: Model,
  options: { readonly matcher?: Matcher } = {},
): Promise<Classifier> {
  const { info, gallery } = model;
  const network = info.network;
  const tf = network ? await loadTfjs() : undefined;
  const params = tf
    ? Object.fromEntries(
      [...PARAM_NAMES, ...STAT_NAMES].map((k) => {
        const w = model.weights[k]!;
        // In a tidy, so the source tensor is freed once the variable holds its values.
        return [
          k,
          tf.tidy(() => tf.variable(tf.tensor(w.values, [1, ...w.shape]), false, `${k}_${crypto.randomUUID()}`)),
        ];
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
  const matcher = options.matcher ?? galleryMatcher(gallery);
  return {
    info,
    gallery,
    probabilities,
    async predict(faces, options = {}) {
      const method = options.method ?? info.method;
      if (method === "nearest") {
        const maxDistance = options.maxDistance ?? info.maxDistance ?? Infinity;
        const embeddings = faces.map((f) => {
          if (!f.embedding) throw new RangeError("nearest-neighbour prediction needs the face embedding");
          return f.embedding;
        });
        const answers = await matcher.match(embeddings, { maxDistance });
        return answers.map((n) => {
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
