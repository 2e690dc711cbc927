/**
 * The recognition part of `deno task bench`, behind each detector: naming every face of a
 * 640 px photo through the library (warm), the `predict` CLI's cold start to its first answer,
 * and the cold start of tfjs and of the embedding model; and the 640 px copies of the sample
 * photos it uses (which the bench also times stage by stage). The models are trained as
 * `train` trains them, on a cache of random features (and, for the embedding, a gallery of
 * 20 random people), with the pipeline settings of each detector: speed does not depend on
 * what they learned.
 *
 * @module
 */

import type { CacheRecord } from "../lib/dataset/cache.ts";
import type { DetectorName } from "../lib/detect/detect_faces.ts";
import { saveModel } from "../lib/model/model_folder.ts";
import { planTraining, trainModel } from "../lib/classify/train_model.ts";
import { createRecognizer } from "../lib/recognize/recognize.ts";
import { loadCheckedModel } from "../lib/model/model_folder.ts";
import { pipelineSettings } from "../lib/pipeline/pipeline.ts";
import { featureSet, type FeatureSetName } from "../lib/features/feature_sets.ts";
import { loadOpenCV, WasmScope } from "../lib/runtime/opencv.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import { seededRandom } from "../lib/_random.ts";
import type { StageTimes } from "../lib/eval/schema.ts";
import { summarize } from "../lib/eval/timing.ts";
import { perDetector, perDetectorAsync } from "../lib/eval/per_detector.ts";
import { benchChild, cliFirstAnswerMs, medians } from "./_bench_child.ts";

/** An image shrunk so its longest side is `side` (area averaging). */
export async function shrink(image: Image, side: number): Promise<Image> {
  const cv = await loadOpenCV();
  using scope = new WasmScope();
  const src = scope.track(new cv.Mat(image.height, image.width, image.channels === 3 ? cv.CV_8UC3 : cv.CV_8UC1));
  src.data.set(image.data);
  const k = side / Math.max(image.width, image.height);
  const dst = scope.track(new cv.Mat());
  cv.resize(src, dst, new cv.Size(Math.round(image.width * k), Math.round(image.height * k)), 0, 0, cv.INTER_AREA);
  return { width: dst.cols, height: dst.rows, channels: image.channels, data: dst.data.slice() };
}

/**
 * Writes into `dir` a copy of each photo shrunk so its longest side is `side` (PNG, lossless).
 *
 * @param photos The photos.
 * @param side The longest side of the copies, px.
 * @param dir Where to write them (`NAME_SIDE.png`).
 * @returns The copies' paths, in the order of `photos`.
 */
export async function shrunkCopies(photos: readonly string[], side: number, dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of photos) {
    const path = `${dir}/${p.split("/").pop()!.replace(/\.\w+$/, "")}_${side}.png`;
    await Deno.writeFile(path, await encodeImage(await shrink(await readImage(p), side), "png"));
    out.push(path);
  }
  return out;
}

/**
 * Trains and saves in `dir` a model of `features` on 40 random faces of 20 people (vectors of norm 1.4), with the
 * real pipeline settings of `detector`.
 */
async function benchModel(dir: string, features: FeatureSetName, detector: DetectorName): Promise<void> {
  const set = featureSet(features);
  const random = seededRandom(7);
  const records = new Map<string, CacheRecord>();
  for (let i = 0; i < 40; i++) {
    const raw = Array.from({ length: set.length }, () => random() * 2 - 1);
    // The norm the embedding network gives (1.22–1.68; a model's load refuses one outside EMBEDDING_NORM).
    const norm = Math.hypot(...raw);
    const x = raw.map((v) => (1.4 * v) / norm);
    const record = { path: `${i}.jpg`, hash: "", label: `person${i % 20}`, status: "ok", features: x } as const;
    records.set(record.path, set.needsEmbedding ? { ...record, embedding: x } : record);
  }
  const { settings, features: recorded } = await pipelineSettings({ features, detector: { detector } });
  const cache = { config: { ...settings, features: recorded }, records, droppedPartialLine: false };
  const { model } = await trainModel(cache, await planTraining(cache, { folds: 0 }), { epochs: 1 });
  await saveModel(dir, model);
}

/** Warm stages of naming every face of each of `photos` with the model in `dir` (its detector's pipeline). */
async function recognizeTimes(dir: string, photos: readonly string[], rounds: number) {
  const recognizer = await createRecognizer(await loadCheckedModel(dir));
  try {
    for (const p of photos.slice(0, 2)) await recognizer.recognize(await readImage(p));
    const times: number[] = [], perFace: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const p of photos) {
        const t0 = performance.now();
        const faces = await recognizer.recognize(await readImage(p));
        const ms = performance.now() - t0;
        times.push(ms);
        if (faces.length) perFace.push(ms / faces.length);
      }
    }
    return { all: summarize(times), perFace: summarize(perFace) };
  } finally {
    await recognizer.dispose();
  }
}

/**
 * The recognition figures of each detector on `photos` (the 640 px copies): warm stages per
 * photo, and cold starts (medians of 3; one with `quick`) of `predict` with each detector's models and of the
 * runtimes that do not depend on the detector.
 *
 * @param quick One round over the photos instead of five, one cold start instead of three.
 * @param photos The photos to name.
 * @returns Stages and cold starts by detector, and the other cold starts.
 */
export async function recognitionBench(quick: boolean, photos: readonly string[]): Promise<{
  stages: Record<DetectorName, Record<string, StageTimes>>;
  cold_start_by_detector_ms: Record<DetectorName, Record<string, number>>;
  cold_start_ms: Record<string, number>;
}> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_bench_rec_" });
  try {
    const stages = await perDetectorAsync(async (detector) => {
      const out: Record<string, StageTimes> = {};
      for (const features of ["geometry", "embedding"] as const) {
        await benchModel(`${dir}/${detector}_${features}`, features, detector);
        const { all, perFace } = await recognizeTimes(`${dir}/${detector}_${features}`, photos, quick ? 1 : 5);
        out[`recognize_640_${features}`] = all;
        out[`recognize_640_${features}_per_face`] = perFace;
      }
      return out;
    });
    const predict = (model: string) =>
      cliFirstAnswerMs("predict", [photos[0]!, "--model", `${dir}/${model}`, "--json"]);
    // Detector-dependent figures are keyed `detector/figure` through the rounds, then split.
    const all = await medians(quick ? 1 : 3, async () => {
      const round: Record<string, number> = {};
      for (const d of Object.keys(stages) as DetectorName[]) {
        round[`${d}/cli_predict_geometry`] = await predict(`${d}_geometry`);
        round[`${d}/cli_predict_embedding`] = await predict(`${d}_embedding`);
      }
      return { ...round, tfjs: await benchChild("tfjs"), embedding_model: await benchChild("embedder") };
    });
    return {
      stages,
      cold_start_by_detector_ms: perDetector((d) => byPrefix(all, `${d}/`)),
      cold_start_ms: Object.fromEntries(Object.entries(all).filter(([k]) => !k.includes("/"))),
    };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The entries of `figures` whose key starts with `prefix`, without it. */
export function byPrefix(figures: Readonly<Record<string, number>>, prefix: string): Record<string, number> {
  return Object.fromEntries(
    Object.entries(figures).flatMap(([k, v]) => (k.startsWith(prefix) ? [[k.slice(prefix.length), v]] : [])),
  );
}
