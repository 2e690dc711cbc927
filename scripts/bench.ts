/**
 * `deno task bench [FOLDER…] [--quick] [--json-out FILE]`: speed of the pipeline, never
 * measured in tests. For each photo set (default: `lfw_min10` from ../shared/datasets when
 * present, and the six 1920 px npm sample photos), after a warm-up: median and p90 ms per
 * stage per photo or face (decode, detect, landmarks, geometry features, embedding); naming
 * every face of a 640 px photo through the library with a geometry (network) and an embedding
 * (gallery) model; photos/s with 1 and N workers; cold start of each WASM runtime (OpenCV.js,
 * onnxruntime-web, tfjs), of the embedding model and of the CLI to its first answer
 * (`detect`, `predict`); preprocessing and training times; peak RSS (sampled after every
 * photo) of a process detecting over every set.
 *
 * @module
 */

import { createFaceDetector, type DetectorOptions } from "../lib/detect/detect_faces.ts";
import { decodeImage } from "../lib/image/decode_image.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
import { createEmbedder } from "../lib/embed/embed_faces.ts";
import { geometryFeatures } from "../lib/features/geometry.ts";
import { recognitionBench } from "./_bench_recognize.ts";
import { listImages } from "../lib/image/list_images.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { formatTable, meta, parseMeasureArgs, rssMb, summarize } from "./_meta.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { type BenchJson, validateBench } from "./_schema.ts";

interface PhotoSet {
  name: string;
  paths: string[];
  options: DetectorOptions;
}

type Stats = ReturnType<typeof summarize>;

