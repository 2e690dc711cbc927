/**
 * `cluster` end to end on photos shipped in the pinned npm package: every face of group
 * photos grouped, the outputs (JSON lines, contact sheets — the README's among them —, one
 * folder per group), refusals,
 * and the labelling workflow (cluster → rename the folders → preprocess → train → predict) on
 * augmented copies of three sample faces.
 */

import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { readImage } from "../lib/image/read_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { augmentFace, TEST_AUGMENTATIONS, TRAIN_AUGMENTATIONS } from "../lib/eval/augment.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { decodeImage } from "../lib/image/decode_image.ts";

const truth = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sample_faces.json", import.meta.url))).faces;

Deno.test("cluster: one JSON line per face of every photo, the group photos' faces found, a summary, an every-face cache", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_cluster_" });
  try {
    await Deno.mkdir(`${dir}/photos`);
    for (const p of samplePhotos()) await Deno.copyFile(p, `${dir}/photos/${p.split("/").pop()}`);
    const cache = `${dir}/c.cache`;
    const r = await runCli([
      "cluster",
      `${dir}/photos`,
      "--cache",
      cache,
      "--workers",
      "1",
      "--json",
      "--sheets",
      `${dir}/sheets`,
    ]);
    assert.equal(r.code, 0, r.stderr.join("\n"));
    // The README's contact sheets are exactly these.
    const docs = new URL("../docs/cluster/", import.meta.url);
    const sheets = [...Deno.readDirSync(`${dir}/sheets`)].map((e) => e.name).sort();
    assert.deepEqual(sheets, [...Deno.readDirSync(docs)].map((e) => e.name).sort());
    for (const name of sheets) {
      assert.deepEqual(await Deno.readFile(`${dir}/sheets/${name}`), await Deno.readFile(new URL(name, docs)), name);
    }
    const lines = r.stdout.map((l) => JSON.parse(l));
    // The 22 hand-boxed faces of the six photos, each found (the detector's figure on them).
    const listed = Object.values(truth).flat().length;
    assert.equal(listed, 22);
    assert.equal(lines.length, 22);
    for (const l of lines) {
      assert.match(l.path, /\/photos\/sample[1-6]\.jpg$/);
      assert.ok(l.cluster === null ? l.distance === null : l.distance >= 0 && l.distance < 0.5, JSON.stringify(l));
      assert.deepEqual(Object.keys(l.box).sort(), ["height", "width", "x", "y"]);
    }
    const clustered = lines.filter((l) => l.cluster !== null).length;
    assert.match(
      r.stderr.at(-2)!,
      new RegExp(
        `^6 photos, 22 faces \\(0 photos without a face, 0 errors\\): \\d+ groups.*, ${22 - clustered} unclustered;`,
      ),
    );
    const c = (await readCache(cache))!;
    assert.equal(c.config.faces, "all");
    assert.equal([...c.records.values()].reduce((n, x) => n + (x.all?.length ?? 0), 0), 22);
    // Again: every photo from the cache, the same groups.
    const again = await runCli(["cluster", `${dir}/photos`, "--cache", cache, "--workers", "1", "--json"]);
    assert.ok(again.stderr.every((l) => !l.includes("contact sheet")));
    assert.deepEqual(again.stdout, r.stdout);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster refuses outputs inside the folder it reads or left from another run, bad options and a missing model (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_cluster_" });
  try {
    await Deno.mkdir(`${dir}/photos`);
    await Deno.copyFile(samplePhotos()[0]!, `${dir}/photos/a.jpg`);
    const inside = await runCli(["cluster", `${dir}/photos`, "--link", `${dir}/photos/groups`]);
    assert.equal(inside.code, 2);
    assert.match(inside.stderr.join("\n"), /--link .*photos\/groups: inside or around .*photos, which is being read/);
    await Deno.mkdir(`${dir}/old`);
    await Deno.writeTextFile(`${dir}/old/x.jpg`, "");
    const used = await runCli(["cluster", `${dir}/photos`, "--sheets", `${dir}/old`]);
    assert.equal(used.code, 2);
    assert.match(used.stderr.join("\n"), /--sheets .*old: not empty; give a new folder/);
    const missing = await runCli(["cluster", `${dir}/nowhere`]);
    assert.deepEqual([missing.code, missing.stderr.at(-1)], [2, `${dir}/nowhere: folder not found`]);
    const bad = await runCli(["cluster", `${dir}/photos`, "--threshold", "0"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr.join("\n"), /--threshold must be a number from 0\.01 to 3\.99/);
    const noModel = await runCli(["cluster", `${dir}/photos`, "--model", `${dir}/nomodel`]);
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr.join("\n"), /nomodel/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the labelling workflow: cluster unsorted photos, rename the group folders, preprocess, train, predict", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_label_" });
  try {
    // Three people: augmented copies of three hand-boxed sample faces, in one unsorted folder.
    const people = [["sample1.jpg", 0, "ann"], ["sample2.jpg", 1, "bea"], ["sample4.jpg", 2, "cat"]] as const;
    await Deno.mkdir(`${dir}/unsorted`);
    const held: Record<string, string> = {};
    for (const [file, face, name] of people) {
      const image = await readImage(samplePhotos().find((p) => p.endsWith(file))!);
      const box = truth[file][face];
      for (const [i, a] of TRAIN_AUGMENTATIONS.slice(0, 6).entries()) {
        await Deno.writeFile(
          `${dir}/unsorted/${name}_${i}.jpg`,
          await encodeImage(augmentFace(image, box, a, 224, 3), "jpeg"),
        );
      }
      held[name] = `${dir}/${name}_test.jpg`;
      await Deno.writeFile(
        held[name]!,
        await encodeImage(augmentFace(image, box, TEST_AUGMENTATIONS[0]!, 224, 3), "jpeg"),
      );
    }
    const c = await runCli([
      "cluster",
      `${dir}/unsorted`,
      "--cache",
      `${dir}/c.cache`,
      "--link",
      `${dir}/groups`,
      "--sheets",
      `${dir}/sheets`,
    ]);
    assert.equal(c.code, 0, c.stderr.join("\n"));
    const groups = [...Deno.readDirSync(`${dir}/groups`)].map((e) => e.name).sort();
    assert.deepEqual(groups, ["cluster_001", "cluster_002", "cluster_003"]);
    // Each group is one person (the crops keep their photo's name), whole.
    const rename: Record<string, string> = {};
    for (const g of groups) {
      const files = [...Deno.readDirSync(`${dir}/groups/${g}`)].map((e) => e.name);
      const who = new Set(files.map((f) => f.split("_")[0]!));
      assert.equal(who.size, 1, `${g}: ${files.join(", ")}`);
      assert.equal(files.length, 6);
      rename[g] = [...who][0]!;
      // A crop with a margin around the face: larger than the face, smaller than the photo.
      const crop = await decodeImage(await Deno.readFile(`${dir}/groups/${g}/${files[0]}`));
      assert.ok(crop.width > 80 && crop.width < 224, String(crop.width));
    }
    const sheets = [...Deno.readDirSync(`${dir}/sheets`)].map((e) => e.name).sort();
    assert.deepEqual(sheets, ["cluster_001.jpg", "cluster_002.jpg", "cluster_003.jpg"]);
    const sheet = await decodeImage(await Deno.readFile(`${dir}/sheets/cluster_001.jpg`));
    assert.deepEqual([sheet.width, sheet.height], [6 * (112 + 4) + 4, 112 + 8]);
    // The user names the folders.
    for (const [g, name] of Object.entries(rename)) await Deno.rename(`${dir}/groups/${g}`, `${dir}/groups/${name}`);
    const cache = `${dir}/named.cache`;
    const pre = await runCli([
      "preprocess",
      `${dir}/groups`,
      "--features",
      "embedding",
      "--cache",
      cache,
      "--workers",
      "1",
    ]);
    assert.equal(pre.code, 0, pre.stderr.join("\n"));
    assert.match(
      pre.stderr.at(-2)!,
      /^18 processed, 0 cached, 0 no face, 0 errors; labels by folder: ann 6, bea 6, cat 6$/,
    );
    const t = await runCli(["train", "--cache", cache, "--model", `${dir}/model`, "--folds", "0", "--epochs", "3"]);
    assert.equal(t.code, 0, t.stderr.join("\n"));
    for (const [name, photo] of Object.entries(held)) {
      const p = await runCli(["predict", photo, "--model", `${dir}/model`, "--json"]);
      assert.equal(JSON.parse(p.stdout[0]!).faces[0].label, name, photo);
    }
    // With the model, cluster names the groups after its people (open-set rule on the group's centre).
    const named = await runCli([
      "cluster",
      `${dir}/unsorted`,
      "--cache",
      `${dir}/c.cache`,
      "--model",
      `${dir}/model`,
      "--json",
    ]);
    assert.equal(named.code, 0, named.stderr.join("\n"));
    for (const l of named.stdout.map((x) => JSON.parse(x))) {
      assert.equal(l.name, l.path.split("/").pop().split("_")[0], l.path);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("cluster --merge A B and --split A: kept beside the cache for later runs; bad ids and a damaged file are refused (exit 2)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_correct_" });
  try {
    // Three people, six augmented photos each, one face a photo.
    await Deno.mkdir(`${dir}/unsorted`);
    for (
      const [file, face, name] of [["sample1.jpg", 0, "ann"], ["sample2.jpg", 1, "bea"], [
        "sample4.jpg",
        2,
        "cat",
      ]] as const
    ) {
      const image = await readImage(samplePhotos().find((p) => p.endsWith(file))!);
      for (const [i, a] of TRAIN_AUGMENTATIONS.slice(0, 6).entries()) {
        await Deno.writeFile(
          `${dir}/unsorted/${name}_${i}.jpg`,
          await encodeImage(augmentFace(image, truth[file][face], a, 224, 3), "jpeg"),
        );
      }
    }
    const cache = `${dir}/c.cache`;
    const run = async (...extra: string[]) => {
      const r = await runCli(["cluster", `${dir}/unsorted`, "--cache", cache, "--workers", "1", "--json", ...extra]);
      const groups = new Map<number, Set<string>>();
      for (const l of r.code === 0 ? r.stdout.map((x) => JSON.parse(x)) : []) {
        const who = l.path.split("/").pop().split("_")[0];
        if (l.cluster !== null) groups.set(l.cluster, (groups.get(l.cluster) ?? new Set()).add(`${who}`));
      }
      return { ...r, people: [...groups.keys()].sort().map((g) => [...groups.get(g)!].sort().join("+")) };
    };
    const first = await run();
    assert.equal(first.code, 0, first.stderr.join("\n"));
    assert.equal(first.people.length, 3);
    assert.deepEqual([...first.people].sort(), ["ann", "bea", "cat"]);
    const kept = JSON.parse(await Deno.readTextFile(`${cache}.groups.json`));
    assert.deepEqual(kept.groups.map((g: string[]) => g.length), [6, 6, 6]);
    assert.deepEqual(kept.corrections, []);
    // Merge groups 1 and 2 of that run: one group of 12 holding both people.
    const [p1, p2] = first.people as [string, string];
    const merged = await run("--merge", "1", "2");
    assert.equal(merged.code, 0, merged.stderr.join("\n"));
    assert.equal(merged.people[0], [p1, p2].sort().join("+"));
    assert.equal(merged.people.length, 2);
    // A plain run later keeps the merge.
    const again = await run();
    assert.deepEqual(again.people, merged.people);
    // Split the merged group (1): the two people apart again, each whole.
    const split = await run("--split", "1");
    assert.equal(split.code, 0, split.stderr.join("\n"));
    assert.deepEqual([...split.people].sort(), ["ann", "bea", "cat"]);
    assert.equal(JSON.parse(await Deno.readTextFile(`${cache}.groups.json`)).corrections.length, 2);
    // Refusals, one line each, exit 2.
    for (
      const [args, line] of [
        [["--merge", "1", "5"], /^group 5 is not one of the last run's 3 groups \(1–3\)$/],
        [["--merge", "2", "2"], /^cannot merge group 2 with itself$/],
        [["--merge", "1"], /^error: --merge takes two group ids, got 1$/],
        [["--merge", "1", "2", "--split", "1"], /^error: give --merge or --split, not both/],
        [["--split", "0"], /--split/],
      ] as const
    ) {
      const r = await run(...args);
      assert.equal(r.code, 2, `${args}: ${r.stderr.join("\n")}`);
      assert.ok(r.stderr.some((l) => line.test(l)), `${args}: ${r.stderr.join("\n")}`);
    }
    // A damaged groups file: refused in one line naming it, not overwritten.
    await Deno.writeTextFile(
      `${cache}.groups.json`,
      '{"format": "face2vec-cluster-groups", "version": 1, "groups": 3}',
    );
    const damaged = await run();
    assert.equal(damaged.code, 2);
    assert.ok(
      damaged.stderr.some((l) => l.startsWith(`${cache}.groups.json: groups: expected an array`)),
      damaged.stderr.join("\n"),
    );
    assert.match(await Deno.readTextFile(`${cache}.groups.json`), /"groups": 3/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
