/**
 * Face2Vec: face recognition you train on your own photos, in TypeScript on Deno, with no
 * native addons. This module is the library: decode an image, find every face in it, place
 * the 68 landmarks of each face, align it and compute its 128-d embedding, turn faces into
 * features (the original's landmark geometry, the embedding, or both), preprocess a folder
 * of photos named by person into a feature cache, train, save, load and apply a classifier,
 * enrol people into an embedding gallery, evaluate a model, and name every face in a photo.
 *
 * ```ts
 * import { createFaceDetector, decodeImage } from "./mod.ts";
 *
 * // A tiny gray PGM built in memory; a real program would use readImage("photo.jpg").
 * const pgm = new Uint8Array([...new TextEncoder().encode("P5 64 64 255\n"), ...new Uint8Array(64 * 64).fill(90)]);
 * const image = await decodeImage(pgm, { name: "flat.pgm" });
 * const detector = await createFaceDetector();
 * try {
 *   const faces = detector.detect(image); // [{ box: { x, y, width, height }, source: "haar" }, …]
 *   if (faces.length !== 0) throw new Error("a flat image has no face");
 * } finally {
 *   detector.dispose();
 * }
 * ```
 *
 * @module
 */

export type { Channels, Image } from "./lib/image/image.ts";
export { createImage } from "./lib/image/image.ts";
export { ImageError } from "./lib/image/image_error.ts";
export { decodeImage, type DecodeOptions, DEFAULT_MAX_PIXELS } from "./lib/image/decode_image.ts";
export { readImage } from "./lib/image/read_image.ts";
export { orientImage } from "./lib/image/orient_image.ts";
export { cropImage, type Rect } from "./lib/image/crop_image.ts";
export { hasImageExtension, IMAGE_EXTENSIONS, type ListedImage, listImages } from "./lib/image/list_images.ts";
export { drawBoxes, type Outline, type Rgb } from "./lib/image/draw_boxes.ts";
export { type EncodeFormat, encodeImage, formatForName } from "./lib/image/encode_image.ts";
export { type Box, containsPoint, growBox, iou } from "./lib/detect/box.ts";
export { type ContrastMethod, type ContrastOptions, enhanceContrast } from "./lib/detect/enhance.ts";
export {
  type CascadeName,
  CASCADES,
  createFaceDetector,
  DEFAULT_DETECTOR_OPTIONS,
  type DetectorOptions,
  type Face,
  type FaceDetector,
  type FaceSource,
} from "./lib/detect/detect_faces.ts";
export type { Point } from "./lib/landmarks/point.ts";
export {
  createLandmarker,
  type Crop,
  DEFAULT_LANDMARKER_OPTIONS,
  type FaceLandmarker,
  landmarkCrop,
  type LandmarkerOptions,
  type LandmarkModel,
} from "./lib/landmarks/detect_landmarks.ts";
export { parsePts } from "./lib/landmarks/read_pts.ts";
export {
  type Affine,
  alignmentTransform,
  type AlignMethod,
  type AlignOptions,
  applyAffine,
  DEFAULT_ALIGN_OPTIONS,
  extractChip,
  fitSimilarity,
  invertAffine,
  templatePoint,
} from "./lib/embed/align_face.ts";
export {
  createEmbedder,
  type EmbedderOptions,
  EMBEDDING_SIZE,
  euclidean,
  type FaceEmbedder,
} from "./lib/embed/embed_faces.ts";
export { GEOMETRY_CENTRE, geometryFeatures } from "./lib/features/geometry.ts";
export { type FaceInput, FEATURE_SETS, type FeatureSet, featureSet } from "./lib/features/feature_sets.ts";
export { detectLabelRule, labelOf, type LabelRule } from "./lib/dataset/labels.ts";
export {
  type Cache,
  CACHE_FORMAT,
  CacheError,
  type CacheRecord,
  parseCache,
  readCache,
  type RecordStatus,
} from "./lib/dataset/cache.ts";
export { type Fold, seededRandom, stratifiedFolds } from "./lib/classify/folds.ts";
export { createNadam, type Nadam, type NadamOptions } from "./lib/classify/nadam.ts";
export { type Activation, DEFAULT_NETWORK, defaultNetwork, type NetworkOptions } from "./lib/classify/network.ts";
export {
  type EpochMetrics,
  type RunMetrics,
  trainClassifier,
  type TrainOptions,
  type TrainResult,
  type Weights,
} from "./lib/classify/train.ts";
export {
  type Classifier,
  createClassifier,
  DEFAULT_MIN_PROB,
  defaultMinProb,
  type FaceVectors,
  loadModel,
  type Model,
  MODEL_FORMAT,
  modelFromTraining,
  type ModelInfo,
  type Prediction,
  type PredictMethod,
  type PredictOptions,
  saveModel,
} from "./lib/classify/classifier.ts";
export {
  createMatcher,
  DEFAULT_MAX_DISTANCE,
  DEFAULT_VERIFY_DISTANCE,
  GALLERY_FORMAT,
  type GalleryEntry,
  loadGallery,
  type NearestAnswer,
  nearestPerson,
  saveGallery,
} from "./lib/gallery/gallery.ts";
export {
  createRecognizer,
  loadCheckedModel,
  modelMismatch,
  modelPipeline,
  type RecognizedFace,
  type Recognizer,
} from "./lib/recognize/recognize.ts";
export { evaluateRecords, type Evaluation } from "./lib/eval/evaluate.ts";
export {
  createPipeline,
  faceFeatures,
  largestFace,
  type Pipeline,
  pipelineConfig,
  type PipelineOptions,
  type ProcessedFace,
} from "./lib/pipeline/pipeline.ts";
export { type Samples, samplesFromCache } from "./lib/classify/samples.ts";
export { EventWriter } from "./lib/classify/tensorboard.ts";
export {
  defaultCachePath,
  preprocessFolder,
  type PreprocessOptions,
  type PreprocessSummary,
} from "./lib/dataset/preprocess.ts";
