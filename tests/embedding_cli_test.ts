import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";
import { readImage } from "../lib/image/read_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { loadModel } from "../lib/model/model_folder.ts";

/** A re-encoded copy (decoded, written again as lossy WebP, quality 90): other bytes, nearly the same pixels. */
async function reencoded(path: string, dir: string): Promise<string> {
  const out = `${dir}/copy_${path.split("/").pop()!.replace(/\.\w+$/, "")}.webp`;
  await Deno.writeFile(out, await encodeImage(await readImage(path), "webp"));
  return out;
}

Deno.test("enrol into a new folder, then predict names the enrolled person on a re-encoded copy (nearest, with distance)", async () => {
  const ds = await makeDataset();
  const model = `${ds}/gallery_model`;
  try {
    const a = await runCli(["enrol", "ann", `${ds}/people/ann/1.jpg`, "--model", model]);
    assert.equal(a.code, 0, a.stderr.join("\n"));
    assert.match(a.stderr.join("\n"), /enrolled 1 photo of ann into .* \(gallery: 1 face of 1 person\)/);
    assert.equal((await runCli(["enrol", "bea", `${ds}/people/bea/3.jpg`, "--model", model])).code, 0);
    const m = await loadModel(model);
    assert.equal(m.info.method, "nearest");
    assert.equal(m.info.network, null);
    assert.deepEqual([...m.gallery].map((e) => e.label), ["ann", "bea"]);
    assert.equal(m.gallery.embedding(0).length, 128);
    const copy = await reencoded(`${ds}/people/ann/1.jpg`, ds);
    const p = await runCli(["predict", copy, "--model", model, "--json"]);
    assert.equal(p.code, 0, p.stderr.join("\n"));
    const face = JSON.parse(p.stdout[0]!).faces[0];
    assert.equal(face.label, "ann");
    assert.equal(face.method, "nearest");
    assert.equal(face.probability, null);
    // Re-encoding moves the embedding a little (measured 0.055 here), far less than another person (0.69).
    console.log(`re-encoded copy: distance ${face.distance}, runner-up ${face.runner_up.distance}`);
    assert.ok(face.distance > 0 && face.distance < 0.15, `distance ${face.distance}`);
    assert.equal(face.runner_up.label, "bea");
    assert.ok(face.runner_up.distance > 0.4, `runner-up distance ${face.runner_up.distance}`);
    // Under a tiny --max-distance the same face is unknown.
    const strict = await runCli(["predict", copy, "--model", model, "--json", "--max-distance", "0.001"]);
    assert.equal(JSON.parse(strict.stdout[0]!).faces[0].label, null);
    assert.equal(JSON.parse(strict.stdout[0]!).faces[0].candidate, "ann");
    // A gallery-only model has no network.
    assert.equal((await runCli(["predict", copy, "--model", model, "--method", "network"])).code, 2);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("enrol names a photo without a face, goes on with the rest, and exits 1", async () => {
  const ds = await makeDataset();
  try {
    const r = await runCli(["enrol", "bea", `${ds}/people/bea`, "--model", `${ds}/m`]);
    assert.equal(r.code, 1);
    assert.ok(r.stderr.some((l) => l.endsWith("flat.pgm: no face found")), r.stderr.join("\n"));
    assert.equal((await loadModel(`${ds}/m`)).gallery.size, 2);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("compare --json gives {a, b, distance, same, threshold}: a photo and its re-encoded copy are the same person", async () => {
  const ds = await makeDataset();
  try {
    const a = `${ds}/people/ann/1.jpg`;
    const copy = await reencoded(a, ds);
    const r = await runCli(["compare", a, copy, "--json", "--model", `${ds}/none`]);
    // A named model folder that does not exist is a bad argument…
    assert.equal(r.code, 2);
    const same = await runCli(["compare", a, copy, "--json", "--threshold", "0.6"]);
    assert.equal(same.code, 0, same.stderr.join("\n"));
    const j = JSON.parse(same.stdout[0]!);
    assert.deepEqual(Object.keys(j), ["a", "b", "distance", "same", "threshold"]);
    assert.equal(j.same, true);
    assert.equal(j.threshold, 0.6);
    assert.ok(j.distance < 0.15, String(j.distance));
    // Two different people: exit 0 whatever the answer, and a larger distance.
    const other = await runCli(["compare", a, `${ds}/people/cat/5.jpg`, "--json", "--threshold", "0.6"]);
    assert.equal(other.code, 0);
    assert.ok(JSON.parse(other.stdout[0]!).distance > j.distance + 0.2);
    // A photo without a face: one line naming it, exit 1.
    const none = await runCli(["compare", a, `${ds}/people/bea/flat.pgm`]);
    assert.equal(none.code, 1);
    assert.ok(none.stderr.some((l) => l.endsWith("flat.pgm: no face found")));
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a model trained on embedding features keeps a gallery of its faces and predicts by nearest neighbour; enrol refuses a geometry model", async () => {
  const ds = await makeDataset();
  try {
    const cache = `${ds}/emb.cache`;
    assert.equal((await runCli(["preprocess", `${ds}/people`, "--features", "embedding", "--cache", cache])).code, 1);
    const t = await runCli(["train", "--cache", cache, "--model", `${ds}/m`, "--epochs", "3", "--folds", "0"]);
    assert.equal(t.code, 0, t.stderr.join("\n"));
    const m = await loadModel(`${ds}/m`);
    assert.equal(m.info.method, "nearest");
    assert.equal(m.info.features.name, "embedding");
    assert.equal(m.gallery.size, 6);
    const p = await runCli(["predict", `${ds}/people/cat/5.jpg`, "--model", `${ds}/m`, "--json"]);
    const face = JSON.parse(p.stdout[0]!).faces[0];
    assert.equal(face.label, "cat");
    // The distance is to cat's centroid: half the distance between cat's two enrolled photos.
    const cats = [...m.gallery].filter((e) => e.label === "cat").map((e) => e.embedding);
    assert.equal(cats.length, 2);
    const half = Math.hypot(...cats[0]!.map((v, i) => v - cats[1]![i]!)) / 2;
    assert.ok(Math.abs(face.distance - half) < 1e-3, `${face.distance} vs ${half}`);
    // The trained head answers too, with a probability.
    const n = await runCli([
      "predict",
      `${ds}/people/cat/5.jpg`,
      "--model",
      `${ds}/m`,
      "--json",
      "--method",
      "network",
    ]);
    assert.equal(JSON.parse(n.stdout[0]!).faces[0].method, "network");
    // A geometry model cannot take enrolments.
    const gcache = `${ds}/geo.cache`;
    await runCli(["preprocess", `${ds}/people`, "--features", "geometry", "--cache", gcache]);
    await runCli(["train", "--cache", gcache, "--model", `${ds}/g`, "--epochs", "2", "--folds", "0"]);
    const e = await runCli(["enrol", "dan", `${ds}/people/ann/1.jpg`, "--model", `${ds}/g`]);
    assert.equal(e.code, 2);
    assert.match(e.stderr.join("\n"), /uses geometry features; enrolment needs the embedding/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("preprocess --embedder mobilefacenet makes a cache of its network that later runs keep, refuses another network in one line, and train, predict and cluster follow it", async () => {
  const ds = await makeDataset();
  const cache = `${ds}/mfn.cache`;
  try {
    const first = await runCli([
      "preprocess",
      `${ds}/people`,
      "--features",
      "embedding",
      "--embedder",
      "mobilefacenet",
      "--cache",
      cache,
    ]);
    assert.equal(first.code, 1, first.stderr.join("\n")); // the dataset holds one unreadable file
    const config = JSON.parse((await Deno.readTextFile(cache)).split("\n")[0]!.replace(/^[^{]*/, ""));
    assert.equal(JSON.stringify(config).includes('"network":"mobilefacenet"'), true, JSON.stringify(config));
    // Without the flag the cache's network is kept; another one is refused, naming both.
    const again = await runCli(["preprocess", `${ds}/people`, "--features", "embedding", "--cache", cache]);
    assert.equal(again.code, 1, again.stderr.join("\n"));
    const other = await runCli([
      "preprocess",
      `${ds}/people`,
      "--features",
      "embedding",
      "--embedder",
      "dlib_resnet",
      "--cache",
      cache,
    ]);
    assert.equal(other.code, 2);
    assert.match(
      other.stderr.join("\n"),
      /mfn\.cache: made with the mobilefacenet embedding network, not dlib_resnet; use another --cache \(or --embedder mobilefacenet\) or delete it/,
    );
    // Training takes the network's own open-set distance; predict names a face with 192 numbers.
    const model = `${ds}/model`;
    const t = await runCli(["train", "--cache", cache, "--model", model]);
    assert.equal(t.code, 0, t.stderr.join("\n"));
    const m = await loadModel(model);
    assert.equal(m.info.maxDistance, 0.87);
    assert.equal(m.gallery.embedding(0).length, 192);
    const p = await runCli(["predict", `${ds}/people/ann/1.jpg`, "--model", model, "--json", "--method", "nearest"]);
    assert.equal(p.code, 0, p.stderr.join("\n"));
    assert.equal(JSON.parse(p.stdout[0]!).faces[0].label, "ann");
    // compare with that model takes the network's own threshold (1.12, not dlib's 0.63).
    const c = await runCli(["compare", `${ds}/people/ann/1.jpg`, `${ds}/people/ann/2.jpg`, "--json", "--model", model]);
    assert.equal(c.code, 0, c.stderr.join("\n"));
    assert.equal(JSON.parse(c.stdout[0]!).threshold, 1.12);
    // Clustering a new cache of that network takes its own distance and weighting (0.889, unweighted).
    const k = await runCli(["cluster", `${ds}/people`, "--embedder", "mobilefacenet", "--cache", `${ds}/k.cache`]);
    assert.equal(k.code, 1, k.stderr.join("\n"));
    assert.match(k.stderr.join("\n"), /chinese-whispers at distance 0\.889, groups of 2 or more/);
    // Clustering the folder with that model's names embeds by its network; another is refused.
    const refused = await runCli([
      "cluster",
      `${ds}/people`,
      "--model",
      model,
      "--embedder",
      "dlib_resnet",
      "--cache",
      `${ds}/c.cache`,
    ]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr.join("\n"), /its faces were embedded by the mobilefacenet network, not dlib_resnet/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
