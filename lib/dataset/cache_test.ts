import assert from "node:assert/strict";
import { CacheError, type CacheRecord, CacheWriter, compactCache, crc32, parseCache, readCache } from "./cache.ts";
import { configDifference } from "../_config.ts";

const config = { detector: { minNeighbors: 5 }, features: { name: "geometry", version: 1 }, labels: "folder" };
const rec = (path: string, extra: Partial<CacheRecord> = {}): CacheRecord => ({
  path,
  hash: "ab".repeat(32),
  label: path.split("/")[0]!,
  status: "ok",
  box: { x: 1.5, y: 2, width: 30, height: 30.25 },
  // A geometry record's shape: 68 landmarks, 3 x 68 features.
  landmarks: Array.from({ length: 68 }, (_, i) => [1 + i, 2 + i / 8] as [number, number]),
  features: Array.from({ length: 204 }, (_, i) => (i % 7) / 7 - 0.25),
  ...extra,
});

Deno.test("crc32() gives the standard check value", () => {
  assert.equal(crc32("123456789"), 0xcbf43926);
  assert.equal(crc32(""), 0);
});

Deno.test("a cache round-trips exactly: appended, compacted, read back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/x.cache`;
    const w = await CacheWriter.open(path, config, true);
    const records = [
      rec("zach/1.jpg"),
      rec("kanye/2.jpg", { status: "no_face", reason: "no face found" }),
      rec("kanye/1.jpg"),
    ];
    for (const r of records) await w.append(r);
    await w.append({ path: "zach/1.jpg", removed: true });
    w.close();
    const appended = await readCache(path);
    assert.deepEqual(appended!.config, config);
    assert.deepEqual([...appended!.records.keys()], ["kanye/2.jpg", "kanye/1.jpg"]);
    assert.deepEqual(appended!.records.get("kanye/1.jpg"), records[2]);
    await compactCache(path, config, appended!.records.values());
    const text = await Deno.readTextFile(path);
    assert.equal(text.trim().split("\n").length, 3); // header + 2 records, sorted
    const again = parseCache(text, path);
    assert.deepEqual([...again.records.keys()], ["kanye/1.jpg", "kanye/2.jpg"]);
    assert.deepEqual(again.records.get("kanye/2.jpg"), records[1]);
    assert.equal(again.droppedPartialLine, false);
    assert.equal(await readCache(`${dir}/none.cache`), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an interrupted last line is dropped; damage anywhere else is a clear CacheError", () => {
  const header = `${crc32Line({ format: "face2vec-cache", version: 1, config })}`;
  const good = crc32Line(rec("a/1.jpg"));
  const partial = header + good + good.slice(0, 20);
  const c = parseCache(partial, "p.cache");
  assert.equal(c.records.size, 1);
  assert.equal(c.droppedPartialLine, true);
  const flipped = good.replace('"ok"', '"ko"');
  assert.throws(
    () => parseCache(header + flipped + good, "c.cache"),
    (e: unknown) => e instanceof CacheError && /c.cache: corrupt cache \(line 2 fails its checksum\)/.test(e.message),
  );
  assert.throws(() => parseCache("hello\n", "h.cache"), CacheError);
  assert.throws(() => parseCache(crc32Line({ format: "other" }), "o.cache"), /not a Face2Vec cache/);
  assert.throws(() => parseCache("", "e.cache"), /empty cache file/);
});

Deno.test("configDifference() names the first setting that differs", () => {
  assert.equal(configDifference(config, structuredClone(config)), undefined);
  assert.equal(configDifference(config, { ...config, labels: "filename" }), 'labels: "folder" → "filename"');
  assert.equal(configDifference(config, { ...config, detector: { minNeighbors: 4 } }), "detector.minNeighbors: 5 → 4");
});

