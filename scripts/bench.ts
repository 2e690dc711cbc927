/**
 * `deno task bench [FOLDER…] [--quick] [--json-out FILE]`: speed of the pipeline, never
 * measured in tests. For each photo set (default: `lfw_min10` from ../shared/datasets when
 * present, and the six 1920 px npm sample photos), after a warm-up: median and p90 ms per
 * stage per photo or face (decode, detect, landmarks, geometry features, embedding); naming
 * every face of a 640 px photo through the library with a geometry (network) and an embedding
 * (gallery) model; photos/s with 1 and N workers; cold start of each WASM runtime (OpenCV.js,
 * onnxruntime-web, tfjs), of the embedding model and of the CLI to its first answer
 * (`detect`, `predict`); preprocessing (geometry) and training times; peak RSS (sampled after
 * every photo) of a process detecting over every set.
 *
 * @module
 */

import type { DetectorOptions } from "../lib/detect/detect_faces.ts";
import { decodeImage } from "../lib/image/decode_image.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { listImages } from "../lib/image/list_images.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { formatTable, meta, parseMeasureArgs, summarize } from "./_meta.ts";
import { type BenchJson, type StageTimes, validateBench } from "./_schema.ts";
import { benchChild, cliFirstAnswerMs, medians } from "./_bench_child.ts";
import { recognitionBench } from "./_bench_recognize.ts";

interface PhotoSet {
  name: string;
  paths: string[];
  options: DetectorOptions;
}

/** At most `n` items, evenly spread over the list. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/** The sets to time, and the inputs of the peak-RSS child: FOLDERs, or lfw_min10 (when present) and the samples. */
async function photoSets(folders: readonly string[], quick: boolean): Promise<{ sets: PhotoSet[]; rss: string[] }> {
  const paths = async (dir: string, n: number) => spread((await listImages([dir])).map((p) => p.path), n);
  if (folders.length > 0) {
    const sets = await Promise.all(folders.map(async (f) => ({
      name: f.replace(/\/+$/, "").split("/").pop()!,
      paths: await paths(f, quick ? 50 : Infinity),
      options: {},
    })));
    return { sets, rss: [...folders] };
  }
  const sets: PhotoSet[] = [], rss: string[] = [];
  if (datasetsPresent()) {
    const lfw = `${datasetsDir()}/lfw_min10`;
    sets.push({ name: "lfw_min10", paths: await paths(lfw, quick ? 100 : Infinity), options: {} });
    rss.push(lfw);
  } else {
    console.error(`note: ${datasetsDir()} not found; benchmarking the npm sample photos only`);
  }
  const samples = samplePhotos();
  const repeated = Array.from({ length: quick ? 1 : 5 }, () => samples).flat();
  sets.push({ name: "samples_1920", paths: repeated, options: {} });
  sets.push({ name: "samples_1920_rotate_always", paths: repeated, options: { rotate: "always" } });
  return { sets, rss: [...rss, ...samples] };
}

/** Each stage's times over the set, after `warmup` photos; landmarks and later stages on the largest face. */
async function stageTimes(set: PhotoSet, warmup: number): Promise<Record<string, StageTimes>> {
  const pipeline = await createPipeline({ detector: set.options, features: "geometry" }, { embed: true });
  const { detector, features } = pipeline, full = pipeline.landmarker!, embedder = pipeline.embedder!;
  const tiny = await createLandmarker({ model: "tiny" });
  const ms: Record<string, number[]> = {
    decode: [],
    detect: [],
    decode_detect: [],
    landmarks_full: [],
    landmarks_tiny: [],
    features_geometry: [],
    embedding: [],
  };
  try {
    // Warm-up: V8 compiles WASM in tiers; the first runs of a network are several times slower.
    for (const p of set.paths.slice(0, warmup)) {
      const image = await decodeImage(await Deno.readFile(p));
      const boxes = (await detector.detect(image)).slice(0, 1).map((f) => f.box);
      for (let i = 0; i < 20 && boxes.length > 0; i++) {
        const [points] = await full.landmarks(image, boxes);
        await tiny.landmarks(image, boxes);
        if (i < 5) await embedder.embed(image, [points!]);
      }
    }
    for (const p of set.paths) {
      const t0 = performance.now();
      const image = await decodeImage(await Deno.readFile(p), { name: p });
      const t1 = performance.now();
      const box = (await detector.detect(image))[0]?.box;
      const t2 = performance.now();
      ms.decode!.push(t1 - t0);
      ms.detect!.push(t2 - t1);
      ms.decode_detect!.push(t2 - t0);
      if (!box) continue;
      // One network call per photo, on its largest face.
      const [landmarks] = await full.landmarks(image, [box]);
      const t3 = performance.now();
      await tiny.landmarks(image, [box]);
      const t4 = performance.now();
      features.compute({ landmarks: landmarks! });
      const t5 = performance.now();
      await embedder.embed(image, [landmarks!]);
      ms.landmarks_full!.push(t3 - t2);
      ms.landmarks_tiny!.push(t4 - t3);
      ms.features_geometry!.push(t5 - t4);
      ms.embedding!.push(performance.now() - t5);
    }
  } finally {
    await pipeline.dispose();
    await tiny.dispose();
  }
  return Object.fromEntries(Object.entries(ms).map(([stage, v]) => [stage, summarize(v)]));
}

