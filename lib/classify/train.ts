import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import { type Fold, seededRandom, shuffled, stratifiedFolds } from "./folds.ts";
import { createNadam } from "./nadam.ts";
import {
  createParams,
  DEFAULT_NETWORK,
  forward,
  l2Penalty,
  type NetworkOptions,
  PARAM_NAMES,
  type StackedParams,
  STAT_NAMES,
  updateMovingStats,
} from "./network.ts";
import { EventWriter } from "./tensorboard.ts";
import { loadTfjs, type Tfjs } from "./tfjs.ts";

/** Options of {@linkcode trainClassifier}. */
export interface TrainOptions {
  /** Cross-validation folds (stratified by person); 0 = no cross-validation. Default 10. */
  readonly folds?: number;
  /** Default 100. */
  readonly epochs?: number;
  /** Default 10. */
  readonly batch?: number;
  /** Seed of initialisation, folds and shuffling. Default 0. */
  readonly seed?: number;
  /** Nadam learning rate. Default 0.002. */
  readonly learningRate?: number;
  readonly network?: NetworkOptions;
  /** Write TensorBoard event files here: one run folder per fold (`fold_1`…) and `final`. */
  readonly logdir?: string;
  /** Called after every epoch. */
  readonly onEpoch?: (epoch: number, metrics: EpochMetrics) => void;
}

/** Mean metrics of one epoch: the folds' and the final model's. */
export interface EpochMetrics {
  /** Per fold: loss, accuracy, val_loss, val_accuracy. */
  readonly folds: readonly { loss: number; accuracy: number; val_loss: number; val_accuracy: number }[];
  /** The final model (all data): loss and accuracy. */
  readonly final: { loss: number; accuracy: number };
}

/** The trained parameters of one network, as plain arrays with their shapes. */
export interface Weights {
  readonly [name: string]: { readonly shape: readonly number[]; readonly values: Float32Array };
}

/** What training produced. */
export interface TrainResult {
  /** Per fold: accuracy on its held-out photos with its best (lowest validation loss) weights. */
  readonly folds: readonly { readonly accuracy: number; readonly bestEpoch: number; readonly validation: number }[];
  readonly mean: number;
  readonly std: number;
  /** The final model, trained on every sample. */
  readonly weights: Weights;
  readonly network: Required<NetworkOptions>;
  readonly classes: number;
  readonly ms: number;
}

/**
 * Trains the classifier on feature vectors: k stratified folds and the final model on all
 * data are trained together, as one batched computation (their parameters stacked on a
 * leading axis: one set of tfjs ops per step instead of k + 1), with Nadam and L2.
 * Each fold keeps its best weights by validation loss; the fold accuracies are measured
 * with them. Every epoch takes the same number of steps in every fold, ⌊smallest training
 * set / batch⌋, on freshly shuffled samples.
 *
 * @param features One vector per sample (all the same length, rows · cols).
 * @param labels One class index per sample, 0 … classes − 1.
 * @param rows Rows of one sample (3 for the geometry features).
 * @param options Folds, epochs, batch, seed, network, logging.
 * @returns Fold accuracies (mean ± std) and the final model's weights.
 * @throws {RangeError} For inconsistent inputs or options.
 */
