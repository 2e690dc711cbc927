/**
 * The face embedding on real photos: ORL's same-person pairs are closer than its
 * different-person pairs, and the gallery names face2vec's test/ photos from train/. Ignored
 * with a printed reason where ../shared/datasets is missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { createMatcher } from "../lib/gallery/gallery.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { equalErrorRate, type Labelled, pairDistances } from "../lib/eval/embedding.ts";

async function facesOf(folder: string, dir: string): Promise<Labelled[]> {
  const cache = `${dir}/e.cache`;
  await preprocessFolder(folder, { cache, features: "embedding", workers: 2 });
  return [...(await readCache(cache))!.records.values()].filter((r) => r.status === "ok").sort((a, b) =>
    a.path < b.path ? -1 : 1
  ).map((r) => ({ label: r.label, path: r.path, embedding: Float32Array.from(r.embedding!) }));
}

datasetTest(
  "orl_att_faces (the first 10 people): same-person pairs are closer than different-person pairs (EER ≤ 5%)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      // s1, s10, s11, …: the first 10 people in sorted order, 10 photos each.
      const all = await facesOf(`${datasetsDir()}/orl_att_faces`, dir);
      const people = new Set([...new Set(all.map((f) => f.label))].sort().slice(0, 10));
      const faces = all.filter((f) => people.has(f.label));
      assert.ok(faces.length >= 98, `${faces.length} faces`);
      const pairs = pairDistances(faces);
      const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const eer = equalErrorRate(pairs);
      console.log(
        `orl (10 people): genuine mean ${mean(pairs.genuine).toFixed(3)}, impostor mean ${
          mean(pairs.impostor).toFixed(3)
        }, EER ${(eer.eer * 100).toFixed(2)}% at ${eer.threshold.toFixed(3)}`,
      );
      assert.ok(mean(pairs.genuine) + 0.2 < mean(pairs.impostor));
      assert.ok(eer.eer <= 0.05, `EER ${eer.eer}`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

datasetTest(
  "face2vec: the gallery of train/ names ≥ 16 of the 19 test/ photos (measured 16; the 3 misses are a Haar box on half a face and its knock-on)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const faces = await facesOf(`${datasetsDir()}/face2vec`, dir);
      const match = createMatcher(faces.filter((f) => f.path.startsWith("train/")));
      const test = faces.filter((f) => f.path.startsWith("test/"));
      assert.equal(test.length, 19);
      const correct = test.filter((f) => match(f.embedding).label === f.label).length;
      console.log(`face2vec train→test with the embedding gallery: ${correct} of 19`);
      assert.ok(correct >= 16, `${correct} of 19`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
