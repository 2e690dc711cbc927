/**
 * `serve` over a real PostgreSQL server with pgvector (see `_pg.ts`): two processes sharing
 * one database, with 8 clients enrolling at once, lose nothing; a person's row held locked
 * by another connection makes enrolments of that person answer 503 busy within `--timeout`
 * + 1 s, while other requests are answered meanwhile. Skipped with a printed reason without
 * the server.
 */
import assert from "node:assert/strict";
import { pgTest, sqlClient } from "./_pg.ts";
import { distinctFaces, serve, type Served } from "./_serve.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

/** POSTs a photo to enrol it as `label`: the status, the body, and the seconds it took (given up on `signal`). */
async function enrol(
  base: string,
  label: string,
  photo: Uint8Array,
  signal?: AbortSignal,
): Promise<{ status: number; body: string; s: number }> {
  const t0 = performance.now();
  const r = await fetch(`${base}/v1/people/${encodeURIComponent(label)}/faces`, {
    method: "POST",
    signal,
    headers: { "content-type": "image/x-portable-anymap" },
    body: photo as Uint8Array<ArrayBuffer>,
  });
  const body = await r.text();
  return { status: r.status, body, s: (performance.now() - t0) / 1000 };
}

async function stop(servers: readonly Served[]): Promise<void> {
  for (const s of servers) {
    s.child.kill("SIGTERM");
    await s.child.status;
  }
}

pgTest(
  "real PostgreSQL: two serve processes, 8 clients × 50 enrolments at once, all 400 kept and seen across",
  async (url) => {
    const servers: Served[] = [];
    const sql = sqlClient(url);
    try {
      // Both started at once against the empty database: the schema is made once.
      servers.push(...await Promise.all([serve(url), serve(url)]));
      const [schema] = await sql`SELECT count(*)::int AS n FROM face2vec_schema`;
      assert.equal(schema!.n, 1);
      const photos = await distinctFaces(400);
      const started = performance.now();
      // 8 clients at once, each enrolling its 50 photos one after another, alternating servers;
      // photo i shows sample face i mod 4, its person.
      const answers = await Promise.all(Array.from({ length: 8 }, async (_, c) => {
        const got: { status: number; body: string }[] = [];
        for (let k = 0; k < 50; k++) {
          const i = c * 50 + k;
          got.push(await enrol(servers[(c + k) % 2]!.base, `person ${i % 4}`, photos[i]!));
        }
        return got;
      }));
      const seconds = (performance.now() - started) / 1000;
      assert.deepEqual(answers.flat().filter((a) => a.status !== 201), [], "every enrolment answered 201");
      console.log(`  400 enrolments through 2 serve processes in ${seconds.toFixed(1)} s`);
      const [rows] = await sql`SELECT count(*)::int AS n, count(DISTINCT path)::int AS paths FROM face2vec_faces`;
      assert.deepEqual({ ...rows }, { n: 400, paths: 400 });
      for (const base of servers.map((s) => s.base)) {
        assert.deepEqual(await (await fetch(`${base}/v1/people`)).json(), {
          people: [0, 1, 2, 3].map((p) => ({ label: `person ${p}`, faces: 100 })),
        });
      }
      // Enrolled through the first, named through the second on the next request: a face of
      // none of the four people (a crop of person 0's face lay as near person 0's centroid of
      // 100 near-copies as its own, and was named person 0 in one run).
      const sample3 = await readImage(samplePhotos().find((p) => p.endsWith("sample3.jpg"))!);
      const zed = await encodeImage(sample3, "pnm");
      const e = await enrol(servers[0]!.base, "zed", zed);
      assert.equal(e.status, 201, e.body);
      const named = await (await fetch(`${servers[1]!.base}/v1/recognize`, {
        method: "POST",
        headers: { "content-type": "image/x-portable-anymap" },
        body: zed as Uint8Array<ArrayBuffer>,
      })).json();
      assert.equal(named.faces[0].label, "zed");
      assert.ok(named.faces[0].distance < 1e-5, String(named.faces[0].distance));
    } finally {
      await stop(servers);
      await sql.end();
    }
  },
);

