/**
 * An embedding network of another size and norm is its registry entry alone: a test-only
 * network of 64 numbers of norm 0.25 (`lib/pipeline/testdata/fake_embedder.ts`), injected
 * through options (no registry file edited), goes end to end — pipeline → preprocess cache
 * (written, read back, checked) → a gallery model enrolled into a model folder → loaded back
 * and matched, and a pgvector gallery made with its size — while the library's own parts
 * refuse what it made in one line.
 */
import assert from "node:assert/strict";
import { CacheError, cacheLine, readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { euclidean } from "../lib/embed/embed_faces.ts";
import type { EmbedderName } from "../lib/embed/embed_faces.ts";
import type { GalleryEntry } from "../lib/gallery/entry.ts";
import { createMatcher } from "../lib/gallery/matcher.ts";
import { readImage } from "../lib/image/read_image.ts";
import { enrolInto } from "../lib/model/enrol.ts";
import { newGalleryModel } from "../lib/model/model.ts";
import { ModelError } from "../lib/model/model_error.ts";
import { loadCheckedModel, ModelFolder } from "../lib/model/model_folder.ts";
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { FAKE_NORM, FAKE_OPTIONS, FAKE_PARTS, FAKE_SIZE, fakeRuns } from "../lib/pipeline/testdata/fake_embedder.ts";
import { GalleryError } from "../lib/store/gallery_store.ts";
import { openStore } from "../lib/store/open_store.ts";
import { startPglite } from "../scripts/_pglite.ts";
import { makeDataset } from "./_photos.ts";

const parts = FAKE_PARTS;
const fake = { network: "fake" as EmbedderName };

/** The one-line refusal of the library's parts, naming the network. */
const LACKS =
  "made with an embedding network this Face2Vec lacks (embedding network must be dlib_resnet | mobilefacenet, got fake)";

/** The usable records of a cache as gallery entries. */
function entriesOf(records: Iterable<{ status: string; label: string; path: string; embedding?: readonly number[] }>) {
  return [...records].filter((r) => r.status === "ok").map((r): GalleryEntry => ({
    label: r.label,
    path: r.path,
    embedding: Float32Array.from(r.embedding!),
  }));
}

/** The nearest centroid of `entries` to `q`, computed here from scratch (no gallery code). */
function nearestCentroid(entries: readonly GalleryEntry[], q: ArrayLike<number>): { label: string; distance: number } {
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  for (const e of entries) {
    const s = sums.get(e.label) ?? { sum: new Float64Array(e.embedding.length), n: 0 };
    e.embedding.forEach((x, i) => s.sum[i]! += x);
    s.n++;
    sums.set(e.label, s);
  }
  let best = { label: "", distance: Infinity };
  for (const [label, { sum, n }] of sums) {
    const d = euclidean(Array.from(sum, (x) => x / n), q);
    if (d < best.distance) best = { label, distance: d };
  }
  return best;
}

Deno.test("a 64-d network of norm 0.25, injected through options, goes pipeline → cache → model folder → nearest person; the library's parts refuse what it made in one line", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/fake.cache`;
  try {
    // The cache, written by the real preprocessing with the fake network.
    const before = fakeRuns.embedded;
    const first = await preprocessFolder(`${dir}/people`, { ...FAKE_OPTIONS, cache, parts, workers: 4 });
    assert.equal(first.processed, 8);
    assert.deepEqual(first.labels, { ann: 2, bea: 2, cat: 2 });
    assert.equal(first.noFace, 1);
    assert.deepEqual(first.errors.map((e) => e.path), ["cat/notes.jpg"]);
    assert.equal(fakeRuns.embedded - before, 6, "the fake network embedded each face");
    // Read back and checked against its entry: 64 numbers of norm 0.25, features as long.
    const read = (await readCache(cache, { parts }))!;
    assert.deepEqual(read.config.embedder, { network: "fake", stripes: FAKE_SIZE });
    const ok = [...read.records.values()].filter((r) => r.status === "ok");
    assert.equal(ok.length, 6);
    for (const r of ok) {
      assert.equal(r.embedding!.length, FAKE_SIZE, r.path);
      assert.equal(r.features!.length, FAKE_SIZE, r.path);
      assert.ok(Math.abs(Math.hypot(...r.embedding!) - FAKE_NORM) < 1e-6, r.path);
    }
    // A second run finds every photo in the cache (its settings are the run's).
    const second = await preprocessFolder(`${dir}/people`, { ...FAKE_OPTIONS, cache, parts });
    assert.deepEqual([second.processed, second.cached], [0, 8]);
    // Training samples take the features' length from the cache's network.
    assert.equal(samplesFromCache(read, parts).features[0]!.length, FAKE_SIZE);

    // The library's own parts refuse the cache, in one line naming the network.
    for (
      const refused of [
        () => readCache(cache),
        () => preprocessFolder(`${dir}/people`, { features: "embedding", cache }),
      ]
    ) {
      await assert.rejects(refused, (e) => {
        assert.ok(e instanceof CacheError, String(e));
        assert.equal(e.message, `${cache}: line 1: ${LACKS}`);
        return true;
      });
    }
    assert.throws(() => samplesFromCache(read), /embedding network must be dlib_resnet \| mobilefacenet, got fake/);

    // Its entry's norms are the check, not dlib's: norm 1 (inside dlib's 0.5–3) is refused;
    // 128 numbers (dlib's length) are refused.
    const lines = (await Deno.readTextFile(cache)).split("\n");
    const record = JSON.parse(lines[1]!.slice(9));
    for (
      const [embedding, why] of [
        [record.embedding.map((x: number) => x / FAKE_NORM), /embedding norm 1\.00, not within 0\.2–0\.3/],
        [[...record.embedding, ...record.embedding], /embedding is not 64 finite numbers/],
      ] as const
    ) {
      const bad = `${dir}/bad.cache`;
      await Deno.writeTextFile(bad, [lines[0], cacheLine({ ...record, embedding }).trimEnd(), ""].join("\n"));
      await assert.rejects(readCache(bad, { parts }), why);
    }

    // A gallery-only model of the fake network, enrolled in two goes (the second re-enrols a
    // photo, so a saved segment is read back and rewritten), saved in a model folder.
    const model = `${dir}/model`;
    const folder = new ModelFolder(model, { parts });
    const faces = entriesOf(read.records.values());
    const basis = { model: await newGalleryModel(undefined, { embedder: fake, parts }) };
    assert.equal((basis.model.info.pipeline.embedder as { network: string }).network, "fake");
    // Named "unknown" beyond its own network's distance (the fake's 0.1), not dlib's 0.455.
    assert.equal(basis.model.info.maxDistance, 0.1);
    const once = await enrolInto(folder, faces.slice(0, 3), basis);
    const twice = await enrolInto(folder, [...faces.slice(3), faces[0]!], once);
    assert.equal(twice.model.gallery.size, 6);
    // Loaded back and checked with the fake network's parts: 64-d, every face.
    const loaded = await loadCheckedModel(model, { parts });
    assert.equal(loaded.gallery.size, 6);
    assert.equal(loaded.gallery.dim, FAKE_SIZE);
    assert.deepEqual([...loaded.gallery.labels].sort(), ["ann", "bea", "cat"]);

    // Matched: fresh embeddings from the pipeline find the nearest person as computed here
    // from the cache's embeddings, at the same distance.
    const match = createMatcher(loaded.gallery);
    const pipeline = await createPipeline(FAKE_OPTIONS, { parts });
    try {
      for (const r of ok) {
        const found = await pipeline.processLargestFace(await readImage(`${dir}/people/${r.path}`));
        const embedding = found!.face.embedding!;
        assert.ok(euclidean(embedding, r.embedding!) < 1e-6, `${r.path}: the same numbers as the cache's`);
        const answer = match(embedding);
        const expected = nearestCentroid(faces, embedding);
        assert.equal(answer.label, expected.label, r.path);
        assert.ok(Math.abs(answer.distance - expected.distance) < 1e-5, `${answer.distance} vs ${expected.distance}`);
      }
    } finally {
      await pipeline.dispose();
    }
    // The file store opens the same folder with the same parts and answers alike.
    const store = await openStore(model, { parts });
    try {
      assert.deepEqual((await store.people()).map((p) => [p.label, p.faces]), [["ann", 2], ["bea", 2], ["cat", 2]]);
      const [a] = await store.match([faces[2]!.embedding], { maxDistance: Infinity });
      assert.equal(a!.label, nearestCentroid(faces, faces[2]!.embedding).label);
    } finally {
      await store.close();
    }

    // The library's own parts refuse the model, in one line naming the network.
    for (const refused of [() => new ModelFolder(model).read(), () => loadCheckedModel(model)]) {
      await assert.rejects(refused, (e) => {
        assert.ok(e instanceof ModelError && e.kind === "mismatch", String(e));
        assert.equal(e.message, `${model}/model.json: pipeline: ${LACKS}`);
        return true;
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a pgvector gallery of the 64-d network is made with vector(64); the library's own parts refuse it in one line",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const database = await startPglite();
    try {
      const g = await openStore(database.url, { embedder: fake, parts, connections: 1 });
      const unit = (i: number) =>
        Float32Array.from({ length: FAKE_SIZE }, (_, k) => (k === i ? FAKE_NORM : 0.001 * (k % 3)));
      try {
        assert.deepEqual(await g.enrol([{ label: "ann", path: "a.jpg", embedding: unit(0) }]), { faces: 1, people: 1 });
        await g.enrol([{ label: "bea", path: "b.jpg", embedding: unit(1) }]);
        const [a, b] = await g.match([unit(0), unit(1)], { exact: true });
        assert.deepEqual([a!.candidate, b!.candidate], ["ann", "bea"]);
        assert.ok(a!.distance < 1e-6);
        await assert.rejects(
          g.enrol([{ label: "x", path: "x.jpg", embedding: new Float32Array(128) }]),
          /x\.jpg's embedding: 128 values, not 64/,
        );
      } finally {
        await g.close();
      }
      const { default: postgres } = await import("postgres");
      const sql = postgres(database.url, { onnotice: () => {} });
      try {
        const [row] = await sql`SELECT dim, pipeline->'embedder' AS embedder FROM face2vec_schema`;
        assert.deepEqual([row!.dim, row!.embedder], [FAKE_SIZE, { network: "fake", stripes: FAKE_SIZE }]);
        const [column] = await sql`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
          WHERE attrelid = 'face2vec_faces'::regclass AND attname = 'embedding'`;
        assert.equal(column!.type, "vector(64)");
      } finally {
        await sql.end();
      }
      // Opened again with the fake network's parts it is the same gallery; without them, refused.
      const again = await openStore(database.url, { parts, connections: 1 });
      try {
        assert.deepEqual(await again.check(), { faces: 2 });
      } finally {
        await again.close();
      }
      await assert.rejects(openStore(database.url, { connections: 1 }), (e) => {
        assert.ok(e instanceof GalleryError && e.kind === "mismatch", String(e));
        assert.match(
          e.message,
          /^postgres:\/\/\S+: its faces were embedded by a network this Face2Vec lacks \(embedding network must be dlib_resnet \| mobilefacenet, got fake\); enrol them into a new database$/,
        );
        return true;
      });
    } finally {
      await database.stop();
    }
  },
});
