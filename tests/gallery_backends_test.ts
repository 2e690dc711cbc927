/**
 * The two gallery backends against each other: the file store (a model folder) and
 * PostgreSQL + pgvector (PGlite in this process, over the wire protocol). Same faces in,
 * same answers out; writers at the same time lose nothing; the schema is made once and
 * checked on every open.
 */
import assert from "node:assert/strict";
import { type GalleryBackend, GalleryError, openGallery } from "../lib/gallery/backend.ts";
import type { GalleryEntry } from "../lib/gallery/gallery.ts";
import { EMBEDDING_SIZE } from "../lib/embed/embed_faces.ts";
import { seededRandom } from "../lib/classify/folds.ts";
import { startPglite } from "../scripts/_pglite.ts";

/** `people` people with `each` faces around a random centre each (spread 0.03 per value, as LFW's). */
function syntheticFaces(people: number, each: number, seed: number): { faces: GalleryEntry[]; probes: Float32Array[] } {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const faces: GalleryEntry[] = [];
  const probes: Float32Array[] = [];
  for (let p = 0; p < people; p++) {
    const centre = Float32Array.from({ length: EMBEDDING_SIZE }, () => gauss() * 0.09);
    const near = () => centre.map((c) => c + gauss() * 0.03);
    for (let k = 0; k < each; k++) faces.push({ label: `person ${p}`, path: `p${p}/${k}.jpg`, embedding: near() });
    probes.push(near());
  }
  return { faces, probes };
}

const pgTest = (name: string, fn: (url: string) => Promise<void>) =>
  Deno.test({ name, sanitizeResources: false, sanitizeOps: false }, async () => {
    const database = await startPglite();
    try {
      await fn(database.url);
    } finally {
      await database.stop();
    }
  });

