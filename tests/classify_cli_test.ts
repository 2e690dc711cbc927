import assert from "node:assert/strict";
import { createClassifier } from "../lib/classify/classifier.ts";
import { loadModel } from "../lib/model/model_folder.ts";
import { crc32, readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { preprocessCli, runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";

/**
 * Preprocesses the small dataset (with the default detector, or `--detector haar` for tests that
 * edit Haar's settings) and trains a model on it (2 folds, 30 epochs).
 */
async function trained(...detector: string[]) {
  const { dir, cache } = await preprocessed(...detector);
  const t = await runCli([
    "train",
    "--cache",
    cache,
    "--model",
    `${dir}/model`,
    "--folds",
    "2",
    "--epochs",
    "30",
    "--workers",
    "1",
  ]);
  assert.equal(t.code, 0, t.stderr.join("\n"));
  return { dir, cache, model: `${dir}/model` };
}

Deno.test("train saves a model that loads back to identical predictions", async () => {
  const { dir, cache, model } = await trained();
  try {
    const m = await loadModel(model);
    assert.deepEqual(m.info.labels, ["ann", "bea", "cat"]);
    // The geometry feature set's default, measured on LFW's even half (its registry entry).
    assert.equal(m.info.minProb, 0.34);
    const samples = samplesFromCache((await readCache(cache))!);
    const a = await createClassifier(m);
    const b = await createClassifier(await loadModel(model));
    try {
      const pa = await a.probabilities(samples.features), pb = await b.probabilities(samples.features);
      assert.deepEqual(pa, pb);
      for (const p of pa) assert.ok(Math.abs(p.reduce((s, v) => s + v, 0) - 1) < 1e-5, "probabilities sum to 1");
    } finally {
      a.dispose();
      b.dispose();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("predict gives one answer per face, null under --min-prob, --detector haar finds the faces with Haar, and evaluate counts no-face photos as errors and refuses another detector", async () => {
  const { dir, model } = await trained();
  try {
    // The model records BlazeFace (the default); predict finds the faces as detect does with the
    // same detector, and --detector haar overrides it (sample2: BlazeFace 3 faces, Haar 2).
    const boxes = async (args: string[]) => {
      const r = await runCli([...args, samplePhotos()[1]!, "--json"]);
      assert.equal(r.code, 0, r.stderr.join("\n"));
      return JSON.parse(r.stdout[0]!).faces.map((f: { box: unknown }) => f.box);
    };
    const [blaze, haar] = [await boxes(["detect", "--no-landmarks"]), await boxes(["detect", "--detector", "haar"])];
    assert.deepEqual(await boxes(["predict", "--model", model]), blaze);
    assert.deepEqual(await boxes(["predict", "--model", model, "--detector", "blazeface"]), blaze);
    assert.deepEqual(await boxes(["predict", "--model", model, "--detector", "haar"]), haar);
    assert.deepEqual([blaze.length, haar.length], [3, 2]);
    // Its accuracy is measured on faces found as its training faces were: another detector is refused.
    const other = await runCli(["evaluate", `${dir}/people`, "--model", model, "--detector", "haar"]);
    assert.equal(other.code, 2);
    assert.deepEqual(other.stderr, [
      `${model}: trained on faces found with the blazeface detector, not haar: evaluate uses the model's`,
    ]);
    // sample3.jpg holds three faces: three answers.
    const p = await runCli(["predict", samplePhotos()[2]!, "--model", model, "--json"]);
    assert.equal(p.code, 0, p.stderr.join("\n"));
    const line = JSON.parse(p.stdout[0]!);
    assert.equal(line.faces.length, 3);
    for (const f of line.faces) {
      assert.ok(["ann", "bea", "cat", null].includes(f.label));
      assert.equal(f.landmarks.length, 68);
      assert.ok(f.runner_up.probability <= f.probability);
    }
    const strict = JSON.parse(
      (await runCli(["predict", samplePhotos()[2]!, "--model", model, "--json", "--min-prob", "1"])).stdout[0]!,
    );
    assert.ok(strict.faces.every((f: { label: string | null }) => f.label === null));
    const lax = JSON.parse(
      (await runCli(["predict", samplePhotos()[2]!, "--model", model, "--json", "--min-prob", "0"])).stdout[0]!,
    );
    assert.ok(lax.faces.every((f: { label: string | null }) => f.label !== null));

    const e = await runCli(["evaluate", `${dir}/people`, "--model", model, "--cache", `${dir}/eval.cache`, "--json"]);
    assert.equal(e.code, 0, e.stderr.join("\n"));
    const r = JSON.parse(e.stdout[0]!);
    assert.equal(r.photos, 7); // 6 faces + the flat PGM (no face); notes.jpg is unreadable, not a photo
    assert.equal(r.no_face, 1);
    assert.ok(
      r.errors.some((x: { path: string; predicted: string | null }) =>
        x.path === "bea/flat.pgm" && x.predicted === null
      ),
    );
    assert.equal(r.accuracy, r.correct / 7);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("evaluate refuses a cache made with other settings than the model, and names a missing model (exit 2)", async () => {
  // Haar's settings, whose minNeighbors is edited below.
  const { dir, model } = await trained("--detector", "haar");
  try {
    const other = `${dir}/other.cache`;
    assert.equal(
      (await preprocessCli(`${dir}/people`, other, "--detector", "haar")).code,
      1,
    );
    // Rewrite the cache's recorded detector setting, as a cache made with --min-neighbors 4 would have.
    const text = await Deno.readTextFile(other);
    const { crc32 } = await import("../lib/dataset/cache.ts");
    const lines = text.split("\n");
    const header = JSON.parse(lines[0]!.slice(9));
    header.config.detector.minNeighbors = 4;
    const json = JSON.stringify(header);
    lines[0] = `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
    await Deno.writeTextFile(other, lines.join("\n"));
    const e = await runCli(["evaluate", other, "--model", model]);
    assert.equal(e.code, 2);
    assert.match(e.stderr.join("\n"), /made with other settings than the model \(detector\.minNeighbors: 5 → 4\)/);
    const none = await runCli(["evaluate", other, "--model", `${dir}/nowhere`]);
    assert.equal(none.code, 2);
    assert.match(none.stderr.join("\n"), /no model here/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** The small dataset preprocessed into a cache (`detector`: e.g. `--detector haar`). */
async function preprocessed(...detector: string[]) {
  const dir = await makeDataset();
  const cache = `${dir}/people.cache`;
  assert.equal((await preprocessCli(`${dir}/people`, cache, ...detector)).code, 1); // notes.jpg
  return { dir, cache };
}

/** `train` with no folds and one worker, asserting exit 0. */
async function train(cache: string, model: string, ...more: string[]) {
  const t = await runCli(["train", "--cache", cache, "--model", model, "--folds", "0", "--workers", "1", ...more]);
  assert.equal(t.code, 0, t.stderr.join("\n"));
  return t;
}

/** The largest absolute difference over the trainable parameters of two models. */
async function distance(a: string, b: string): Promise<number> {
  const [wa, wb] = [(await loadModel(a)).weights, (await loadModel(b)).weights];
  let d = 0;
  for (const name of ["w1", "b1", "gamma", "beta", "w2", "b2", "w3", "b3"]) {
    wa[name]!.values.forEach((v, i) => (d = Math.max(d, Math.abs(v - wb[name]!.values[i]!))));
  }
  return d;
}

Deno.test("train --resume continues the saved final model from its weights and records 5 epochs in all", async () => {
  const { dir, cache } = await preprocessed();
  try {
    await train(cache, `${dir}/model`, "--epochs", "3");
    await Deno.mkdir(`${dir}/before`);
    for (const f of Deno.readDirSync(`${dir}/model`)) {
      await Deno.copyFile(`${dir}/model/${f.name}`, `${dir}/before/${f.name}`);
    }
    // Another seed: a fresh start would be another initialisation, far from the saved weights.
    const r = await train(cache, `${dir}/model`, "--resume", "--epochs", "2", "--seed", "1");
    assert.match(r.stderr.join("\n"), /the final model continues from .*\/model\/ \(3 epochs so far\)/);
    await train(cache, `${dir}/fresh`, "--epochs", "2", "--seed", "1");
    const moved = await distance(`${dir}/before`, `${dir}/model`);
    const fresh = await distance(`${dir}/before`, `${dir}/fresh`);
    assert.ok(moved < 0.02, `two resumed epochs moved a weight by ${moved}`);
    assert.ok(fresh > 0.1, `a fresh start is only ${fresh} away`);
    const info = (await loadModel(`${dir}/model`)).info;
    assert.equal(info.training.resumed_from, 3);
    assert.equal(info.training.total_epochs, 5);
    assert.equal(info.training.epochs, 2);
    assert.deepEqual(info.labels, ["ann", "bea", "cat"]);
    // Resuming again counts on from the total.
    await train(cache, `${dir}/model`, "--resume", "--epochs", "1");
    assert.equal((await loadModel(`${dir}/model`)).info.training.total_epochs, 6);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --resume refuses (exit 2, naming the model folder) no model, other people, other settings, features or network", async () => {
  // Haar's settings, whose minNeighbors is edited below.
  const { dir, cache } = await preprocessed("--detector", "haar");
  try {
    const model = `${dir}/model`;
    await train(cache, model, "--epochs", "1");
    const saved = await Deno.readTextFile(`${model}/model.json`);
    const refused = async (c: string, m: string, reason: RegExp) => {
      const r = await runCli(["train", "--cache", c, "--model", m, "--resume", "--folds", "0", "--workers", "1"]);
      assert.equal(r.code, 2, r.stderr.join("\n"));
      assert.equal(r.stderr.length, 1, r.stderr.join("\n"));
      assert.ok(r.stderr[0]!.startsWith(`${m}: cannot resume: `), r.stderr[0]);
      assert.match(r.stderr[0]!, reason);
    };
    await refused(cache, `${dir}/nowhere`, /no model here \(train without --resume first\)$/);

    // Two of the three people.
    for (const p of ["ann", "bea"]) {
      await Deno.mkdir(`${dir}/two/${p}`, { recursive: true });
      for (const e of Deno.readDirSync(`${dir}/people/${p}`)) {
        if (e.name.endsWith(".jpg")) await Deno.copyFile(`${dir}/people/${p}/${e.name}`, `${dir}/two/${p}/${e.name}`);
      }
    }
    const two = `${dir}/two.cache`;
    assert.equal(
      (await preprocessCli(`${dir}/two`, two, "--detector", "haar")).code,
      0,
    );
    await refused(two, model, /the model's people differ from the cache's \(not in the cache: cat\)$/);

    // The cache's recorded detector setting rewritten, as --min-neighbors 4 would have made it.
    const lines = (await Deno.readTextFile(cache)).split("\n");
    const header = JSON.parse(lines[0]!.slice(9));
    header.config.detector.minNeighbors = 4;
    const json = JSON.stringify(header);
    lines[0] = `${crc32(json).toString(16).padStart(8, "0")} ${json}`;
    await Deno.writeTextFile(`${dir}/other.cache`, lines.join("\n"));
    await refused(`${dir}/other.cache`, model, /other settings than the model \(detector\.minNeighbors: 5 → 4\)$/);

    const edited = async (edit: (m: Record<string, Record<string, unknown>>) => void) => {
      const m = JSON.parse(saved);
      edit(m);
      delete m.pipeline_sha256; // as a model saved by an earlier version, which recorded no digest
      await Deno.writeTextFile(`${model}/model.json`, JSON.stringify(m));
    };
    await edited((m) => (m.features!.version = 0));
    await refused(cache, model, /trained on other features \(version: 0 → 1\)$/);
    await edited((m) => (m.network!.activation1 = "relu"));
    await refused(cache, model, /network differs from the one requested \(activation1: "relu" → "tanh"\)$/);
    // L2 is regularisation, not architecture: another strength is accepted.
    await Deno.writeTextFile(`${model}/model.json`, saved);
    await train(cache, model, "--resume", "--epochs", "1", "--l2", "0");
    assert.equal((await loadModel(model)).info.network?.l2, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
