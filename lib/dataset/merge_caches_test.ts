import assert from "node:assert/strict";
import { mergeCaches } from "./merge_caches.ts";
import { CacheError, crc32, readCache } from "./cache.ts";
import { preprocessFolder } from "./preprocess.ts";
import { makeDataset } from "../../tests/_photos.ts";

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
      let processed = 0;
      for (const [k, cache] of shards.entries()) {
        const folder = k % 2 ? `${ds}/people` : `${ds}/elsewhere/people`;
        const s = await preprocessFolder(folder, { ...options, cache, shard: { index: k + 1, count: 3 } });
        const made = (await readCache(cache))!;
        assert.equal(made.shard?.index, k + 1);
        // A fresh shard run processes each photo of its shard once, and only those.
        assert.equal(s.processed, made.records.size, `shard ${k + 1}/3`);
        assert.equal(s.cached, 0);
        processed += s.processed;
      }
      assert.equal(processed, (await readCache(whole))!.records.size, "the shards together process every photo once");
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

Deno.test("--merge takes only finished shards of one folder: another folder's shard, a stopped run, an earlier version's shard are refused", async () => {
  const ds = await makeDataset();
  try {
    const options = { features: "geometry", workers: 1 } as const;
    const s = (i: number) => `${ds}/s${i}.cache`;
    for (const i of [1, 2, 3]) {
      await preprocessFolder(`${ds}/people`, { ...options, cache: s(i), shard: { index: i, count: 3 } });
    }
    const one = await readCache(s(1));
    assert.equal(one!.complete, true);
    assert.equal(one!.folder!.photos, 8, "the whole folder's photos, not the shard's");
    assert.match(one!.folder!.sha256, /^[0-9a-f]{64}$/);
    const out = `${ds}/m.cache`;
    assert.equal((await mergeCaches([s(1), s(2), s(3)], out)).photos, 8);
    const refused = async (inputs: string[], why: RegExp) =>
      await assert.rejects(mergeCaches(inputs, out), (e: Error) => {
        assert.ok(e instanceof CacheError, String(e));
        assert.match(e.message, why);
        assert.doesNotMatch(e.message, /\n/);
        return true;
      });
    // A shard of another folder: the same people less one photo.
    await Deno.mkdir(`${ds}/other`);
    await new Deno.Command("cp", { args: ["-r", `${ds}/people`, `${ds}/other/people`] }).output();
    await Deno.remove(`${ds}/other/people/ann/1.jpg`);
    const foreign = `${ds}/foreign3.cache`;
    await preprocessFolder(`${ds}/other/people`, { ...options, cache: foreign, shard: { index: 3, count: 3 } });
    await refused(
      [s(1), s(2), foreign],
      /foreign3\.cache: a shard of another folder than .*s1\.cache \(7 photos, not 8/,
    );
    // A run stopped after its first photo: the cache is marked unfinished.
    const stopped = `${ds}/stopped2.cache`;
    await assert.rejects(
      preprocessFolder(`${ds}/people`, {
        ...options,
        cache: stopped,
        shard: { index: 2, count: 3 },
        onPhoto: () => {
          throw new Error("killed");
        },
      }),
      /killed/,
    );
    assert.equal((await readCache(stopped))!.complete, false);
    assert.equal((await readCache(stopped))!.records.size, 1);
    await refused(
      [s(1), stopped, s(3)],
      /stopped2\.cache: shard 2\/3 did not finish .*; run preprocess --shard 2\/3 again$/,
    );
    // Run again, it finishes (its first photo from the cache) and merges.
    await preprocessFolder(`${ds}/people`, { ...options, cache: stopped, shard: { index: 2, count: 3 } });
    assert.equal((await mergeCaches([s(1), stopped, s(3)], out)).photos, 8);
    // A shard cache of an earlier version: its header without the run's record.
    const lines = (await Deno.readTextFile(s(3))).split("\n");
    const head = JSON.parse(lines[0]!.slice(9));
    delete head.folder;
    delete head.complete;
    const json = JSON.stringify(head);
    lines[0] = `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
    await Deno.writeTextFile(s(3), lines.join("\n"));
    await refused(
      [s(1), s(2), s(3)],
      /s3\.cache: a shard cache of an earlier version, .*; run preprocess --shard 3\/3 again$/,
    );
    // preprocess reads it and writes it in this version's form.
    await preprocessFolder(`${ds}/people`, { ...options, cache: s(3), shard: { index: 3, count: 3 } });
    assert.equal((await mergeCaches([s(1), s(2), s(3)], out)).photos, 8);
    // A finished shard that lost a photo's line (edited by hand): the photos no longer add up.
    const two = (await Deno.readTextFile(s(2))).split("\n");
    await Deno.writeTextFile(`${ds}/short2.cache`, [two[0], ...two.slice(2)].join("\n"));
    await refused([s(1), `${ds}/short2.cache`, s(3)], /^--merge: the shards hold 7 photos, their folder has 8/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