function crc32Line(v: unknown): string {
  const json = JSON.stringify(v);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

Deno.test("a record with a bad field is refused naming the line, or dropped with dropDamaged, keeping the rest", () => {
  const header = crc32Line({ format: "face2vec-cache", version: 1, config });
  const bad: [string, CacheRecord, RegExp][] = [
    [
      "1e39",
      rec("a/2.jpg", { features: rec("x").features!.map((v, i) => (i === 3 ? 1e39 : v)) }),
      /features are not 204 finite numbers/,
    ],
    ["short", rec("a/2.jpg", { features: [0.5, 0.5] }), /features are not 204 finite numbers/],
    [
      "strings",
      rec("a/2.jpg", { embedding: Array(128).fill("x") as unknown as number[] }),
      /embedding is not 128 finite numbers/,
    ],
    ["landmarks", rec("a/2.jpg", { landmarks: [[1, 2]] }), /landmarks are not 68 finite points/],
    ["status", rec("a/2.jpg", { status: "great" as "ok" }), /status "great"/],
    ["empty label", rec("a/2.jpg", { label: "" }), /line 3 has a bad record: empty label "" for "a\/2\.jpg"/],
    ["blank label", rec("a/2.jpg", { label: " \t" }), /empty label " \\t" for "a\/2\.jpg"/],
    [
      "3e38 embedding",
      rec("a/2.jpg", { embedding: Array(128).fill(3e38) }),
      /line 3 has a bad record: embedding norm 3\.39e\+39, not within 0\.5–3/,
    ],
    ["zero embedding", rec("a/2.jpg", { embedding: Array(128).fill(0) }), /embedding norm 0\.00, not within 0\.5–3/],
  ];
  for (const [what, r, message] of bad) {
    const text = header + crc32Line(rec("a/1.jpg")) + crc32Line(r) + crc32Line(rec("b/1.jpg"));
    assert.throws(
      () => parseCache(text, "c.cache"),
      (e: unknown) =>
        e instanceof CacheError && /c\.cache: corrupt cache \(line 3 has a bad record: /.test(e.message) &&
        message.test(e.message),
      what,
    );
    const kept = parseCache(text, "c.cache", { dropDamaged: true });
    assert.deepEqual([...kept.records.keys()], ["a/1.jpg", "b/1.jpg"], what);
    assert.deepEqual(kept.droppedLines, [3]);
  }
  // A complete line that fails its checksum is damage, not a torn write: refused, or dropped when asked.
  const flipped = crc32Line(rec("a/2.jpg")).replace('"ok"', '"ko"');
  const text = header + crc32Line(rec("a/1.jpg")) + flipped;
  assert.throws(() => parseCache(text, "c.cache"), /line 3 fails its checksum/);
  assert.deepEqual(parseCache(text, "c.cache", { dropDamaged: true }).droppedLines, [3]);
});

Deno.test("an every-face cache is written as version 2, read back whole, and each of its faces checked", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const every = { ...config, labels: "none", faces: "all" };
    const face = (x: number) => {
      const { box, landmarks, features } = rec("a.jpg", { box: { x, y: 2, width: 30, height: 30 } });
      return { box: box!, source: "blazeface", score: 0.93, landmarks: landmarks!, features: features! };
    };
    const two: CacheRecord = {
      path: "a.jpg",
      hash: "ab".repeat(32),
      label: "",
      status: "ok",
      faces: 2,
      all: [face(1), face(50)],
    };
    const path = `${dir}/every.cache`;
    await compactCache(path, every, [two]);
    const text = await Deno.readTextFile(path);
    assert.equal(JSON.parse(text.split("\n")[0]!.slice(9)).version, 2);
    assert.deepEqual((await readCache(path))!.records.get("a.jpg"), two);
    // A largest-face cache stays version 1.
    await compactCache(`${dir}/largest.cache`, config, [rec("kanye/1.jpg")]);
    assert.equal(JSON.parse((await Deno.readTextFile(`${dir}/largest.cache`)).split("\n")[0]!.slice(9)).version, 1);

    const line = (r: unknown) => {
      const json = JSON.stringify(r);
      return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
    };
    const head = text.split("\n")[0]! + "\n";
    const bad = (r: unknown) => () => parseCache(head + line(r), "e.cache");
    assert.throws(bad({ ...two, faces: 3 }), /line 2 has a bad record: all is not a list of its 3 faces/);
    assert.throws(
      bad({ ...two, all: [face(1), { ...face(2), landmarks: [[1, 2]] }] }),
      /face 2: landmarks are not 68 finite points/,
    );
    assert.throws(bad({ ...two, all: [{ ...face(1), score: 1.5 }, face(2)] }), /face 1: score is not from 0 to 1/);
    assert.throws(bad({ ...two, all: [{ ...face(1), source: 3 }, face(2)] }), /face 1: no source/);
    // A header whose version does not match its kind, and a version from the future.
    const header = (version: number, c: unknown) => line({ format: "face2vec-cache", version, config: c });
    assert.throws(
      () => parseCache(header(1, every), "h.cache"),
      /h\.cache: corrupt cache \(its header, line 1, says version 1 for every face\)/,
    );
    assert.throws(
      () => parseCache(header(3, config), "h.cache"),
      /h\.cache: cache format version 3, this Face2Vec reads 1 and 2/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a usable photo's empty label is refused on reading, naming the cache and the line, unless the rule is none", () => {
  const line = (v: unknown) => {
    const json = JSON.stringify(v);
    return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
  };
  const head = (labels: string) => line({ format: "face2vec-cache", version: 1, config: { ...config, labels } });
  const records = [rec("a/1.jpg"), rec("b/1.jpg", { label: "" }), rec("c/1.jpg", { label: "", status: "error" })];
  assert.throws(
    () => parseCache(head("folder") + records.map(line).join(""), "train.cache"),
    (e: unknown) =>
      e instanceof CacheError &&
      /^train\.cache: corrupt cache \(line 3 has a bad record: empty label "" for "b\/1\.jpg"\)/.test(e.message),
  );
  // Caches made for clustering have no labels; a photo that failed has none either.
  assert.equal(parseCache(head("none") + records.map(line).join(""), "c.cache").records.size, 3);
  assert.equal(parseCache(head("folder") + line(records[0]) + line(records[2]), "c.cache").records.size, 2);
  // An embedding of the network's norms is kept (1.13 here).
  const ok = rec("d/1.jpg", { embedding: Array(128).fill(0.1) });
  assert.deepEqual(parseCache(head("folder") + line(ok), "c.cache").records.get("d/1.jpg"), ok);
});

Deno.test("readCache() refuses a FIFO at once, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/x.cache`] }).output();
    assert.ok(made.success, "mkfifo");
    const t0 = performance.now();
    await assert.rejects(
      readCache(`${dir}/x.cache`),
      (e: unknown) =>
        e instanceof CacheError &&
        e.message === `${dir}/x.cache: unreadable cache (not a regular file (a FIFO, device or socket))`,
    );
    assert.ok(performance.now() - t0 < 500, `refused in ${performance.now() - t0} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
