import assert from "node:assert/strict";
import { rejectsModelError } from "../classify/_test_util.ts";
import { createRecognizer, loadCheckedModel, modelPipelineOptions } from "./recognize.ts";
import { saveModel } from "../classify/model.ts";
import { samplePhotos } from "../eval/npm.ts";
import { newGalleryModel } from "../gallery/enrol.ts";
import { DEFAULT_MAX_DISTANCE, type GalleryEntry } from "../gallery/gallery.ts";
import type { Image } from "../image/image.ts";
import { readImage } from "../image/read_image.ts";
import { createPipeline, pipelineSettings } from "../pipeline/pipeline.ts";

/** A saved gallery-only model, as `enrol` makes it in a new folder; `edit` changes its model.json. */
async function savedGalleryModel(dir: string, edit?: (json: Record<string, Record<string, unknown>>) => void) {
  await saveModel(dir, await newGalleryModel());
  if (edit) {
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    edit(json);
    // As a model saved by an earlier Face2Vec, which recorded no digest of its settings.
    delete json.pipeline_sha256;
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
  }
}

Deno.test('loadModel() refuses a model.json whose settings were edited after training (ModelError "invalid")', async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(dir, await newGalleryModel());
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.match(json.pipeline_sha256, /^[0-9a-f]{64}$/);
    json.pipeline.detector.minNeighbors = 3;
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
    await rejectsModelError(
      loadCheckedModel(dir),
      "invalid",
      /model\.json: its features or pipeline settings were changed/,
    );
    // Key order is not a change: the same settings rewritten in another order load.
    json.pipeline.detector.minNeighbors = 5;
    json.pipeline = Object.fromEntries(Object.entries(json.pipeline).reverse());
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
    assert.equal((await loadCheckedModel(dir)).info.pipeline.detector !== undefined, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadCheckedModel() accepts a model recorded as photos are processed now", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await savedGalleryModel(dir);
    const model = await loadCheckedModel(dir);
    assert.deepEqual(model.info.pipeline, (await pipelineSettings({ features: "embedding" })).settings);
    assert.equal(model.info.method, "nearest");
    assert.deepEqual(modelPipelineOptions(model.info).features, "embedding");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('loadCheckedModel() refuses a model whose recorded pipeline differs (ModelError "mismatch" naming the setting)', async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Recorded before minNeighbors existed: it would now be processed with the default.
    await savedGalleryModel(dir, (json) => delete (json.pipeline!.detector as Record<string, unknown>).minNeighbors);
    await rejectsModelError(
      loadCheckedModel(dir),
      "mismatch",
      /: the model was trained on photos processed differently \(detector\.minNeighbors: undefined → 5\); train it again$/,
    );
    // Made with another landmark network file.
    await savedGalleryModel(dir, (json) => {
      (json.pipeline!.assets as Record<string, unknown>).landmark_model = "f".repeat(64);
    });
    await rejectsModelError(loadCheckedModel(dir), "mismatch", /\(assets\.landmark_model: "f{64}" → "[0-9a-f]{64}"\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test('loadCheckedModel() refuses a folder without a model (ModelError "missing") and a foreign model.json ("invalid")', async () => {
  const dir = await Deno.makeTempDir();
  try {
    await rejectsModelError(loadCheckedModel(`${dir}/nothing`), "missing", /nothing\/model\.json: no model here/);
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ format: "face2vec-cache", version: 1 }));
    await rejectsModelError(loadCheckedModel(dir), "invalid", /model\.json: not a Face2Vec model/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** Every face of an image as a gallery entry under a made-up label (`person0`, … largest first). */
async function enrolEveryFace(image: Image): Promise<GalleryEntry[]> {
  const pipeline = await createPipeline({ features: "embedding" });
  try {
    const faces = await pipeline.processFaces(image);
    return faces.map((f, i) => ({ label: `person${i}`, path: `sample3.jpg#${i}`, embedding: f.embedding! }));
  } finally {
    await pipeline.dispose();
  }
}

Deno.test("createRecognizer() names each enrolled face of sample3 by its own label (distance < 1e-3) and sample2's strangers unknown", async () => {
  const [enrolledPhoto, strangerPhoto] = [await readImage(samplePhotos()[2]!), await readImage(samplePhotos()[1]!)];
  // Enrol every face of sample3 under a made-up name, through a saved model and its check.
  const model = await newGalleryModel();
  const gallery = await enrolEveryFace(enrolledPhoto);
  assert.equal(gallery.length, 3);
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(dir, { ...model, gallery });
    const recognizer = await createRecognizer(await loadCheckedModel(dir));
    try {
      assert.equal(recognizer.classifier.gallery.length, 3);
      const same = await recognizer.recognize(enrolledPhoto);
      // Measured: distance 0 for each (the same photo through the same pipeline).
      assert.deepEqual(same.map((f) => f.prediction.label), ["person0", "person1", "person2"]);
      for (const f of same) {
        assert.equal(f.prediction.method, "nearest");
        assert.ok(f.prediction.distance! < 1e-3, `${f.prediction.label}: distance ${f.prediction.distance}`);
        // Every other enrolled face is far (measured ≥ 0.58).
        assert.ok(f.prediction.runnerUp!.distance! > DEFAULT_MAX_DISTANCE, JSON.stringify(f.prediction.runnerUp));
        assert.equal(f.landmarks.length, 68);
        assert.equal(f.features.length, 128);
      }
      // sample2's two people were not enrolled: beyond the default max distance (0.455) of everyone
      // (measured nearest 0.614 and 0.675).
      const strangers = await recognizer.recognize(strangerPhoto);
      assert.equal(strangers.length, 2);
      for (const f of strangers) {
        assert.equal(f.prediction.label, null, JSON.stringify(f.prediction));
        assert.ok(f.prediction.distance! > DEFAULT_MAX_DISTANCE);
        assert.match(f.prediction.candidate, /^person[012]$/);
      }
      // A looser threshold, per call, names them after the nearest enrolled face.
      const loose = await recognizer.recognize(strangerPhoto, { maxDistance: 10 });
      assert.deepEqual(loose.map((f) => f.prediction.label), strangers.map((f) => f.prediction.candidate));
    } finally {
      await recognizer.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