/** Photos per second over `paths` shared by `workers` warm workers (see `_bench_worker.ts`). */
async function throughput(
  paths: string[],
  workers: number,
  options: DetectorOptions,
  mode: "detect" | "full",
): Promise<number> {
  const url = new URL("./_bench_worker.ts", import.meta.url);
  const pool = Array.from({ length: workers }, () => new Worker(url, { type: "module" }));
  // Every worker gets its message, then the pool waits for each one's answer.
  const all = (message: (i: number) => unknown, want: string) =>
    Promise.all(pool.map((w, i) =>
      new Promise<void>((resolve, reject) => {
        w.onmessage = (e) => e.data === want ? resolve() : reject(new Error(String(e.data)));
        w.onerror = (e) => reject(e.error ?? new Error(e.message));
        w.postMessage(message(i));
      })
    ));
  try {
    await all((i) => ({ paths: paths.filter((_, j) => j % workers === i), options, mode }), "ready");
    const t0 = performance.now();
    await all(() => "go", "done");
    return Math.round((paths.length / ((performance.now() - t0) / 1000)) * 10) / 10;
  } finally {
    for (const w of pool) w.terminate();
  }
}

/** Cold starts of the runtimes and of `detect`, each in a fresh process (medians of 3). */
function coldStarts(sample: string): Promise<Record<string, number>> {
  return medians(3, async () => {
    const opencv = await benchChild("opencv");
    const landmarks = await benchChild("landmarks");
    return {
      opencv,
      onnxruntime_landmark_stage: landmarks.stage,
      onnx_session_create: landmarks.session,
      cli_first_answer: await cliFirstAnswerMs("detect", [sample, "--json"]),
    };
  });
}

