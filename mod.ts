/**
 * Face2Vec: face recognition you train on your own photos, in TypeScript on Deno, with no
 * native addons. This is the front door: read an image; find its faces, their 68 landmarks
 * and embeddings (one stage at a time, or all at once with a pipeline); preprocess a folder
 * of photos named by person into a cache; train, save and load a model; name every face of
 * a photo with a recognizer; match embeddings against a gallery (a model folder's; one in
 * PostgreSQL + pgvector shared by many processes is `openStore` of `./store`); evaluate a
 * model; group the faces of unsorted photos into people.
 *
 * More for advanced use, each with its own module doc: `./lib/image/mod.ts` (codecs,
 * drawing, folders), `./lib/detect/mod.ts` (detector and landmark options, boxes),
 * `./lib/features/mod.ts` (the feature sets), `./lib/embed/mod.ts` (alignment),
 * `./lib/classify/mod.ts` (the training loop, the gallery's parts), `./lib/store/mod.ts`
 * (where a gallery is kept: a model folder or PostgreSQL + pgvector), `./lib/eval/mod.ts`
 * (detection, landmark, verification, open-set and clustering measures) and
 * `./lib/cluster/mod.ts` (clustering's algorithms and outputs), declared in `deno.json` as
 * `./image`, `./detect`, `./features`, `./embed`, `./train`, `./store`, `./eval` and `./cluster`.
 *
 * ```ts
 * import { createPipeline, decodeImage } from "./mod.ts";
 *
 * // A tiny gray PGM built in memory; a real program would use readImage("photo.jpg").
 * const pgm = new Uint8Array([...new TextEncoder().encode("P5 64 64 255\n"), ...new Uint8Array(64 * 64).fill(90)]);
 * const image = await decodeImage(pgm, { name: "flat.pgm" });
 * const pipeline = await createPipeline({ features: "geometry" });
 * try {
 *   const faces = await pipeline.processFaces(image); // [{ box, source, landmarks, features }, …]
 *   if (faces.length !== 0) throw new Error("a flat image has no face");
 * } finally {
 *   await pipeline.dispose();
 * }
 * ```
 *
 * @module
 */

export type { Channels, Image } from "./lib/image/image.ts";
export { ImageError } from "./lib/image/image_error.ts";
export { decodeImage, type DecodeOptions } from "./lib/image/decode_image.ts";
export { readImage } from "./lib/image/read_image.ts";
export type { Box } from "./lib/image/box.ts";
export {
  createFaceDetector,
  type DetectorOptions,
  type Face,
  type FaceDetector,
  type FaceSource,
} from "./lib/detect/detect_faces.ts";
export type { Point } from "./lib/image/point.ts";
export type { FaceLandmarker, LandmarkerOptions } from "./lib/landmarks/detect_landmarks.ts";
export { createLandmarker } from "./lib/detect/landmark_crops.ts";
export { createEmbedder, type EmbedderOptions, euclidean, type FaceEmbedder } from "./lib/embed/embed_faces.ts";
export { FEATURE_SETS, type FeatureSet, type FeatureSetName, type PredictMethod } from "./lib/features/feature_sets.ts";
export {
  createPipeline,
  type CreatePipelineOptions,
  type LargestFace,
  type Pipeline,
  type PipelineOptions,
  type ProcessedFace,
} from "./lib/pipeline/pipeline.ts";
export { type Cache, CacheError, type CacheRecord, readCache } from "./lib/dataset/cache.ts";
export { preprocessFolder, type PreprocessOptions, type PreprocessSummary } from "./lib/dataset/preprocess.ts";
export {
  planTraining,
  type TrainedModel,
  type TrainingPlan,
  type TrainingRequest,
  trainModel,
  type TrainModelOptions,
} from "./lib/classify/train_model.ts";
export { loadCheckedModel, loadModel, saveModel } from "./lib/model/model_folder.ts";
export type { Model, ModelInfo } from "./lib/model/model.ts";
export { ModelError, type ModelErrorKind } from "./lib/model/model_error.ts";
export {
  type Classifier,
  createClassifier,
  type FaceVectors,
  type Prediction,
  type PredictOptions,
} from "./lib/classify/classifier.ts";
export {
  createMatcher,
  DEFAULT_MAX_DISTANCE,
  DEFAULT_VERIFY_DISTANCE,
  type NearestAnswer,
} from "./lib/gallery/matcher.ts";
export type { GalleryEntry } from "./lib/gallery/entry.ts";
export { createRecognizer, type RecognizedFace, type Recognizer } from "./lib/recognize/recognize.ts";
export { evaluateRecords, type Evaluation } from "./lib/eval/evaluate.ts";
export { clusterFolder, type ClusterFolderOptions, type FolderClustering } from "./lib/cluster/cluster_folder.ts";
