import assert from "node:assert/strict";
import { mergeCaches, parseShard, shardOf } from "./shard.ts";
import { CacheError, readCache } from "./cache.ts";
import { preprocessFolder } from "./preprocess.ts";
import { makeDataset } from "../../tests/_photos.ts";

Deno.test("parseShard() reads i/n and refuses the rest in one line", () => {
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  assert.deepEqual(parseShard(" 3/16 "), { index: 3, count: 16 });
  for (const bad of ["0/4", "5/4", "1/0", "a/b", "2", "1/4/2", "-1/4", "1/10001", "01/4"]) {
    assert.throws(() => parseShard(bad), /is not a shard i\/n with 1 ≤ i ≤ n ≤ 10000/, bad);
  }
});

Deno.test("shardOf() is pinned (a photo never changes shard between versions) and spreads paths evenly", () => {
  // Pinned values: changing the hash would move photos between the shards of running jobs.
  assert.deepEqual(
    ["ada/1.jpg", "bob/2.png", "kanye3.jpg", "Ünïcödé/ß.png"].map((p) => [shardOf(p, 4), shardOf(p, 7)]),
    [[2, 4], [4, 4], [2, 7], [1, 5]],
  );
  for (const n of [2, 3, 7, 16]) {
    const counts = new Array(n).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf(`person${i % 97}/${i}.jpg`, n) - 1]++;
    // Within 10% of an even split (measured: within 6.5% at 16 shards).
    for (const c of counts) assert.ok(Math.abs(c - 10_000 / n) <= 1000 / n, `${n} shards: ${counts}`);
  }
});

Deno.test("shards preprocessed from two mounts of a folder merge into exactly the one-run cache, of either kind", async () => {
  const ds = await makeDataset();
  try {
    // The same folder at another place, as another machine mounts it.
    await Deno.mkdir(`${ds}/elsewhere`);
    await Deno.rename(`${ds}/people`, `${ds}/elsewhere/people`);
    await Deno.symlink(`${ds}/elsewhere/people`, `${ds}/people`);
    for (const faces of ["largest", "all"] as const) {
      const options = { features: "geometry", workers: 1, faces } as const;
      const whole = `${ds}/whole.${faces}.cache`;
      await preprocessFolder(`${ds}/people`, { ...options, cache: whole });
      const shards = [1, 2, 3].map((i) => `${ds}/s${i}.${faces}.cache`);
      for (const [k, cache] of shards.entries()) {
        const folder = k % 2 ? `${ds}/people` : `${ds}/elsewhere/people`;
        const s = await preprocessFolder(folder, { ...options, cache, shard: { index: k + 1, count: 3 } });
        assert.equal((await readCache(cache))!.shard?.index, k + 1);
        assert.ok(s.processed >= 0);
      }
      const out = `${ds}/merged.${faces}.cache`;
      const merged = await mergeCaches(shards, out);
      assert.equal(merged.shards, 3);
      assert.equal(merged.photos, (await readCache(whole))!.records.size);
      assert.deepEqual(await Deno.readFile(out), await Deno.readFile(whole), `${faces}: byte for byte`);
    }
    // What merge refuses, in one line each.
    const s = (i: number) => `${ds}/s${i}.largest.cache`;
    const refused = async (inputs: string[], why: RegExp, out = `${ds}/m.cache`) =>
      await assert.rejects(mergeCaches(inputs, out), (e: Error) => e instanceof CacheError && why.test(e.message));
    await refused([s(1), s(3)], /shard 2\/3 missing/);
    await refused([s(1), s(2), s(2), s(3)], /s2\.largest\.cache: shard 2\/3 again/);
    await refused([s(1), s(2), `${ds}/s3.all.cache`], /s3\.all\.cache: made with another configuration/);
    await refused([`${ds}/whole.largest.cache`], /whole\.largest\.cache: not the cache of a shard/);
    await refused([s(1), s(2), s(3)], /a cache made otherwise is there/, `${ds}/whole.all.cache`);
    // A shard's cache is for that shard only.
    await assert.rejects(
      preprocessFolder(`${ds}/people`, {
        features: "geometry",
        workers: 1,
        cache: s(1),
        shard: { index: 2, count: 3 },
      }),
      /the cache of shard 1\/3, not of shard 2\/3/,
    );
    await assert.rejects(
      preprocessFolder(`${ds}/people`, { features: "geometry", workers: 1, cache: s(1) }),
      /the cache of shard 1\/3, not of the whole folder; use another --cache \(or merge/,
    );
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
