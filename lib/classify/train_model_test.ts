import assert from "node:assert/strict";
import { Gallery } from "../gallery/gallery.ts";
import { rejectsModelError } from "./_test_util.ts";
import { planTraining, saveKeepingEnrolled, trainModel } from "./train_model.ts";
import { seededRandom } from "../_random.ts";
import { loadModel, saveModel } from "../model/model_folder.ts";
import { DEFAULT_NETWORK, networkFor } from "./network.ts";
import type { Cache, CacheRecord } from "../dataset/cache.ts";
import { FEATURE_SETS, type FeatureSetName } from "../features/feature_sets.ts";
import { newGalleryModel } from "../model/model.ts";
import { DEFAULT_MAX_DISTANCE } from "../gallery/matcher.ts";

/** What a cache records besides the feature set (values need only be equal between cache and model). */
const PIPELINE = { detector: { minNeighbors: 5 }, landmarks: { model: "full" }, assets: { cascade: "c0ffee" } };

/**
 * An in-memory cache: `people` maps a person to their photo count; every photo is "ok" with
 * random features (and, for sets with the embedding, an embedding), plus one photo without a
 * face and one unreadable, which no plan or gallery may use. `withEmbedding`: default, when the
 * set needs it.
 */
function cacheOf(
  name: FeatureSetName,
  people: Record<string, number>,
  withEmbedding = FEATURE_SETS[name].needsEmbedding,
): Cache {
  const set = FEATURE_SETS[name];
  const r = seededRandom(1);
  const records = new Map<string, CacheRecord>();
  // Inserted in reverse order of path, so that sorting by path is visible.
  for (const [label, n] of Object.entries(people).reverse()) {
    for (let i = n; i >= 1; i--) {
      const embedding = Array.from({ length: 128 }, () => (r() - 0.5) / 2); // norm about 1.6, as the network gives
      const features = name === "embedding" ? embedding : Array.from({ length: set.length }, () => r() - 0.5);
      const path = `${label}/${i}.jpg`;
      records.set(path, {
        path,
        hash: `h${path}`,
        label,
        status: "ok",
        features,
        ...(withEmbedding ? { embedding } : {}),
      });
    }
  }
  records.set("ada/none.jpg", { path: "ada/none.jpg", hash: "x", label: "ada", status: "no_face", faces: 0 });
  records.set("bob/bad.jpg", { path: "bob/bad.jpg", hash: "y", label: "bob", status: "error", reason: "broken" });
  return {
    config: { ...PIPELINE, features: { name, version: set.version }, labels: "folder" },
    records,
    droppedPartialLine: false,
  };
}

Deno.test("planTraining() uses the cache's usable photos, feature set and pipeline (the label rule aside)", async () => {
  const plan = await planTraining(cacheOf("geometry", { cy: 4, ada: 3, bob: 5 }));
  assert.deepEqual(plan.samples.names, ["ada", "bob", "cy"]);
  assert.equal(plan.samples.features.length, 12);
  assert.equal(plan.samples.rows, 3);
  assert.ok(!plan.samples.paths.includes("ada/none.jpg") && !plan.samples.paths.includes("bob/bad.jpg"));
  assert.deepEqual(plan.features, { name: "geometry", version: 1 });
  assert.deepEqual(plan.pipeline, PIPELINE);
  assert.equal(plan.previous, undefined);
});

Deno.test("planTraining() reduces the folds to the smallest class: 3 of 10 with 3 photos, none with 1", async () => {
  const cache = cacheOf("geometry", { ada: 3, bob: 5, cy: 4 });
  const plan = await planTraining(cache);
  assert.equal(plan.smallestClass, 3);
  assert.equal(plan.folds, 3);
  assert.equal((await planTraining(cache, { folds: 5 })).folds, 3);
  // Fewer folds than the smallest class allows are kept, and 0 stays 0.
  assert.equal((await planTraining(cache, { folds: 2 })).folds, 2);
  assert.equal((await planTraining(cache, { folds: 0 })).folds, 0);
  const single = await planTraining(cacheOf("geometry", { ada: 1, bob: 6 }));
  assert.equal(single.smallestClass, 1);
  assert.equal(single.folds, 0);
  assert.equal((await planTraining(cacheOf("geometry", { ada: 12, bob: 11 }))).folds, 10);
});

