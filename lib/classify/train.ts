import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";
import { type Fold, stratifiedFolds } from "./folds.ts";
import { seededRandom, shuffled } from "../_random.ts";
import { createNadam } from "./nadam.ts";
import {
  createParams,
  DEFAULT_NETWORK,
  forward,
  L2_NAMES,
  l2Penalty,
  type NetworkOptions,
  PARAM_NAMES,
  type StackedParams,
  STAT_NAMES,
  updateMovingStats,
} from "./network.ts";
import { EventWriter } from "./tensorboard.ts";
import { loadTfjs, type Tfjs } from "../runtime/tfjs.ts";
import type { Weights } from "../model/model.ts";

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
  /** Deno workers sharing the folds (results do not depend on it). Default 1. */
  readonly workers?: number;
  /** Called after every epoch, once every fold has finished it. */
  readonly onEpoch?: (epoch: number, metrics: EpochMetrics) => void;
  /**
   * Start the final model from these weights (a saved model's, to continue its training)
   * instead of a fresh initialisation: its parameters and batch-normalisation moving
   * statistics. The optimizer's state (Nadam's moments and step count) starts fresh. The
   * folds always start fresh (the final model has seen their held-out samples), so their
   * figures stay honest. Default: none.
   */
  readonly initial?: Weights;
}

/** One run's metrics for one epoch. */
export interface RunMetrics {
  readonly loss: number;
  readonly accuracy: number;
  /** Absent for the final model (it has no held-out samples). */
  readonly val_loss?: number;
  readonly val_accuracy?: number;
}

/** Metrics of one epoch: the folds' and the final model's. */
export interface EpochMetrics {
  readonly folds: readonly RunMetrics[];
  readonly final: RunMetrics;
}

/** The trained parameters of one network, as plain arrays with their shapes. */
export type { Weights };

/** What training produced. */
export interface TrainResult {
  /** Per fold: accuracy on its held-out samples with its best (lowest validation loss) weights. */
  readonly folds: readonly { readonly accuracy: number; readonly bestEpoch: number; readonly validation: number }[];
  readonly mean: number;
  readonly std: number;
  /** The final model, trained on every sample. */
  readonly weights: Weights;
  readonly network: Required<NetworkOptions>;
  readonly classes: number;
  readonly ms: number;
}

/** Everything a worker needs to train some of the runs. */
export interface TrainSpec {
  readonly features: readonly Float32Array[];
  readonly labels: readonly number[];
  readonly rows: number;
  readonly classes: number;
  /** Sample indices per run: the folds' training sets, then all samples (the final model). */
  readonly runs: readonly (readonly number[])[];
  /** Held-out indices per fold run (empty for the final model). */
  readonly validation: readonly (readonly number[])[];
  readonly steps: number;
  readonly epochs: number;
  readonly batch: number;
  readonly seed: number;
  readonly learningRate: number;
  readonly network: Required<NetworkOptions>;
  readonly logdir?: string;
  /** The final model's starting weights (see {@linkcode TrainOptions.initial}). */
  readonly initial?: Weights;
}

/** One run's outcome. */
export interface RunResult {
  readonly run: number;
  /** Best weights by validation loss (folds) or the last weights (final model). */
  readonly weights: Weights;
  readonly accuracy: number;
  readonly bestEpoch: number;
}

/**
 * Trains the classifier on feature vectors: k stratified folds and the final model on all
 * data are trained together as one batched computation (their parameters stacked on a
 * leading axis: one set of tfjs ops per step instead of k + 1), optionally spread over
 * Deno workers, with Nadam and L2. Each fold keeps its best weights by validation loss, and
 * its accuracy is measured with them. Every run's initialisation and shuffling come from
 * its own seed, so results do not depend on the number of workers. Every epoch takes
 * ⌈samples / batch⌉ steps in every run (the final model's epoch, as Keras counts it); each
 * run draws its batches from its own samples reshuffled, repeating them to fill the epoch.
 *
 * @param features One vector per sample (all the same length, rows · cols).
 * @param labels One class index per sample, 0 … classes − 1.
 * @param rows Rows of one sample (3 for the geometry features).
 * @param options Folds, epochs, batch, seed, network, logging, workers, initial weights.
 * @returns Fold accuracies (mean ± std) and the final model's weights.
 * @throws {RangeError} For inconsistent inputs or options, or initial weights whose shapes
 * do not fit the network.
 * @example
 * ```ts
 * import { trainClassifier } from "./train.ts";
 * // Two classes of 3x2 samples: all +1 or all −1.
 * const features = [1, 1, 1, -1, -1, -1].map((v) => new Float32Array(6).fill(v));
 * const labels = [0, 0, 0, 1, 1, 1];
 * const first = await trainClassifier(features, labels, 3, { folds: 0, epochs: 2 });
 * // Two more epochs for the final model, from where the first run stopped.
 * const more = await trainClassifier(features, labels, 3, { folds: 0, epochs: 2, initial: first.weights });
 * if (more.weights.w1!.shape.join() !== "2,68") throw new Error("shape");
 * ```
 */
