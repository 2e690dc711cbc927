/**
 * Two `serve` processes sharing one pgvector gallery over the PostgreSQL wire protocol
 * (PGlite in this process, see `_pglite.ts`): started at once against an empty database they
 * create the schema once; 8 clients enrolling 50 faces each at the same time leave all 400;
 * a face enrolled through one process is named through the other on the next request.
 */
import assert from "node:assert/strict";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { startPglite } from "../scripts/_pglite.ts";
import { distinctFaces, serve, type Served } from "./_serve.ts";

Deno.test({
  name: "two serve processes share one pgvector gallery: schema made once, 8 × 50 enrolments all kept, seen across",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const database = await startPglite();
    const servers: Served[] = [];
    try {
      // Both started at once against the empty database.
      servers.push(...await Promise.all([serve(database.url), serve(database.url)]));
      const schema = await database.db.query<{ n: number }>("SELECT count(*)::int AS n FROM face2vec_schema");
      assert.equal(schema.rows[0]!.n, 1);
      const photos = await distinctFaces(400);
      // 8 clients at once, each enrolling its 50 photos one after another, alternating servers
      // (up to all 8 can wait at one server: its queue takes 16).
      const statuses = await Promise.all(Array.from({ length: 8 }, async (_, c) => {
        const got: number[] = [];
        for (let k = 0; k < 50; k++) {
          const i = c * 50 + k;
          const base = servers[(c + k) % 2]!.base;
          // Photo i shows sample face i mod 4: that is its person.
          const r = await fetch(`${base}/v1/people/${encodeURIComponent(`person ${i % 4}`)}/faces`, {
            method: "POST",
            headers: { "content-type": "image/x-portable-anymap" },
            body: photos[i] as Uint8Array<ArrayBuffer>,
          });
          got.push(r.status);
          if (r.status !== 201) console.log(`${r.status}: ${await r.text()}`);
          else await r.body?.cancel();
        }
        return got;
      }));
      assert.deepEqual(statuses.flat().filter((s) => s !== 201), [], "every enrolment answered 201");
      const people = await (await fetch(`${servers[0]!.base}/v1/people`)).json();
      assert.deepEqual(people, {
        people: [0, 1, 2, 3].map((p) => ({ label: `person ${p}`, faces: 100 })),
      });
      const rows = await database.db.query<{ n: number }>("SELECT count(*)::int AS n FROM face2vec_faces");
      assert.equal(rows.rows[0]!.n, 400);

      // Enrolled through the first, named through the second on the next request.
      const [other] = await distinctFaces(1);
      const sample3 = await readImage(samplePhotos().find((p) => p.endsWith("sample3.jpg"))!);
      const zed = await encodeImage(sample3, "jpeg");
      const e = await fetch(`${servers[0]!.base}/v1/people/zed/faces`, {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: zed as Uint8Array<ArrayBuffer>,
      });
      assert.equal(e.status, 201, await e.clone().text());
      await e.body?.cancel();
      const named = await (await fetch(`${servers[1]!.base}/v1/recognize`, {
        method: "POST",
        headers: { "content-type": "image/jpeg" },
        body: zed as Uint8Array<ArrayBuffer>,
      })).json();
      assert.equal(named.faces[0].label, "zed");
      assert.ok(named.faces[0].distance < 1e-5, String(named.faces[0].distance));
      const first = await (await fetch(`${servers[1]!.base}/v1/recognize`, {
        method: "POST",
        headers: { "content-type": "image/x-portable-anymap" },
        body: other as Uint8Array<ArrayBuffer>,
      })).json();
      assert.equal(first.faces[0].label, "person 0");
    } finally {
      for (const s of servers) {
        s.child.kill("SIGTERM");
        await s.child.status;
      }
      await database.stop();
    }
  },
});
