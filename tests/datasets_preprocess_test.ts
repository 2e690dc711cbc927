/**
 * Preprocessing end to end on the original Face2Vec's own training photos
 * (../shared/datasets/face2vec/train). Ignored with a printed reason where the folder is
 * missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { mergeCaches } from "../lib/dataset/merge_caches.ts";
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

datasetTest(
  "lfw_min10 preprocessed as 3 shards and merged is byte for byte the cache of one run (the default features)",
  async () => {
    const dir = await Deno.makeTempDir();
    try {
      const folder = `${datasetsDir()}/lfw_min10`;
      await preprocessFolder(folder, { cache: `${dir}/one.cache` });
      const shards = [1, 2, 3].map((i) => `${dir}/s${i}.cache`);
      const sizes = [];
      for (const [k, cache] of shards.entries()) {
        const s = await preprocessFolder(folder, { cache, shard: { index: k + 1, count: 3 } });
        sizes.push(s.processed);
      }
      console.log(`lfw_min10 in 3 shards: ${sizes.join(" + ")} photos`);
      assert.equal(sizes.reduce((a, b) => a + b, 0), 2159);
      for (const n of sizes) assert.ok(Math.abs(n - 2159 / 3) < 100, `${sizes}: an even split`);
      assert.deepEqual((await mergeCaches(shards, `${dir}/merged.cache`)).photos, 2159);
      assert.deepEqual(await Deno.readFile(`${dir}/merged.cache`), await Deno.readFile(`${dir}/one.cache`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);
