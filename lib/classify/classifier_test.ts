import assert from "node:assert/strict";
import { Gallery } from "../gallery/gallery.ts";
import { createClassifier } from "./classifier.ts";
import { seededRandom } from "../_random.ts";
import { type Model } from "../model/model.ts";
import { modelFromTraining } from "./train_model.ts";
import { trainClassifier, type TrainResult } from "./train.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { loadTfjs } from "../runtime/tfjs.ts";

const LABELS = ["ada", "bob", "cy"];
const NETWORK = { hidden1: 8, hidden2: 4 };

/** 3 classes × 8 noisy copies of a far-apart 1x6 prototype each: separable. */
function separable() {
  const r = seededRandom(11);
  const protos = [
    [2, 2, 0, 0, 0, 0],
    [0, 0, 2, 2, 0, 0],
    [0, 0, 0, 0, 2, 2],
  ];
  const features: Float32Array[] = [], labels: number[] = [];
  for (let i = 0; i < 24; i++) {
    features.push(Float32Array.from(protos[i % 3]!, (v) => v + (r() - 0.5) * 0.4));
    labels.push(i % 3);
  }
  return { features, labels, protos: protos.map((p) => Float32Array.from(p)) };
}

const toy = separable();
let trained: TrainResult | undefined;
/** The toy network, trained once for the whole file (folds 0, 30 epochs at a learning rate of 0.05). */
async function toyTraining(): Promise<TrainResult> {
  trained ??= await trainClassifier(toy.features, toy.labels, 1, {
    folds: 0,
    epochs: 30,
    seed: 0,
    learningRate: 0.05,
    network: NETWORK,
  });
  return trained;
}

/** ada's centroid (0, 1), bob's (3, 5), cy's (10, 0): hand-checkable distances. */
const GALLERY: GalleryEntry[] = [
  { label: "ada", path: "a1.jpg", embedding: new Float32Array([0, 0]) },
  { label: "ada", path: "a2.jpg", embedding: new Float32Array([0, 2]) },
  { label: "bob", path: "b.jpg", embedding: new Float32Array([3, 5]) },
  { label: "cy", path: "c.jpg", embedding: new Float32Array([10, 0]) },
];

/** A gallery-only model, as enrolment makes it: no network, no weights. */
function galleryOnly(gallery: readonly GalleryEntry[], maxDistance: number | null): Model {
  return {
    info: {
      labels: [],
      network: null,
      rows: 1,
      features: { name: "embedding", version: 1 },
      pipeline: {},
      minProb: 0,
      method: "nearest",
      maxDistance,
      training: {},
    },
    weights: {},
    gallery: Gallery.from(gallery),
  };
}

Deno.test("probabilities() gives one distribution per sample, summing to 1 within 1e-5, top class the trained one", async () => {
  const c = await createClassifier(modelFromTraining(await toyTraining(), LABELS, 1));
  try {
    const p = await c.probabilities([...toy.protos, ...toy.features]);
    assert.equal(p.length, 3 + 24);
    const truth = [0, 1, 2, ...toy.labels];
    p.forEach((v, i) => {
      assert.equal(v.length, 3);
      assert.ok(v.every((x) => x >= 0 && x <= 1), `sample ${i}: ${v}`);
      const sum = v.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - 1) < 1e-5, `sample ${i}: sum ${sum}`);
      assert.equal(v.indexOf(Math.max(...v)), truth[i], `sample ${i}: ${v}`);
    });
    assert.deepEqual(await c.probabilities([]), []);
  } finally {
    c.dispose();
  }
});

Deno.test('predict() by "network" names the top class, with its probability and the runner-up class', async () => {
  const model = modelFromTraining(await toyTraining(), LABELS, 1);
  assert.equal(model.info.method, "network");
  const c = await createClassifier(model);
  try {
    const faces = toy.protos.map((features) => ({ features }));
    const p = await c.probabilities(toy.protos);
    const answers = await c.predict(faces);
    answers.forEach((a, i) => {
      const order = [0, 1, 2].sort((x, y) => p[i]![y]! - p[i]![x]!);
      assert.equal(a.method, "network");
      assert.equal(a.label, LABELS[i]);
      assert.equal(a.candidate, LABELS[i]);
      assert.equal(a.probability, p[i]![i]);
      assert.equal(a.distance, null);
      assert.deepEqual(a.runnerUp, { label: LABELS[order[1]!], probability: p[i]![order[1]!], distance: null });
      assert.ok(a.runnerUp!.probability! <= a.probability!);
    });
  } finally {
    c.dispose();
  }
});

Deno.test("predict() answers label null under minProb (the model's or the call's), keeping the candidate", async () => {
  const result = await toyTraining();
  const c = await createClassifier(modelFromTraining(result, LABELS, 1));
  const strict = await createClassifier(modelFromTraining(result, LABELS, 1, { minProb: 1.01 }));
  try {
    const face = { features: toy.protos[1]! };
    const [named] = await c.predict([face]);
    const top = named!.probability!;
    // At exactly the top probability the face is still named; just above it, unknown.
    assert.equal((await c.predict([face], { minProb: top }))[0]!.label, "bob");
    const [unknown] = await c.predict([face], { minProb: top + 1e-6 });
    assert.equal(unknown!.label, null);
    assert.equal(unknown!.candidate, "bob");
    assert.equal(unknown!.probability, top);
    assert.deepEqual(unknown!.runnerUp, named!.runnerUp);
    // The model's own minProb is the default; the call's overrides it.
    assert.equal((await strict.predict([face]))[0]!.label, null);
    assert.equal((await strict.predict([face], { minProb: 0 }))[0]!.label, "bob");
  } finally {
    c.dispose();
    strict.dispose();
  }
});

