/**
 * Preprocessing end to end on the original Face2Vec's own training photos
 * (../shared/datasets/face2vec/train). Ignored with a printed reason where the folder is
 * missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";

datasetTest("preprocess caches features for the 36 face2vec training photos, labelled by file name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = await preprocessFolder(`${datasetsDir()}/face2vec/train`, {
      cache: `${dir}/train.cache`,
      features: "geometry",
    });
    assert.equal(s.labelRule, "filename");
    assert.equal(s.processed, 36);
    assert.equal(s.errors.length, 0);
    assert.deepEqual(Object.keys(s.labels), [
      "allie",
      "benedict",
      "carrie",
      "kanye",
      "michelle",
      "offset",
      "olmos",
      "psy",
      "roxy",
      "zach",
    ]);
    const ok = Object.values(s.labels).reduce((a, b) => a + b, 0);
    assert.ok(ok >= 34, `only ${ok} of 36 photos have features`);
    const cache = await readCache(s.cache);
    for (const r of cache!.records.values()) {
      if (r.status !== "ok") continue;
      assert.equal(r.features!.length, 204);
      assert.ok(r.features!.every((v) => Math.abs(v) <= 1 + 1e-6), `${r.path}: features outside [-1, 1]`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
