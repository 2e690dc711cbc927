import assert from "node:assert/strict";
import { Gallery } from "../gallery/gallery.ts";
import { rejectsModelError } from "../classify/_test_util.ts";
import { createRecognizer } from "./recognize.ts";
import { loadCheckedModel, saveModel } from "../model/model_folder.ts";
import { modelPipelineOptions, newGalleryModel } from "../model/model.ts";
import { samplePhotos } from "../eval/npm.ts";
import { DEFAULT_MAX_DISTANCE } from "../gallery/matcher.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import type { Image } from "../image/image.ts";
import { readImage } from "../image/read_image.ts";
import type { DetectorName } from "../detect/detect_faces.ts";
import { LANDMARKER_DEFAULTS } from "../detect/landmark_crops.ts";
import { createPipeline, pipelineSettings } from "../pipeline/pipeline.ts";

/**
 * A saved gallery-only model, as `enrol` makes it in a new folder (with Haar, whose settings
 * these tests edit, unless `detector` says otherwise); `edit` changes its model.json.
 */
async function savedGalleryModel(
  dir: string,
  edit?: (json: Record<string, Record<string, unknown>>) => void,
  detector: DetectorName = "haar",
) {
  await saveModel(dir, await newGalleryModel(detector));
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
    // Haar's settings: its minNeighbors is edited.
    await saveModel(dir, await newGalleryModel("haar"));
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

Deno.test("loadCheckedModel() accepts a model recorded as photos are processed now, with either detector (blazeface by default)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const detector of [undefined, "blazeface", "haar"] as const) {
      await saveModel(dir, await newGalleryModel(detector));
      const model = await loadCheckedModel(dir);
      const now = await pipelineSettings({ features: "embedding", ...(detector ? { detector: { detector } } : {}) });
      assert.deepEqual(model.info.pipeline, now.settings);
      assert.equal(model.info.method, "nearest");
      const options = modelPipelineOptions(model.info);
      assert.deepEqual(options.features, "embedding");
      assert.equal(options.detector?.detector, detector ?? "blazeface");
      // Haar's settings are recorded as before the learned detector existed: no detector name.
      const recorded = model.info.pipeline.detector as Record<string, unknown>;
      assert.equal("detector" in recorded, detector !== "haar", JSON.stringify(recorded));
    }
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
    // A BlazeFace model recorded without its minScore: it would now be processed with the default.
    await savedGalleryModel(
      dir,
      (json) => delete (json.pipeline!.detector as Record<string, unknown>).minScore,
      "blazeface",
    );
    await rejectsModelError(
      loadCheckedModel(dir),
      "mismatch",
      /\(detector\.minScore: undefined → 0\.5\); train it again$/,
    );
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
async function enrolEveryFace(image: Image, detector: DetectorName): Promise<GalleryEntry[]> {
  const pipeline = await createPipeline({ features: "embedding", detector: { detector } });
  try {
    const faces = await pipeline.processFaces(image);
    return faces.map((f, i) => ({ label: `person${i}`, path: `sample3.jpg#${i}`, embedding: f.embedding! }));
  } finally {
    await pipeline.dispose();
  }
}

// sample2 has 3 hand-boxed faces (fixtures/sample_faces.json): BlazeFace finds all 3 (measured
// nearest 0.542, 0.601 and 0.666), Haar 2 (measured 0.614 and 0.675).
for (const [detector, strangerCount] of [["blazeface", 3], ["haar", 2]] as const) {
  Deno.test(`createRecognizer() (${detector}) names each enrolled face of sample3 by its own label (distance < 1e-3) and sample2's ${strangerCount} strangers unknown`, async () => {
    const [enrolledPhoto, strangerPhoto] = [await readImage(samplePhotos()[2]!), await readImage(samplePhotos()[1]!)];
    // Enrol every face of sample3 under a made-up name, through a saved model and its check.
    const model = await newGalleryModel(detector);
    const gallery = await enrolEveryFace(enrolledPhoto, detector);
    assert.equal(gallery.length, 3);
    const dir = await Deno.makeTempDir();
    try {
      await saveModel(dir, { ...model, gallery: Gallery.from(gallery) });
      const recognizer = await createRecognizer(await loadCheckedModel(dir));
      try {
        assert.equal(recognizer.pipeline.detector.options.detector, detector);
        assert.equal(recognizer.classifier.gallery.size, 3);
        const same = await recognizer.recognize(enrolledPhoto);
        // Measured: distance 0 for each (the same photo through the same pipeline).
        assert.deepEqual(same.map((f) => f.prediction.label), ["person0", "person1", "person2"]);
        for (const f of same) {
          assert.equal(f.source, detector);
          assert.equal(f.prediction.method, "nearest");
          assert.ok(f.prediction.distance! < 1e-3, `${f.prediction.label}: distance ${f.prediction.distance}`);
          // Every other enrolled face is far (measured ≥ 0.58).
          assert.ok(f.prediction.runnerUp!.distance! > DEFAULT_MAX_DISTANCE, JSON.stringify(f.prediction.runnerUp));
          assert.equal(f.landmarks.length, 68);
          assert.equal(f.features.length, 128);
        }
        // sample2's people were not enrolled: beyond the default max distance (0.455) of everyone.
        const strangers = await recognizer.recognize(strangerPhoto);
        assert.equal(strangers.length, strangerCount);
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
}

Deno.test("createRecognizer({ detector }) finds faces with another detector than the model records, with that detector's landmark crop", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(dir, await newGalleryModel("blazeface"));
    const model = await loadCheckedModel(dir);
    for (
      const [detector, crop] of [["haar", LANDMARKER_DEFAULTS.haar], [
        "blazeface",
        LANDMARKER_DEFAULTS.blazeface,
      ]] as const
    ) {
      const recognizer = await createRecognizer(model, { detector });
      try {
        assert.equal(recognizer.pipeline.detector.options.detector, detector);
        assert.deepEqual(recognizer.pipeline.landmarker!.options, crop);
      } finally {
        await recognizer.dispose();
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
