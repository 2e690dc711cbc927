/**
 * `deno task bench [FOLDER…] [--quick] [--json-out FILE]`: speed of the pipeline behind each
 * face detector (the original's Haar cascade and the learned BlazeFace, each with its own
 * landmark options), never measured in tests. For each photo set (default: `lfw_min10` from
 * ../shared/datasets when present, 640 px copies of the six npm sample photos, and the six
 * 1920 px originals), after a warm-up: median and p90 ms per stage per photo or face (decode,
 * detect, landmarks, geometry features, embedding); naming every face of a 640 px photo through
 * the library with a geometry (network) and an embedding (gallery) model; photos/s with 1 and N
 * workers; cold start of each WASM runtime (OpenCV.js, onnxruntime-web, tfjs), of each
 * detector, of the embedding model and of the CLI to its first answer (`detect`, `predict`);
 * preprocessing (geometry) and training times; peak RSS (sampled after every photo) of a
 * process detecting over every set; clustering time at 10,000 and 100,000 faces (see
 * `_bench_cluster.ts`); the gallery's load, queries, memory and appends at 10,000, 100,000
 * and 1,000,000 faces (see `_bench_gallery.ts`); the pgvector gallery in PGlite at 10,000 and
 * 100,000 (`_bench_pgvector.ts`); the HTTP service under a loopback load with 1 and 2 workers
 * (`_bench_service.ts`).
 *
 * @module
 */

import { DEFAULT_DETECTOR, type DetectorName, type DetectorOptions } from "../lib/detect/detect_faces.ts";
import { decodeImage } from "../lib/image/decode_image.ts";
import { createLandmarker } from "../lib/detect/landmark_crops.ts";
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { createEmbedder, DEFAULT_EMBEDDER, EMBEDDER_REGISTRY, type EmbedderName } from "../lib/embed/embed_faces.ts";
import { listImages } from "../lib/image/list_images.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { meta, parseMeasureArgs, printTables } from "./_meta.ts";
import { summarize } from "../lib/eval/timing.ts";
import { DETECTOR_COLUMNS, perDetector, perDetectorAsync } from "../lib/eval/per_detector.ts";
import { type BenchJson, type StageTimes, validateBench } from "../lib/eval/schema.ts";
import { benchChild, cliFirstAnswerMs, medians } from "./_bench_child.ts";
import { byPrefix, recognitionBench, shrunkCopies } from "./_bench_recognize.ts";
import { clusteringBench } from "./_bench_cluster.ts";
import { galleryBench } from "./_bench_gallery.ts";
import { pgvectorBench } from "./_bench_pgvector.ts";
import { serviceBench } from "./_bench_service.ts";

interface PhotoSet {
  name: string;
  paths: string[];
  /** Besides each detector's defaults (`detector` itself is never set here). */
  options: Omit<DetectorOptions, "detector">;
}

/** At most `n` items, evenly spread over the list. */
function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

/**
 * The sets to time, and the inputs of the peak-RSS child: FOLDERs, or lfw_min10 (when present),
 * the 640 px copies of the samples (`small`) and the samples.
 */
async function photoSets(
  folders: readonly string[],
  quick: boolean,
  small: readonly string[],
): Promise<{ sets: PhotoSet[]; rss: string[] }> {
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
  const repeated = (photos: readonly string[]) => Array.from({ length: quick ? 1 : 5 }, () => photos).flat();
  sets.push({ name: "samples_640", paths: repeated(small), options: {} });
  sets.push({ name: "samples_1920", paths: repeated(samples), options: {} });
  sets.push({ name: "samples_1920_rotate_always", paths: repeated(samples), options: { rotate: "always" } });
  return { sets, rss: [...rss, ...samples] };
}

/**
 * Each stage's times over the set behind detector `d`, after `warmup` photos; landmarks and
 * later stages on the largest face, with `d`'s landmark options (the full network's and the
 * tiny one's).
 */
