/**
 * The service audit's low findings, over loopback through the service's own HTTP server:
 * error bodies carry no server path, process id or database address (the log line has the
 * detail, a URL's password masked); a client that hangs up is counted and logged as 499, not
 * 500; `HEAD` is answered as `GET` without a body; the bearer scheme is case-insensitive; the
 * OpenAPI document needs the token.
 */
import assert from "node:assert/strict";
import { createService, type ServiceOptions } from "../lib/serve/service.ts";
import { serveHttp } from "../lib/serve/http_server.ts";
import { GalleryError } from "../lib/store/gallery_store.ts";
import { ModelError } from "../lib/model/model_error.ts";
import { LockError } from "../lib/_lock.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { failingGallery } from "./_serve.ts";

const TOKEN = "a-token-of-at-least-16";

async function withService(
  options: ServiceOptions,
  fn: (base: string, log: string[], dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_audit_" });
  const log: string[] = [];
  const service = createService({ model: `${dir}/model`, workers: 1, log: (l) => log.push(l), ...options });
  const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, (r) => service.handle(r));
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, log, dir);
  } finally {
    await server.shutdown();
    await service.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A gallery whose every call fails with the given error. */
const failing = (error: () => Error) => failingGallery(error, "postgres://face2vec@10.9.8.7:5432/faces");

const ADDRESS = "10.9.8.7";
const PASSWORD = "Zm9v/YmFy+cXV4@x";
const SECRET_PATH = "/srv/face2vec-secret-folder";

const errors: [string, () => Error, number, string][] = [
  [
    "a database that cannot be reached",
    () => new GalleryError("unreachable", `postgres://face2vec:${PASSWORD}@${ADDRESS}:5432/faces`, "cannot connect"),
    503,
    "gallery_unavailable",
  ],
  ["a damaged model", () => new ModelError("invalid", `${SECRET_PATH}/model.json`, "not JSON"), 500, "model_unusable"],
  ["a lock held", () => new LockError(`${SECRET_PATH}/model.lock`, "pid 48213 on host db-7", 30_000), 503, "busy"],
  [
    "anything else",
    () => new Error(`ENOENT: ${SECRET_PATH}/x (pid 48213) at postgres://u:${PASSWORD}@${ADDRESS}/faces`),
    500,
    "internal",
  ],
];

for (const [what, error, status, code] of errors) {
  Deno.test(`serve: ${what} is answered ${status} ${code} with no path, pid or address in the body; the log has it, password masked`, async () => {
    await withService({ gallery: failing(error) }, async (base, log) => {
      for (const path of ["/v1/people", "/v1/health/ready"]) {
        const r = await fetch(`${base}${path}`);
        const text = await r.text();
        const body = JSON.parse(text);
        if (path === "/v1/people") assert.deepEqual([r.status, body.error.code], [status, code]);
        else assert.deepEqual([r.status, body.error.code], [503, "not_ready"]);
        for (const secret of [ADDRESS, SECRET_PATH, "48213", "postgres", PASSWORD, "Zm9v", String(Deno.pid)]) {
          assert.ok(!text.includes(secret), `${path}: ${text} shows ${secret}`);
        }
      }
      const lines = log.map((l) => JSON.parse(l));
      assert.equal(lines.length, 2);
      // The log keeps the detail for the operator, never the password.
      assert.ok(lines.every((l) => typeof l.error === "string" && l.error.length > 0), log.join("\n"));
      assert.ok(lines.some((l) => l.error.includes(error().message.includes(ADDRESS) ? ADDRESS : SECRET_PATH)));
      for (const l of log) assert.ok(!l.includes("Zm9v") && !l.includes("YmFy"), l);
    });
  });
}

Deno.test("serve: HEAD is answered as GET, with its headers and Content-Length and no body", async () => {
  await withService({ token: TOKEN }, async (base) => {
    const get = await fetch(`${base}/v1/health/live`);
    const getBody = await get.text();
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(base).port) });
    await conn.write(new TextEncoder().encode("HEAD /v1/health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    let text = "";
    const buf = new Uint8Array(4096);
    for (let n; (n = await conn.read(buf)) !== null;) text += new TextDecoder().decode(buf.subarray(0, n));
    conn.close();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(text, /\r\ncontent-type: application\/json; charset=utf-8\r\n/);
    assert.match(text, new RegExp(`\\r\\ncontent-length: ${new TextEncoder().encode(getBody).length}\\r\\n`));
    assert.ok(text.endsWith("\r\n\r\n"), "no body after the headers");
    // HEAD of an endpoint behind the token needs it, as GET does; Allow names HEAD beside GET.
    assert.equal((await fetch(`${base}/v1/people`, { method: "HEAD" })).status, 401);
    const people = await fetch(`${base}/v1/people`, { method: "HEAD", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual([people.status, await people.text()], [200, ""]);
    const wrong = await fetch(`${base}/v1/people`, { method: "PUT", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.deepEqual([wrong.status, wrong.headers.get("allow")], [405, "GET, HEAD"]);
    await wrong.body?.cancel();
  });
});

Deno.test("serve: the bearer scheme is case-insensitive (RFC 7235); the token itself is not", async () => {
  await withService({ token: TOKEN }, async (base) => {
    const cases: [string, number][] = [
      [`Bearer ${TOKEN}`, 200],
      [`bearer ${TOKEN}`, 200],
      [`BEARER ${TOKEN}`, 200],
      [`bEaReR   ${TOKEN}`, 200],
      [`Bearer ${TOKEN.toUpperCase()}`, 401],
      [`Bearer ${TOKEN}x`, 401],
      [`Basic ${TOKEN}`, 401],
      [TOKEN, 401],
      ["Bearer", 401],
    ];
    for (const [authorization, status] of cases) {
      const r = await fetch(`${base}/v1/people`, { headers: { authorization } });
      assert.equal(r.status, status, authorization);
      await r.body?.cancel();
    }
  });
});

Deno.test("serve: /v1/openapi.json needs the token; liveness does not", async () => {
  await withService({ token: TOKEN }, async (base) => {
    const without = await fetch(`${base}/v1/openapi.json`);
    assert.deepEqual([without.status, (await without.json()).error.code], [401, "unauthorized"]);
    const withToken = await fetch(`${base}/v1/openapi.json`, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(withToken.status, 200);
    assert.equal((await withToken.json()).openapi, "3.1.0");
    const live = await fetch(`${base}/v1/health/live`);
    assert.equal(live.status, 200);
    await live.body?.cancel();
  });
});

Deno.test("serve: a client that hangs up before its answer is counted and logged as 499, not 500", async () => {
  await withService({}, async (base, log) => {
    const photo = await Deno.readFile(samplePhotos()[0]!);
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(base).port) });
    const head =
      `POST /v1/detect HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: ${photo.length}\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    let o = 0;
    while (o < photo.length) o += await conn.write(photo.subarray(o));
    // Gone at once: the first detection (the worker loading its models) takes far longer.
    conn.close();
    const t0 = Date.now();
    while (!log.some((l) => JSON.parse(l).path === "/v1/detect") && Date.now() - t0 < 60_000) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const line = JSON.parse(log.find((l) => JSON.parse(l).path === "/v1/detect")!);
    assert.equal(line.status, 499);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^face2vec_requests_total\{route="POST \/v1\/detect",status="499"\} 1$/m);
    assert.doesNotMatch(metrics, /status="500"/);
    // A client that waits gets its answer, counted 200.
    const r = await fetch(`${base}/v1/detect`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: photo as Uint8Array<ArrayBuffer>,
    });
    assert.equal(r.status, 200);
    await r.body?.cancel();
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.match(after, /^face2vec_requests_total\{route="POST \/v1\/detect",status="200"\} 1$/m);
  });
});
