import assert from "node:assert/strict";
import { Gallery } from "../gallery/gallery.ts";
import { encodeSegment } from "../gallery/segment.ts";
import { galleryText, segmentFile } from "./gallery_files.ts";
import { loadModel, ModelFolder, saveModel } from "./model_folder.ts";
import type { Model } from "./model.ts";
import { ModelError } from "./model_error.ts";
import { modelFromTraining } from "../classify/train_model.ts";
import { trainClassifier } from "../classify/train.ts";
import { featureSet } from "../features/feature_sets.ts";

/** A small trained geometry model (3 people, the original's network) with a gallery of 2 faces. */
async function smallModel(): Promise<Model> {
  const set = featureSet("geometry");
  const features = Array.from(
    { length: 6 },
    (_, i) => Float32Array.from({ length: set.length }, (_, k) => ((i % 3) + k % 5) / 7),
  );
  const labels = features.map((_, i) => i % 3);
  const result = await trainClassifier(features, labels, set.shape[0], { folds: 0, epochs: 1 });
  const embedding = () => Float32Array.from({ length: 128 }, (_, k) => (k % 16) / 64); // norm 1.56
  return modelFromTraining(result, ["ann", "bea", "cat"], set.shape[0], {
    features: { name: "geometry", version: set.version },
    minProb: 0.34,
    method: "network",
  }, [{ label: "ann", path: "a.jpg", embedding: embedding() }]);
}

