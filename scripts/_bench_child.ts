/**
 * The bench's child processes, measured in a fresh `deno` so that nothing is warm, and the
 * functions that spawn them. `deno run -A scripts/_bench_child.ts MODE [ARG…]` prints one JSON
 * value:
 *
 * - `opencv`, `tfjs`, `embedder`: ms to import and load OpenCV.js, tfjs, the embedding model.
 * - `detector NAME`: ms to import and load that face detector (its runtime and model).
 * - `landmarks`: `{ stage, session }`: ms from nothing to one face's landmarks (the import,
 *   onnxruntime-web's WASM, the session, one call), and ms to create a second session.
 * - `preprocess FOLDER CACHE N DETECTOR`: `preprocess` of FOLDER into CACHE with N workers
 *   (geometry) behind DETECTOR, sampling this process's RSS (workers included: they are
 *   threads of it) every 20 ms: `{ seconds, photos, processed, cached, peak_rss_mb }`.
 * - `train CACHE N K E W`: `train` of the first N faces (sorted by path, of the people with at
 *   least K of them) of CACHE, K folds x E epochs, batch 10, W workers:
 *   `{ faces, people, folds, epochs, workers, seconds, ms_per_epoch }`.
 * - `rss DETECTOR INPUT…`: detection with DETECTOR over every photo of the folders and files,
 *   the peak RSS in MB (sampled after every photo).
 * - `gallery DIR`: the gallery-only model in DIR loaded to a first answer, and its queries
 *   (the probes in `DIR/probes.f32`, their people in `DIR/probes.json`): see `_bench_gallery.ts`.
 *
 * Each mode imports the library itself: the cold starts when called (see `late`), so that they
 * include loading the modules.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };
import type { DetectorName } from "../lib/detect/detect_faces.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { rssMb } from "./_meta.ts";
import { summarize } from "../lib/eval/timing.ts";

/**
 * A library module imported when called: a cold start includes loading its modules, which a
 * literal `import("…")` would do with this file's, before the clock starts.
 */
const late = (path: string) => import(new URL(path, import.meta.url).href);

/** Milliseconds that `start` (an import and a load, in this fresh process) takes; what it loads goes with the process. */
async function coldStart(start: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await start();
  return performance.now() - t0;
}

