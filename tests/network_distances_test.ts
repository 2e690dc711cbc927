// Each embedding network's distances differ in scale (dlib's raw vectors, MobileFaceNet's unit
// ones): a model or comparison takes the distances of the network it records.
import assert from "node:assert/strict";
import { modelDistances, newGalleryModel } from "../lib/model/model.ts";
import { DEFAULT_MAX_DISTANCE, DEFAULT_VERIFY_DISTANCE } from "../lib/gallery/matcher.ts";
import { embedderEntry } from "../lib/embed/embed_faces.ts";
import { pipelineOptionsFrom, pipelineSettings } from "../lib/pipeline/pipeline.ts";

Deno.test("a new gallery model of each network is named unknown beyond that network's own open-set distance", async () => {
  const dlib = await newGalleryModel();
  assert.equal(dlib.info.maxDistance, DEFAULT_MAX_DISTANCE);
  assert.deepEqual(modelDistances(dlib.info), { open: DEFAULT_MAX_DISTANCE, verify: DEFAULT_VERIFY_DISTANCE });
  const mfn = await newGalleryModel(undefined, { embedder: { network: "mobilefacenet" } });
  const own = embedderEntry("mobilefacenet").distances;
  assert.equal(mfn.info.maxDistance, own.open);
  assert.deepEqual(modelDistances(mfn.info), own);
  // Unit vectors lie 0–2 apart; dlib's thresholds would call every MobileFaceNet face unknown.
  assert.ok(own.open > DEFAULT_MAX_DISTANCE && own.verify > DEFAULT_VERIFY_DISTANCE && own.verify < 2);
});

Deno.test("pipelineOptionsFrom() gives back MobileFaceNet's options, mirror included, from the settings it records", async () => {
  for (const embedder of [{ network: "mobilefacenet" as const }, { network: "mobilefacenet" as const, mirror: true }]) {
    const { settings } = await pipelineSettings({ features: "embedding", embedder });
    const back = pipelineOptionsFrom(settings, "embedding");
    assert.equal(back.embedder?.network, "mobilefacenet");
    assert.equal(back.embedder?.align?.method, "five");
    assert.equal(back.embedder?.mirror, embedder.mirror);
    // Recorded again, the same settings.
    assert.deepEqual((await pipelineSettings({ ...back, features: "embedding" })).settings, settings);
  }
});
