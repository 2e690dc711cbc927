/**
 * The HTTP service under a loopback load for `deno task bench`: `serve` in its own process
 * (the task's permissions) over a gallery-only model of the six npm sample photos' largest
 * faces, and the load client here, on the same machine: `fetch` from this Deno process with a
 * fixed number of requests in flight, each a 640 px copy of a sample photo POSTed to
 * `/v1/recognize` (raw body), until a count or a time is reached, after a warm-up that is not
 * counted. Measured per run: answers per second, p50/p99 latency, errors (any status but
 * 200), and the server process's resident memory (from its `/metrics`; workers included: they
 * are its threads) at request counts along the way. One run with 1 worker, one with 2.
 *
 * Then the service under hostile clients: a separate load process (this file, run with
 * `--slow-clients`) holds 2,000 connections that never finish their headers (a header line
 * every 2 s; reconnecting when the server closes one), while a prompt client asks
 * `/v1/recognize` one request at a time on a new connection each; its latency is compared
 * with the same client's before the attack, and the server's resident memory idle, under
 * attack and after the slow clients leave.
 *
 * Alone: `deno run -A scripts/_bench_service.ts [--quick] [--hostile-only]` prints the JSON.
 *
 * @module
 */

import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { readImage } from "../lib/image/read_image.ts";
import { newGalleryModel } from "../lib/model/model.ts";
import { modelPipelineOptions } from "../lib/model/model.ts";
import { Gallery } from "../lib/gallery/gallery.ts";
import { saveModel } from "../lib/model/model_folder.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { shrunkCopies } from "./_bench_recognize.ts";
import { startServe } from "./_serve_process.ts";
import type { BenchJson } from "../lib/eval/schema.ts";

/** The bench's service figures (`service` of bench.json). */
export type ServiceBench = NonNullable<BenchJson["service"]>;
/** One load run. */
export type ServiceRun = ServiceBench["runs"][string];
/** The service under slow clients that never finish (see the module). */
export type HostileRun = NonNullable<ServiceBench["hostile"]>[number];

/** The server's resident memory in MB, as its `/metrics` says (`Deno.memoryUsage().rss`: its worker threads included). */
async function rssOf(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const bytes = Number(text.match(/^face2vec_resident_memory_bytes (\d+)$/m)?.[1]);
  if (!Number.isFinite(bytes)) throw new Error("no face2vec_resident_memory_bytes in /metrics");
  return Math.round(bytes / 1e5) / 10;
}

/** The server's connection counters, as its `/metrics` says. */
async function connectionsOf(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Object.fromEntries(
    [...text.matchAll(/^face2vec_connections\{what="(\w+)"\} (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
  );
}

/** `serve` of `model` in a child process (its base URL once it listens), under an open-file limit if given. */
async function serveModel(model: string, workers: number, fileLimit?: number) {
  const served = await startServe(["--model", model, "--workers", String(workers), "--queue", "256"], { fileLimit });
  return { base: served.base, child: served.child, cap: served.cap ?? NaN };
}

/** The p-th quantile (0–1) of sorted values. */
const quantile = (sorted: readonly number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;

async function loadRun(
  model: string,
  photos: readonly Uint8Array[],
  workers: number,
  concurrency: number,
  count: number,
  maxSeconds: number,
  checkpoints: readonly number[],
): Promise<ServiceRun> {
  const { base, child } = await serveModel(model, workers);
  try {
    const ask = async (i: number) => {
      const t0 = performance.now();
      const r = await fetch(`${base}/v1/recognize`, {
        method: "POST",
        headers: { "content-type": "image/png" },
        body: photos[i % photos.length]! as Uint8Array<ArrayBuffer>,
      });
      await r.arrayBuffer();
      return { ms: performance.now() - t0, ok: r.status === 200 };
    };
    // Warm-up: every worker loads its pipeline and the model.
    for (let round = 0; round < 3; round++) await Promise.all(Array.from({ length: workers }, (_, i) => ask(i)));
    const latencies: number[] = [];
    const rss: Record<string, number> = {};
    let next = 0, done = 0, errors = 0;
    const t0 = performance.now();
    const deadline = t0 + maxSeconds * 1000;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count && performance.now() < deadline) {
        const r = await ask(next++);
        latencies.push(r.ms);
        if (!r.ok) errors++;
        done++;
        if (checkpoints.includes(done)) rss[String(done)] = await rssOf(base);
        if (done % 1000 === 0) console.error(`bench: service, ${workers} worker(s): ${done} answers`);
      }
    }));
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    rss[String(done)] ??= await rssOf(base);
    return {
      workers,
      concurrency,
      requests: done,
      seconds: Math.round(seconds * 10) / 10,
      per_s: Math.round((done / seconds) * 100) / 100,
      p50_ms: Math.round(quantile(latencies, 0.5) * 10) / 10,
      p99_ms: Math.round(quantile(latencies, 0.99) * 10) / 10,
      errors,
      rss_mb: rss,
    };
  } finally {
    child.kill("SIGTERM");
    await child.status;
  }
}