pgTest("the pgvector gallery answers as the file store does: labels, distances, runner-up, unknown", async (url) => {
  const dir = await Deno.makeTempDir();
  const { faces, probes } = syntheticFaces(30, 6, 7);
  const file = await openGallery(dir);
  const pg = await openGallery(url);
  try {
    assert.equal(pg.kind, "postgres");
    assert.match(pg.location, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
    // In three calls, one re-enrolling a photo with another embedding (it replaces its face).
    const changed = { ...faces[0]!, embedding: faces[1]!.embedding };
    for (const g of [file, pg]) {
      await g.enrol(faces.slice(0, 100));
      await g.enrol(faces.slice(100));
      const after = await g.enrol([changed]);
      assert.deepEqual(after, { faces: 180, people: 30 });
    }
    assert.deepEqual(await pg.people(), await file.people());
    assert.equal((await pg.people())[0]!.faces, 6);
    const strangers = syntheticFaces(10, 0, 99).probes;
    const queries = [...probes, ...strangers];
    const a = await file.match(queries, { exact: true });
    const b = await pg.match(queries, { exact: true });
    const c = await pg.match(queries);
    for (let i = 0; i < queries.length; i++) {
      assert.equal(b[i]!.candidate, a[i]!.candidate, `query ${i}`);
      assert.equal(b[i]!.label, a[i]!.label, `query ${i}`);
      // float32 centroids in the database, float64 in the file store.
      assert.ok(Math.abs(b[i]!.distance - a[i]!.distance) < 1e-5, `${b[i]!.distance} vs ${a[i]!.distance}`);
      assert.equal(b[i]!.runnerUp?.label, a[i]!.runnerUp?.label);
      assert.equal(c[i]!.candidate, b[i]!.candidate, "HNSW finds the exact answer on 30 people");
    }
    for (let i = 0; i < probes.length; i++) assert.equal(b[i]!.label, `person ${i}`);
    assert.ok(b.slice(probes.length).every((x) => x.label === null), "strangers are unknown at the default distance");
    assert.equal((await pg.match([probes[0]!], { maxDistance: 0 }))[0]!.label, null);
    assert.deepEqual(await pg.check(), { faces: 180 });

    assert.equal(await pg.remove("person 3"), 6);
    assert.equal(await file.remove("person 3"), 6);
    assert.equal(await pg.remove("person 3"), 0);
    assert.deepEqual(await pg.people(), await file.people());
    assert.notEqual((await pg.match([probes[3]!], { exact: true }))[0]!.candidate, "person 3");

    // A photo given twice in one call is one face, in both.
    for (const g of [file, pg]) {
      const twice = await g.enrol([{ ...faces[7]!, path: "again.jpg" }, { ...faces[8]!, path: "again.jpg" }]);
      assert.deepEqual(twice, { faces: 175, people: 29 });
    }
    await assert.rejects(
      pg.enrol([{ label: "x", path: "x.jpg", embedding: new Float32Array(5) }]),
      /x\.jpg's embedding: 5 values, not 128/,
    );
    await assert.rejects(
      pg.enrol([{ label: "x", path: "x.jpg", embedding: new Float32Array(128).fill(NaN) }]),
      /x\.jpg's embedding: value 0 is not finite/,
    );
  } finally {
    await file.close();
    await pg.close();
    await Deno.remove(dir, { recursive: true });
  }
});

pgTest("8 writers at once enrolling 50 faces each leave all 400, with every person's centroid whole", async (url) => {
  const { faces, probes } = syntheticFaces(10, 40, 3);
  const writers = await Promise.all(Array.from({ length: 8 }, () => openGallery(url, { connections: 2 })));
  try {
    // Writer w enrols faces w, w+8, … one at a time: every person gets faces from every writer.
    await Promise.all(writers.map(async (g, w) => {
      for (let k = w; k < faces.length; k += 8) await g.enrol([faces[k]!]);
    }));
    const people = await writers[0]!.people();
    assert.equal(people.reduce((s, p) => s + p.faces, 0), 400);
    assert.ok(people.every((p) => p.faces === 40));
    const dir = await Deno.makeTempDir();
    const file = await openGallery(dir);
    try {
      await file.enrol(faces);
      const a = await file.match(probes, { exact: true });
      const b = await writers[7]!.match(probes, { exact: true });
      // A centroid missing a face would be off by about 0.03/40 per value.
      a.forEach((x, i) => assert.ok(Math.abs(x.distance - b[i]!.distance) < 1e-5));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await Promise.all(writers.map((g) => g.close()));
  }
});

pgTest(
  "enrolments and erasures of the same people at once leave every face row counted in its person's row",
  async (url) => {
    const { faces } = syntheticFaces(4, 20, 5);
    const [a, b] = await Promise.all([openGallery(url, { connections: 2 }), openGallery(url, { connections: 2 })]);
    try {
      await Promise.all([
        (async () => {
          for (let k = 0; k < faces.length; k += 2) await a.enrol([faces[k]!, faces[k + 1]!]);
        })(),
        (async () => {
          for (let k = 0; k < 20; k++) await b.remove(`person ${k % 4}`);
        })(),
      ]);
      const { default: postgres } = await import("postgres");
      const sql = postgres(url, { onnotice: () => {} });
      try {
        const [orphans] = await sql`SELECT count(*)::int AS n FROM face2vec_faces f
        WHERE NOT EXISTS (SELECT 1 FROM face2vec_people p WHERE p.label = f.label)`;
        const [counts] = await sql`SELECT (SELECT count(*)::int FROM face2vec_faces) AS rows,
        (SELECT coalesce(sum(faces), 0)::int FROM face2vec_people) AS counted`;
        assert.equal(orphans!.n, 0);
        assert.equal(counts!.rows, counts!.counted);
      } finally {
        await sql.end();
      }
    } finally {
      await a.close();
      await b.close();
    }
  },
);

pgTest("processes opening an empty database at once create its schema once; another schema is refused", async (url) => {
  const opened = await Promise.all(Array.from({ length: 4 }, () => openGallery(url, { connections: 1 })));
  let admin: GalleryBackend | undefined;
  try {
    const { default: postgres } = await import("postgres");
    const sql = postgres(url, { onnotice: () => {} });
    try {
      const rows = await sql`SELECT version, dim FROM face2vec_schema`;
      assert.deepEqual(rows.map((r) => [r.version, r.dim]), [[1, 128]]);
      const indexes = await sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'face2vec_people'`;
      assert.ok(indexes.some((r) => /USING hnsw \(centroid vector_l2_ops\)/.test(r.indexdef)));
      await sql`UPDATE face2vec_schema SET pipeline = jsonb_set(pipeline, '{detector,minSize}', '7')`;
      await assert.rejects(
        openGallery(url),
        (e) => e instanceof GalleryError && e.kind === "mismatch" && /processed differently/.test(e.message),
      );
      await sql`UPDATE face2vec_schema SET version = 2`;
      await assert.rejects(openGallery(url), /schema version 2, this Face2Vec reads version 1 \(made by a newer/);
      await sql`UPDATE face2vec_schema SET version = 1, dim = 64`;
      await assert.rejects(openGallery(url), /face2vec_schema: dim is 64, not 128/);
    } finally {
      await sql.end();
    }
  } finally {
    await Promise.all(opened.map((g) => g.close()));
    await admin?.close();
  }
});

Deno.test("a database that cannot be reached, or a password file that cannot be read, is one line naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close(); // nothing listens there now
  await assert.rejects(
    openGallery(`postgres://face2vec@127.0.0.1:${port}/faces`),
    (e) =>
      e instanceof GalleryError && e.kind === "unreachable" &&
      e.message.startsWith(`postgres://face2vec@127.0.0.1:${port}/faces: cannot connect`) && !e.message.includes("\n"),
  );
  await assert.rejects(
    openGallery(`postgres://127.0.0.1:${port}/faces`, { passwordFile: "/nonexistent/pw" }),
    /^GalleryError: \/nonexistent\/pw: cannot read the password/,
  );
});

const plainUrl = Deno.env.get("FACE2VEC_PG_PLAIN_URL");
if (!plainUrl) {
  console.log(
    "skipped: the no-pgvector error path needs a PostgreSQL without pgvector; .ci/run starts Debian's and sets FACE2VEC_PG_PLAIN_URL",
  );
}
Deno.test({
  name: "a server without pgvector gets one line saying what to install (Debian's PostgreSQL)",
  ignore: !plainUrl,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    await assert.rejects(
      openGallery(plainUrl!),
      (e) =>
        e instanceof GalleryError && e.kind === "no_pgvector" && !e.message.includes("\n") &&
        /the server has no pgvector extension; install it .*apt install postgresql-<major version>-pgvector/.test(
          e.message,
        ),
    );
  },
});
