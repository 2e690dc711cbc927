/**
 * What `evaluate` and `predict` share: loading a model and checking that this Face2Vec
 * would process photos exactly as the model's training photos were processed.
 *
 * @module
 */

import { type Classifier, createClassifier, loadModel } from "../classify/classifier.ts";
import { configDifference } from "../dataset/cache.ts";
import { pipelineConfig, type PipelineOptions } from "../dataset/process_photo.ts";
import type { DetectorOptions } from "../detect/detect_faces.ts";
import type { LandmarkerOptions } from "../landmarks/detect_landmarks.ts";
import type { CliIo } from "./_io.ts";

/** A loaded model with the pipeline options it was trained with. */
export interface LoadedModel {
  readonly classifier: Classifier;
  readonly pipeline: PipelineOptions;
}

/**
 * Loads the model in `dir` and refuses it (undefined, with a one-line message) when the
 * current assets or feature set differ from those it was trained with.
 */
export async function loadCheckedModel(dir: string, io: CliIo): Promise<LoadedModel | undefined> {
  let model;
  try {
    model = await loadModel(dir);
  } catch (e) {
    io.stderr(e instanceof Error ? e.message : String(e));
    return undefined;
  }
  const stored = model.info.pipeline as { detector?: DetectorOptions; landmarks?: LandmarkerOptions };
  const pipeline: PipelineOptions = {
    detector: stored.detector,
    landmarks: stored.landmarks,
    features: model.info.features.name,
  };
  const now = await pipelineConfig(pipeline, "folder");
  const { labels: _l, features: nowFeatures, ...nowPipeline } = now;
  const diff = configDifference(model.info.pipeline, nowPipeline) ??
    configDifference(model.info.features, nowFeatures);
  if (diff) {
    io.stderr(`${dir}: the model was trained on photos processed differently (${diff}); train it again`);
    return undefined;
  }
  return { classifier: await createClassifier(model), pipeline };
}