/** The first 16 hex digits of the sha256 of `bytes`, as content-named files are named. */
async function sha256Prefix(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice()));
  return Array.from(d.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function refused(dir: string, field: RegExp) {
  await assert.rejects(loadModel(dir), (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.equal(e.kind, "invalid");
    assert.match(e.message, field);
    return true;
  });
}

Deno.test("saveModel() writes content-named weights and gallery that model.json names, and loads them back exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    await saveModel(dir, model);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.match(json.weightsManifest[0].paths[0], /^weights-[0-9a-f]{16}\.bin$/);
    assert.equal(json.version, 2);
    assert.equal(json.gallery.length, 1);
    assert.match(json.gallery[0], /^gallery-[0-9a-f]{16}\.f2vg$/);
    const back = await loadModel(dir);
    assert.deepEqual(back.info.labels, ["ann", "bea", "cat"]);
    for (const [k, w] of Object.entries(model.weights)) assert.deepEqual(back.weights[k]!.values, w.values);
    assert.deepEqual(back.gallery.entries(), model.gallery.entries());
    // Saving again with another gallery switches model.json; the previous generation's files stay, older ones go.
    await saveModel(dir, { ...model, gallery: Gallery.from([]) });
    await saveModel(dir, {
      ...model,
      gallery: model.gallery.withAdded([{ ...model.gallery.entry(0), path: "b.jpg" }]),
    });
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => !n.startsWith(".")).sort();
    assert.equal(names.filter((n) => n.startsWith("weights-")).length, 1, names.join());
    assert.equal(names.filter((n) => n.startsWith("gallery-")).length, 1, names.join());
    assert.equal((await loadModel(dir)).gallery.size, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveModel() refuses non-finite weights and never touches the folder", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    const w1 = model.weights.w1!;
    const bad = {
      ...model,
      weights: { ...model.weights, w1: { ...w1, values: w1.values.map((v, i) => (i === 3 ? NaN : v)) } },
    };
    await assert.rejects(saveModel(`${dir}/m`, bad), /not saved: weight 3 is NaN/);
    assert.equal([...Deno.readDirSync(dir)].length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel() refuses, naming the file and the field, every tampered field", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await saveModel(dir, await smallModel());
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const weightsFile = `${dir}/${json.weightsManifest[0].paths[0]}`;
    const weights = await Deno.readFile(weightsFile);
    const edits: [string, (j: Record<string, unknown>) => void, RegExp][] = [
      ["labels", (j) => (j.labels = ["ann", "bea"]), /model\.json: labels: 2 names for a network of 3 outputs/],
      ["labels twice", (j) => (j.labels = ["ann", "ann", "cat"]), /labels: a name appears twice/],
      ["minProb", (j) => (j.minProb = -5), /model\.json: minProb: -5 is not a probability/],
      ["method", (j) => (j.method = "bogus"), /model\.json: method: "bogus"/],
      ["maxDistance", (j) => (j.maxDistance = "far"), /model\.json: maxDistance: "far"/],
      ["rows", (j) => (j.rows = 1), /model\.json: rows: 1, the feature set has 3/],
      ["network", (j) => ((j.network as Record<string, unknown>).hidden1 = 0), /network\.hidden1: 0/],
      [
        "weights path",
        (j) => ((j.weightsManifest as { paths: string[] }[])[0]!.paths = ["../x.bin"]),
        /is not a file of the folder/,
      ],
      ["gallery path", (j) => (j.gallery = "/etc/passwd"), /gallery: "\/etc\/passwd" is not a list of files/],
      ["gallery list", (j) => (j.gallery = ["../x.f2vg"]), /gallery: \["\.\.\/x\.f2vg"\] is not a list of files/],
      ["version", (j) => (j.version = 3), /model\.json: not a Face2Vec model \(version 1 or 2\)/],
      [
        "features",
        (j) => (j.features = { name: "colour", version: 1 }),
        /features\.name: unknown feature set "colour"/,
      ],
    ];
    for (const [what, edit, message] of edits) {
      const j = structuredClone(json);
      edit(j);
      delete j.pipeline_sha256; // only the field under test is wrong
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(j));
      await refused(dir, message).catch((e) => assert.fail(`${what}: ${e}`));
    }
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
    // Weights: NaN inside, or a byte short.
    const nan = weights.slice();
    new DataView(nan.buffer).setFloat32(8, NaN, true);
    await Deno.writeFile(weightsFile, nan);
    await refused(dir, /weights-[0-9a-f]{16}\.bin: value 2 is NaN, not a finite number/);
    await Deno.writeFile(weightsFile, weights.subarray(0, weights.length - 1));
    await refused(dir, /not whole float32 values/);
    await Deno.writeFile(weightsFile, weights);
    // Gallery: a damaged segment, or one of another embedding length.
    const galleryFile = `${dir}/${json.gallery[0]}`;
    const gallery = await Deno.readFile(galleryFile);
    const flipped = gallery.slice();
    flipped[flipped.length - 2]! ^= 0x40;
    await Deno.writeFile(galleryFile, flipped);
    await refused(dir, /gallery-[0-9a-f]{16}\.f2vg: checksum does not match \(a damaged file\)/);
    await Deno.writeFile(galleryFile, encodeSegment([{ label: "ann", path: "a.jpg", embedding: new Float32Array(2) }]));
    await refused(dir, /gallery-[0-9a-f]{16}\.f2vg: header\.dim: 2, expected 128/);
    await Deno.writeFile(galleryFile, gallery.subarray(0, 100));
    await refused(dir, /gallery-[0-9a-f]{16}\.f2vg: header length \d+ does not fit/);
    await Deno.writeFile(galleryFile, gallery);
    assert.equal((await loadModel(dir)).gallery.size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel() still reads a model saved as weights.bin + gallery.json by an earlier version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    await saveModel(dir, model);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    await Deno.rename(`${dir}/${json.weightsManifest[0].paths[0]}`, `${dir}/weights.bin`);
    await Deno.remove(`${dir}/${json.gallery[0]}`);
    await Deno.writeTextFile(`${dir}/gallery.json`, galleryText(model.gallery.entries()));
    json.weightsManifest[0].paths = ["weights.bin"];
    json.version = 1;
    delete json.gallery;
    delete json.pipeline_sha256;
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json));
    const back = await loadModel(dir);
    assert.deepEqual(back.weights.w3!.values, model.weights.w3!.values);
    assert.deepEqual(back.gallery.entries(), model.gallery.entries());
    // The next save writes version 2 with a segment; the JSON gallery goes a generation later.
    await saveModel(dir, back);
    const now = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.equal(now.version, 2);
    assert.match(now.gallery[0], /^gallery-[0-9a-f]{16}\.f2vg$/);
    assert.deepEqual((await loadModel(dir)).gallery.entries(), model.gallery.entries());
    await saveModel(dir, back);
    assert.ok(!(await Deno.stat(`${dir}/gallery.json`).then(() => true, () => false)), "gallery.json removed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel({ embeddings: false }) reads a gallery's people and paths only; an append writes one segment", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    const entry = model.gallery.entry(0);
    const big = Gallery.from(Array.from({ length: 6 }, (_, i) => ({ ...entry, path: `p${i}.jpg` })));
    const saved = await saveModel(dir, { ...model, gallery: big });
    const first = `${dir}/${segmentFile(saved.gallery.segments[0]!)}`;
    const stamp = (await Deno.stat(first)).mtime;
    const light = await loadModel(dir, { embeddings: false });
    assert.equal(light.gallery.size, 6);
    assert.equal(light.gallery.segments[0]!.complete, false);
    assert.equal(light.gallery.path(5), "p5.jpg");
    assert.throws(() => light.gallery.nearestPeople(entry.embedding), /read without its embeddings/);
    // Appending one face to the light gallery: a new segment; the first file is not written again.
    const added = { ...entry, label: "dan", path: "d.jpg" };
    assert.deepEqual(light.gallery.rewrites([added]), []);
    await saveModel(dir, { ...light, gallery: light.gallery.withAdded([added]) });
    assert.deepEqual((await Deno.stat(first)).mtime, stamp);
    const back = await loadModel(dir);
    assert.deepEqual(back.gallery.segments.map((s) => s.count), [6, 1]);
    assert.deepEqual(back.gallery.entries(), [...big.entries(), added]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("saveModel() keeps an indexed gallery's inverted file beside it; loadModel() checks it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    let x = 1;
    const random = () => ((x = (x * 48271) % 2147483647) / 2147483647) - 0.5;
    const faces = Array.from({ length: 300 }, (_, i) => ({
      label: `p${i % 30}`,
      path: `${i}.jpg`,
      embedding: Float32Array.from({ length: 128 }, () => random() / 2),
    }));
    const indexed = await Gallery.from(faces).indexed();
    const saved = await saveModel(dir, { ...model, gallery: indexed });
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    assert.match(json.galleryIndex, /^cells-[0-9a-f]{16}\.f2vg$/);
    const back = await loadModel(dir);
    assert.equal(back.gallery.cells, indexed.cells);
    assert.deepEqual(back.gallery.entries(), indexed.entries());
    assert.deepEqual(back.gallery.nearestPeople(faces[7]!.embedding, 2), indexed.nearestPeople(faces[7]!.embedding, 2));
    assert.equal(segmentFile(saved.gallery.index!.centres), json.galleryIndex);
    // Another index copied under this one's name is refused by its name; under its own name,
    // for its other number of cells than the segments'.
    const other = await Gallery.from(faces.slice(0, 100)).indexed();
    await Deno.writeFile(`${dir}/${json.galleryIndex}`, other.index!.centres.bytes);
    await assert.rejects(loadModel(dir), /cells-[0-9a-f]{16}\.f2vg: its content does not match its name/);
    const name = `cells-${await sha256Prefix(other.index!.centres.bytes)}.f2vg`;
    await Deno.writeFile(`${dir}/${name}`, other.index!.centres.bytes);
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ ...json, galleryIndex: name }));
    await assert.rejects(loadModel(dir), /model\.json: gallery: .*cells, the gallery's index has/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel() refuses a segment or weights of another model copied under a file's name, naming the file", async () => {
  const [a, b] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const model = await smallModel();
    await saveModel(a, model);
    const other = model.gallery.entry(0);
    await saveModel(b, {
      ...model,
      gallery: Gallery.from([{ ...other, label: "zed", embedding: other.embedding.map((v) => v / 2 + 0.01) }]),
    });
    const [ja, jb] = [a, b].map((d) => JSON.parse(Deno.readTextFileSync(`${d}/model.json`)));
    // b's segment, valid in itself (checksum, fields, norms), under a's segment's name.
    await Deno.copyFile(`${b}/${jb.gallery[0]}`, `${a}/${ja.gallery[0]}`);
    await assert.rejects(loadModel(a), (e: unknown) => {
      assert.ok(e instanceof ModelError);
      assert.equal(e.kind, "invalid");
      assert.equal(e.file, `${a}/${ja.gallery[0]}`);
      assert.match(e.message, /: its content does not match its name \(sha256 [0-9a-f]{16}…\)/);
      assert.doesNotMatch(e.message, /\n/);
      return true;
    });
    await saveModel(a, model);
    // Weights of the same shapes but other values, under the weights' name.
    const bin = Deno.readFileSync(`${a}/${ja.weightsManifest[0].paths[0]}`);
    new Float32Array(bin.buffer)[0]! += 1;
    Deno.writeFileSync(`${a}/${ja.weightsManifest[0].paths[0]}`, bin);
    await refused(a, /weights-[0-9a-f]{16}\.bin: its content does not match its name/);
  } finally {
    await Deno.remove(a, { recursive: true });
    await Deno.remove(b, { recursive: true });
  }
});

