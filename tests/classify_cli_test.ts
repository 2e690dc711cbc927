import assert from "node:assert/strict";
import { createClassifier, loadModel } from "../lib/classify/classifier.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { samplePhotos } from "../scripts/_npm.ts";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";

/** Preprocesses the small dataset and trains a model on it (2 folds, 30 epochs). */
async function trained() {
  const dir = await makeDataset();
  const cache = `${dir}/people.cache`;
  assert.equal((await runCli(["preprocess", `${dir}/people`, "--cache", cache, "--workers", "1"])).code, 1); // notes.jpg
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
    assert.equal(m.info.minProb, 0.5);
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

Deno.test("predict gives one answer per face, null under --min-prob, and evaluate counts no-face photos as errors", async () => {
  const { dir, model } = await trained();
  try {
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
  const { dir, model } = await trained();
  try {
    const other = `${dir}/other.cache`;
    assert.equal((await runCli(["preprocess", `${dir}/people`, "--cache", other, "--workers", "1"])).code, 1);
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
