/**
 * Two `serve` processes sharing one pgvector gallery over the PostgreSQL wire protocol
 * (PGlite in this process, see `_pglite.ts`): started at once against an empty database they
 * create the schema once; 8 clients enrolling 50 faces each at the same time leave all 400;
 * a face enrolled through one process is named through the other on the next request.
 */
import assert from "node:assert/strict";
import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { neededFlags } from "../lib/cli/_permissions.ts";
import { startPglite } from "../scripts/_pglite.ts";

/** A `serve` child process and its base URL. */
interface Served {
  readonly base: string;
  readonly child: Deno.ChildProcess;
  readonly log: string[];
}

async function serve(url: string): Promise<Served> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...neededFlags("serve", true),
      cli,
      "serve",
      "--gallery",
      url,
      "--port",
      "0",
      "--workers",
      "1",
      "--queue",
      "16",
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const log: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`serve exited before listening:\n${log.join("\n")}${buffered}`);
    buffered += value;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    log.push(...parts);
    const listening = parts.map((l) => l.match(/ on (http:\/\/127\.0\.0\.1:\d+)\/v1\/$/)).find(Boolean);
    if (listening) {
      // Keep draining its stderr so that it never blocks.
      (async () => {
        while (!(await lines.read()).done);
      })();
      return { base: listening[1]!, child, log };
    }
  }
}

/** `n` distinct photos of faces: crops of the npm samples' boxed faces, each with one pixel changed. */
async function distinctFaces(n: number): Promise<Uint8Array[]> {
  const truth = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sample_faces.json", import.meta.url))).faces;
  const crops: Uint8Array[] = [];
  for (const file of ["sample1.jpg", "sample2.jpg", "sample5.jpg", "sample6.jpg"]) {
    const image = await readImage(samplePhotos().find((p) => p.endsWith(file))!);
    const b = truth[file][0];
    crops.push(
      await encodeImage(
        cropImage(image, { x: b.x - b.width / 2, y: b.y - b.height / 2, width: 2 * b.width, height: 2 * b.height }),
        "pnm",
      ),
    );
  }
  return Array.from({ length: n }, (_, i) => {
    const photo = crops[i % crops.length]!.slice();
    // The last pixel's value, by a distinct amount per copy: a different photo, the same face.
    const k = Math.floor(i / crops.length) + 1;
    photo[photo.length - 1] = (photo[photo.length - 1]! + k) % 256;
    photo[photo.length - 2] = (photo[photo.length - 2]! + Math.floor(k / 256)) % 256;
    return photo;
  });
}

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