Deno.test("planTraining() takes minProb, network and maxDistance from the feature set's registry entry unless asked", async () => {
  for (const name of ["geometry", "embedding", "both"] as const) {
    const set = FEATURE_SETS[name];
    const cache = cacheOf(name, { ada: 2, bob: 2 });
    const plan = await planTraining(cache);
    assert.equal(plan.minProb, set.minProb, name);
    assert.deepEqual(plan.network, { ...networkFor(set), l2: DEFAULT_NETWORK.l2 }, name);
    assert.equal(plan.maxDistance, set.needsEmbedding ? DEFAULT_MAX_DISTANCE : null, name);
    const asked = await planTraining(cache, { minProb: 0.77, l2: 0.5, maxDistance: 0.3 });
    assert.equal(asked.minProb, 0.77, name);
    assert.equal(asked.network.l2, 0.5, name);
    // Only the sets with the embedding have a gallery to apply a distance to.
    assert.equal(asked.maxDistance, set.needsEmbedding ? 0.3 : null, name);
  }
  // The registry's figures differ per set, so a plan that ignored the set would fail above.
  assert.notEqual(FEATURE_SETS.geometry.minProb, FEATURE_SETS.both.minProb);
});

Deno.test("trainModel() builds the gallery from an embedding cache's photos (sorted by path) and none for geometry", async () => {
  const embeddingCache = cacheOf("embedding", { bob: 2, ada: 3 });
  const { model, result } = await trainModel(embeddingCache, await planTraining(embeddingCache), { epochs: 2 });
  assert.deepEqual(model.info.labels, ["ada", "bob"]);
  assert.equal(model.info.method, "nearest");
  assert.equal(model.info.maxDistance, DEFAULT_MAX_DISTANCE);
  assert.deepEqual(model.info.pipeline, PIPELINE);
  assert.deepEqual([...model.gallery].map((e) => `${e.label} ${e.path}`), [
    "ada ada/1.jpg",
    "ada ada/2.jpg",
    "ada ada/3.jpg",
    "bob bob/1.jpg",
    "bob bob/2.jpg",
  ]);
  for (const e of model.gallery) {
    assert.deepEqual(e.embedding, Float32Array.from(embeddingCache.records.get(e.path)!.embedding!));
  }
  assert.equal(model.weights.w3!.shape.join(), [FEATURE_SETS.embedding.network.hidden2, 2].join());
  assert.equal(result.folds.length, 2);
  assert.equal(model.info.training.folds, 2);
  assert.equal(model.info.training.total_epochs, 2);
  assert.equal(model.info.training.faces, 5);

  // Even records that carry an embedding make no gallery for a geometry model.
  const geometryCache = cacheOf("geometry", { bob: 2, ada: 3 }, true);
  const geometry = await trainModel(geometryCache, await planTraining(geometryCache, { folds: 0 }), { epochs: 1 });
  assert.equal(geometry.model.gallery.size, 0);
  assert.equal(geometry.model.info.method, "network");
  assert.equal(geometry.model.info.maxDistance, null);
  assert.equal(geometry.model.info.minProb, FEATURE_SETS.geometry.minProb);
  assert.deepEqual(geometry.result.folds, []);
});