/**
 * Measures the service with 1 and 2 workers.
 *
 * @param quick A short run (a smoke test of the bench, not a figure).
 * @param small The 640 px copies of the sample photos.
 * @param hostileOnly Only the slow-client run (the others' figures empty).
 * @returns The figures.
 */
export async function serviceBench(
  quick: boolean,
  small: readonly string[],
  hostileOnly = false,
): Promise<ServiceBench> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec-service-bench-" });
  try {
    const basis = await newGalleryModel();
    const pipeline = await createPipeline(modelPipelineOptions(basis.info));
    const entries = [];
    try {
      for (const [i, p] of small.entries()) {
        const found = await pipeline.processLargestFace(await readImage(p));
        if (found?.face.embedding) entries.push({ label: `sample${i + 1}`, path: p, embedding: found.face.embedding });
      }
    } finally {
      await pipeline.dispose();
    }
    await saveModel(`${dir}/model`, { ...basis, gallery: Gallery.from(entries) });
    const photos = await Promise.all(small.map((p) => Deno.readFile(p)));
    const concurrency = 4;
    console.error("bench: service under 2,000 slow clients…");
    const hostile = [
      await hostileRun(`${dir}/model`, photos, 2, quick ? 200 : 2000, quick ? 3 : 25),
      await hostileRun(`${dir}/model`, photos, 2, quick ? 200 : 2000, quick ? 3 : 25, quick ? 150 : 1024),
      await hostileRun(`${dir}/model`, photos, 2, quick ? 100 : 1000, quick ? 3 : 25, undefined, "uploads"),
    ];
    if (hostileOnly) {
      return {
        client: "",
        endpoint: "",
        photos: "",
        gallery_faces: entries.length,
        runs: {},
        speedup_2_over_1: 0,
        rss_growth_mb: null,
        hostile,
      };
    }
    console.error("bench: service, 1 worker…");
    const one = await loadRun(`${dir}/model`, photos, 1, concurrency, quick ? 20 : 600, quick ? 60 : 600, [100]);
    console.error("bench: service, 2 workers…");
    const checkpoints = quick ? [20, 40] : [100, 1000, 2000, 5000, 10_000];
    const two = await loadRun(
      `${dir}/model`,
      photos,
      2,
      concurrency,
      quick ? 40 : 10_000,
      quick ? 60 : 3600,
      checkpoints,
    );
    const last = Math.max(...Object.keys(two.rss_mb).map(Number));
    return {
      client: `fetch from the bench's Deno process, ${concurrency} requests in flight, on the same machine`,
      endpoint: "POST /v1/recognize (raw PNG body)",
      photos: `the six npm sample photos shrunk to 640 px (${small.length} files, used in turn)`,
      gallery_faces: entries.length,
      runs: { workers_1: one, workers_2: two },
      speedup_2_over_1: Math.round((two.per_s / one.per_s) * 100) / 100,
      rss_growth_mb: two.rss_mb["1000"] !== undefined && last > 1000
        ? Math.round((two.rss_mb[String(last)]! - two.rss_mb["1000"]) * 10) / 10
        : null,
      hostile,
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** What the slow clients do: never finish their headers, or send a 20 MB body a byte every 2 s. */
type SlowMode = "headers" | "uploads";

/** The prompt client: requests one at a time, each on a new connection, for `seconds` (at least 10); latencies and errors. */
async function promptClient(base: string, photos: readonly Uint8Array[], seconds: number) {
  const ms: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  for (let i = 0; i < 10 || performance.now() < end; i++) {
    const t0 = performance.now();
    try {
      const r = await fetch(`${base}/v1/recognize`, {
        method: "POST",
        headers: { "content-type": "image/png", connection: "close" },
        body: photos[i % photos.length]! as Uint8Array<ArrayBuffer>,
      });
      await r.arrayBuffer();
      if (r.status !== 200) errors++;
    } catch {
      errors++;
    }
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return { p50: quantile(ms, 0.5), p90: quantile(ms, 0.9), errors, n: ms.length };
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** The server's resident memory: the median of 5 readings a second apart. */
async function settledRss(base: string): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    if (i) await new Promise((r) => setTimeout(r, 1000));
    readings.push(await rssOf(base));
  }
  return quantile(readings.sort((a, b) => a - b), 0.5);
}

async function hostileRun(
  model: string,
  photos: readonly Uint8Array[],
  workers: number,
  slowClients: number,
  seconds: number,
  fileLimit?: number,
  mode: SlowMode = "headers",
): Promise<HostileRun> {
  const { base, child, cap } = await serveModel(model, workers, fileLimit);
  let attacker: Deno.ChildProcess | undefined;
  try {
    // Warm-up (300 answers, 4 in flight: resident memory reaches its plateau; it moves by
    // ±50 MB with garbage collection, see the 10,000-request run), the prompt client
    // unloaded, then the idle figure: the median of 5 readings a second apart.
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => {
      while (next < (seconds < 10 ? 20 : 300)) {
        const i = next++;
        const r = await fetch(`${base}/v1/recognize`, {
          method: "POST",
          headers: { "content-type": "image/png" },
          body: photos[i % photos.length]! as Uint8Array<ArrayBuffer>,
        });
        await r.arrayBuffer();
      }
    }));
    const unloaded = await promptClient(base, photos, Math.min(10, seconds));
    const rssIdle = await settledRss(base);
    // The attack, from its own process.
    attacker = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-net=127.0.0.1",
        new URL(import.meta.url).pathname,
        "--slow-clients",
        base,
        String(slowClients),
        mode,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = attacker.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let said = "";
    while (!said.includes("holding")) {
      const { value, done } = await lines.read();
      if (done) throw new Error(`the slow clients' process ended: ${said}`);
      said += value;
    }
    const t0 = performance.now();
    const loaded = await promptClient(base, photos, seconds);
    const attackSeconds = (performance.now() - t0) / 1000;
    const rssAttack = await rssOf(base);
    const during = await connectionsOf(base);
    console.error(`bench: under attack: ${JSON.stringify(during)}`);
    attacker.kill("SIGTERM");
    await attacker.status;
    (async () => {
      while (!(await lines.read()).done);
    })();
    attacker = undefined;
    // They have left: the server closes what they held; memory settles.
    await new Promise((r) => setTimeout(r, 5000));
    const rssAfter = await settledRss(base);
    const connections = await connectionsOf(base);
    const up = (await fetch(`${base}/v1/health/live`).then((r) =>
      r.arrayBuffer().then(() => r.status), () => 0)) === 200;
    return {
      workers,
      file_limit: fileLimit ?? null,
      max_connections: cap,
      slow_clients: slowClients,
      slow_kind: mode === "headers"
        ? "connections that never finish their headers (a header line every 2 s, reconnecting when closed)"
        : "uploads of 20 MB, a byte every 2 s (reconnecting when refused or closed)",
      requests: loaded.n,
      seconds: round1(attackSeconds),
      unloaded_p50_ms: round1(unloaded.p50),
      unloaded_p90_ms: round1(unloaded.p90),
      loaded_p50_ms: round1(loaded.p50),
      loaded_p90_ms: round1(loaded.p90),
      latency_ratio: Math.round((loaded.p50 / unloaded.p50) * 100) / 100,
      errors: loaded.errors,
      rss_idle_mb: rssIdle,
      rss_attack_mb: rssAttack,
      rss_after_mb: rssAfter,
      rss_after_growth_mb: round1(rssAfter - rssIdle),
      service_up: up,
      connections: { ...connections, open_under_attack: during.open ?? 0 },
    };
  } finally {
    attacker?.kill("SIGTERM");
    await attacker?.status;
    child.kill("SIGTERM");
    await child.status;
  }
}