export async function trainClassifier(
  features: readonly Float32Array[],
  labels: readonly number[],
  rows: number,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const t0 = performance.now();
  const network: Required<NetworkOptions> = { ...DEFAULT_NETWORK, ...options.network };
  const k = options.folds ?? 10, seed = options.seed ?? 0;
  const n = features.length;
  if (n === 0 || labels.length !== n) throw new RangeError(`need as many labels as samples (${labels.length} vs ${n})`);
  const folds: Fold[] = k >= 2 ? stratifiedFolds(labels, k, seededRandom(seed)) : [];
  const runs = [...folds.map((f) => f.train), labels.map((_, i) => i)];
  // A batch never exceeds the smallest training set.
  const smallest = Math.min(...runs.map((r) => r.length));
  const batch = Math.max(1, Math.min(options.batch ?? 10, smallest));
  // An epoch is the final model's: ⌈all samples / batch⌉ steps, as Keras counts them.
  const steps = Math.ceil(n / batch);
  const classes = Math.max(...labels) + 1;
  if (options.initial) checkInitial(options.initial, rows, features[0]!.length / rows, classes, network);
  const spec: TrainSpec = {
    features,
    labels,
    rows,
    classes,
    runs,
    validation: [...folds.map((f) => f.validation), []],
    steps,
    epochs: options.epochs ?? 100,
    batch,
    seed,
    learningRate: options.learningRate ?? 0.002,
    network,
    logdir: options.logdir,
    initial: options.initial,
  };
  const workers = Math.max(1, Math.min(options.workers ?? 1, runs.length));
  const groups = Array.from({ length: workers }, (_, w) => runs.map((_, r) => r).filter((r) => r % workers === w));
  // Epoch metrics arrive per group; report an epoch once every group has finished it.
  const pending = new Map<number, Map<number, RunMetrics>>();
  const onRunEpoch = (epoch: number, metrics: ReadonlyMap<number, RunMetrics>) => {
    const m = pending.get(epoch) ?? new Map<number, RunMetrics>();
    for (const [r, v] of metrics) m.set(r, v);
    pending.set(epoch, m);
    if (m.size === runs.length) {
      pending.delete(epoch);
      options.onEpoch?.(epoch, { folds: folds.map((_, f) => m.get(f)!), final: m.get(runs.length - 1)! });
    }
  };
  const results = workers === 1
    ? await trainRuns(spec, groups[0]!, onRunEpoch)
    : (await Promise.all(groups.map((g) => trainRunsInWorker(spec, g, onRunEpoch)))).flat();
  const byRun = new Map(results.map((r) => [r.run, r]));
  const accuracies = folds.map((_, f) => byRun.get(f)!.accuracy);
  const mean = accuracies.length ? accuracies.reduce((a, b) => a + b, 0) / accuracies.length : NaN;
  const std = accuracies.length
    ? Math.sqrt(accuracies.reduce((a, b) => a + (b - mean) ** 2, 0) / accuracies.length)
    : NaN;
  return {
    folds: folds.map((f, i) => ({
      accuracy: accuracies[i]!,
      bestEpoch: byRun.get(i)!.bestEpoch,
      validation: f.validation.length,
    })),
    mean,
    std,
    weights: byRun.get(runs.length - 1)!.weights,
    network,
    classes: spec.classes,
    ms: performance.now() - t0,
  };
}

function trainRunsInWorker(
  spec: TrainSpec,
  runIds: readonly number[],
  onRunEpoch: (epoch: number, metrics: ReadonlyMap<number, RunMetrics>) => void,
): Promise<RunResult[]> {
  const worker = new Worker(new URL("./_train_worker.ts", import.meta.url), { type: "module" });
  return new Promise<RunResult[]>((resolve, reject) => {
    worker.onmessage = (
      e: MessageEvent<{ epoch?: number; metrics?: [number, RunMetrics][]; results?: RunResult[]; error?: string }>,
    ) => {
      if (e.data.epoch !== undefined) onRunEpoch(e.data.epoch, new Map(e.data.metrics));
      else if (e.data.error !== undefined) reject(new Error(`training worker: ${e.data.error}`));
      else resolve(e.data.results!);
    };
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(`training worker: ${e.message}`));
    };
    worker.postMessage({ spec, runIds });
  }).finally(() => worker.terminate());
}

