/**
 * The service's HTTP server under hostile clients, over real sockets on 127.0.0.1, with small
 * deadlines so that each test takes seconds: the header and body deadlines, the connection cap
 * (a prompt client served past a flood of slow ones, 503 + Retry-After when nothing can be
 * evicted), the uploads-in-flight cap, and `serve` in a process whose open-file limit is 256
 * facing 400 idle connections: it answers and stays up.
 */
import assert from "node:assert/strict";
import { defaultMaxConnections, freeDescriptors, type HttpServerOptions, serveHttp } from "../lib/serve/http_server.ts";
import { startServe } from "../scripts/_serve_process.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Everything the server sends until it closes (or `ms` pass: then what came so far, and `open`). */
async function readAll(conn: Deno.Conn, ms = 5000): Promise<{ text: string; closed: boolean; after: number }> {
  const t0 = performance.now();
  const chunks: string[] = [];
  const buf = new Uint8Array(4096);
  const timer = setTimeout(() => conn.close(), ms);
  let closed = false;
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        closed = true;
        break;
      }
      chunks.push(dec.decode(buf.subarray(0, n)));
    }
  } catch {
    // Closed by the timer: the server kept the connection open.
  } finally {
    clearTimeout(timer);
  }
  if (closed) {
    try {
      conn.close();
    } catch { /* closed */ }
  }
  return { text: chunks.join(""), closed, after: performance.now() - t0 };
}

async function withServer(
  options: Partial<HttpServerOptions>,
  handler: (r: Request) => Response | Promise<Response>,
  fn: (port: number, server: ReturnType<typeof serveHttp>) => Promise<void>,
): Promise<void> {
  const server = serveHttp({ hostname: "127.0.0.1", port: 0, ...options }, handler);
  try {
    await fn(server.addr.port, server);
  } finally {
    await server.shutdown();
  }
}

const connect = (port: number) => Deno.connect({ hostname: "127.0.0.1", port });
const ok = () => new Response("fine\n");

Deno.test("serveHttp: a connection that sends nothing, or never finishes its headers, is closed at the header deadline", async () => {
  await withServer({ headerTimeoutMs: 300 }, ok, async (port, server) => {
    const silent = await connect(port);
    const partial = await connect(port);
    await partial.write(enc.encode("GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "));
    const [a, b] = await Promise.all([readAll(silent), readAll(partial)]);
    for (const r of [a, b]) {
      assert.ok(r.closed, "the server closed it");
      assert.ok(r.after >= 250 && r.after < 2000, `closed after ${r.after} ms`);
    }
    assert.equal(server.stats().header_timeouts, 2);
    assert.equal(server.stats().open, 0);
    // A prompt request on the same server is answered.
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "fine\n");
  });
});

Deno.test("serveHttp: a body that stops arriving is answered 408 at the body deadline and the upload slot freed", async () => {
  await withServer(
    { bodyTimeoutMs: 300, maxUploads: 1 },
    async (r) => new Response(await r.text()),
    async (port, server) => {
      const slow = await connect(port);
      await slow.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nabcdefghij"));
      const r = await readAll(slow);
      assert.ok(r.closed);
      assert.match(r.text, /^HTTP\/1\.1 408 /);
      assert.match(r.text, /"code":"body_timeout"/);
      assert.ok(r.after >= 250 && r.after < 2000, `closed after ${r.after} ms`);
      assert.deepEqual([server.stats().body_timeouts, server.stats().uploads], [1, 0]);
      // The slot is free again: an upload is read and echoed.
      const echoed = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "x".repeat(5000) });
      assert.equal((await echoed.text()).length, 5000);
    },
  );
});

Deno.test("serveHttp: bodies by Content-Length and chunked reach the handler whole; over the limit is 413; keep-alive serves several", async () => {
  const seen: number[] = [];
  await withServer({ maxBodyBytes: 100_000 }, async (r) => {
    const b = new Uint8Array(await r.arrayBuffer());
    seen.push(b.length);
    return new Response(String(b.reduce((s, x) => s + x, 0)));
  }, async (port) => {
    const body = Uint8Array.from({ length: 70_000 }, (_, i) => i % 251);
    const sum = String(body.reduce((s, x) => s + x, 0));
    const plain = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body });
    assert.equal(await plain.text(), sum);
    // A stream body goes chunked.
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let o = 0; o < body.length; o += 9000) c.enqueue(body.slice(o, o + 9000));
        c.close();
      },
    });
    const chunked = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: stream });
    assert.equal(await chunked.text(), sum);
    assert.deepEqual(seen, [70_000, 70_000]);
    // Over the limit: 413 before the body is read.
    const big = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: new Uint8Array(200_000) });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error.code, "payload_too_large");
    // Two requests on one connection, the second after the first's answer.
    const conn = await connect(port);
    await conn.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"));
    const buf = new Uint8Array(4096);
    const first = dec.decode(buf.subarray(0, (await conn.read(buf))!));
    assert.match(first, /^HTTP\/1\.1 200 OK\r\n[^]*content-length: 3\r\n[^]*\r\n\r\n294$/);
    await conn.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nConnection: close\r\n\r\nz"));
    const second = await readAll(conn);
    assert.match(second.text, /^HTTP\/1\.1 200 OK\r\n[^]*connection: close\r\n\r\n122$/);
    assert.ok(second.closed);
  });
});