export async function trainClassifier(
  features: readonly Float32Array[],
  labels: readonly number[],
  rows: number,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const t0 = performance.now();
  const tf = await loadTfjs();
  const net: Required<NetworkOptions> = { ...DEFAULT_NETWORK, ...options.network };
  const k = options.folds ?? 10, epochs = options.epochs ?? 100, batch = options.batch ?? 10, seed = options.seed ?? 0;
  const n = features.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`need as many labels as samples (${labels.length} vs ${n})`);
  const dim = features[0]!.length;
  const classes = Math.max(...labels) + 1;
  const random = seededRandom(seed);
  const folds: Fold[] = k >= 2 ? stratifiedFolds(labels, k, random) : [];
  const all = labels.map((_, i) => i);
  const runs = [...folds.map((f) => f.train), all];
  const F = runs.length;
  const steps = Math.max(1, Math.floor(Math.min(...runs.map((r) => r.length)) / batch));
  const params = createParams(tf, F, rows, dim / rows, classes, net, seed);
  const trainable = PARAM_NAMES.map((p) => params[p]);
  const optimizer = await createNadam({ learningRate: options.learningRate ?? 0.002 });
  const writers = options.logdir
    ? await Promise.all(
      runs.map((_, f) => EventWriter.create(`${options.logdir}/${f < folds.length ? `fold_${f + 1}` : "final"}`)),
    )
    : [];
  const val = validationTensors(tf, features, labels, folds, F, classes);
  const best = folds.map(() => ({ loss: Infinity, epoch: 0, weights: undefined as Weights | undefined }));
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      const orders = runs.map((r) => shuffled(r, random));
      let lossSum = tf.zeros([F]), correctSum = tf.zeros([F]);
      for (let s = 0; s < steps; s++) {
        const x = new Float32Array(F * batch * dim), y = new Float32Array(F * batch * classes);
        orders.forEach((order, f) => {
          for (let b = 0; b < batch; b++) {
            const i = order[s * batch + b]!;
            x.set(features[i]!, (f * batch + b) * dim);
            y[(f * batch + b) * classes + labels[i]!] = 1;
          }
        });
        const [newLoss, newCorrect] = tf.tidy(() => {
          const xt = tf.tensor3d(x, [F, batch, dim]), yt = tf.tensor3d(y, [F, batch, classes]);
          const stats: { mean?: Tf.Tensor; variance?: Tf.Tensor } = {};
          let perFold: Tf.Tensor | undefined, logitsOut: Tf.Tensor | undefined;
          const { grads } = tf.variableGrads(() => {
            const logits = forward(tf, params, xt, rows, net, true, stats);
            const ce = tf.mean(tf.neg(tf.sum(tf.mul(yt, tf.logSoftmax(logits)), 2)), 1);
            perFold = tf.keep(ce);
            logitsOut = tf.keep(logits);
            return tf.sum(tf.add(ce, l2Penalty(tf, params, net.l2))) as Tf.Scalar;
          }, trainable);
          optimizer.applyGradients(grads);
          updateMovingStats(tf, params, stats.mean!, stats.variance!);
          stats.mean!.dispose();
          stats.variance!.dispose();
          const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logitsOut!, 2), tf.argMax(yt, 2)), "float32"), 1);
          const out = [tf.add(lossSum, perFold!), tf.add(correctSum, correct)];
          perFold!.dispose();
          logitsOut!.dispose();
          return out;
        });
        lossSum.dispose();
        correctSum.dispose();
        lossSum = newLoss!;
        correctSum = newCorrect!;
      }
      const trainLoss = Array.from(await lossSum.data(), (v) => v / steps);
      const trainAcc = Array.from(await correctSum.data(), (v) => v / (steps * batch));
      lossSum.dispose();
      correctSum.dispose();
      const v = await evaluateValidation(tf, params, val, rows, net);
      const metrics: EpochMetrics = {
        folds: folds.map((_, f) => ({
          loss: trainLoss[f]!,
          accuracy: trainAcc[f]!,
          val_loss: v.loss[f]!,
          val_accuracy: v.accuracy[f]!,
        })),
        final: { loss: trainLoss[F - 1]!, accuracy: trainAcc[F - 1]! },
      };
      // Best weights per fold, by validation loss.
      const improved = folds.map((_, f) => v.loss[f]! < best[f]!.loss);
      if (improved.some(Boolean)) {
        const snapshot = await readWeights(params);
        improved.forEach((yes, f) => {
          if (yes) best[f] = { loss: v.loss[f]!, epoch, weights: sliceWeights(snapshot, f) };
        });
      }
      for (let f = 0; f < writers.length; f++) {
        await writers[f]!.scalars(f < folds.length ? metrics.folds[f]! : metrics.final, epoch);
      }
      options.onEpoch?.(epoch, metrics);
    }
    // Fold accuracies with each fold's best weights.
    const finalWeights = sliceWeights(await readWeights(params), F - 1);
    let accuracies: number[] = [];
    if (folds.length > 0) {
      await assignWeights(tf, params, best.map((b) => b.weights!), finalWeights);
      accuracies = (await evaluateValidation(tf, params, val, rows, net)).accuracy.slice(0, folds.length);
    }
    const mean = accuracies.length ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : NaN;
    const std = accuracies.length
      ? Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length)
      : NaN;
    return {
      folds: folds.map((f, i) => ({
        accuracy: accuracies[i]!,
        bestEpoch: best[i]!.epoch,
        validation: f.validation.length,
      })),
      mean,
      std,
      weights: finalWeights,
      network: net,
      classes,
      ms: performance.now() - t0,
    };
  } finally {
    for (const w of writers) w.close();
    optimizer.dispose();
    for (const p of Object.values(params)) p.dispose();
    val.x.dispose();
    val.y.dispose();
    val.mask.dispose();
  }
}