/** Runs `deno` with arguments; returns stdout. */
async function deno(args: string[]): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).output();
  if (!out.success) throw new Error(`deno ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function spread<T>(items: readonly T[], n: number): T[] {
  if (items.length <= n) return [...items];
  return Array.from({ length: n }, (_, i) => items[Math.floor((i * items.length) / n)]!);
}

async function stageTimes(set: PhotoSet, warmup: number): Promise<Record<string, Stats>> {
  const detector = await createFaceDetector(set.options);
  const full = await createLandmarker({ model: "full" });
  const tiny = await createLandmarker({ model: "tiny" });
  const embedder = await createEmbedder();
  const decode: number[] = [], detect: number[] = [], both: number[] = [];
  const lmFull: number[] = [], lmTiny: number[] = [], embed: number[] = [], geometry: number[] = [];
  try {
    // Warm-up: V8 compiles WASM in tiers; the first runs of a network are several times slower.
    for (const p of set.paths.slice(0, warmup)) {
      const image = await decodeImage(await Deno.readFile(p));
      const boxes = detector.detect(image).slice(0, 1).map((f) => f.box);
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
      const faces = detector.detect(image);
      const t2 = performance.now();
      decode.push(t1 - t0);
      detect.push(t2 - t1);
      both.push(t2 - t0);
      // Landmarks per face: the largest face of each photo, one network call each.
      const box = faces[0]?.box;
      if (!box) continue;
      const t3 = performance.now();
      const [points] = await full.landmarks(image, [box]);
      const t4 = performance.now();
      await tiny.landmarks(image, [box]);
      const t5 = performance.now();
      geometryFeatures(points!);
      const t6 = performance.now();
      await embedder.embed(image, [points!]);
      lmFull.push(t4 - t3);
      lmTiny.push(t5 - t4);
      geometry.push(t6 - t5);
      embed.push(performance.now() - t6);
    }
  } finally {
    detector.dispose();
    await full.dispose();
    await tiny.dispose();
    await embedder.dispose();
  }
  return {
    decode: summarize(decode),
    detect: summarize(detect),
    decode_detect: summarize(both),
    landmarks_full: summarize(lmFull),
    landmarks_tiny: summarize(lmTiny),
    features_geometry: summarize(geometry),
    embedding: summarize(embed),
  };
}

async function throughput(
  paths: string[],
  workers: number,
  options: DetectorOptions,
  mode: "detect" | "full",
): Promise<number> {
  const url = new URL("./_bench_worker.ts", import.meta.url);
  const pool = Array.from({ length: workers }, () => new Worker(url, { type: "module" }));
  const next = (w: Worker, want: string) =>
    new Promise<void>((resolve, reject) => {
      w.onmessage = (e) => e.data === want ? resolve() : reject(new Error(String(e.data)));
      w.onerror = (e) => reject(e.error ?? new Error(e.message));
    });
  try {
    const shares = pool.map((_, i) => paths.filter((_, j) => j % workers === i));
    await Promise.all(pool.map((w, i) => {
      const ready = next(w, "ready");
      w.postMessage({ paths: shares[i], options, mode });
      return ready;
    }));
    const t0 = performance.now();
    await Promise.all(pool.map((w) => {
      const done = next(w, "done");
      w.postMessage("go");
      return done;
    }));
    return Math.round((paths.length / ((performance.now() - t0) / 1000)) * 10) / 10;
  } finally {
    for (const w of pool) w.terminate();
  }
}

async function coldStarts(sample: string): Promise<Record<string, number>> {
  const opencv = `const t0 = performance.now(); const { loadOpenCV } = await import(${
    JSON.stringify(new URL("../lib/runtime/opencv.ts", import.meta.url).href)
  }); await loadOpenCV(); console.log(performance.now() - t0);`;
  // The landmark stage from nothing: import, onnxruntime-web's WASM, the session, one face.
  const landmarks = `const t0 = performance.now(); const { createLandmarker } = await import(${
    JSON.stringify(new URL("../lib/landmarks/detect_landmarks.ts", import.meta.url).href)
  }); const lm = await createLandmarker(); const t1 = performance.now();
  const { createOnnxSession } = await import(${
    JSON.stringify(new URL("../lib/runtime/onnx.ts", import.meta.url).href)
  });
  const bytes = await Deno.readFile(new URL(${
    JSON.stringify(new URL("../lib/landmarks/models/face_landmark_68.onnx", import.meta.url).href)
  }));
  const t2 = performance.now(); const again = await createOnnxSession(bytes); const t3 = performance.now(); await again.release();
  const img = { width: 200, height: 200, channels: 1, data: new Uint8Array(40000).fill(100) };
  const t4 = performance.now(); await lm.landmarks(img, [{ x: 40, y: 40, width: 120, height: 120 }]); const t5 = performance.now();
  console.log(JSON.stringify({ stage: t1 - t0 + (t5 - t4), session: t3 - t2 }));`;
  const runs: Record<string, number[]> = {
    opencv: [],
    onnxruntime_landmark_stage: [],
    onnx_session_create: [],
    cli_first_answer: [],
  };
  for (let i = 0; i < 3; i++) {
    runs.opencv!.push(Number((await deno(["eval", "--quiet", opencv])).trim()));
    const lm = JSON.parse((await deno(["eval", "--quiet", landmarks])).trim());
    runs.onnxruntime_landmark_stage!.push(lm.stage);
    runs.onnx_session_create!.push(lm.session);
    const t0 = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-write", "cli.ts", "detect", sample, "--json"],
      cwd: ROOT,
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    runs.cli_first_answer!.push(performance.now() - t0);
    await reader.cancel();
    await child.status;
  }
  return Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, summarize(v).median_ms]));
}

/** Child mode: detect over every photo of the given folders/files, print peak RSS in MB. */
async function rssChild(inputs: string[]): Promise<void> {
  const detector = await createFaceDetector();
  let peak = rssMb();
  for (const p of await listImages(inputs)) {
    detector.detect(await decodeImage(await Deno.readFile(p.path)));
    peak = Math.max(peak, rssMb());
  }
  detector.dispose();
  console.log(peak);
}

if (import.meta.main) {
  const args = [...Deno.args];
  if (args[0] === "--rss-child") {
    await rssChild(args.slice(1));
    Deno.exit(0);
  }
  const { quick, jsonOut, folders } = parseMeasureArgs(args, "bench");
  const sets: PhotoSet[] = [];
  const rssInputs: string[] = [];
  if (folders.length > 0) {
    for (const f of folders) {
      const paths = (await listImages([f])).map((p) => p.path);
      sets.push({
        name: f.replace(/\/+$/, "").split("/").pop()!,
        paths: quick ? spread(paths, 50) : paths,
        options: {},
      });
      rssInputs.push(f);
    }
  } else {
    if (datasetsPresent()) {
      const lfw = (await listImages([`${datasetsDir()}/lfw_min10`])).map((p) => p.path);
      sets.push({ name: "lfw_min10", paths: quick ? spread(lfw, 100) : lfw, options: {} });
      rssInputs.push(`${datasetsDir()}/lfw_min10`);
    } else {
      console.error(`note: ${datasetsDir()} not found; benchmarking the npm sample photos only`);
    }
    const samples = samplePhotos();
    const repeat = quick ? 1 : 5;
    const repeated = Array.from({ length: repeat }, () => samples).flat();
    sets.push({ name: "samples_1920", paths: repeated, options: {} });
    sets.push({ name: "samples_1920_rotate_always", paths: repeated, options: { rotate: "always" } });
    rssInputs.push(...samples);
  }
  const workers = navigator.hardwareConcurrency;
  const result = {
    ...(await meta()),
    command: `deno task bench ${Deno.args.join(" ")}`.trim(),
    quick,
    sets: {} as Record<
      string,
      {
        stages: Record<string, Stats>;
        throughput: {
          workers_1: number;
          workers_n: number;
          n: number;
          detect_only_workers_1: number;
          detect_only_workers_n: number;
        };
      }
    >,
    stages: {} as Record<string, Stats>,
    throughput: { workers_1: 0, workers_n: 0, n: workers, detect_only_workers_1: 0, detect_only_workers_n: 0 },
    cold_start_ms: {} as Record<string, number>,
    preprocess: null as BenchJson["preprocess"],
    train: null as BenchJson["train"],
    peak_rss_mb: 0,
  } satisfies BenchJson;
  // Cold starts first: they are cheap, and a failure here should not cost a long run.
  console.error("bench: cold starts…");
  result.cold_start_ms = await coldStarts(samplePhotos()[0]!);
  for (const set of sets) {
    console.error(`bench: ${set.name} (${set.paths.length} photos)…`);
    const stages = await stageTimes(set, 3);
    const tpPaths = quick ? set.paths.slice(0, Math.min(set.paths.length, 40)) : set.paths;
    const tp = {
      workers_1: await throughput(tpPaths, 1, set.options, "full"),
      workers_n: await throughput(tpPaths, workers, set.options, "full"),
      n: workers,
      detect_only_workers_1: await throughput(tpPaths, 1, set.options, "detect"),
      detect_only_workers_n: await throughput(tpPaths, workers, set.options, "detect"),
    };
    result.sets[set.name] = { stages, throughput: tp };
  }
  const first = Object.values(result.sets)[0]!;
  result.stages = { ...first.stages };
  result.throughput = first.throughput;
  console.error("bench: recognition (640 px photos through the library; predict's cold start)…");
  const rec = await recognitionBench(quick);
  Object.assign(result.stages, rec.stages);
  Object.assign(result.cold_start_ms, rec.cold_start_ms);
  // preprocess: cold cache, then a second run over the unchanged folder, with N workers.
  const ppFolder = datasetsPresent() ? `${datasetsDir()}/${quick ? "face2vec/train" : "lfw_min10"}` : folders[0];
  if (ppFolder !== undefined) {
    console.error(`bench: preprocess ${ppFolder} with ${workers} workers, cold cache, then again…`);
    const dir = await Deno.makeTempDir({ prefix: "face2vec_bench_" });
    try {
      const run = async () =>
        JSON.parse(
          (await deno([
            "run",
            "--quiet",
            "-A",
            "scripts/_bench_preprocess.ts",
            ppFolder,
            `${dir}/b.cache`,
            String(workers),
          ]))
            .trim(),
        );
      const cold = await run();
      const warm = await run();
      // Training on 1,000 of the cached faces (the default model: 10 folds x 100 epochs, batch 10).
      console.error(`bench: training on ${quick ? "the cached" : "1,000 cached"} faces…`);
      result.train = JSON.parse(
        (await deno([
          "run",
          "--quiet",
          "-A",
          "scripts/_bench_train.ts",
          `${dir}/b.cache`,
          quick ? "36" : "1000",
          quick ? "2" : "10",
          quick ? "10" : "100",
          String(workers),
        ]))
          .trim(),
      );
      result.preprocess = {
        folder: ppFolder.split("/").slice(-2).join("/"),
        workers,
        photos: cold.photos,
        cold_seconds: Math.round(cold.seconds * 100) / 100,
        cold_photos_per_s: Math.round((cold.photos / cold.seconds) * 10) / 10,
        second_run_seconds: Math.round(warm.seconds * 100) / 100,
        second_run_processed: warm.processed,
        peak_rss_mb: cold.peak_rss_mb,
      };
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
  console.error("bench: peak RSS while detecting over every set…");
  result.peak_rss_mb = Number(
    (await deno(["run", "--quiet", "--allow-read", "scripts/bench.ts", "--rss-child", ...rssInputs])).trim(),
  );

  const rows = [["set / stage", "median ms", "p90 ms", "n"]];
  for (const [name, s] of Object.entries(result.sets)) {
    for (const [stage, v] of Object.entries(s.stages)) {
      rows.push([`${name} ${stage}`, v.median_ms.toFixed(1), v.p90_ms.toFixed(1), String(v.n)]);
    }
    rows.push([
      `${name} photos/s end to end (1 / ${workers} workers)`,
      String(s.throughput.workers_1),
      String(s.throughput.workers_n),
      "",
    ]);
    rows.push([
      `${name} photos/s decode + detect (1 / ${workers} workers)`,
      String(s.throughput.detect_only_workers_1),
      String(s.throughput.detect_only_workers_n),
      "",
    ]);
  }
  for (const [stage, v] of Object.entries(result.stages)) {
    if (stage.startsWith("recognize_")) {
      rows.push([`${stage} (library, warm)`, v.median_ms.toFixed(1), v.p90_ms.toFixed(1), String(v.n)]);
    }
  }
  for (const [k, v] of Object.entries(result.cold_start_ms)) rows.push([`cold start ${k}`, v.toFixed(0), "", ""]);
  rows.push(["peak RSS MB (detect over all sets)", String(result.peak_rss_mb), "", ""]);
  if (result.preprocess) {
    const p = result.preprocess as Record<string, number | string>;
    rows.push([
      `preprocess ${p.folder}, ${p.workers} workers: photos/s (cold)`,
      String(p.cold_photos_per_s),
      "",
      String(p.photos),
    ]);
    rows.push([`preprocess second run, s (processed ${p.second_run_processed})`, String(p.second_run_seconds), "", ""]);
    rows.push(["preprocess peak RSS MB", String(p.peak_rss_mb), "", ""]);
  }
  if (result.train) {
    const t = result.train as Record<string, number>;
    rows.push([
      `train ${t.faces} faces, ${t.folds} folds x ${t.epochs} epochs, ${t.workers} workers: s`,
      String(t.seconds),
      "",
      "",
    ]);
    rows.push(["train ms per epoch (all folds)", String(t.ms_per_epoch), "", ""]);
  }
  console.log(formatTable(rows));
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
