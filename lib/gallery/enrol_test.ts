import assert from "node:assert/strict";
import { assertEnrollable, newGalleryModel } from "./enrol.ts";
import { Gallery } from "./store.ts";
import { DEFAULT_MAX_DISTANCE } from "./gallery.ts";
import { type Model, ModelError } from "../classify/model.ts";
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