Deno.test("planTraining({ resume }) continues a saved model; trainModel() keeps its faces enrolled from elsewhere", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = cacheOf("embedding", { ada: 2, bob: 2 });
    const first = await trainModel(cache, await planTraining(cache, { folds: 0, minProb: 0.6 }), { epochs: 1 });
    // Enrolled later: dan from a photo outside the cache, and an older embedding of a cached photo.
    const dan = { label: "dan", path: "enrol/dan.jpg", embedding: new Float32Array(128).fill(0.25), enrolled: true };
    const stale = { label: "ada", path: "ada/1.jpg", embedding: new Float32Array(128).fill(0.05), enrolled: true };
    // A training face of the old model whose photo has since left the cache: it goes.
    const gone = { label: "bob", path: "bob/9.jpg", embedding: new Float32Array(128).fill(0.2) };
    await saveModel(dir, {
      ...first.model,
      gallery: Gallery.from([dan, stale, gone, ...first.model.gallery.entries().slice(1)]),
    });
    const plan = await planTraining(cache, { folds: 0, resume: dir });
    assert.equal(plan.previous?.epochs, 1);
    assert.equal(plan.minProb, 0.6, "the resumed model's minProb");
    assert.deepEqual(plan.previous?.model.info.labels, ["ada", "bob"]);
    const { model } = await trainModel(cache, plan, { epochs: 2 });
    assert.equal(model.info.training.resumed_from, 1);
    assert.equal(model.info.training.total_epochs, 3);
    assert.deepEqual([...model.gallery].map((e) => e.path), [
      "enrol/dan.jpg",
      "ada/1.jpg",
      "ada/2.jpg",
      "bob/1.jpg",
      "bob/2.jpg",
    ]);
    // The cached photo's entry is the cache's, not the stale one.
    assert.deepEqual(model.gallery.embedding(1), Float32Array.from(cache.records.get("ada/1.jpg")!.embedding!));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('planTraining({ resume }) refuses a missing model ("missing"), other people or no network ("unsuitable")', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = cacheOf("geometry", { ada: 2, bob: 2 });
    await rejectsModelError(
      planTraining(cache, { resume: `${dir}/none` }),
      "missing",
      /\/none: cannot resume: no model here \(train without --resume first\)$/,
    );
    const { model } = await trainModel(cache, await planTraining(cache, { folds: 0 }), { epochs: 1 });
    await saveModel(`${dir}/two`, model);
    await rejectsModelError(
      planTraining(cacheOf("geometry", { ada: 2, cy: 2 }), { resume: `${dir}/two` }),
      "unsuitable",
      /cannot resume: the model's people differ from the cache's \(not in the cache: bob; new in the cache: cy\)$/,
    );
    await rejectsModelError(
      planTraining(cacheOf("geometry", { ada: 2, bob: 2, cy: 2 }), { resume: `${dir}/two` }),
      "unsuitable",
      /\(new in the cache: cy\)$/,
    );
    await rejectsModelError(
      planTraining(cacheOf("embedding", { ada: 2, bob: 2 }), { resume: `${dir}/two` }),
      "unsuitable",
      /cannot resume: the model was trained on other features \(name: "geometry" → "embedding"\)$/,
    );
    await saveModel(`${dir}/gallery`, await newGalleryModel());
    await rejectsModelError(
      planTraining(cache, { resume: `${dir}/gallery` }),
      "unsuitable",
      /cannot resume: it has no trained network \(a model made by enrolment alone\)$/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("planTraining() refuses a record whose features are not finite float32 numbers or not the set's length", async () => {
  for (
    const [features, message] of [
      [
        Array.from({ length: 204 }, (_, i) => (i === 7 ? 1e39 : 0.5)),
        /record "bad\.jpg": feature 7 is 1e\+39, not a finite float32 number/,
      ],
      [[0.5, 0.5], /record "bad\.jpg": 2 features, geometry has 204/],
    ] as const
  ) {
    const cache = {
      config: { features: { name: "geometry", version: 1 }, labels: "folder", detector: {} },
      records: new Map([["bad.jpg", {
        path: "bad.jpg",
        hash: "x",
        label: "ann",
        status: "ok" as const,
        features: [...features],
      }]]),
      droppedPartialLine: false,
    };
    await assert.rejects(planTraining(cache), (e: unknown) => e instanceof RangeError && message.test(e.message));
  }
});

Deno.test("saveKeepingEnrolled() keeps faces enrolled into the model it replaces, only when both take the same embeddings", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cache = cacheOf("embedding", { ada: 2, bob: 2 });
    const { model } = await trainModel(cache, await planTraining(cache, { folds: 0 }), { epochs: 1 });
    // The old model: the same settings, with someone enrolled who is not in the cache.
    const carol = {
      label: "carol",
      path: "elsewhere/carol.jpg",
      embedding: new Float32Array(128).fill(0.1),
      enrolled: true,
    };
    // And a training face of the old model whose photo is no longer in the cache: not kept.
    const gone = { label: "bob", path: "bob/9.jpg", embedding: new Float32Array(128).fill(0.2) };
    await saveModel(dir, { ...model, gallery: model.gallery.withAdded([carol, gone]) });
    assert.equal(await saveKeepingEnrolled(dir, model), 1);
    const saved = await loadModel(dir);
    assert.deepEqual([...saved.gallery].map((e) => e.label).sort(), ["ada", "ada", "bob", "bob", "carol"]);
    // Another pipeline: nothing is carried over (its embeddings would not compare).
    await saveModel(dir, {
      ...model,
      info: { ...model.info, pipeline: { other: true } },
      gallery: Gallery.from([carol]),
    });
    assert.equal(await saveKeepingEnrolled(dir, model), 0);
    assert.equal((await loadModel(dir)).gallery.size, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
