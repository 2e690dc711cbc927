import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import type { Tfjs } from "../runtime/tfjs.ts";
import type { FeatureSet } from "../features/feature_sets.ts";
import { type Activation, type NetworkOptions, PARAM_NAMES, STAT_NAMES } from "../model/model.ts";

// The architecture's fields and the weights' names are model.json's format (lib/model).
export type { Activation, NetworkOptions } from "../model/model.ts";
export { PARAM_NAMES, STAT_NAMES } from "../model/model.ts";

/** The defaults of {@linkcode NetworkOptions}. */
export const DEFAULT_NETWORK: Readonly<Required<NetworkOptions>> = Object.freeze({
  hidden1: 68,
  hidden2: 32,
  activation1: "tanh",
  activation2: "sigmoid",
  dropout: 0,
  l2: 0.0001,
});

/**
 * The network trained on a feature set by default: the original's layers, with the hidden
 * widths the feature set's registry entry gives (the original's 68 and 32 for `geometry`).
 *
 * @param set A feature set (from the registry).
 * @returns The options in force.
 * @example
 * ```ts
 * import { networkFor } from "./network.ts";
 * import { featureSet } from "../features/feature_sets.ts";
 * if (networkFor(featureSet("geometry")).hidden1 !== 68) throw new Error();
 * if (networkFor(featureSet("both")).hidden2 !== 64) throw new Error();
 * ```
 */
export function networkFor(set: Pick<FeatureSet, "network">): Required<NetworkOptions> {
  return { ...DEFAULT_NETWORK, ...set.network };
}

/** Parameters of F networks stacked on a leading axis (F models trained as one computation). */
export type StackedParams = Record<(typeof PARAM_NAMES)[number] | (typeof STAT_NAMES)[number], Tf.Variable>;

const BN_MOMENTUM = 0.99;
const BN_EPSILON = 1e-3;

/**
 * Creates independently initialised networks' parameters, stacked on a leading axis: one
 * network per seed, each initialised from its own seed alone (so a network's start does
 * not depend on which others it is stacked with).
 *
 * @param seeds One seed per network.
 * @param rows Rows of one input (3 for geometry).
 * @param cols Columns of one input (68).
 */
export function createParams(
  tf: Tfjs,
  seeds: readonly number[],
  rows: number,
  cols: number,
  classes: number,
  o: Required<NetworkOptions>,
): StackedParams {
  const f = seeds.length;
  const stack = (make: (seed: number) => Tf.Tensor) => tf.stack(seeds.map(make));
  const glorot = (fanIn: number, fanOut: number, offset: number) => {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return stack((s) => tf.randomUniform([fanIn, fanOut], -limit, limit, "float32", s + offset));
  };
  // In a tidy, so the initial values are freed once the variables hold them.
  const v = (t: () => Tf.Tensor, name: string, trainable = true) =>
    tf.tidy(() => tf.variable(t(), trainable, `${name}_${crypto.randomUUID()}`));
  return {
    // Keras' "truncated_normal" initializer: mean 0, stddev 0.05.
    w1: v(() => stack((s) => tf.truncatedNormal([cols, o.hidden1], 0, 0.05, "float32", s)), "w1"),
    b1: v(() => tf.zeros([f, 1, o.hidden1]), "b1"),
    gamma: v(() => tf.ones([f, 1, o.hidden1]), "gamma"),
    beta: v(() => tf.zeros([f, 1, o.hidden1]), "beta"),
    w2: v(() => glorot(o.hidden1, o.hidden2, 1), "w2"),
    b2: v(() => tf.zeros([f, 1, o.hidden2]), "b2"),
    w3: v(() => glorot(rows * o.hidden2, classes, 2), "w3"),
    b3: v(() => tf.zeros([f, 1, classes]), "b3"),
    movingMean: v(() => tf.zeros([f, 1, o.hidden1]), "movingMean", false),
    movingVar: v(() => tf.ones([f, 1, o.hidden1]), "movingVar", false),
  };
}

function activate(tf: Tfjs, x: Tf.Tensor, a: Activation): Tf.Tensor {
  return a === "tanh" ? tf.tanh(x) : a === "sigmoid" ? tf.sigmoid(x) : a === "relu" ? tf.relu(x) : x;
}

/**
 * The forward pass of F stacked networks on inputs [F, B, rows · cols]; returns logits
 * [F, B, classes]. In training mode batch statistics normalise, and they are handed to
 * `stats` so the caller can update the moving statistics after the step (see
 * {@linkcode updateMovingStats}), as Keras' BatchNormalization does.
 */
export function forward(
  tf: Tfjs,
  p: StackedParams,
  x: Tf.Tensor3D,
  rows: number,
  o: Required<NetworkOptions>,
  training: boolean,
  stats?: { mean?: Tf.Tensor; variance?: Tf.Tensor },
): Tf.Tensor3D {
  const [f, b] = [x.shape[0], x.shape[1]];
  const cols = x.shape[2] / rows;
  // Dense over each row: [F, B·rows, cols] @ [F, cols, h1].
  const h = tf.add(tf.matMul(tf.reshape(x, [f, b * rows, cols]), p.w1), p.b1);
  // BatchNormalization as one multiply-add on the big tensor: scale = γ / √(σ² + ε),
  // shift = β − μ · scale (the per-feature work happens on [F, 1, h1] tensors).
  let mean: Tf.Tensor, variance: Tf.Tensor;
  if (training) {
    ({ mean, variance } = tf.moments(h, 1, true));
    if (stats) {
      stats.mean = tf.keep(tf.clone(mean));
      stats.variance = tf.keep(tf.clone(variance));
    }
  } else {
    [mean, variance] = [p.movingMean, p.movingVar];
  }
  const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(variance, BN_EPSILON)));
  const shift = tf.sub(p.beta, tf.mul(mean, scale));
  const a1 = activate(tf, tf.add(tf.mul(h, scale), shift), o.activation1);
  const a2 = activate(tf, tf.add(tf.matMul(a1, p.w2), p.b2), o.activation2);
  let flat = tf.reshape(a2, [f, b, rows * o.hidden2]);
  if (training && o.dropout > 0) flat = tf.dropout(flat, o.dropout);
  return tf.add(tf.matMul(flat, p.w3), p.b3) as Tf.Tensor3D;
}

/** Moves the batch-normalisation statistics towards a step's batch statistics (momentum 0.99). */
export function updateMovingStats(tf: Tfjs, p: StackedParams, mean: Tf.Tensor, variance: Tf.Tensor): void {
  tf.tidy(() => {
    p.movingMean.assign(tf.add(tf.mul(p.movingMean, BN_MOMENTUM), tf.mul(mean, 1 - BN_MOMENTUM)));
    p.movingVar.assign(tf.add(tf.mul(p.movingVar, BN_MOMENTUM), tf.mul(variance, 1 - BN_MOMENTUM)));
  });
}

/** The parameters under L2: every dense layer's kernel and bias. */
export const L2_NAMES = ["w1", "b1", "w2", "b2", "w3", "b3"] as const;

/** L2 penalty of each of the F networks: l2 · Σ w² over every kernel and bias. Shape [F]. */
export function l2Penalty(tf: Tfjs, p: StackedParams, l2: number): Tf.Tensor1D {
  const sums = L2_NAMES.map((k) => tf.sum(tf.square(p[k]), [1, 2]));
  return tf.mul(tf.addN(sums), l2) as Tf.Tensor1D;
}