/** The shape of every parameter and statistic of one network. */
function weightShapes(rows: number, cols: number, classes: number, o: Required<NetworkOptions>) {
  const [h1, h2] = [o.hidden1, o.hidden2];
  return {
    w1: [cols, h1],
    b1: [1, h1],
    gamma: [1, h1],
    beta: [1, h1],
    w2: [h1, h2],
    b2: [1, h2],
    w3: [rows * h2, classes],
    b3: [1, classes],
    movingMean: [1, h1],
    movingVar: [1, h1],
  } satisfies Record<(typeof PARAM_NAMES)[number] | (typeof STAT_NAMES)[number], number[]>;
}

/** Refuses initial weights that do not fit the network (a missing or misshapen array). */
function checkInitial(w: Weights, rows: number, cols: number, classes: number, o: Required<NetworkOptions>): void {
  for (const [name, shape] of Object.entries(weightShapes(rows, cols, classes, o))) {
    const given = w[name];
    const size = shape.reduce((a, b) => a * b, 1);
    if (!given) throw new RangeError(`initial weights: no ${name}`);
    if (given.shape.join() !== shape.join() || given.values.length !== size) {
      throw new RangeError(
        `initial weights: ${name} is [${given.shape.join(", ")}], the network needs [${shape.join(", ")}]`,
      );
    }
  }
}

/** A run's own seed: its initialisation and shuffling depend on nothing else. */
function runSeed(seed: number, run: number): number {
  return (Math.imul(seed + 1, 0x9e3779b1) + Math.imul(run + 1, 0x85ebca6b)) >>> 0;
}

/**
 * Trains some of the runs of a spec as one batched computation (used directly, or by a
 * training worker).
 */