/** `preprocess` of `folder` with a cold cache, then again over the unchanged folder; then `train` on that cache. */
async function preprocessAndTrain(
  folder: string,
  quick: boolean,
  workers: number,
): Promise<Pick<BenchJson, "preprocess" | "train">> {
  console.error(`bench: preprocess ${folder} with ${workers} workers, cold cache, then again…`);
  const dir = await Deno.makeTempDir({ prefix: "face2vec_bench_" });
  try {
    const cache = `${dir}/b.cache`;
    const cold = await benchChild("preprocess", [folder, cache, String(workers)]);
    const warm = await benchChild("preprocess", [folder, cache, String(workers)]);
    // Training on 1,000 of the cached faces (the default model: 10 folds x 100 epochs, batch 10).
    console.error(`bench: training on ${quick ? "the cached" : "1,000 cached"} faces…`);
    const train = await benchChild("train", [
      cache,
      ...(quick ? [36, 2, 10] : [1000, 10, 100]).map(String),
      `${workers}`,
    ]);
    const preprocess = {
      folder: folder.split("/").slice(-2).join("/"),
      workers,
      photos: cold.photos,
      cold_seconds: Math.round(cold.seconds * 100) / 100,
      cold_photos_per_s: Math.round((cold.photos / cold.seconds) * 10) / 10,
      second_run_seconds: Math.round(warm.seconds * 100) / 100,
      second_run_processed: warm.processed,
      peak_rss_mb: cold.peak_rss_mb,
    };
    return { preprocess, train };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The printed table: stage times, throughput, cold starts, memory, preprocessing and training. */
function tableRows(result: BenchJson): string[][] {
  const rows = [["set / stage", "median ms", "p90 ms", "n"]];
  const stage = (name: string, v: StageTimes) =>
    rows.push([name, v.median_ms.toFixed(1), v.p90_ms.toFixed(1), String(v.n)]);
  const figure = (name: string, value: number | string, p90: number | string = "", n: number | string = "") =>
    rows.push([name, String(value), String(p90), String(n)]);
  for (const [name, s] of Object.entries(result.sets)) {
    for (const [k, v] of Object.entries(s.stages)) stage(`${name} ${k}`, v);
    const { n, workers_1, workers_n, detect_only_workers_1, detect_only_workers_n } = s.throughput;
    figure(`${name} photos/s end to end (1 / ${n} workers)`, workers_1, workers_n);
    figure(`${name} photos/s decode + detect (1 / ${n} workers)`, detect_only_workers_1, detect_only_workers_n);
  }
  for (const [k, v] of Object.entries(result.stages)) if (k.startsWith("recognize_")) stage(`${k} (library, warm)`, v);
  for (const [k, v] of Object.entries(result.cold_start_ms)) figure(`cold start ${k}`, v.toFixed(0));
  figure("peak RSS MB (detect over all sets)", result.peak_rss_mb);
  const p = result.preprocess, t = result.train;
  if (p) {
    figure(`preprocess ${p.folder}, ${p.workers} workers: photos/s (cold)`, p.cold_photos_per_s, "", p.photos);
    figure(`preprocess second run, s (processed ${p.second_run_processed})`, p.second_run_seconds);
    figure("preprocess peak RSS MB", p.peak_rss_mb);
  }
  if (t) {
    figure(`train ${t.faces} faces, ${t.folds} folds x ${t.epochs} epochs, ${t.workers} workers: s`, t.seconds);
    figure("train ms per epoch (all folds)", t.ms_per_epoch);
  }
  return rows;
}

if (import.meta.main) {
  const { quick, jsonOut, folders } = parseMeasureArgs(Deno.args, "bench");
  const provenance = await meta();
  const { sets, rss } = await photoSets(folders, quick);
  const workers = navigator.hardwareConcurrency;
  // Cold starts first: they are cheap, and a failure here should not cost a long run.
  console.error("bench: cold starts…");
  const coldStart = await coldStarts(samplePhotos()[0]!);
  const perSet: Record<string, BenchJson["sets"][string]> = {};
  for (const set of sets) {
    console.error(`bench: ${set.name} (${set.paths.length} photos)…`);
    const stages = await stageTimes(set, 3);
    const tpPaths = quick ? set.paths.slice(0, 40) : set.paths;
    const tp = (n: number, mode: "detect" | "full") => throughput(tpPaths, n, set.options, mode);
    perSet[set.name] = {
      stages,
      throughput: {
        workers_1: await tp(1, "full"),
        workers_n: await tp(workers, "full"),
        n: workers,
        detect_only_workers_1: await tp(1, "detect"),
        detect_only_workers_n: await tp(workers, "detect"),
      },
    };
  }
  console.error("bench: recognition (640 px photos through the library; predict's cold start)…");
  const recognition = await recognitionBench(quick);
  const ppFolder = datasetsPresent() ? `${datasetsDir()}/${quick ? "face2vec/train" : "lfw_min10"}` : folders[0];
  const { preprocess, train } = ppFolder === undefined
    ? { preprocess: null, train: null }
    : await preprocessAndTrain(ppFolder, quick, workers);
  console.error("bench: peak RSS while detecting over every set…");
  const peak = await benchChild("rss", rss);
  const first = Object.values(perSet)[0]!;
  const result: BenchJson = {
    ...provenance,
    command: `deno task bench ${Deno.args.join(" ")}`.trim(),
    quick,
    sets: perSet,
    stages: { ...first.stages, ...recognition.stages },
    throughput: first.throughput,
    cold_start_ms: { ...coldStart, ...recognition.cold_start_ms },
    preprocess,
    train,
    peak_rss_mb: peak,
  };
  console.log(formatTable(tableRows(result)));
  console.log(
    `(${result.commit}, deno ${result.deno}, ${result.cores} cores, ${result.date}${quick ? ", --quick" : ""})`,
  );
  if (jsonOut) {
    const problems = validateBench(JSON.parse(JSON.stringify(result)));
    for (const p of problems) console.error(`bench.json schema: ${p}`);
    if (problems.length) Deno.exit(1);
    await writeFileAtomic(jsonOut, JSON.stringify(result, null, 2) + "\n");
  }
}
