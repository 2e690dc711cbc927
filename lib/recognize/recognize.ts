/**
 * Recognition, whole: load a trained (or enrolled) model, check that this Face2Vec would
 * process photos exactly as the model's photos were processed, and name every face in an
 * image: detect → landmarks → features (and embedding) → classifier.
 *
 * @module
 */

import { configDifference } from "../dataset/cache.ts";
import {
  createPipeline,
  faceFeatures,
  type Pipeline,
  pipelineConfig,
  type PipelineOptions,
} from "../pipeline/pipeline.ts";
import type { DetectorOptions, Face } from "../detect/detect_faces.ts";
import type { EmbedderOptions } from "../embed/embed_faces.ts";
import type { AlignOptions } from "../embed/align_face.ts";
import type { Image } from "../image/image.ts";
import type { LandmarkerOptions } from "../landmarks/detect_landmarks.ts";
import type { Point } from "../landmarks/point.ts";
import {
  type Classifier,
  createClassifier,
  loadModel,
  type Model,
  type ModelInfo,
  type Prediction,
  type PredictOptions,
} from "../classify/classifier.ts";

/**
 * The pipeline options a model's photos were processed with (from its stored configuration).
 *
 * @param info A model's information.
 * @returns Detector, landmark, feature-set and alignment options.
 */
export function modelPipeline(info: ModelInfo): PipelineOptions {
  const stored = info.pipeline as { detector?: DetectorOptions; landmarks?: LandmarkerOptions; align?: AlignOptions };
  const { size: _size, ...align } = stored.align ?? {};
  const embedder: EmbedderOptions | undefined = stored.align ? { align } : undefined;
  return { detector: stored.detector, landmarks: stored.landmarks, features: info.features.name, embedder };
}

/**
 * Why a model cannot be used with this Face2Vec: the first setting or asset that differs
 * between how its photos were processed and how photos would be processed now.
 *
 * @param info A model's information.
 * @returns The difference (e.g. `assets.cascade: "…" ≠ "…"`), or undefined when there is none.
 */
export async function modelMismatch(info: ModelInfo): Promise<string | undefined> {
  const now = await pipelineConfig(modelPipeline(info), "folder");
  const { labels: _l, features: nowFeatures, ...nowPipeline } = now;
  return configDifference(info.pipeline, nowPipeline) ?? configDifference(info.features, nowFeatures);
}

/**
 * Loads a model and refuses it when photos would now be processed differently.
 *
 * @param dir The model folder.
 * @returns The model.
 * @throws {Error} When there is no model, or a one-line reason naming the folder and the setting.
 */
export async function loadCheckedModel(dir: string): Promise<Model> {
  const model = await loadModel(dir);
  const diff = await modelMismatch(model.info);
  if (diff) throw new Error(`${dir}: the model was trained on photos processed differently (${diff}); train it again`);
  return model;
}

/** One face in a photo, named. */
export interface RecognizedFace extends Face {
  readonly landmarks: readonly Point[];
  /** The embedding, for models that use it. */
  readonly embedding?: Float32Array;
  readonly prediction: Prediction;
}

/** A loaded model with its pipeline, ready to name faces. Free it with `dispose()`. */
export interface Recognizer {
  readonly info: ModelInfo;
  readonly classifier: Classifier;
  readonly pipeline: Pipeline;
  /** Every face in the image, largest first, each with its prediction. */
  recognize(image: Image, options?: PredictOptions): Promise<RecognizedFace[]>;
  dispose(): Promise<void>;
}

/**
 * Creates a recognizer from a model (from {@linkcode loadCheckedModel} or training).
 *
 * @param model The model.
 * @returns The recognizer.
 * @example
 * ```ts ignore
 * import { createRecognizer, loadCheckedModel } from "./recognize.ts";
 * import { readImage } from "../image/read_image.ts";
 * const recognizer = await createRecognizer(await loadCheckedModel("./model"));
 * try {
 *   for (const face of await recognizer.recognize(await readImage("photo.jpg"))) {
 *     console.log(face.box, face.prediction.label ?? "unknown");
 *   }
 * } finally {
 *   await recognizer.dispose();
 * }
 * ```
 */
export async function createRecognizer(model: Model): Promise<Recognizer> {
  const pipeline = await createPipeline(modelPipeline(model.info));
  let classifier: Classifier;
  try {
    classifier = await createClassifier(model);
  } catch (e) {
    await pipeline.dispose();
    throw e;
  }
  return {
    info: model.info,
    classifier,
    pipeline,
    async recognize(image, options) {
      const faces = pipeline.detector.detect(image);
      const points = await pipeline.landmarker.landmarks(image, faces.map((f) => f.box));
      const vectors = await faceFeatures(pipeline, image, points);
      const answers = await classifier.predict(vectors, options);
      return faces.map((f, i) => ({
        ...f,
        landmarks: points[i]!,
        ...(vectors[i]!.embedding ? { embedding: vectors[i]!.embedding } : {}),
        prediction: answers[i]!,
      }));
    },
    async dispose() {
      classifier.dispose();
      await pipeline.dispose();
    },
  };
}