pgTest(
  "real PostgreSQL: a person's row held locked makes enrolments answer 503 busy within --timeout + 1 s; other requests are served meanwhile",
  async (url) => {
    const timeout = 2;
    const servers: Served[] = [];
    const sql = sqlClient(url, 2);
    const photos = await distinctFaces(12);
    try {
      servers.push(await serve(url, "--timeout", String(timeout)));
      const base = servers[0]!.base;
      // The first job also starts the worker's pipeline (its WASM and models, about 1.5 s here when quiet), inside the
      // same --timeout: on a loaded machine it can pass 2 s and answer 504. The row to hold only has to exist, so the
      // seed enrolment is tried again, at most three times, while that is the answer.
      let first = await enrol(base, "held", photos[0]!);
      for (let tries = 1; first.status === 504 && tries < 3; tries++) first = await enrol(base, "held", photos[0]!);
      assert.equal(first.status, 201, first.body);
      // Another connection holds the person's row (as a stuck writer would) until released.
      const release = Promise.withResolvers<void>();
      const locked = Promise.withResolvers<void>();
      const holder = sql.begin(async (tx) => {
        await tx`SELECT faces FROM face2vec_people WHERE label = 'held' FOR UPDATE`;
        locked.resolve();
        await release.promise;
      });
      holder.catch(() => locked.resolve());
      await locked.promise;
      try {
        // One enrolment alone, then five at once (more than the writers' share of the pool).
        // Given up on 5 s past the limit, so that a service without it fails here rather than hangs.
        const limit = () => AbortSignal.timeout((timeout + 5) * 1000);
        const alone = await enrol(base, "held", photos[1]!, limit());
        assert.equal(alone.status, 503, alone.body);
        assert.equal(JSON.parse(alone.body).error.code, "busy");
        assert.ok(alone.s <= timeout + 1, `answered in ${alone.s.toFixed(2)} s`);
        const five = Promise.all([2, 3, 4, 5, 6].map((i) => enrol(base, "held", photos[i]!, limit())));
        // Meanwhile, reads are answered at once.
        await new Promise((r) => setTimeout(r, 300));
        const reads: { path: string; status: number; s: number }[] = [];
        for (const path of ["/v1/people", "/v1/health/ready", "/v1/people"]) {
          const t0 = performance.now();
          const r = await fetch(`${base}${path}`);
          const body = await r.json();
          reads.push({ path, status: r.status, s: (performance.now() - t0) / 1000 });
          if (path === "/v1/people") assert.deepEqual(body, { people: [{ label: "held", faces: 1 }] });
        }
        const answers = await five;
        for (const a of answers) {
          assert.equal(a.status, 503, a.body);
          assert.equal(JSON.parse(a.body).error.code, "busy");
          assert.ok(a.s <= timeout + 1, `answered in ${a.s.toFixed(2)} s`);
        }
        for (const r of reads) {
          assert.equal(r.status, 200, r.path);
          assert.ok(r.s < 1, `${r.path} took ${r.s.toFixed(2)} s while enrolments waited`);
        }
        console.log(
          `  503 busy in ${alone.s.toFixed(2)} s alone, ${
            answers.map((a) => a.s.toFixed(2)).join(", ")
          } s for five at once; ` +
            `reads meanwhile in ${reads.map((r) => r.s.toFixed(2)).join(", ")} s`,
        );
      } finally {
        release.resolve();
        await holder;
      }
      // The lock released, the person enrols again at once.
      const after = await enrol(base, "held", photos[7]!);
      assert.equal(after.status, 201, after.body);
      assert.equal(JSON.parse(after.body).gallery_faces, 2);
    } finally {
      await stop(servers);
      await sql.end();
    }
  },
);
