import assert from "node:assert/strict";
import { assertEnrollable, enrolInto } from "./enrol.ts";
import { loadModel, ModelFolder } from "./model_folder.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { EMBEDDING_SIZE } from "../embed/embed_faces.ts";
import { type Model, newGalleryModel } from "./model.ts";
import { Gallery } from "../gallery/gallery.ts";
import { DEFAULT_MAX_DISTANCE } from "../gallery/matcher.ts";
import { ModelError } from "./model_error.ts";
import { FEATURE_SETS, type FeatureSetName } from "../features/feature_sets.ts";
import { pipelineSettings } from "../pipeline/pipeline.ts";

/** A model of a feature set, with nothing else that matters to enrolment. */
function modelOf(name: FeatureSetName): Model {
  return {
    info: {
      labels: ["ada"],
      network: null,
      rows: FEATURE_SETS[name].shape[0],
      features: { name, version: FEATURE_SETS[name].version },
      pipeline: {},
      minProb: 0,
      method: "nearest",
      maxDistance: null,
      training: {},
    },
    weights: {},
    gallery: Gallery.from([]),
  };
}

Deno.test('assertEnrollable() refuses a geometry model with ModelError kind "unsuitable" naming the folder', () => {
  assert.throws(() => assertEnrollable(modelOf("geometry"), "models/geo"), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.equal(e.kind, "unsuitable");
    assert.equal(e.file, "models/geo");
    assert.match(e.message, /^models\/geo: the model uses geometry features; enrolment needs the embedding/);
    return true;
  });
  // The sets with the embedding take enrolments.
  assertEnrollable(modelOf("embedding"), "models/emb");
  assertEnrollable(modelOf("both"), "models/both");
});

Deno.test('newGalleryModel() is an empty gallery-only model: embedding features, "nearest", no network', async () => {
  const m = await newGalleryModel();
  const { settings, features } = await pipelineSettings({ features: "embedding" });
  assert.equal(m.info.network, null);
  assert.deepEqual(m.info.labels, []);
  assert.deepEqual(m.weights, {});
  assert.equal(m.gallery.size, 0);
  assert.equal(m.info.method, "nearest");
  assert.equal(m.info.maxDistance, DEFAULT_MAX_DISTANCE);
  assert.deepEqual(m.info.features, { name: "embedding", version: FEATURE_SETS.embedding.version });
  assert.deepEqual(features, m.info.features);
  assert.equal(m.info.rows, FEATURE_SETS.embedding.shape[0]);
  // The default pipeline with the embedding's alignment and model recorded.
  assert.deepEqual(m.info.pipeline, settings);
  assert.ok("align" in m.info.pipeline);
  assert.match(String((m.info.pipeline.assets as Record<string, unknown>).embedding_model), /^[0-9a-f]{64}$/);
  // It can take enrolments.
  assertEnrollable(m, "new");
});

/** A face of the network's norm (EMBEDDING_NORM), of person `i`. */
const face = (label: string, path: string, i: number): GalleryEntry => {
  const v = Float32Array.from({ length: EMBEDDING_SIZE }, (_, k) => (k === i ? 1 : 0.01));
  return { label, path, embedding: v };
};

Deno.test("enrolInto() makes a folder without a model a gallery-only model, then appends; a photo again replaces its face", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = new ModelFolder(dir);
    const first = await enrolInto(folder, [face("ada", "a1.jpg", 0), face("bob", "b.jpg", 1)], {
      model: await newGalleryModel(),
    });
    assert.equal(first.model.info.network, null);
    assert.equal(first.revision, await folder.revision());
    assert.deepEqual([...(await loadModel(dir)).gallery].map((e) => [e.label, e.path, e.enrolled]), [
      ["ada", "a1.jpg", true],
      ["bob", "b.jpg", true],
    ]);
    // From the saved basis (its revision current: nothing read again), ada's photo again and a new one.
    const second = await enrolInto(folder, [face("ada", "a1.jpg", 2), face("ada", "a2.jpg", 3)], first);
    const g = (await loadModel(dir)).gallery;
    assert.equal(second.model.gallery.size, 3);
    assert.deepEqual(g.entries().map((e) => e.path).sort(), ["a1.jpg", "a2.jpg", "b.jpg"]);
    assert.equal(g.entries().find((e) => e.path === "a1.jpg")!.embedding[2], 1, "the new face of a1.jpg");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("enrolInto() from a stale basis reads the folder afresh; writers at once lose no face", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = new ModelFolder(dir);
    const basis = { model: await newGalleryModel() };
    await Promise.all(Array.from({ length: 6 }, (_, i) => enrolInto(folder, [face(`p${i}`, `${i}.jpg`, i)], basis)));
    const g = (await loadModel(dir)).gallery;
    assert.deepEqual([...g.labels].sort(), ["p0", "p1", "p2", "p3", "p4", "p5"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('enrolInto() refuses with "mismatch" when the folder was replaced by a model of another pipeline', async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = new ModelFolder(dir);
    const saved = await enrolInto(folder, [face("ada", "a.jpg", 0)], { model: await newGalleryModel() });
    const other = await newGalleryModel("haar");
    await folder.save({ ...other, gallery: saved.model.gallery });
    await assert.rejects(
      enrolInto(folder, [face("bob", "b.jpg", 1)], saved),
      (e: unknown) => e instanceof ModelError && e.kind === "mismatch" && /replaced while enrolling/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
