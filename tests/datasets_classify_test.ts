/**
 * The classifier end to end on real photos: face2vec (train on train/, score test/) and
 * ORL (k-fold). Ignored with a printed reason where ../shared/datasets is missing (unless
 * FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { createClassifier } from "../lib/classify/classifier.ts";
import { modelFromTraining } from "../lib/classify/model.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";

async function samplesOf(folder: string, dir: string) {
  const cache = `${dir}/c.cache`;
  await preprocessFolder(folder, { cache, features: "geometry", workers: 2 });
  return samplesFromCache((await readCache(cache))!);
}

datasetTest(
  "face2vec: trained on train/, the geometry model names ≥ 4 of the 19 test/ photos (seed 0 measured 4; chance ≈ 2)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const s = await samplesOf(`${datasetsDir()}/face2vec`, dir);
      const train = s.paths.flatMap((p, i) => (p.startsWith("train/") ? [i] : []));
      const test = s.paths.flatMap((p, i) => (p.startsWith("test/") ? [i] : []));
      assert.equal(train.length + test.length, s.paths.length);
      const r = await trainClassifier(train.map((i) => s.features[i]!), train.map((i) => s.labels[i]!), s.rows, {
        folds: 0,
        epochs: 100,
        seed: 0,
      });
      const c = await createClassifier(modelFromTraining(r, s.names, s.rows));
      const answers = await c.predict(test.map((i) => ({ features: s.features[i]! })));
      c.dispose();
      const correct = answers.filter((a, j) => a.label === s.names[s.labels[test[j]!]!]).length;
      console.log(`face2vec train→test: ${correct} of ${test.length}`);
      assert.equal(test.length, 19);
      assert.ok(correct >= 4, `only ${correct} of 19 correct (measured 4)`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

datasetTest(
  "orl_att_faces: 10-fold cross-validation on the geometry features scores above chance (40 people)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const s = await samplesOf(`${datasetsDir()}/orl_att_faces`, dir);
      assert.ok(s.features.length >= 396, `${s.features.length} faces`);
      const r = await trainClassifier(s.features, s.labels, s.rows, { folds: 10, epochs: 100, seed: 0, workers: 2 });
      console.log(`orl k-fold: ${(r.mean * 100).toFixed(1)}% ± ${(r.std * 100).toFixed(1)}%`);
      assert.equal(r.folds.length, 10);
      assert.ok(r.mean >= 0.5, `mean ${r.mean}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