export async function trainRuns(
  spec: TrainSpec,
  runIds: readonly number[],
  onRunEpoch: (epoch: number, metrics: ReadonlyMap<number, RunMetrics>) => void = () => {},
): Promise<RunResult[]> {
  const tf = await loadTfjs();
  const { features, labels, rows, classes, batch, network: net } = spec;
  const dim = features[0]!.length;
  const F = runIds.length;
  const finalRun = spec.runs.length - 1;
  const finalAt = runIds.indexOf(finalRun);
  const initial = finalAt >= 0 ? spec.initial : undefined;
  if (initial) checkInitial(initial, rows, dim / rows, classes, net);
  const params = createParams(tf, runIds.map((r) => runSeed(spec.seed, r)), rows, dim / rows, classes, net);
  if (initial) {
    // The final model continues from the given weights; the other runs keep their fresh start.
    const fresh = await readWeights(params);
    await assignWeights(tf, params, runIds.map((_, i) => (i === finalAt ? initial : sliceWeights(fresh, i))));
  }
  const trainable = PARAM_NAMES.map((p) => params[p]);
  const optimizer = await createNadam({ learningRate: spec.learningRate });
  const randoms = runIds.map((r) => seededRandom(runSeed(spec.seed, r) ^ 0x5bd1e995));
  const writers = spec.logdir
    ? await Promise.all(
      runIds.map((r) => EventWriter.create(`${spec.logdir}/${r === finalRun ? "final" : `fold_${r + 1}`}`)),
    )
    : [];
  const val = validationTensors(tf, features, labels, runIds.map((r) => spec.validation[r]!), classes);
  const best = runIds.map(() => ({ loss: Infinity, epoch: 0, weights: undefined as Weights | undefined }));
  try {
    for (let epoch = 1; epoch <= spec.epochs; epoch++) {
      // Each run's samples in a fresh random order, repeated (reshuffled) to fill the epoch's
      // steps: the final model sees every sample once (the last batch topped up from a new
      // shuffle), a fold's smaller training set a little more than once.
      const orders = runIds.map((r, i) => {
        const order: number[] = [];
        while (order.length < spec.steps * batch) order.push(...shuffled(spec.runs[r]!, randoms[i]!));
        return order;
      });
      let lossSum = tf.zeros([F]), correctSum = tf.zeros([F]);
      for (let s = 0; s < spec.steps; s++) {
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
          let perRun: Tf.Tensor | undefined, logitsOut: Tf.Tensor | undefined;
          const { grads } = tf.variableGrads(() => {
            const logits = forward(tf, params, xt, rows, net, true, stats);
            const ce = tf.mean(tf.neg(tf.sum(tf.mul(yt, tf.logSoftmax(logits)), 2)), 1);
            perRun = tf.keep(ce);
            logitsOut = tf.keep(logits);
            // Runs are independent: the sum's gradient is each run's own loss gradient.
            return tf.sum(ce) as Tf.Scalar;
          }, trainable);
          // The L2 penalty l2 · Σw² adds 2 · l2 · w to each kernel's and bias's gradient: added
          // here directly, which costs far fewer ops than differentiating the penalty.
          if (net.l2 > 0) {
            for (const name of L2_NAMES) {
              const v = params[name];
              grads[v.name] = tf.add(grads[v.name]!, tf.mul(v, 2 * net.l2));
            }
          }
          optimizer.applyGradients(grads);
          updateMovingStats(tf, params, stats.mean!, stats.variance!);
          stats.mean!.dispose();
          stats.variance!.dispose();
          const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logitsOut!, 2), tf.argMax(yt, 2)), "float32"), 1);
          const out = [tf.add(lossSum, perRun!), tf.add(correctSum, correct)];
          perRun!.dispose();
          logitsOut!.dispose();
          return out;
        });
        lossSum.dispose();
        correctSum.dispose();
        lossSum = newLoss!;
        correctSum = newCorrect!;
      }
      // The reported loss is the mean data loss plus the L2 penalty at the epoch's end.
      const penalty = tf.tidy(() => l2Penalty(tf, params, net.l2));
      const pen = Array.from(await penalty.data() as Float32Array);
      penalty.dispose();
      const trainLoss = Array.from(await lossSum.data() as Float32Array, (v, i) => v / spec.steps + pen[i]!);
      const trainAcc = Array.from(await correctSum.data() as Float32Array, (v) => v / (spec.steps * batch));
      lossSum.dispose();
      correctSum.dispose();
      const v = await evaluateValidation(tf, params, val, rows, net);
      const metrics = new Map<number, RunMetrics>();
      runIds.forEach((r, i) =>
        metrics.set(
          r,
          val.sizes[i]
            ? { loss: trainLoss[i]!, accuracy: trainAcc[i]!, val_loss: v.loss[i]!, val_accuracy: v.accuracy[i]! }
            : { loss: trainLoss[i]!, accuracy: trainAcc[i]! },
        )
      );
      // Best weights per fold, by validation loss.
      const improved = runIds.map((_, i) => val.sizes[i]! > 0 && v.loss[i]! < best[i]!.loss);
      if (improved.some(Boolean)) {
        const snapshot = await readWeights(params);
        improved.forEach((yes, i) => {
          if (yes) best[i] = { loss: v.loss[i]!, epoch, weights: sliceWeights(snapshot, i) };
        });
      }
      for (let i = 0; i < writers.length; i++) await writers[i]!.scalars({ ...metrics.get(runIds[i]!)! }, epoch);
      onRunEpoch(epoch, metrics);
    }
    // Accuracy of each fold with its best weights; the final model keeps its last weights.
    const last = await readWeights(params);
    const chosen = runIds.map((_, i) => best[i]!.weights ?? sliceWeights(last, i));
    await assignWeights(tf, params, chosen);
    const v = await evaluateValidation(tf, params, val, rows, net);
    return runIds.map((r, i) => ({
      run: r,
      weights: chosen[i]!,
      accuracy: v.accuracy[i]!,
      bestEpoch: best[i]!.weights ? best[i]!.epoch : spec.epochs,
    }));
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

/** Each run's held-out samples, padded to one length (masked), stacked on the run axis. */
function validationTensors(
  tf: Tfjs,
  features: readonly Float32Array[],
  labels: readonly number[],
  heldOut: readonly (readonly number[])[],
  classes: number,
): Validation {
  const dim = features[0]!.length;
  const f = heldOut.length;
  const vmax = Math.max(1, ...heldOut.map((h) => h.length));
  const x = new Float32Array(f * vmax * dim),
    y = new Float32Array(f * vmax * classes),
    mask = new Float32Array(f * vmax);
  heldOut.forEach((h, i) =>
    h.forEach((s, j) => {
      x.set(features[s]!, (i * vmax + j) * dim);
      y[(i * vmax + j) * classes + labels[s]!] = 1;
      mask[i * vmax + j] = 1;
    })
  );
  return {
    x: tf.tensor3d(x, [f, vmax, dim]),
    y: tf.tensor3d(y, [f, vmax, classes]),
    mask: tf.tensor2d(mask, [f, vmax]),
    sizes: heldOut.map((h) => h.length),
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

/** Sets the stacked parameters from one set of weights per stacked network. */
async function assignWeights(tf: Tfjs, p: StackedParams, nets: readonly Weights[]): Promise<void> {
  for (const name of [...PARAM_NAMES, ...STAT_NAMES]) {
    const shape = p[name].shape;
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    const values = new Float32Array(nets.length * size);
    nets.forEach((w, f) => values.set(w[name]!.values, f * size));
    tf.tidy(() => p[name].assign(tf.tensor(values, shape)));
  }
  await Promise.resolve();
}
