/**
 * Recognition, whole: load a trained (or enrolled) model, check that this Face2Vec would
 * process photos exactly as the model's photos were processed, and name every face in an
 * image: detect → landmarks → features (and embedding) → classifier.
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import type { GalleryBackend } from "../gallery/backend.ts";
import { type Classifier, createClassifier, type Prediction, type PredictOptions } from "../classify/classifier.ts";
import { loadModel, type Model, ModelError, type ModelInfo } from "../classify/model.ts";
import type { Image } from "../image/image.ts";
import {
  createPipeline,
  type Pipeline,
  type PipelineOptions,
  pipelineOptionsFrom,
  type ProcessedFace,
  settingsDifference,
  withDetector,
} from "../pipeline/pipeline.ts";

/**
 * The pipeline options a model's photos were processed with.
 *
 * @param info A model's information.
 * @returns Detector, landmark, feature-set and alignment options.
 */
export function modelPipelineOptions(info: ModelInfo): PipelineOptions {
  return pipelineOptionsFrom(info.pipeline, info.features.name);
}

/**
 * Loads a model and refuses it when photos would now be processed differently.
 *
 * @param dir The model folder.
 * @param options Whether to read the gallery's embeddings (see {@linkcode loadModel}).
 * @returns The model.
 * @throws {ModelError} When there is no model (kind "missing"), it is not one ("invalid"), or
 * photos would now be processed differently ("mismatch"; the message names the setting).
 */
export async function loadCheckedModel(dir: string, options: { readonly embeddings?: boolean } = {}): Promise<Model> {
  const model = await loadModel(dir, options);
  const diff = await settingsDifference(model.info.pipeline, model.info.features);
  if (diff) {
    throw new ModelError(
      "mismatch",
      dir,
      `the model was trained on photos processed differently (${diff}); train it again`,
    );
  }
  return model;
}

/** One face in a photo, named. */
export interface RecognizedFace extends ProcessedFace {
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

/** Options of {@linkcode createRecognizer}. */
export interface RecognizerOptions {
  /** Find faces with this detector instead of the one the model records. */
  readonly detector?: DetectorName;
  /** Name faces by this gallery ("nearest") instead of the model's own (a database's). */
  readonly gallery?: GalleryBackend;
}

/**
 * Creates a recognizer from a model (from {@linkcode loadCheckedModel} or training).
 *
 * @param model The model.
 * @param options Another detector than the model's, if wanted.
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
export async function createRecognizer(model: Model, options: RecognizerOptions = {}): Promise<Recognizer> {
  const pipeline = await createPipeline(withDetector(modelPipelineOptions(model.info), options.detector));
  let classifier: Classifier;
  try {
    classifier = await createClassifier(model, { gallery: options.gallery });
  } catch (e) {
    await pipeline.dispose();
    throw e;
  }
  return {
    info: model.info,
    classifier,
    pipeline,
    async recognize(image, options) {
      const faces = await pipeline.processFaces(image);
      const answers = await classifier.predict(faces, options);
      return faces.map((f, i) => ({ ...f, prediction: answers[i]! }));
    },
    async dispose() {
      classifier.dispose();
      await pipeline.dispose();
    },
  };
}
