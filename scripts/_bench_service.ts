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
 * @module
 */

import config from "../deno.json" with { type: "json" };
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { readImage } from "../lib/image/read_image.ts";
import { newGalleryModel } from "../lib/gallery/enrol.ts";
import { modelPipelineOptions } from "../lib/recognize/recognize.ts";
import { Gallery } from "../lib/gallery/store.ts";
import { saveModel } from "../lib/classify/model.ts";
import { ROOT } from "../lib/eval/npm.ts";

/** One load run. */
export interface ServiceRun {
  readonly workers: number;
  /** Requests in flight at once. */
  readonly concurrency: number;
  readonly requests: number;
  readonly seconds: number;
  readonly per_s: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  /** The server's resident memory (MB) after this many answers, by count. */
  readonly rss_mb: Readonly<Record<string, number>>;
}

/** The bench's service figures. */
export interface ServiceBench {
  readonly client: string;
  readonly endpoint: string;
  readonly photos: string;
  readonly gallery_faces: number;
  readonly runs: Readonly<Record<string, ServiceRun>>;
  /** per_s with 2 workers over per_s with 1. */
  readonly speedup_2_over_1: number;
  /** Resident memory at the last checkpoint minus at request 1,000 (null when the run is shorter). */
  readonly rss_growth_mb: number | null;
}

/** The server's resident memory in MB, as its `/metrics` says (`Deno.memoryUsage().rss`: its worker threads included). */
async function rssOf(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const bytes = Number(text.match(/^face2vec_resident_memory_bytes (\d+)$/m)?.[1]);
  if (!Number.isFinite(bytes)) throw new Error("no face2vec_resident_memory_bytes in /metrics");
  return Math.round(bytes / 1e5) / 10;
}

/** `serve` in a child process, with the task's permissions; its base URL once it listens. */
async function startServe(model: string, workers: number): Promise<{ base: string; child: Deno.ChildProcess }> {
  const flags = config.tasks.serve.split(" cli.ts ")[0]!.split(" ").slice(2);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...flags,
      `${ROOT}/cli.ts`,
      "serve",
      "--model",
      model,
      "--port",
      "0",
      "--workers",
      String(workers),
      "--queue",
      "256",
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (true) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`serve exited: ${text}`);
    text += value;
    const m = text.match(/ on (http:\/\/127\.0\.0\.1:\d+)\/v1\//);
    if (m) {
      (async () => {
        while (!(await reader.read()).done);
      })();
      return { base: m[1]!, child };
    }
  }
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
  const { base, child } = await startServe(model, workers);
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
 * @returns The figures.
 */
export async function serviceBench(quick: boolean, small: readonly string[]): Promise<ServiceBench> {
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
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