Deno.test("serveHttp: past the connection cap, 60 slow connections are evicted oldest first and a prompt client is answered", async () => {
  await withServer({ maxConnections: 20, headerTimeoutMs: 30_000 }, ok, async (port, server) => {
    const slow: Deno.Conn[] = [];
    for (let i = 0; i < 60; i++) {
      const c = await connect(port);
      await c.write(enc.encode("GET / HTTP/1.1\r\n"));
      slow.push(c);
    }
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}/`, { headers: { connection: "close" } });
      assert.equal(await r.text(), "fine\n");
      assert.ok(performance.now() - t0 < 1000);
    }
    const s = server.stats();
    assert.ok(s.open <= 20, `open ${s.open}`);
    assert.ok(s.evicted >= 40, `evicted ${s.evicted}`);
    assert.equal(s.refused, 0);
    // The oldest went first: the first slow connection is closed, the last is open.
    assert.ok((await readAll(slow[0]!, 200)).closed);
    assert.ok(!(await readAll(slow[59]!, 200)).closed);
    for (const c of slow.slice(1, 59)) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  });
});

Deno.test("serveHttp: at the cap with every connection busy, a new one is answered 503 with Retry-After", async () => {
  const release = Promise.withResolvers<void>();
  await withServer({ maxConnections: 2 }, async () => {
    await release.promise;
    return ok();
  }, async (port, server) => {
    const busy = [fetch(`http://127.0.0.1:${port}/`), fetch(`http://127.0.0.1:${port}/`)];
    while (server.stats().open < 2) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const third = await readAll(await connect(port));
    assert.match(third.text, /^HTTP\/1\.1 503 [^]*retry-after: 1\r\n/);
    assert.equal(server.stats().refused, 1);
    release.resolve();
    for (const r of await Promise.all(busy)) assert.equal(await r.text(), "fine\n");
  });
});

Deno.test("serveHttp: past the uploads-in-flight cap a request with a body is answered 503 with Retry-After; one without is served", async () => {
  // No upload is slow enough to give way here (the next test has that).
  await withServer({ maxUploads: 2, bodyTimeoutMs: 10_000, minUploadRate: 0 }, ok, async (port, server) => {
    const held: Deno.Conn[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await connect(port);
      await c.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial"));
      held.push(c);
    }
    while (server.stats().uploads < 2) await new Promise((r) => setTimeout(r, 10));
    const refused = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "a photo" });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal((await refused.json()).error.code, "overloaded");
    assert.equal(server.stats().uploads_refused, 1);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "fine\n");
    for (const c of held) c.close();
    while (server.stats().uploads > 0) await new Promise((r) => setTimeout(r, 10));
    assert.equal((await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "a photo" })).status, 200);
  });
});

Deno.test("serveHttp: with every upload slot held by slow uploads, a new upload takes the slowest one's slot (408 to it); fast ones keep theirs", async () => {
  await withServer({ maxUploads: 2, bodyTimeoutMs: 30_000, minUploadRate: 10 * 1024 }, async (r) => {
    return new Response(String((await r.arrayBuffer()).byteLength));
  }, async (port, server) => {
    const held: Deno.Conn[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await connect(port);
      await c.write(
        enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(i ? 60_000 : 100)),
      );
      held.push(c);
    }
    while (server.stats().uploads < 2) await new Promise((r) => setTimeout(r, 10));
    // 100 bytes in 0.5 s is under 10 KiB/s; 60,000 is over.
    await new Promise((r) => setTimeout(r, 500));
    const late = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "a photo" });
    assert.deepEqual([late.status, await late.text()], [200, "7"]);
    // The slow one was closed with a 408; the fast one is still being read, and keeps its slot.
    const slower = await readAll(held[0]!, 1000);
    assert.match(slower.text, /^HTTP\/1\.1 408 /);
    assert.ok(slower.closed);
    assert.equal(server.stats().uploads, 1);
    assert.equal(server.stats().uploads_evicted, 1);
    const held2 = await connect(port);
    await held2.write(enc.encode("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" + "x".repeat(60_000)));
    while (server.stats().uploads < 2) await new Promise((r) => setTimeout(r, 10));
    const refused = await fetch(`http://127.0.0.1:${port}/`, { method: "POST", body: "a photo" });
    assert.deepEqual([refused.status, refused.headers.get("retry-after")], [503, "1"]);
    await refused.body?.cancel();
    assert.equal(server.stats().uploads_evicted, 1);
    held[1]!.close();
    held2.close();
  });
});