Deno.test("loadModel() refuses an embedding whose norm the network never gives (3e38 everywhere, 0), with a valid checksum and name", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    await saveModel(dir, model);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    for (const [value, norm] of [[3e38, "3.39e\\+39"], [0, "0\\.00"], [0.3, "3\\.39"]] as const) {
      // A well-formed segment (finite numbers, its checksum), under its own content name.
      const bytes = encodeSegment([
        model.gallery.entry(0),
        { label: "bea", path: "b.jpg", embedding: new Float32Array(128).fill(value) },
      ]);
      const name = `gallery-${await sha256Prefix(bytes)}.f2vg`;
      await Deno.writeFile(`${dir}/${name}`, bytes);
      await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ ...json, gallery: [name] }));
      await refused(dir, new RegExp(`${name}: face 1: embedding norm ${norm}, not within 0\\.5–3`));
    }
    // An earlier version's gallery.json is held to the same range.
    const text = galleryText([{ label: "bea", path: "b.jpg", embedding: new Float32Array(128).fill(3e38) }]);
    await Deno.writeTextFile(`${dir}/gallery.json`, text);
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify({ ...json, version: 1, gallery: "gallery.json" }));
    await refused(dir, /gallery\.json: entries\[0\]\.embedding: norm 3\.39e\+39, not within 0\.5–3/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadModel() refuses a FIFO or a directory where a model file should be, at once, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await smallModel();
    await saveModel(dir, model);
    const json = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
    const members = [json.gallery[0], json.weightsManifest[0].paths[0], "model.json"];
    for (const name of members) {
      const saved = await Deno.readFile(`${dir}/${name}`);
      await Deno.remove(`${dir}/${name}`);
      const made = await new Deno.Command("mkfifo", { args: [`${dir}/${name}`] }).output();
      assert.ok(made.success, "mkfifo");
      const t0 = performance.now();
      await assert.rejects(loadModel(dir), (e: unknown) => {
        assert.ok(e instanceof ModelError, String(e));
        assert.equal(e.kind, "invalid");
        assert.equal(e.message, `${dir}/${name}: not a regular file (a FIFO, device or socket)`);
        return true;
      });
      assert.ok(performance.now() - t0 < 500, `${name}: refused in ${performance.now() - t0} ms`);
      // What enrolment and the service read under their lock to see whether the folder changed.
      if (name === "model.json") {
        await assert.rejects(
          new ModelFolder(dir).revision(),
          (e: unknown) =>
            e instanceof ModelError && e.message === `${dir}/model.json: not a regular file (a FIFO, device or socket)`,
        );
      }
      await Deno.remove(`${dir}/${name}`);
      await Deno.mkdir(`${dir}/${name}`);
      await refused(dir, new RegExp(`${name.replace(".", "\\.")}: is a directory$`));
      await Deno.remove(`${dir}/${name}`);
      await Deno.writeFile(`${dir}/${name}`, saved);
    }
    assert.equal((await loadModel(dir)).gallery.size, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("revision() changes exactly when model.json does; read() and save() give the revision they are", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = new ModelFolder(dir);
    assert.equal(await folder.revision(), undefined);
    const model = await smallModel();
    const saved = await folder.save(model);
    assert.match(saved.revision, /^[0-9a-f]{16}$/);
    assert.equal(await folder.revision(), saved.revision);
    assert.equal((await folder.read()).revision, saved.revision);
    // The same model saved again is the same model.json: the same revision.
    assert.equal((await folder.save(model)).revision, saved.revision);
    const other = await folder.save({ ...model, info: { ...model.info, minProb: 0.5 } });
    assert.notEqual(other.revision, saved.revision);
    assert.equal(await folder.revision(), other.revision);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("update() is one read-modify-write under the folder's lock: concurrent updates lose nothing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const folder = new ModelFolder(dir);
    const model = await smallModel();
    await folder.save({ ...model, info: { ...model.info, training: { n: 0 } } });
    // Ten updates at once, each adding one to a counter it reads under the lock.
    await Promise.all(Array.from({ length: 10 }, () =>
      folder.update(async (now) => {
        const { model: m } = await now.read();
        return { ...m, info: { ...m.info, training: { n: (m.info.training.n as number) + 1 } } };
      })));
    assert.equal((await loadModel(dir)).info.training.n, 10);
    // A change that gives no model saves nothing.
    const before = await folder.revision();
    assert.equal(await folder.update(() => Promise.resolve(undefined)), undefined);
    assert.equal(await folder.revision(), before);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