async function stageTimes(set: PhotoSet, warmup: number, d: DetectorName): Promise<Record<string, StageTimes>> {
  const options = { detector: { ...set.options, detector: d }, features: "geometry" } as const;
  const pipeline = await createPipeline(options, { embed: true });
  const { detector, features } = pipeline, full = pipeline.landmarker!, embedder = pipeline.embedder!;
  const tiny = await createLandmarker({ model: "tiny" }, d);
  // Every other embedding network, timed on the same faces (`embedding_<name>`).
  const others = await Promise.all(
    Object.keys(EMBEDDER_REGISTRY).filter((n) => n !== DEFAULT_EMBEDDER).map(async (n) =>
      [n, await createEmbedder({ network: n as EmbedderName })] as const
    ),
  );
  const ms: Record<string, number[]> = {
    decode: [],
    detect: [],
    decode_detect: [],
    landmarks_full: [],
    landmarks_tiny: [],
    features_geometry: [],
    embedding: [],
    ...Object.fromEntries(others.map(([n]) => [`embedding_${n}`, []])),
  };
  try {
    // Warm-up: V8 compiles WASM in tiers; the first runs of a network are several times slower.
    for (const p of set.paths.slice(0, warmup)) {
      const image = await decodeImage(await Deno.readFile(p));
      const boxes = (await detector.detect(image)).slice(0, 1).map((f) => f.box);
      for (let i = 0; i < 20 && boxes.length > 0; i++) {
        const [points] = await full.landmarks(image, boxes);
        await tiny.landmarks(image, boxes);
        if (i < 5) { for (const e of [embedder, ...others.map(([, o]) => o)]) await e.embed(image, [points!]); }
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
      for (const [n, o] of others) {
        const t = performance.now();
        await o.embed(image, [landmarks!]);
        ms[`embedding_${n}`]!.push(performance.now() - t);
      }
    }
  } finally {
    await pipeline.dispose();
    await tiny.dispose();
    for (const [, o] of others) await o.dispose();
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

/**
 * Cold starts of the runtimes, of each detector and of `detect` behind it, each in a fresh
 * process (medians of `rounds`): those that do not depend on the detector, and those of each.
 */
async function coldStarts(sample: string, rounds: number) {
  // Detector-dependent figures are keyed `detector/figure` through the rounds, then split.
  const all = await medians(rounds, async () => {
    const opencv = await benchChild("opencv");
    const landmarks = await benchChild("landmarks");
    const round: Record<string, number> = {
      opencv,
      onnxruntime_landmark_stage: landmarks.stage,
      onnx_session_create: landmarks.session,
    };
    for (const d of DETECTOR_COLUMNS) {
      round[`${d}/detector`] = await benchChild("detector", [d]);
      round[`${d}/cli_first_answer`] = await cliFirstAnswerMs("detect", [sample, "--json", "--detector", d]);
    }
    return round;
  });
  return {
    shared: Object.fromEntries(Object.entries(all).filter(([k]) => !k.includes("/"))),
    byDetector: perDetector((d) => byPrefix(all, `${d}/`)),
  };
}

/**
 * `preprocess` of `folder` with a cold cache, then again over the unchanged folder, behind each
 * detector; then `train` on the default detector's cache.
 */
async function preprocessAndTrain(
  folder: string,
  quick: boolean,
  workers: number,
): Promise<Pick<BenchJson, "preprocess" | "train">> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_bench_" });
  try {
    const cache = (d: DetectorName) => `${dir}/${d}.cache`;
    const preprocess = await perDetectorAsync(async (d) => {
      console.error(`bench: preprocess ${folder} behind ${d} with ${workers} workers, cold cache, then again…`);
      const cold = await benchChild("preprocess", [folder, cache(d), String(workers), d]);
      const warm = await benchChild("preprocess", [folder, cache(d), String(workers), d]);
      return {
        folder: folder.split("/").slice(-2).join("/"),
        workers,
        photos: cold.photos,
        cold_seconds: Math.round(cold.seconds * 100) / 100,
        cold_photos_per_s: Math.round((cold.photos / cold.seconds) * 10) / 10,
        second_run_seconds: Math.round(warm.seconds * 100) / 100,
        second_run_processed: warm.processed,
        peak_rss_mb: cold.peak_rss_mb,
      };
    });
    // Training on 1,000 of the cached faces (the default model: 10 folds x 100 epochs, batch 10).
    console.error(`bench: training on ${quick ? "the cached" : "1,000 cached"} faces…`);
    const train = await benchChild("train", [
      cache(DEFAULT_DETECTOR),
      ...(quick ? [36, 2, 10] : [1000, 10, 100]).map(String),
      `${workers}`,
    ]);
    return { preprocess, train };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  const { quick, jsonOut, folders } = parseMeasureArgs(Deno.args, "bench");
  const provenance = await meta();
  const scratch = await Deno.makeTempDir({ prefix: "face2vec_bench_640_" });
  try {
    // The 640 px copies of the samples, made with the project's own resize (OpenCV's area averaging).
    const small = await shrunkCopies(samplePhotos(), 640, scratch);
    const { sets, rss } = await photoSets(folders, quick, small);
    const workers = navigator.hardwareConcurrency;
    // Cold starts first: they are cheap, and a failure here should not cost a long run.
    console.error("bench: cold starts…");
    const coldStart = await coldStarts(samplePhotos()[0]!, quick ? 1 : 3);
    const perSet: Record<string, BenchJson["sets"][string]> = {};
    for (const set of sets) {
      const tpPaths = quick ? set.paths.slice(0, 40) : set.paths;
      const stages = await perDetectorAsync((d) => {
        console.error(`bench: ${set.name} (${set.paths.length} photos) behind ${d}…`);
        return stageTimes(set, 3, d);
      });
      const throughputs = await perDetectorAsync(async (d) => {
        console.error(`bench: ${set.name} photos/s behind ${d}…`);
        const tp = (n: number, mode: "detect" | "full") =>
          throughput(tpPaths, n, { ...set.options, detector: d }, mode);
        return {
          workers_1: await tp(1, "full"),
          workers_n: await tp(workers, "full"),
          n: workers,
          detect_only_workers_1: await tp(1, "detect"),
          detect_only_workers_n: await tp(workers, "detect"),
        };
      });
      perSet[set.name] = { stages, throughput: throughputs };
    }
    console.error("bench: recognition (640 px photos through the library; predict's cold start)…");
    const recognition = await recognitionBench(quick, small);
    const ppFolder = datasetsPresent() ? `${datasetsDir()}/${quick ? "face2vec/train" : "lfw_min10"}` : folders[0];
    const { preprocess, train } = ppFolder === undefined
      ? { preprocess: null, train: null }
      : await preprocessAndTrain(ppFolder, quick, workers);
    const peak = await perDetectorAsync((d) => {
      console.error(`bench: peak RSS while detecting over every set behind ${d}…`);
      return benchChild("rss", [d, ...rss]);
    });
    const clustering = await clusteringBench(quick);
    const gallery = await galleryBench(quick);
    const pgvector = await pgvectorBench(quick);
    const service = await serviceBench(quick, small);
    const first = Object.values(perSet)[0]!;
    const result: BenchJson = {
      ...provenance,
      command: `deno task bench ${Deno.args.join(" ")}`.trim(),
      quick,
      sets: perSet,
      stages: perDetector((d) => ({ ...first.stages[d], ...recognition.stages[d] })),
      throughput: first.throughput,
      cold_start_ms: { ...coldStart.shared, ...recognition.cold_start_ms },
      cold_start_by_detector_ms: perDetector((d) => ({
        ...coldStart.byDetector[d],
        ...recognition.cold_start_by_detector_ms[d],
      })),
      preprocess,
      train,
      peak_rss_mb: peak,
      ...(clustering ? { clustering } : {}),
      ...(gallery ? { gallery } : {}),
      ...(pgvector ? { pgvector } : {}),
      service,
    };
    await printTables("bench", result);
    console.log(
      `(${result.commit}, deno ${result.deno}, ${result.cores} cores, ${result.date}${quick ? ", --quick" : ""})`,
    );
    if (jsonOut) {
      const problems = validateBench(JSON.parse(JSON.stringify(result)));
      for (const p of problems) console.error(`bench.json schema: ${p}`);
      if (problems.length) Deno.exit(1);
      await writeFileAtomic(jsonOut, JSON.stringify(result, null, 2) + "\n");
    }
  } finally {
    await Deno.remove(scratch, { recursive: true });
  }
}
