/**
 * Faults, with real processes: writers at the same time, kills in the middle of a save and of
 * a cache append (twice in a row), and what is left afterwards — every answer right or a
 * clear refusal, nothing already written lost.
 *
 * `FACE2VEC_KILLS=N` sets how many random kills each kill test makes (default 10, as CI runs
 * them; `deno task faults` makes 100).
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadModel } from "../lib/model/model_folder.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { makeDataset } from "./_photos.ts";

const CLI = fileURLToPath(new URL("../cli.ts", import.meta.url));
const PERMISSIONS = ["--allow-read", "--allow-write", "--allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,INIT_CWD"];
const KILLS = Number(Deno.env.get("FACE2VEC_KILLS") ?? 10);

/** Starts `face2vec <args>` as its own process (INIT_CWD cleared, so paths are read from `cwd`). */
function spawnCli(args: readonly string[], cwd: string): Deno.ChildProcess {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, CLI, ...args],
    cwd,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

async function finished(child: Deno.ChildProcess): Promise<{ code: number; stderr: string }> {
  const out = await child.output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

/** Kills `child` with SIGKILL after `ms` (if it is still running) and waits for it. */
async function killAfter(child: Deno.ChildProcess, ms: number): Promise<{ code: number; stderr: string }> {
  await new Promise((r) => setTimeout(r, ms));
  try {
    child.kill("SIGKILL");
  } catch {
    // it had already finished
  }
  return await finished(child);
}

/** sha256 of a file, hex. */
async function hash(path: string): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", await Deno.readFile(path)));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** A model folder's state: model.json and every file it names, by hash. */
async function state(dir: string): Promise<string> {
  const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  const files = ["model.json", ...json.weightsManifest[0].paths, ...(json.gallery ? [json.gallery] : [])];
  return (await Promise.all(files.map(async (f: string) => `${f}=${await hash(`${dir}/${f}`)}`))).join(" ");
}

Deno.test("eight enrol runs into one model at the same time all succeed, and every enrolment is there", async () => {
  const ds = await makeDataset();
  try {
    const people = Array.from({ length: 8 }, (_, i) => `person${i + 1}`);
    const photos = ["ann/1.jpg", "ann/2.jpg", "bea/3.jpg", "bea/4.jpg", "cat/5.jpg", "cat/6.jpg"];
    const runs = await Promise.all(
      people.map((p, i) => finished(spawnCli(["enrol", p, `people/${photos[i % photos.length]}`], ds))),
    );
    for (const [i, r] of runs.entries()) assert.equal(r.code, 0, `${people[i]}: ${r.stderr}`);
    const model = await loadModel(`${ds}/model`);
    assert.deepEqual([...model.gallery.labels].sort(), people);
    assert.equal(model.gallery.size, 8);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a second writer waits for the first, and gives up after --lock-timeout naming the holder (exit 2)", async () => {
  const ds = await makeDataset();
  try {
    await Deno.mkdir(`${ds}/model`);
    // This process holds the model's lock while an enrol run tries for at most 1 s.
    const lock = await Deno.open(`${ds}/model/.lock`, { read: true, write: true, create: true });
    await lock.lock(true);
    await lock.write(new TextEncoder().encode(`pid ${Deno.pid} since test\n`));
    try {
      const r = await finished(spawnCli(["enrol", "ada", "people/ann/1.jpg", "--lock-timeout", "1"], ds));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`model/\\.lock: held by pid ${Deno.pid} since test for longer than 1 s`));
      assert.match(r.stderr, /another process is writing it \(pid \d+ since test\); waiting/);
    } finally {
      await lock.unlock();
      lock.close();
    }
    assert.equal((await finished(spawnCli(["enrol", "ada", "people/ann/1.jpg"], ds))).code, 0);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test(`train killed at ${KILLS} random moments leaves the old model or the new one, whole`, async () => {
  const ds = await makeDataset();
  try {
    // Exit 1: the dataset's text file and flat image fail.
    assert.equal((await finished(spawnCli(["preprocess", "people", "--workers", "1"], ds))).code, 1);
    const train = (seed: number) => spawnCli(["train", "--epochs", "20", "--folds", "0", "--seed", String(seed)], ds);
    assert.equal((await finished(train(0))).code, 0);
    const seen = new Set([await state(`${ds}/model`)]);
    const killedBeforeSwitch = { n: 0 };
    // How long a whole run takes, to spread the kills over it (the save is its last moment).
    const t0 = performance.now();
    assert.equal((await finished(train(1))).code, 0);
    const runMs = performance.now() - t0;
    seen.add(await state(`${ds}/model`));
    for (let k = 0; k < KILLS; k++) {
      const before = await state(`${ds}/model`);
      const r = await killAfter(train(k + 2), runMs * (0.8 + 0.3 * Math.random()));
      // Either untouched, or the whole new model (a kill after the switch): every file it names is
      // there and it loads, with every field checked, naming the same people.
      const after = await state(`${ds}/model`);
      if (r.code === 0) assert.notEqual(after, before, "a finished run saved its model");
      const model = await loadModel(`${ds}/model`);
      assert.deepEqual(model.info.labels, ["ann", "bea", "cat"]);
      if (after === before) killedBeforeSwitch.n++;
      seen.add(after);
    }
    console.log(
      `${KILLS} kills: ${killedBeforeSwitch.n} left the old model, ${KILLS - killedBeforeSwitch.n} the new one`,
    );
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test(`enrol, preprocess and cluster killed at ${KILLS} random moments lose nothing already written`, async () => {
  const ds = await makeDataset();
  try {
    assert.equal((await finished(spawnCli(["enrol", "first", "people/ann/1.jpg"], ds))).code, 0);
    const t0 = performance.now();
    assert.equal((await finished(spawnCli(["enrol", "second", "people/bea/3.jpg"], ds))).code, 0);
    const enrolMs = performance.now() - t0;
    let faces = 2;
    for (let k = 0; k < KILLS; k++) {
      await killAfter(spawnCli(["enrol", `p${k}`, "people/cat/5.jpg"], ds), enrolMs * (0.7 + 0.4 * Math.random()));
      const gallery = (await loadModel(`${ds}/model`)).gallery;
      // The old gallery, or the old one and the new face: never fewer faces, never a torn file.
      assert.ok(gallery.size === faces || gallery.size === faces + 1, `${gallery.size} after ${faces}`);
      faces = gallery.size;
    }
    const cache = `${ds}/k.cache`;
    const preprocess = () =>
      spawnCli(["preprocess", "people", "--features", "geometry", "--cache", cache, "--workers", "1"], ds);
    const t1 = performance.now();
    await finished(preprocess());
    const runMs = performance.now() - t1;
    await Deno.remove(cache);
    let records = 0;
    for (let k = 0; k < KILLS; k++) {
      await killAfter(preprocess(), runMs * Math.random());
      const read = await readCache(cache).catch((e) => assert.fail(`the cache no longer reads: ${e}`));
      const now = read?.records.size ?? 0;
      assert.ok(now >= records, `${now} records after ${records}`);
      records = now;
    }
    // The every-face cache of `cluster`, under the same rule.
    const every = `${ds}/every.cache`;
    const cluster = () => spawnCli(["cluster", "people", "--cache", every, "--workers", "1"], ds);
    const t2 = performance.now();
    await finished(cluster());
    const clusterMs = performance.now() - t2;
    await Deno.remove(every);
    let photos = 0;
    for (let k = 0; k < KILLS; k++) {
      await killAfter(cluster(), clusterMs * Math.random());
      const read = await readCache(every).catch((e) => assert.fail(`the every-face cache no longer reads: ${e}`));
      const now = read?.records.size ?? 0;
      assert.ok(now >= photos, `${now} records after ${photos}`);
      photos = now;
    }
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test(`a shard run killed at ${KILLS} random moments is refused by --merge as unfinished until a run of it finishes`, async () => {
  const ds = await makeDataset();
  try {
    const shard = (
      i: number,
    ) => ["preprocess", "people", "--features", "geometry", "--workers", "1", "--shard", `${i}/2`];
    const [s1, s2] = [`${ds}/s1.cache`, `${ds}/s2.cache`];
    // Exit 1 when a photo of the shard failed (notes.jpg is not a photo): the run still finished.
    const ran = async (i: number, cache: string) => {
      const { code, stderr } = await finished(spawnCli([...shard(i), "--cache", cache], ds));
      assert.ok(code <= 1, stderr);
      assert.equal((await readCache(cache))!.complete, true);
    };
    await ran(2, s2);
    const t0 = performance.now();
    await ran(1, s1);
    const runMs = performance.now() - t0;
    await Deno.remove(s1);
    let records = 0, unfinished = 0;
    for (let k = 0; k < KILLS; k++) {
      await killAfter(spawnCli([...shard(1), "--cache", s1], ds), runMs * Math.random());
      const read = await readCache(s1).catch((e) => assert.fail(`the shard's cache no longer reads: ${e}`));
      const now = read?.records.size ?? 0;
      assert.ok(now >= records, `${now} records after ${records}`);
      records = now;
      const merge = await finished(spawnCli(["preprocess", "--merge", s1, s2, "--cache", `${ds}/m.cache`], ds));
      if (read?.complete) assert.equal(merge.code, 0, merge.stderr);
      else {
        unfinished++;
        assert.equal(merge.code, 2, merge.stderr);
        assert.match(merge.stderr, read ? /s1\.cache: shard 1\/2 did not finish/ : /s1\.cache: no such cache/);
        assert.equal(merge.stderr.trim().split("\n").length, 1, merge.stderr);
      }
    }
    assert.ok(unfinished > 0, "at least one kill came before the run's end");
    await ran(1, s1);
    const merged = await finished(spawnCli(["preprocess", "--merge", s1, s2, "--cache", `${ds}/m.cache`], ds));
    assert.match(merged.stderr, /^merged 2 shard caches: 8 photos$/m);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a cache survives interruptions in a row: torn last lines are cut before appending, no record lost", async () => {
  const ds = await makeDataset();
  try {
    const cache = `${ds}/c.cache`;
    const child = (n: number) =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          fileURLToPath(new URL("./_crash_child.ts", import.meta.url)),
          `${ds}/people`,
          cache,
          String(n),
        ],
        stdout: "null",
        stderr: "null",
      }).output();
    const tear = async () => {
      const f = await Deno.open(cache, { append: true });
      await f.write(new TextEncoder().encode('0badc0de {"path":"torn'));
      f.close();
    };
    // Killed after 2 records, a torn line added (a crash mid-write); again after 2 more; again.
    await child(2);
    await tear();
    await child(2);
    await tear();
    const read = await readCache(cache);
    assert.ok(read, "the cache reads after two crashes in a row");
    assert.equal(read.droppedPartialLine, true);
    assert.equal(read.records.size, 4, [...read.records.keys()].join());
    // A whole run then completes it, keeping the 4 records done before the crashes.
    const done = await finished(
      spawnCli(["preprocess", "people", "--features", "geometry", "--cache", cache, "--workers", "1"], ds),
    );
    assert.match(done.stderr, /4 processed, 4 cached/);
    assert.equal((await readCache(cache))!.records.size, 8);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("special files: a FIFO, a link to /dev/zero, a 1.5 GB sparse file, a broken link and a link loop are each one line, and the rest of the folder goes on", async () => {
  const ds = await makeDataset();
  try {
    const odd = `${ds}/people/ann`;
    assert.equal((await new Deno.Command("mkfifo", { args: [`${odd}/pipe.jpg`] }).output()).code, 0);
    await Deno.symlink("/dev/zero", `${odd}/zero.jpg`);
    await Deno.symlink(`${odd}/gone.jpg`, `${odd}/broken.jpg`);
    await Deno.symlink(`${odd}/loop.jpg`, `${odd}/loop.jpg`);
    await Deno.symlink(odd, `${odd}/again`); // a folder link back to itself
    const sparse = await Deno.open(`${odd}/huge.jpg`, { write: true, create: true });
    await sparse.truncate(1_500_000_000);
    sparse.close();
    const t0 = performance.now();
    const detect = await finished(spawnCli(["detect", "people", "--no-landmarks", "--json-out", "d.jsonl"], ds));
    assert.equal(detect.code, 1, detect.stderr);
    for (
      const line of [
        /pipe\.jpg: not a regular file/,
        /zero\.jpg: not a regular file/,
        /huge\.jpg: 1500\.0 MB, over the 256 MB file limit/,
        /broken\.jpg: file not found/,
        /loop\.jpg: a symbolic link loop/,
      ]
    ) assert.match(detect.stderr, line);
    // The photos beside them were all read (the folder's 6 photos and its flat image; the text file fails).
    const lines = (await Deno.readTextFile(`${ds}/d.jsonl`)).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(lines.filter((l) => l.faces).length, 7, JSON.stringify(lines.map((l) => l.path)));
    assert.ok(performance.now() - t0 < 60_000, "nothing blocked");
    const pre = await finished(spawnCli(["preprocess", "people", "--features", "geometry", "--workers", "1"], ds));
    assert.equal(pre.code, 1, pre.stderr);
    // 13 photos: 6 faces, the flat image (no face), the text file and the 5 special files (errors).
    assert.match(pre.stderr, /13 processed, 0 cached, 1 no face, 6 errors/);
    assert.match(pre.stderr, /huge\.jpg: 1500\.0 MB, over the 256 MB file limit/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a damaged cache line is refused by preprocess and train naming the line (exit 2); --drop-damaged keeps the rest", async () => {
  const ds = await makeDataset();
  try {
    const cache = `${ds}/d.cache`;
    const pre = (...extra: string[]) =>
      finished(
        spawnCli(["preprocess", "people", "--features", "geometry", "--cache", cache, "--workers", "1", ...extra], ds),
      );
    assert.equal((await pre()).code, 1); // the text file
    const lines = (await Deno.readTextFile(cache)).split("\n");
    lines[2] = lines[2]!.replace('"status":"ok"', '"status":"ko"'); // its checksum no longer matches
    await Deno.writeTextFile(cache, lines.join("\n"));
    for (const run of [pre(), finished(spawnCli(["train", "--cache", cache, "--epochs", "1"], ds))]) {
      const r = await run;
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /d\.cache: corrupt cache \(line 3 fails its checksum\): `preprocess --drop-damaged`/);
    }
    const fixed = await pre("--drop-damaged");
    assert.equal(fixed.code, 1, fixed.stderr);
    assert.match(fixed.stderr, /dropped 1 damaged line\(s\) of .*d\.cache \(3\); their photos were processed again/);
    assert.match(fixed.stderr, /1 processed, 7 cached/);
    assert.equal((await readCache(cache))!.records.size, 8);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
