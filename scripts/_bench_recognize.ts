/**
 * The recognition part of `deno task bench`: naming every face of a 640 px photo through the
 * library (warm), the `predict` CLI's cold start to its first answer, and the cold start of
 * tfjs and of the embedding model. The models are trained as `train` trains them, on a cache
 * of random features (and, for the embedding, a gallery of 20 random people): speed does not
 * depend on what they learned.
 *
 * @module
 */

import type { CacheRecord } from "../lib/dataset/cache.ts";
import { saveModel } from "../lib/classify/model.ts";
import { planTraining, trainModel } from "../lib/classify/train_model.ts";
import { createRecognizer, loadCheckedModel } from "../lib/recognize/recognize.ts";
import { pipelineSettings } from "../lib/pipeline/pipeline.ts";
import { featureSet, type FeatureSetName } from "../lib/features/feature_sets.ts";
import { loadOpenCV, WasmScope } from "../lib/runtime/opencv.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import { seededRandom } from "../lib/classify/folds.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import type { StageTimes } from "./_schema.ts";
import { summarize } from "./_meta.ts";
import { benchChild, cliFirstAnswerMs, medians } from "./_bench_child.ts";

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

/** Trains and saves in `dir` a model of `features` on 40 random faces of 20 people, with the real pipeline settings. */
async function benchModel(dir: string, features: FeatureSetName): Promise<void> {
  const set = featureSet(features);
  const random = seededRandom(7);
  const records = new Map<string, CacheRecord>();
  for (let i = 0; i < 40; i++) {
    const x = Array.from({ length: set.length }, () => random() * 2 - 1);
    const record = { path: `${i}.jpg`, hash: "", label: `person${i % 20}`, status: "ok", features: x } as const;
    records.set(record.path, set.needsEmbedding ? { ...record, embedding: x } : record);
  }
  const { settings, features: recorded } = await pipelineSettings({ features });
  const cache = { config: { ...settings, features: recorded }, records, droppedPartialLine: false };
  const { model } = await trainModel(cache, await planTraining(cache, { folds: 0 }), { epochs: 1 });
  await saveModel(dir, model);
}

/** The recognition figures: warm stages per 640 px photo and cold starts (medians of 3). */
export async function recognitionBench(quick: boolean): Promise<{
  stages: Record<string, StageTimes>;
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
    const stages: Record<string, StageTimes> = {};
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
    const predict = (f: string) => cliFirstAnswerMs("predict", [photos[0]!, "--model", `${dir}/${f}`, "--json"]);
    const cold_start_ms = await medians(3, async () => ({
      cli_predict_geometry: await predict("geometry"),
      cli_predict_embedding: await predict("embedding"),
      tfjs: await benchChild("tfjs"),
      embedding_model: await benchChild("embedder"),
    }));
    return { stages, cold_start_ms };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
