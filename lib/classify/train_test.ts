import assert from "node:assert/strict";
import { seededRandom } from "../_random.ts";
import { readTfRecords } from "./tensorboard.ts";
import { loadTfjs } from "../runtime/tfjs.ts";
import { trainClassifier, type Weights } from "./train.ts";

/** 5 classes, 20 noisy copies of a random 3x68 prototype each: separable. */
function separable(seed: number) {
  const r = seededRandom(seed);
  const protos = Array.from({ length: 5 }, () => Float32Array.from({ length: 204 }, () => r() * 2 - 1));
  const features: Float32Array[] = [], labels: number[] = [];
  for (let i = 0; i < 100; i++) {
    features.push(protos[i % 5]!.map((v) => v + (r() - 0.5) * 0.8));
    labels.push(i % 5);
  }
  return { features, labels };
}

Deno.test("trainClassifier() learns a separable problem: every fold ≥ 95% on its held-out samples", async () => {
  const { features, labels } = separable(1);
  const res = await trainClassifier(features, labels, 3, { folds: 4, epochs: 10, seed: 0 });
  assert.equal(res.folds.length, 4);
  for (const f of res.folds) assert.ok(f.accuracy >= 0.95, `fold accuracy ${f.accuracy}`);
  assert.equal(res.folds.reduce((a, f) => a + f.validation, 0), 100);
  assert.deepEqual(res.weights.w1!.shape, [68, 68]);
  assert.deepEqual(res.weights.w3!.shape, [96, 5]);
});

Deno.test("trainClassifier() is reproducible per seed, frees every tensor, and logs TensorBoard runs per fold", async () => {
  const tf = await loadTfjs();
  const { features, labels } = separable(2);
  const dir = await Deno.makeTempDir();
  try {
    const before = tf.memory().numTensors;
    const a = await trainClassifier(features, labels, 3, { folds: 2, epochs: 3, seed: 7, logdir: dir });
    assert.equal(tf.memory().numTensors - before, 0, "tensors leaked");
    const b = await trainClassifier(features, labels, 3, { folds: 2, epochs: 3, seed: 7 });
    assert.deepEqual(a.folds, b.folds);
    assert.deepEqual(a.weights.w1!.values, b.weights.w1!.values);
    const c = await trainClassifier(features, labels, 3, { folds: 2, epochs: 3, seed: 8 });
    assert.notDeepEqual(c.weights.w1!.values, a.weights.w1!.values);
    const runs = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    assert.deepEqual(runs, ["final", "fold_1", "fold_2"]);
    const file = [...Deno.readDirSync(`${dir}/fold_1`)][0]!.name;
    // file-version event + 3 epochs × 4 scalars (loss, accuracy, val_loss, val_accuracy).
    assert.equal(readTfRecords(await Deno.readFile(`${dir}/fold_1/${file}`)).length, 1 + 3 * 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("trainClassifier() gives the same results with 2 workers as with 1", async () => {
  const { features, labels } = separable(3);
  const one = await trainClassifier(features, labels, 3, { folds: 3, epochs: 2, seed: 5, workers: 1 });
  const two = await trainClassifier(features, labels, 3, { folds: 3, epochs: 2, seed: 5, workers: 2 });
  assert.deepEqual(two.folds, one.folds);
  assert.deepEqual(two.weights.w3!.values, one.weights.w3!.values);
});

/** The largest absolute difference between two arrays of the same length. */
function maxDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  return a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);
}

Deno.test("trainClassifier() starts the final model from `initial` (parameters and BN statistics), the folds from scratch", async () => {
  const tf = await loadTfjs();
  const { features, labels } = separable(4);
  const trained = await trainClassifier(features, labels, 3, { folds: 0, epochs: 3, seed: 1 });
  // Distinctive moving statistics: fresh ones start at 0 (mean) and 1 (variance).
  const initial: Weights = {
    ...trained.weights,
    movingMean: { shape: [1, 68], values: new Float32Array(68).fill(0.5) },
    movingVar: { shape: [1, 68], values: new Float32Array(68).fill(4) },
  };
  // A learning rate of ~0: the weights stay where they start.
  const options = { folds: 2, epochs: 1, seed: 3, learningRate: 1e-9 };
  const before = tf.memory().numTensors;
  const resumed = await trainClassifier(features, labels, 3, { ...options, initial });
  assert.equal(tf.memory().numTensors - before, 0, "tensors leaked");
  const fresh = await trainClassifier(features, labels, 3, options);
  for (const name of ["w1", "b1", "gamma", "beta", "w2", "b2", "w3", "b3"]) {
    assert.ok(maxDiff(resumed.weights[name]!.values, initial[name]!.values) < 1e-4, `${name} moved from initial`);
  }
  assert.ok(maxDiff(fresh.weights.w1!.values, initial.w1!.values) > 0.01, "a fresh start is elsewhere");
  // 10 steps of momentum 0.99 from the loaded statistics: 0.99^10 of them remain.
  const kept = 0.99 ** 10;
  const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
  assert.ok(Math.abs(mean(resumed.weights.movingVar!.values) - 4 * kept) < 0.2, "movingVar not loaded");
  assert.ok(Math.abs(mean(resumed.weights.movingMean!.values) - 0.5 * kept) < 0.2, "movingMean not loaded");
  assert.ok(Math.abs(mean(fresh.weights.movingVar!.values) - 4 * kept) > 2, "fresh movingVar is elsewhere");
  // The folds never see the initial weights: their results are a fresh run's.
  assert.deepEqual(resumed.folds, fresh.folds);
  // Workers receive the initial weights too.
  const two = await trainClassifier(features, labels, 3, { ...options, initial, workers: 2 });
  assert.deepEqual(two.weights, resumed.weights);
});

Deno.test("trainClassifier() refuses initial weights that do not fit the network, naming the parameter", async () => {
  const { features, labels } = separable(5);
  const trained = await trainClassifier(features, labels, 3, { folds: 0, epochs: 1 });
  const four = labels.map((l, i) => [l, i] as const).filter(([l]) => l < 4);
  await assert.rejects(
    trainClassifier(four.map(([, i]) => features[i]!), four.map(([l]) => l), 3, { folds: 0, initial: trained.weights }),
    RangeError,
    "initial weights: w3 is [96, 5], the network needs [96, 4]",
  );
});
