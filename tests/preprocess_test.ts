import assert from "node:assert/strict";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { makeDataset } from "./_photos.ts";
import { preprocessCli, runCli } from "./_cli.ts";
import { assetSha256 } from "../lib/_asset.ts";
import { cascadeUrl, DETECTORS } from "../lib/detect/detect_faces.ts";
import { landmarkModelUrl } from "../lib/landmarks/detect_landmarks.ts";

Deno.test("preprocess: first run processes all, second none; a changed photo is redone, a deleted one dropped", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/c/people.geometry.cache`;
  try {
    const first = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(first.processed, 8);
    assert.equal(first.cached, 0);
    assert.equal(first.labelRule, "folder");
    assert.deepEqual(first.labels, { ann: 2, bea: 2, cat: 2 });
    assert.equal(first.noFace, 1);
    assert.deepEqual(first.errors, [{ path: "cat/notes.jpg", reason: "not an image (unknown format)" }]);
    const c1 = await readCache(cache);
    const ok = [...c1!.records.values()].filter((r) => r.status === "ok");
    assert.equal(ok.length, 6);
    for (const r of ok) {
      assert.equal(r.features!.length, 204);
      assert.equal(r.landmarks!.length, 68);
      assert.equal(r.features![30], 0); // distance of the nose tip to itself
    }

    const second = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(second.processed, 0);
    assert.equal(second.cached, 8);

    // Change one photo's bytes (data after the JPEG's end is ignored by decoders).
    await Deno.writeFile(`${dir}/people/ann/1.jpg`, new Uint8Array([0, 1, 2]), { append: true });
    await Deno.remove(`${dir}/people/bea/3.jpg`);
    const third = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(third.processed, 1);
    assert.equal(third.cached, 6);
    assert.deepEqual(third.removed, ["bea/3.jpg"]);
    assert.deepEqual(third.labels, { ann: 2, bea: 1, cat: 2 });
    const c3 = await readCache(cache);
    assert.notEqual(c3!.records.get("ann/1.jpg")!.hash, c1!.records.get("ann/1.jpg")!.hash);
    assert.deepEqual(c3!.records.get("ann/1.jpg")!.features, c1!.records.get("ann/1.jpg")!.features);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

for (const detector of DETECTORS) {
  Deno.test(`preprocess (${detector}): 2 workers write the same cache, byte for byte, as 1`, async () => {
    const dir = await makeDataset();
    try {
      const options = { features: "geometry", detector: { detector } } as const;
      await preprocessFolder(`${dir}/people`, { ...options, cache: `${dir}/one.cache`, workers: 1 });
      await preprocessFolder(`${dir}/people`, { ...options, cache: `${dir}/two.cache`, workers: 2 });
      const one = await Deno.readTextFile(`${dir}/one.cache`);
      assert.equal(await Deno.readTextFile(`${dir}/two.cache`), one);
      assert.equal((await readCache(`${dir}/one.cache`))!.records.get("ann/1.jpg")!.source, detector);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

Deno.test("preprocess: a run killed after 3 records resumes without losing them", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/crash.cache`;
  try {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_crash_child.ts", import.meta.url).href, `${dir}/people`, cache, "3"],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(child.signal, "SIGKILL", new TextDecoder().decode(child.stderr));
    const saved = await readCache(cache);
    assert.equal(saved!.records.size, 3);
    const resumed = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(resumed.cached, 3);
    assert.equal(resumed.processed, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess CLI: a corrupt cache and a changed setting are refused with exit 2 and a clear message", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/x.cache`;
  try {
    const ok = await runCli(["preprocess", `${dir}/people`, "--cache", cache, "--workers", "1"]);
    assert.equal(ok.code, 1); // notes.jpg is not a photo
    assert.ok(ok.stderr.includes(`${dir}/people/cat/notes.jpg: not an image (unknown format)`), ok.stderr.join("\n"));
    assert.match(
      ok.stderr.at(-2)!,
      /^8 processed, 0 cached, 1 no face, 1 errors; labels by folder: ann 2, bea 2, cat 2$/,
    );

    const changed = await runCli(["preprocess", `${dir}/people`, "--cache", cache, "--labels", "filename"]);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr.join("\n"), /made with another configuration \(labels: "folder" → "filename"\)/);

    const lines = (await Deno.readTextFile(cache)).split("\n");
    lines[2] = lines[2]!.replace(/"label":"\w+"/, '"label":"zzz"');
    await Deno.writeTextFile(cache, lines.join("\n"));
    const corrupt = await runCli(["preprocess", `${dir}/people`, "--cache", cache]);
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr.join("\n"), /x\.cache: corrupt cache \(line 3 fails its checksum\)/);

    const missing = await runCli(["preprocess", `${dir}/nowhere`]);
    assert.equal(missing.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess --draw writes annotated copies of the processed photos, mirroring their paths", async () => {
  const dir = await makeDataset();
  try {
    const r = await runCli([
      "preprocess",
      `${dir}/people`,
      "--cache",
      `${dir}/d.cache`,
      "--workers",
      "1",
      "--draw",
      `${dir}/drawn`,
    ]);
    assert.equal(r.code, 1); // notes.jpg
    const { decodeImage } = await import("../lib/image/decode_image.ts");
    const src = await decodeImage(await Deno.readFile(`${dir}/people/ann/1.jpg`));
    const drawn = await decodeImage(await Deno.readFile(`${dir}/drawn/ann/1.jpg`));
    assert.deepEqual([drawn.width, drawn.height], [src.width, src.height]);
    // Only photos with a face are drawn: the flat PGM and the text file are not.
    const names = [...Deno.readDirSync(`${dir}/drawn/bea`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["3.jpg", "4.jpg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The header of a cache file (its first line, after the checksum). */
async function cacheHeader(path: string): Promise<{ config: Record<string, Record<string, unknown>> }> {
  return JSON.parse((await Deno.readTextFile(path)).split("\n")[0]!.slice(9));
}

Deno.test("preprocess CLI: a Haar cache as Face2Vec wrote it before the learned detector is used with no --detector, and stays Haar's", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/haar.cache`;
  try {
    const made = await preprocessCli(`${dir}/people`, cache, "--detector", "haar");
    assert.equal(made.code, 1, made.stderr.join("\n")); // notes.jpg
    // Recorded exactly as before BlazeFace existed (checked byte for byte against a cache written by
    // 88614f5, the commit before it): no detector name, no landmark refine or mirror, the cascade's hash.
    const before = await Deno.readTextFile(cache);
    assert.deepEqual((await cacheHeader(cache)).config, {
      detector: {
        cascade: "frontalface_default",
        scaleFactor: 1.1,
        minNeighbors: 5,
        minSize: 30,
        workingSize: 640,
        contrast: "equalize",
        clipLimit: 2,
        tiles: 5,
        pad: 0.25,
        fallback: false,
        angles: [-25, 25],
        rotate: "when-none",
        rotatedSize: 320,
        rotatedMinSize: 24,
      },
      landmarks: { model: "full", scale: 1.1, shiftY: 0.2 },
      assets: {
        cascade: await assetSha256(cascadeUrl("frontalface_default")),
        landmark_model: await assetSha256(landmarkModelUrl("full")),
      },
      features: { name: "geometry", version: 1 },
      labels: "folder",
    });
    // Without --detector, preprocess keeps the cache's detector (not the default): nothing to redo.
    const again = await preprocessCli(`${dir}/people`, cache);
    assert.equal(again.code, 1, again.stderr.join("\n"));
    assert.match(again.stderr.at(-2)!, /^0 processed, 8 cached, 1 no face, 1 errors;/);
    assert.equal(await Deno.readTextFile(cache), before);
    // A new photo is found with Haar too.
    await Deno.copyFile(`${dir}/people/ann/1.jpg`, `${dir}/people/ann/7.jpg`);
    const added = await preprocessCli(`${dir}/people`, cache);
    assert.equal(added.code, 1, added.stderr.join("\n"));
    assert.match(added.stderr.at(-2)!, /^1 processed, 8 cached, 1 no face, 1 errors;/);
    const c = (await readCache(cache))!;
    assert.equal(c.records.get("ann/7.jpg")!.source, "haar");
    assert.deepEqual(c.records.get("ann/7.jpg")!.features, c.records.get("ann/1.jpg")!.features);
    assert.deepEqual((await cacheHeader(cache)).config, JSON.parse(before.split("\n")[0]!.slice(9)).config);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess CLI: a cache made with another detector than --detector is refused (exit 2, one line naming the cache and both)", async () => {
  const dir = await makeDataset();
  try {
    for (const [made, asked] of [["haar", "blazeface"], ["blazeface", "haar"]] as const) {
      const cache = `${dir}/${made}.cache`;
      const first = await preprocessCli(`${dir}/people`, cache, ...(made === "haar" ? ["--detector", "haar"] : []));
      assert.equal(first.code, 1, first.stderr.join("\n"));
      assert.equal((await readCache(cache))!.records.get("ann/1.jpg")!.source, made);
      const before = await Deno.readTextFile(cache);
      const r = await preprocessCli(`${dir}/people`, cache, "--detector", asked);
      assert.equal(r.code, 2);
      assert.deepEqual(r.stderr, [
        `${cache}: made with the ${made} detector, not ${asked}; use another --cache (or --detector ${made}) or delete it`,
      ]);
      assert.equal(await Deno.readTextFile(cache), before, "the refused cache is untouched");
      // Its own detector, named or not, is accepted.
      for (const flag of [[], ["--detector", made]]) {
        const ok = await preprocessCli(`${dir}/people`, cache, ...flag);
        assert.equal(ok.code, 1, ok.stderr.join("\n"));
        assert.match(ok.stderr.at(-2)!, /^0 processed, 8 cached,/);
      }
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess with every face: one record per photo listing each face the detector finds, resumable, unlabelled", async () => {
  const { samplePhotos } = await import("../lib/eval/npm.ts");
  const { createFaceDetector } = await import("../lib/detect/detect_faces.ts");
  const { readImage } = await import("../lib/image/read_image.ts");
  const dir = await Deno.makeTempDir({ prefix: "face2vec_every_" });
  const photos = samplePhotos().slice(0, 2);
  try {
    await Deno.mkdir(`${dir}/unsorted/trip`, { recursive: true });
    for (const [i, p] of photos.entries()) await Deno.copyFile(p, `${dir}/unsorted/${i ? "trip/" : ""}${i}.jpg`);
    await Deno.writeFile(
      `${dir}/unsorted/flat.pgm`,
      new Uint8Array([...new TextEncoder().encode("P5 64 64 255\n"), ...new Uint8Array(4096).fill(99)]),
    );
    const options = { features: "embedding", faces: "all", labels: "none" } as const;
    const cache = `${dir}/every.cache`;
    const first = await preprocessFolder(`${dir}/unsorted`, { ...options, cache, workers: 2 });
    assert.deepEqual([first.processed, first.noFace, first.errors.length], [3, 1, 0]);
    assert.deepEqual(first.labels, {});
    const c = (await readCache(cache))!;
    assert.equal(c.config.faces, "all");
    const detector = await createFaceDetector();
    try {
      for (const [i, p] of photos.entries()) {
        const r = c.records.get(`${i ? "trip/" : ""}${i}.jpg`)!;
        const want = await detector.detect(await readImage(p));
        assert.equal(r.label, "");
        assert.equal(r.faces, want.length);
        assert.equal(r.all!.length, want.length);
        assert.ok(want.length >= 3, `${p}: a group photo (${want.length} faces)`);
        assert.equal(r.box, undefined, "no largest-face fields");
        for (const [k, f] of r.all!.entries()) {
          // The detector's faces, in its order (largest first), boxes rounded to 0.01 px.
          for (const key of ["x", "y", "width", "height"] as const) {
            assert.ok(Math.abs(f.box[key] - want[k]!.box[key]) <= 0.005 + 1e-9, `${p} face ${k} ${key}`);
          }
          assert.equal(f.embedding!.length, 128);
          assert.equal(f.landmarks.length, 68);
          assert.ok(f.score! >= 0.5 && f.score! <= 1);
        }
      }
    } finally {
      await detector.dispose();
    }
    const again = await preprocessFolder(`${dir}/unsorted`, { ...options, cache, workers: 1 });
    assert.deepEqual([again.processed, again.cached], [0, 3]);
    // The cache's kind is part of its configuration: a largest-face run does not reuse it.
    await assert.rejects(
      preprocessFolder(`${dir}/unsorted`, { features: "embedding", labels: "none", cache, workers: 1 }),
      /every\.cache: a cache of every face of each photo, not of the largest face; use another --cache or delete it/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess --shard i/n and --merge: shard caches, merged into the one-run cache; a shard's cache is not trained on", async () => {
  const ds = await makeDataset();
  try {
    const people = `${ds}/people`;
    const one = await preprocessCli(people, `${ds}/one.cache`);
    assert.equal(one.code, 1, "the dataset's text file is an error");
    for (const i of [1, 2]) {
      const r = await preprocessCli(people, `${ds}/s${i}.cache`, "--shard", `${i}/2`);
      assert.ok(r.code <= 1, r.stderr.join("\n"));
      assert.match(r.stderr.at(-1)!, new RegExp(`^cache: .*/s${i}\\.cache \\(shard ${i}/2 of the folder's photos\\)$`));
    }
    const m = await runCli(["preprocess", "--merge", `${ds}/s1.cache`, `${ds}/s2.cache`, "--cache", `${ds}/m.cache`]);
    assert.equal(m.code, 0, m.stderr.join("\n"));
    assert.match(m.stderr.join("\n"), /^merged 2 shard caches: 8 photos$/m);
    assert.deepEqual(await Deno.readFile(`${ds}/m.cache`), await Deno.readFile(`${ds}/one.cache`));
    // The every-face kind: the shards of `preprocess --faces all` merge into the cache `cluster` keeps.
    for (const i of [1, 2]) {
      await preprocessCli(
        people,
        `${ds}/e${i}.cache`,
        "--features",
        "embedding",
        "--faces",
        "all",
        "--shard",
        `${i}/2`,
      );
    }
    const every = await runCli([
      "preprocess",
      "--merge",
      `${ds}/e1.cache`,
      `${ds}/e2.cache`,
      "--cache",
      `${ds}/e.cache`,
    ]);
    assert.equal(every.code, 0, every.stderr.join("\n"));
    const c = await runCli(["cluster", people, "--cache", `${ds}/c.cache`, "--workers", "1"]);
    assert.ok(c.code <= 1, c.stderr.join("\n"));
    assert.deepEqual(await Deno.readFile(`${ds}/e.cache`), await Deno.readFile(`${ds}/c.cache`));
    const train = await runCli(["train", "--cache", `${ds}/s1.cache`, "--model", `${ds}/model`]);
    assert.equal(train.code, 2);
    assert.match(train.stderr.join("\n"), /s1\.cache: the cache of shard 1\/2 only: merge every shard's first/);
    // Bad arguments: exit 2, one line.
    for (
      const [args, why] of [
        [["preprocess", people, "--shard", "3/2"], /--shard: "3\/2" is not a shard i\/n/],
        [["preprocess", "--merge", `${ds}/s1.cache`], /--merge takes the shard caches and --cache FILE/],
        [["preprocess", "--merge", `${ds}/s1.cache`, "--cache", `${ds}/x.cache`], /shard 2\/2 missing/],
        [["preprocess"], /missing required argument 'folder'/],
      ] as const
    ) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(" "));
      assert.match(r.stderr.join("\n"), why);
    }
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