Deno.test("serveHttp: malformed requests are 400, oversized headers 431, a foreign transfer coding 501; the server goes on", async () => {
  await withServer({ maxHeaderBytes: 1024 }, ok, async (port) => {
    const cases: [string, RegExp][] = [
      ["NONSENSE\r\n\r\n", /^HTTP\/1\.1 400 /],
      ["GET / HTTP/1.1\r\nBad Header\r\n\r\n", /^HTTP\/1\.1 400 /],
      [`GET / HTTP/1.1\r\nX: ${"a".repeat(2000)}\r\n\r\n`, /^HTTP\/1\.1 431 /],
      ["POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", /^HTTP\/1\.1 501 /],
      ["POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc", /^HTTP\/1\.1 400 /],
      ["POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", /^HTTP\/1\.1 400 /],
      ["GET / HTTP/2.0\r\n\r\n", /^HTTP\/1\.1 505 /],
    ];
    for (const [request, status] of cases) {
      const c = await connect(port);
      await c.write(enc.encode(request));
      const r = await readAll(c);
      assert.match(r.text, status, JSON.stringify(request.slice(0, 40)));
      assert.ok(r.closed);
    }
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), "fine\n");
  });
});

Deno.test("defaultMaxConnections: the free descriptors less a reserve for models, workers and the database", () => {
  assert.equal(defaultMaxConnections(256), 192);
  assert.equal(defaultMaxConnections(1024), 768);
  assert.equal(defaultMaxConnections(20000), 19488);
  // This process's count is real: under the limit the test runs with, and more than a few.
  const free = freeDescriptors()!;
  assert.ok(free > 100 && free <= 65_536, String(free));
  assert.equal(freeDescriptors(50), 50);
});

/** `serve` of `dir/model` on one worker under `ulimit -n 256`. */
const serveUnderLimit = (dir: string, ...more: string[]) =>
  startServe(["--model", `${dir}/model`, "--workers", "1", ...more], { fileLimit: 256 });

for (
  const [what, more] of [["its own cap", []], ["a cap over the limit (--max-connections 1000)", [
    "--max-connections",
    "1000",
  ]]] as const
) {
  Deno.test(`serve under ulimit -n 256 with ${what}: 400 idle connections, and it answers and stays up`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "face2vec_limits_" });
    const served = await serveUnderLimit(dir, ...more);
    const idle: Deno.Conn[] = [];
    try {
      // Its own cap: the ~230 descriptors it has free less 64.
      if (more.length) assert.equal(served.cap, 1000);
      else assert.ok(served.cap! > 120 && served.cap! <= 192, String(served.cap));
      for (let i = 0; i < 400; i++) {
        const c = await connect(served.port);
        await c.write(enc.encode("GET /v1/health/live HTTP/1.1\r\n"));
        idle.push(c);
      }
      // Let it accept what it can.
      await new Promise((r) => setTimeout(r, 500));
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${served.base}/v1/health/live`, { headers: { connection: "close" } });
        assert.deepEqual([r.status, await r.json()], [200, { status: "ok" }]);
      }
      const metrics = await (await fetch(`${served.base}/metrics`, { headers: { connection: "close" } })).text();
      const stat = (k: string) =>
        Number(metrics.match(new RegExp(`^face2vec_connections\\{what="${k}"\\} (\\d+)$`, "m"))?.[1]);
      assert.ok(stat("evicted") > 0, metrics);
      if (more.length) assert.ok(stat("accept_errors") > 0, "the descriptor table was really full");
      else assert.ok(stat("open") <= served.cap!);
    } finally {
      for (const c of idle) {
        try {
          c.close();
        } catch { /* evicted */ }
      }
      await new Promise((r) => setTimeout(r, 200));
      // Alive after the flood: it answers again, then stops cleanly on SIGTERM.
      const r = await fetch(`${served.base}/v1/health/live`);
      assert.equal(r.status, 200);
      await r.body?.cancel();
      served.child.kill("SIGTERM");
      const status = await served.child.status;
      const log = await served.stderr;
      assert.equal(status.code, 0, log);
      assert.doesNotMatch(log, /os error 24|Too many open files/);
      await Deno.remove(dir, { recursive: true });
    }
  });
}
