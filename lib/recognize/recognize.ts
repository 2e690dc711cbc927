/**
 * Recognition, whole: a model's pipeline and its classifier, naming every face in an image:
 * detect → landmarks → features (and embedding) → classifier. Loading (and checking that
 * this Face2Vec processes photos as the model's were) is the model folder's
 * (`loadCheckedModel` of lib/model).
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import type { Matcher } from "../gallery/matcher.ts";
import { type Classifier, createClassifier, type Prediction, type PredictOptions } from "../classify/classifier.ts";
import { type Model, type ModelInfo, modelPipelineOptions } from "../model/model.ts";
import type { Image } from "../image/image.ts";
import { createPipeline, type Pipeline, type ProcessedFace, withDetector } from "../pipeline/pipeline.ts";

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
  /** Name faces by this matcher ("nearest") instead of the model's own gallery (a database store). */
  readonly matcher?: Matcher;
}

/**
 * Creates a recognizer from a model (from lib/model's `loadCheckedModel`, or training).
 *
 * @param model The model.
 * @param options Another detector than the model's, and another matcher than its gallery, if wanted.
 * @returns The recognizer.
 * @example
 * ```ts ignore
 * import { createRecognizer } from "./recognize.ts";
 * import { loadCheckedModel } from "../model/model_folder.ts";
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
    classifier = await createClassifier(model, { matcher: options.matcher });
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