interface Validation {
  x: Tf.Tensor3D;
  y: Tf.Tensor3D;
  mask: Tf.Tensor2D;
  sizes: number[];
}

/** Each fold's held-out samples, padded to one length (masked), stacked on the fold axis. */
function validationTensors(
  tf: Tfjs,
  features: readonly Float32Array[],
  labels: readonly number[],
  folds: readonly Fold[],
  f: number,
  classes: number,
): Validation {
  const dim = features[0]!.length;
  const vmax = Math.max(1, ...folds.map((fold) => fold.validation.length));
  const x = new Float32Array(f * vmax * dim),
    y = new Float32Array(f * vmax * classes),
    mask = new Float32Array(f * vmax);
  folds.forEach((fold, i) =>
    fold.validation.forEach((s, j) => {
      x.set(features[s]!, (i * vmax + j) * dim);
      y[(i * vmax + j) * classes + labels[s]!] = 1;
      mask[i * vmax + j] = 1;
    })
  );
  return {
    x: tf.tensor3d(x, [f, vmax, dim]),
    y: tf.tensor3d(y, [f, vmax, classes]),
    mask: tf.tensor2d(mask, [f, vmax]),
    sizes: [...folds.map((fold) => fold.validation.length), 0],
  };
}

async function evaluateValidation(
  tf: Tfjs,
  p: StackedParams,
  v: Validation,
  rows: number,
  net: Required<NetworkOptions>,
): Promise<{ loss: number[]; accuracy: number[] }> {
  const [lossT, correctT] = tf.tidy(() => {
    const logits = forward(tf, p, v.x, rows, net, false);
    const ce = tf.mul(tf.neg(tf.sum(tf.mul(v.y, tf.logSoftmax(logits)), 2)), v.mask);
    const correct = tf.mul(tf.cast(tf.equal(tf.argMax(logits, 2), tf.argMax(v.y, 2)), "float32"), v.mask);
    return [tf.sum(ce, 1), tf.sum(correct, 1)];
  });
  const loss = Array.from(await lossT!.data() as Float32Array),
    correct = Array.from(await correctT!.data() as Float32Array);
  lossT!.dispose();
  correctT!.dispose();
  return {
    loss: loss.map((l, i) => (v.sizes[i] ? l / v.sizes[i]! : NaN)),
    accuracy: correct.map((c, i) => (v.sizes[i] ? c / v.sizes[i]! : NaN)),
  };
}

type Snapshot = Record<string, { shape: number[]; values: Float32Array }>;

async function readWeights(p: StackedParams): Promise<Snapshot> {
  const out: Snapshot = {};
  for (const name of [...PARAM_NAMES, ...STAT_NAMES]) {
    out[name] = { shape: p[name].shape, values: (await p[name].data()) as Float32Array };
  }
  return out;
}

/** Network `f`'s parameters out of a stacked snapshot (leading axis dropped). */
function sliceWeights(s: Snapshot, f: number): Weights {
  const out: Record<string, { shape: number[]; values: Float32Array }> = {};
  for (const [name, { shape, values }] of Object.entries(s)) {
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    out[name] = { shape: shape.slice(1), values: values.slice(f * size, (f + 1) * size) };
  }
  return out;
}

/** Sets the stacked parameters from per-network weights (folds first, then the final one). */
async function assignWeights(tf: Tfjs, p: StackedParams, folds: readonly Weights[], final: Weights): Promise<void> {
  const nets = [...folds, final];
  for (const name of [...PARAM_NAMES, ...STAT_NAMES]) {
    const shape = p[name].shape;
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    const values = new Float32Array(nets.length * size);
    nets.forEach((w, f) => values.set(w[name]!.values, f * size));
    tf.tidy(() => p[name].assign(tf.tensor(values, shape)));
  }
  await Promise.resolve();
}