const MODES = {
  opencv: () => coldStart(async () => (await late("../lib/runtime/opencv.ts")).loadOpenCV()),
  tfjs: () => coldStart(async () => (await late("../lib/runtime/tfjs.ts")).loadTfjs()),
  embedder: () => coldStart(async () => (await late("../lib/embed/embed_faces.ts")).createEmbedder()),
  detector: ([name]: readonly string[]) =>
    coldStart(async () => (await late("../lib/detect/detect_faces.ts")).createFaceDetector({ detector: name })),
  async landmarks() {
    const t0 = performance.now();
    const { createLandmarker, landmarkModelUrl } = await late("../lib/landmarks/detect_landmarks.ts");
    const landmarker = await createLandmarker();
    const t1 = performance.now();
    const { createOnnxSession } = await late("../lib/runtime/onnx.ts");
    const bytes = await Deno.readFile(landmarkModelUrl("full"));
    const t2 = performance.now();
    const again = await createOnnxSession(bytes);
    const t3 = performance.now();
    await again.release();
    const image = { width: 200, height: 200, channels: 1, data: new Uint8Array(40000).fill(100) } as const;
    const t4 = performance.now();
    await landmarker.landmarks(image, [{ x: 40, y: 40, width: 120, height: 120 }]);
    return { stage: t1 - t0 + (performance.now() - t4), session: t3 - t2 };
  },
  async preprocess([folder, cache, workers, detector]: readonly string[]) {
    const { preprocessFolder } = await import("../lib/dataset/preprocess.ts");
    let peak = rssMb();
    const timer = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    const t0 = performance.now();
    const s = await preprocessFolder(folder!, {
      cache,
      workers: Number(workers),
      features: "geometry",
      detector: { detector: detector as DetectorName },
    });
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(timer);
    const peak_rss_mb = Math.max(peak, rssMb());
    return { seconds, photos: s.processed + s.cached, processed: s.processed, cached: s.cached, peak_rss_mb };
  },
  async train([path, ...numbers]: readonly string[]) {
    const { readCache } = await import("../lib/dataset/cache.ts");
    const { planTraining, trainModel } = await import("../lib/classify/train_model.ts");
    const [faces, folds, epochs, workers] = numbers.map(Number) as [number, number, number, number];
    const whole = (await readCache(path!))!;
    const first = [...whole.records.values()].filter((r) => r.status === "ok" && r.features)
      .sort((a, b) => (a.path < b.path ? -1 : 1)).slice(0, faces);
    const people = Map.groupBy(first, (r) => r.label);
    const kept = first.filter((r) => people.get(r.label)!.length >= folds);
    const cache = { ...whole, records: new Map(kept.map((r) => [r.path, r])) };
    const plan = await planTraining(cache, { folds });
    const t0 = performance.now();
    await trainModel(cache, plan, { epochs, batch: 10, seed: 0, workers });
    const seconds = (performance.now() - t0) / 1000;
    return {
      faces: kept.length,
      people: plan.samples.names.length,
      folds: plan.folds,
      epochs,
      workers,
      seconds: Math.round(seconds * 10) / 10,
      ms_per_epoch: Math.round((seconds * 1000) / epochs),
    };
  },
  async rss([name, ...inputs]: readonly string[]) {
    const { createFaceDetector } = await import("../lib/detect/detect_faces.ts");
    const { listImages } = await import("../lib/image/list_images.ts");
    const { readImage } = await import("../lib/image/read_image.ts");
    const detector = await createFaceDetector({ detector: name as DetectorName });
    let peak = rssMb();
    for (const p of await listImages(inputs)) {
      await detector.detect(await readImage(p.path));
      peak = Math.max(peak, rssMb());
    }
    await detector.dispose();
    return peak;
  },
  async gallery([dir]: readonly string[]) {
    const { loadModel, saveModel } = await import("../lib/model/model_folder.ts");
    const { DEFAULT_PROBES } = await import("../lib/gallery/gallery.ts");
    const rss0 = Deno.memoryUsage().rss;
    const t0 = performance.now();
    const model = await loadModel(dir!);
    model.gallery.prepare();
    const load_ms = performance.now() - t0;
    const rss_growth_mb = (Deno.memoryUsage().rss - rss0) / 2 ** 20;
    const bytes = await Deno.readFile(`${dir}/probes.f32`);
    const probes = new Float32Array(bytes.buffer);
    const truth: string[] = JSON.parse(await Deno.readTextFile(`${dir}/probes.json`));
    const dim = model.gallery.dim, n = truth.length;
    const probe = (q: number) => probes.subarray(q * dim, (q + 1) * dim);
    const t1 = performance.now();
    const indexed = model.gallery.cells > 0 ? model.gallery : await model.gallery.indexed();
    indexed.prepare();
    const index_build_ms = model.gallery.cells > 0 ? null : Math.round(performance.now() - t1);
    const timed = <T>(f: (q: number) => T) => {
      const ms: number[] = [], out: T[] = [];
      for (let q = 0; q < n; q++) {
        const t = performance.now();
        out.push(f(q));
        ms.push(performance.now() - t);
      }
      return { out, median: summarize(ms).median_ms };
    };
    const personExact = timed((q) => model.gallery.nearestPeople(probe(q), 2, { exact: true })[0]!.label);
    const personIndex = timed((q) => indexed.nearestPeople(probe(q), 2)[0]!.label);
    const faceExact = timed((q) => model.gallery.nearestFace(probe(q), { exact: true })!.face);
    const faceIndex = timed((q) => indexed.nearestFace(probe(q))!.face);
    const share = (a: readonly unknown[], b: readonly unknown[]) => a.filter((x, i) => x === b[i]).length / n;
    // Adding one face to the loaded gallery, saved (a new segment and model.json).
    const t2 = performance.now();
    const one = { label: "bench_added", path: "bench/added.jpg", embedding: probe(0).map((v) => v + 0.01) };
    await saveModel(dir!, { ...model, gallery: model.gallery.withAdded([one]) });
    const add_one_ms = performance.now() - t2;
    return {
      load_ms: Math.round(load_ms),
      rss_growth_mb: Math.round(rss_growth_mb),
      index_build_ms,
      cells: indexed.cells,
      probes: DEFAULT_PROBES,
      person_exact_ms: personExact.median,
      person_index_ms: personIndex.median,
      person_recall_at_1: share(personIndex.out, personExact.out),
      person_accuracy_exact: share(personExact.out, truth),
      face_exact_ms: faceExact.median,
      face_index_ms: faceIndex.median,
      face_recall_at_1: share(faceIndex.out, faceExact.out),
      queries: n,
      add_one_ms: Math.round(add_one_ms),
    };
  },
};

/** A mode of the child process (see the module doc). */
type BenchChildMode = keyof typeof MODES;

/** Runs a child mode in a fresh `deno run -A` from the project's root; returns what it printed, or throws with its stderr. */
export async function benchChild<M extends BenchChildMode>(
  mode: M,
  args: readonly string[] = [],
): Promise<Awaited<ReturnType<(typeof MODES)[M]>>> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-A", import.meta.filename!, mode, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  if (!out.success) throw new Error(`bench child ${mode} ${args.join(" ")} failed: ${text(out.stderr)}`);
  return JSON.parse(text(out.stdout));
}

/**
 * Milliseconds from spawning the CLI, with the permissions its `deno task` gives, to its first
 * output on stdout; throws with its stderr when it fails (that output was no answer).
 */
export async function cliFirstAnswerMs(command: "detect" | "predict", args: readonly string[]): Promise<number> {
  // The task is `deno run PERMISSION… cli.ts COMMAND`.
  const task = config.tasks[command].split(" ").slice(2);
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...task, ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  let chunk = await reader.read();
  const ms = performance.now() - t0;
  while (!chunk.done) chunk = await reader.read();
  if (!(await child.status).success) throw new Error(`cli.ts ${command} ${args.join(" ")} failed: ${await stderr}`);
  return ms;
}

/** The median of each figure over `n` rounds of `round` (which measures in fresh processes). */
export async function medians(
  n: number,
  round: () => Promise<Record<string, number>>,
): Promise<Record<string, number>> {
  const runs: Record<string, number[]> = {};
  for (let i = 0; i < n; i++) {
    for (const [k, v] of Object.entries(await round())) (runs[k] ??= []).push(v);
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summarize(v).median_ms]));
}

if (import.meta.main) {
  const [mode, ...args] = Deno.args;
  if (!mode || !(mode in MODES)) {
    console.error(`usage: deno run -A scripts/_bench_child.ts ${Object.keys(MODES).join("|")} [ARG…]`);
    Deno.exit(2);
  }
  console.log(JSON.stringify(await MODES[mode as BenchChildMode](args)));
}