Deno.test("predict() of a one-class network has no runner-up", async () => {
  const features = toy.features.slice(0, 4);
  const one = await trainClassifier(features, [0, 0, 0, 0], 1, { folds: 0, epochs: 1, network: NETWORK });
  const c = await createClassifier(modelFromTraining(one, ["ada"], 1));
  try {
    const [a] = await c.predict([{ features: features[0]! }]);
    assert.equal(a!.label, "ada");
    assert.ok(Math.abs(a!.probability! - 1) < 1e-6, `probability ${a!.probability}`);
    assert.equal(a!.runnerUp, null);
  } finally {
    c.dispose();
  }
});

Deno.test('predict() by "nearest" names the person with the nearest centroid, null beyond maxDistance', async () => {
  // A trained model with a gallery defaults to "nearest" and keeps its network for "network".
  const model = modelFromTraining(await toyTraining(), LABELS, 1, { maxDistance: 2 }, GALLERY);
  assert.equal(model.info.method, "nearest");
  const c = await createClassifier(model);
  try {
    const features = toy.protos[2]!;
    const [near, far, loose] = [
      ...(await c.predict([
        { features, embedding: new Float32Array([0, 1]) },
        { features, embedding: new Float32Array([6, 5]) },
      ])),
      ...(await c.predict([{ features, embedding: new Float32Array([6, 5]) }], { maxDistance: 3 })),
    ];
    // (0, 1) is ada's centroid; bob's (3, 5) is 5 away, cy's (10, 0) √101.
    assert.deepEqual(near, {
      label: "ada",
      candidate: "ada",
      method: "nearest",
      probability: null,
      distance: 0,
      runnerUp: { label: "bob", probability: null, distance: 5 },
    });
    // (6, 5): bob 3, cy √41 ≈ 6.40: beyond the model's maxDistance of 2, within the call's 3.
    assert.equal(far!.label, null);
    assert.equal(far!.candidate, "bob");
    assert.equal(far!.distance, 3);
    assert.ok(Math.abs(far!.runnerUp!.distance! - Math.sqrt(41)) < 1e-9);
    assert.equal(far!.runnerUp!.label, "cy");
    assert.equal(loose!.label, "bob");
    // The same classifier answers by the network when asked.
    const [byNetwork] = await c.predict([{ features, embedding: new Float32Array([0, 1]) }], { method: "network" });
    assert.equal(byNetwork!.method, "network");
    assert.equal(byNetwork!.label, "cy");
  } finally {
    c.dispose();
  }
});

Deno.test("predict() of a gallery-only model with maxDistance null names even a far face", async () => {
  const c = await createClassifier(galleryOnly(GALLERY, null));
  try {
    const [a] = await c.predict([{ features: new Float32Array(2), embedding: new Float32Array([3, 100]) }]);
    // bob's centroid (3, 5) is 95 away, ada's (0, 1) √9810 ≈ 99.0.
    assert.equal(a!.label, "bob");
    assert.equal(a!.distance, 95);
    assert.equal(a!.runnerUp!.label, "ada");
  } finally {
    c.dispose();
  }
});

Deno.test("createClassifier() refuses the network without one, nearest without an embedding or a gallery (RangeError)", async () => {
  const gallery = await createClassifier(galleryOnly(GALLERY, 1));
  const network = await createClassifier(modelFromTraining(await toyTraining(), LABELS, 1));
  try {
    const face = { features: new Float32Array([0, 1]), embedding: new Float32Array([0, 1]) };
    await assert.rejects(gallery.probabilities([face.features]), RangeError, "this model has no trained network");
    await assert.rejects(gallery.predict([face], { method: "network" }), RangeError, "no trained network");
    await assert.rejects(
      gallery.predict([{ features: face.features }]),
      RangeError,
      "nearest-neighbour prediction needs the face embedding",
    );
    // A network model with an empty gallery cannot answer by "nearest".
    await assert.rejects(network.predict([face], { method: "nearest" }), RangeError, "the gallery is empty");
  } finally {
    gallery.dispose();
    network.dispose();
  }
});

Deno.test("createClassifier() holds 10 tensors (8 parameters, 2 BN statistics); predict() leaks none; dispose() frees them all", async () => {
  const tf = await loadTfjs();
  const model = modelFromTraining(await toyTraining(), LABELS, 1, {}, GALLERY);
  const before = tf.memory().numTensors;
  const c = await createClassifier(model);
  try {
    assert.equal(tf.memory().numTensors - before, 10);
    const faces = toy.features.map((features) => ({ features, embedding: new Float32Array([1, 1]) }));
    await c.probabilities(toy.features);
    await c.predict(faces, { method: "network" });
    await c.predict(faces, { method: "nearest" });
    assert.equal(tf.memory().numTensors - before, 10, "predict() leaked tensors");
  } finally {
    c.dispose();
  }
  assert.equal(tf.memory().numTensors, before, "dispose() left tensors");
  // A gallery-only model makes no tensors at all.
  const g = await createClassifier(galleryOnly(GALLERY, 1));
  assert.equal(tf.memory().numTensors, before);
  g.dispose();
});
