/**
 * The recognition part of `deno task bench`: naming every face of a 640 px photo through the
 * library (warm), the `predict` CLI's cold start to its first answer, and the cold start of
 * tfjs and of the embedding model. The models are built here with the real pipeline
 * configuration and random weights and gallery (speed does not depend on what they learned).
 *
 * @module
 */

import { modelFromTraining, saveModel } from "../lib/classify/model.ts";
import { createRecognizer, loadCheckedModel } from "../lib/recognize/recognize.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { pipelineSettings } from "../lib/pipeline/pipeline.ts";
import { featureSet } from "../lib/features/feature_sets.ts";
import { loadOpenCV, WasmScope } from "../lib/runtime/opencv.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import { seededRandom } from "../lib/classify/folds.ts";
import { summarize } from "./_meta.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";

type Stats = ReturnType<typeof summarize>;

/** An image shrunk so its longest side is `side` (area averaging). */
async function shrink(image: Image, side: number): Promise<Image> {
  const cv = await loadOpenCV();
  using scope = new WasmScope();
  const src = scope.track(new cv.Mat(image.height, image.width, image.channels === 3 ? cv.CV_8UC3 : cv.CV_8UC1));
  src.data.set(image.data);
  const k = side / Math.max(image.width, image.height);
  const dst = scope.track(new cv.Mat());
  cv.resize(src, dst, new cv.Size(Math.round(image.width * k), Math.round(image.height * k)), 0, 0, cv.INTER_AREA);
  return { width: dst.cols, height: dst.rows, channels: image.channels, data: dst.data.slice() };
}

/** A model of `features` with random weights (and a random gallery of 20 people) and the real pipeline configuration. */
async function benchModel(dir: string, features: "geometry" | "embedding"): Promise<void> {
  const set = featureSet(features);
  const random = seededRandom(7);
  const dim = set.shape[0] * set.shape[1];
  const xs = Array.from({ length: 40 }, () => Float32Array.from({ length: dim }, () => random() * 2 - 1));
  const ys = xs.map((_, i) => i % 20);
  const result = await trainClassifier(xs, ys, set.shape[0], { folds: 0, epochs: 1 });
  const { settings: pipeline, features: fs } = await pipelineSettings({ features });
  const names = Array.from({ length: 20 }, (_, i) => `person${i}`);
  const gallery = features === "embedding"
    ? xs.map((x, i) => ({ label: names[ys[i]!]!, path: `${i}.jpg`, embedding: x.map((v) => v * 0.1) }))
    : [];
  await Deno.mkdir(dir, { recursive: true });
  await saveModel(
    dir,
    modelFromTraining(result, names, set.shape[0], {
      features: fs,
      pipeline,
      minProb: 0.5,
      maxDistance: features === "embedding" ? 0.45 : null,
    }, gallery),
  );
}

/** Milliseconds from spawning `deno <args>` to its first line on stdout. */
async function firstLineMs(args: string[]): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdout: "piped", stderr: "null" }).spawn();
  const reader = child.stdout.getReader();
  await reader.read();
  const ms = performance.now() - t0;
  await reader.cancel();
  await child.status;
  return ms;
}

/** Runs `deno eval` code that prints one number; returns it. */
async function evalNumber(code: string): Promise<number> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["eval", "--quiet", code],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return Number(new TextDecoder().decode(out.stdout).trim());
}

/** The recognition figures: warm stages per 640 px photo and cold starts (medians of 3). */
export async function recognitionBench(quick: boolean): Promise<{
  stages: Record<string, Stats>;
  cold_start_ms: Record<string, number>;
}> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_bench_rec_" });
  try {
    const photos: string[] = [];
    for (const p of samplePhotos()) {
      const out = `${dir}/${p.split("/").pop()!.replace(/\.\w+$/, "")}_640.png`;
      await Deno.writeFile(out, await encodeImage(await shrink(await readImage(p), 640), "png"));
      photos.push(out);
    }
    const stages: Record<string, Stats> = {};
    for (const features of ["geometry", "embedding"] as const) {
      await benchModel(`${dir}/${features}`, features);
      const recognizer = await createRecognizer(await loadCheckedModel(`${dir}/${features}`));
      try {
        for (const p of photos.slice(0, 2)) await recognizer.recognize(await readImage(p));
        const times: number[] = [], perFace: number[] = [];
        for (let r = 0; r < (quick ? 1 : 5); r++) {
          for (const p of photos) {
            const t0 = performance.now();
            const faces = await recognizer.recognize(await readImage(p));
            const ms = performance.now() - t0;
            times.push(ms);
            if (faces.length) perFace.push(ms / faces.length);
          }
        }
        stages[`recognize_640_${features}`] = summarize(times);
        stages[`recognize_640_${features}_per_face`] = summarize(perFace);
      } finally {
        await recognizer.dispose();
      }
    }
    const env = "--allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE";
    const cold: Record<string, number[]> = {
      cli_predict_geometry: [],
      cli_predict_embedding: [],
      tfjs: [],
      embedding_model: [],
    };
    const tfjs = `const t0 = performance.now(); const { loadTfjs } = await import(${
      JSON.stringify(new URL("../lib/runtime/tfjs.ts", import.meta.url).href)
    }); await loadTfjs(); console.log(performance.now() - t0);`;
    const embedder = `const t0 = performance.now(); const { createEmbedder } = await import(${
      JSON.stringify(new URL("../lib/embed/embed_faces.ts", import.meta.url).href)
    }); const e = await createEmbedder(); console.log(performance.now() - t0); await e.dispose();`;
    for (let i = 0; i < 3; i++) {
      for (const f of ["geometry", "embedding"]) {
        cold[`cli_predict_${f}`]!.push(
          await firstLineMs([
            "run",
            "--quiet",
            "--allow-read",
            env,
            "cli.ts",
            "predict",
            photos[0]!,
            "--model",
            `${dir}/${f}`,
            "--json",
          ]),
        );
      }
      cold.tfjs!.push(await evalNumber(tfjs));
      cold.embedding_model!.push(await evalNumber(embedder));
    }
    return {
      stages,
      cold_start_ms: Object.fromEntries(Object.entries(cold).map(([k, v]) => [k, summarize(v).median_ms])),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
