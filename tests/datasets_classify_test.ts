/**
 * The classifier end to end on real photos: face2vec (train on train/, score test/) and
 * ORL (k-fold). Ignored with a printed reason where ../shared/datasets is missing (unless
 * FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { createClassifier } from "../lib/classify/classifier.ts";
import { modelFromTraining } from "../lib/classify/train_model.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import type { DetectorName } from "../lib/detect/detect_faces.ts";

async function samplesOf(folder: string, dir: string, detector: DetectorName) {
  const cache = `${dir}/c.cache`;
  await preprocessFolder(folder, { cache, features: "geometry", workers: 2, detector: { detector } });
  return samplesFromCache((await readCache(cache))!);
}

// The original's figure is Haar's (seed 0 measured 4); BlazeFace, the default, measured 5.
for (const [detector, min] of [["haar", 4], ["blazeface", 5]] as const) {
  datasetTest(
    `face2vec (${detector}): trained on train/, the geometry model names ≥ ${min} of the 19 test/ photos (seed 0 measured ${min}; chance ≈ 2)`,
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        const s = await samplesOf(`${datasetsDir()}/face2vec`, dir, detector);
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
        console.log(`face2vec train→test (${detector}): ${correct} of ${test.length}`);
        assert.equal(test.length, 19);
        assert.ok(correct >= min, `only ${correct} of 19 correct (measured ${min})`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

// The original's pipeline (Haar; measured 60.3% ± 7.5% over 396 faces). BlazeFace measured
// 52.3% ± 5.3% over 400 faces: its geometry features are the worse here, so the bar stays on Haar.
datasetTest(
  "orl_att_faces (haar): 10-fold cross-validation on the geometry features scores above chance (40 people; measured 60.3%)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const s = await samplesOf(`${datasetsDir()}/orl_att_faces`, dir, "haar");
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
