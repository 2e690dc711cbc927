/**
 * The pgvector gallery against a real PostgreSQL server (Debian's PostgreSQL 15 with pgvector
 * built by `.ci/run`; see `_pg.ts`), where connections really run at once and row locks are
 * really contended, unlike PGlite's single connection: writer processes enrolling the same
 * few people at once lose nothing, and erasures racing enrolments leave every acknowledged
 * face either present or counted as erased. Skipped with a printed reason without the server.
 */
import assert from "node:assert/strict";
import { facesFile, labelledFaces, pgTest, sampleEmbeddings, sqlClient, writer } from "./_pg.ts";

/** The mean of vectors, in float64. */
function mean(vectors: readonly ArrayLike<number>[]): number[] {
  const m = new Array<number>(vectors[0]!.length).fill(0);
  for (const v of vectors) for (let i = 0; i < m.length; i++) m[i]! += v[i]! / vectors.length;
  return m;
}

/** pgvector's text form as numbers. */
const parseVector = (text: string) => text.slice(1, -1).split(",").map(Number);

/** Every person row's count and centroid against their face rows (count, mean): the largest centroid error. */
async function checkPeople(sql: ReturnType<typeof sqlClient>): Promise<number> {
  const people = await sql`SELECT label, faces, centroid::text AS centroid FROM face2vec_people ORDER BY label`;
  let worst = 0;
  for (const p of people) {
    const faces = await sql`SELECT embedding::text AS e FROM face2vec_faces WHERE label = ${p.label}`;
    assert.equal(p.faces, faces.length, `${p.label}'s face count`);
    const m = mean(faces.map((f) => parseVector(f.e)));
    parseVector(p.centroid).forEach((x, i) => (worst = Math.max(worst, Math.abs(x - m[i]!))));
  }
  const [orphans] = await sql`SELECT count(*)::int AS n FROM face2vec_faces f
    WHERE NOT EXISTS (SELECT 1 FROM face2vec_people p WHERE p.label = f.label)`;
  assert.equal(orphans!.n, 0, "faces without a person row");
  return worst;
}

pgTest(
  "real PostgreSQL: 8 processes × 50 enrolments of the same 4 people at once, locks contended, all 400 kept",
  async (url) => {
    const embeddings = await sampleEmbeddings();
    const faces = labelledFaces(embeddings, 400, 4);
    const file = await facesFile(faces);
    const sql = sqlClient(url);
    try {
      // The schema first, so that the writers contend on the people's rows only.
      const first = writer(["erase", url, "nobody", "1"]);
      assert.equal((await first.done).code, 0, first.lines.join("\n"));
      // Watching for enrolments waiting on another's row lock while they run.
      let running = true;
      let lockWaits = 0;
      const watch = (async () => {
        while (running) {
          const [w] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock'`;
          lockWaits = Math.max(lockWaits, w!.n);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const started = performance.now();
      // Writer w enrols faces w, w+8, …, one per transaction: every person gets faces from every writer.
      const writers = Array.from({ length: 8 }, (_, w) => writer(["enrol", url, file, String(w), "8"]));
      const statuses = await Promise.all(writers.map((w) => w.done));
      const seconds = (performance.now() - started) / 1000;
      running = false;
      await watch;
      statuses.forEach((s, w) => assert.equal(s.code, 0, writers[w]!.lines.join("\n")));
      const acknowledged = writers.flatMap((w) => w.lines.filter((l) => l.startsWith("enrolled ")));
      assert.equal(acknowledged.length, 400);
      assert.equal(new Set(acknowledged).size, 400);
      assert.ok(lockWaits >= 1, "no enrolment was ever seen waiting on another's lock");
      console.log(
        `  400 enrolments by 8 processes in ${seconds.toFixed(1)} s; at most ${lockWaits} waiting on a lock at once`,
      );

      const [rows] = await sql`SELECT count(*)::int AS n, count(DISTINCT path)::int AS paths FROM face2vec_faces`;
      assert.deepEqual({ ...rows }, { n: 400, paths: 400 });
      const people = await sql`SELECT label, faces FROM face2vec_people ORDER BY label`;
      assert.deepEqual(people.map((p) => [p.label, p.faces]), [0, 1, 2, 3].map((p) => [`person ${p}`, 100]));
      // Each centroid is the mean of that person's 100 faces as enrolled (float32 in the database).
      for (let p = 0; p < 4; p++) {
        const [row] = await sql`SELECT centroid::text AS c FROM face2vec_people WHERE label = ${`person ${p}`}`;
        const expected = mean(faces.filter((f) => f.label === `person ${p}`).map((f) => f.embedding));
        parseVector(row!.c).forEach((x, i) => assert.ok(Math.abs(x - expected[i]!) < 1e-6, `person ${p} value ${i}`));
      }
      assert.ok((await checkPeople(sql)) < 1e-6);
    } finally {
      await sql.end();
      await Deno.remove(file);
    }
  },
);

pgTest(
  "real PostgreSQL: erasures racing 4 enrolling processes leave every acknowledged face present or erased, counts whole",
  async (url) => {
    const embeddings = await sampleEmbeddings();
    const faces = labelledFaces(embeddings, 200, 2);
    const file = await facesFile(faces);
    const sql = sqlClient(url);
    try {
      const first = writer(["erase", url, "nobody", "1"]);
      assert.equal((await first.done).code, 0, first.lines.join("\n"));
      const writers = Array.from({ length: 4 }, (_, w) => writer(["enrol", url, file, String(w), "4"]));
      // The eraser starts once enrolments are under way, and erases the two people in turn.
      await new Promise<void>((resolve) => {
        writers[0]!.onLine = (l) => l.startsWith("enrolled ") && resolve();
        writers[0]!.done.then(() => resolve());
      });
      const eraser = writer(["erase", url, "person 0,person 1", "40"]);
      const statuses = await Promise.all([...writers, eraser].map((w) => w.done));
      statuses.forEach((s, w) => assert.equal(s.code, 0, [...writers, eraser][w]!.lines.join("\n")));

      const acknowledged = new Set(
        writers.flatMap((w) => w.lines.filter((l) => l.startsWith("enrolled ")).map((l) => l.slice(9))),
      );
      assert.equal(acknowledged.size, 200);
      const erased = eraser.lines.map((l) => Number(l.split(" ").pop()));
      assert.equal(erased.length, 40);
      const totalErased = erased.reduce((a, b) => a + b, 0);
      assert.ok(totalErased > 0, "the erasures ran while faces were being enrolled");
      const remaining = await sql`SELECT path FROM face2vec_faces`;
      // Each face was enrolled once under its own path: every acknowledged one is still there,
      // or was counted by exactly one erasure.
      assert.ok(remaining.every((r) => acknowledged.has(r.path)));
      assert.equal(remaining.length + totalErased, 200, `${remaining.length} left + ${totalErased} erased`);
      console.log(`  ${totalErased} faces erased by 40 erasures racing 200 enrolments, ${remaining.length} left`);
      assert.ok((await checkPeople(sql)) < 1e-6);
    } finally {
      await sql.end();
      await Deno.remove(file);
    }
  },
);