/**
 * The slow clients (run in their own process): `n` connections to `base` that send a request
 * line and then a header line every 2 s, never the blank line; one closed by the server is
 * opened again after 100 ms. Prints "holding N" once all are open, and runs until killed.
 */
async function slowClients(base: string, n: number, mode: SlowMode): Promise<void> {
  const { hostname, port } = new URL(base);
  const head = "POST /v1/recognize HTTP/1.1\r\nHost: bench\r\nContent-Type: image/png\r\n";
  const line = new TextEncoder().encode(mode === "headers" ? "X-Slow: 1\r\n" : "x");
  const start = new TextEncoder().encode(mode === "headers" ? head : `${head}Content-Length: 20000000\r\n\r\n`);
  let open = 0, started = 0;
  const one = async () => {
    while (true) {
      let conn: Deno.Conn | undefined;
      try {
        conn = await Deno.connect({ hostname, port: Number(port) });
        open++;
        started++;
        await conn.write(start);
        const reading = conn.read(new Uint8Array(1024)).catch(() => null);
        let closed = false;
        reading.then(() => closed = true);
        while (!closed) {
          await new Promise((r) => setTimeout(r, 2000));
          if (!closed) await conn.write(line);
        }
      } catch {
        // Closed by the server mid-write.
      } finally {
        if (conn) open--;
        try {
          conn?.close();
        } catch { /* closed */ }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  for (let i = 0; i < n; i++) {
    one();
    if (i % 100 === 99) await new Promise((r) => setTimeout(r, 20));
  }
  // Headers: until (nearly) all are open at once. Uploads (most are refused and come back):
  // until each has connected, then 2.5 s, so that those holding slots are past their grace.
  if (mode === "headers") { while (open < n * 0.98) await new Promise((r) => setTimeout(r, 50)); }
  else {
    while (started < n) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 2500));
  }
  console.log(`holding ${open}`);
  setInterval(() => console.error(`bench: slow clients holding ${open}`), 10_000);
  await new Promise(() => {});
}

if (import.meta.main) {
  if (Deno.args[0] === "--slow-clients") {
    await slowClients(Deno.args[1]!, Number(Deno.args[2]), Deno.args[3] === "uploads" ? "uploads" : "headers");
  } else {
    const dir = await Deno.makeTempDir({ prefix: "face2vec-service-bench-" });
    try {
      const small = await shrunkCopies(samplePhotos(), 640, dir);
      const result = await serviceBench(Deno.args.includes("--quick"), small, Deno.args.includes("--hostile-only"));
      console.log(JSON.stringify(result, null, 2));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
}
