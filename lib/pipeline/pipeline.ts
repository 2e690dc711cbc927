import { readAsset, sha256Hex } from "../_asset.ts";
import {
  cascadeUrl,
  createFaceDetector,
  type DetectorOptions,
  type Face,
  type FaceDetector,
  resolveDetectorOptions,
} from "../detect/detect_faces.ts";
import {
  createLandmarker,
  type FaceLandmarker,
  type LandmarkerOptions,
  landmarkModelUrl,
  resolveLandmarkerOptions,
} from "../landmarks/detect_landmarks.ts";
import { type FeatureSet, featureSet } from "../features/feature_sets.ts";
import {
  createEmbedder,
  type EmbedderOptions,
  embeddingModelUrl,
  type FaceEmbedder,
  resolveEmbedderOptions,
} from "../embed/embed_faces.ts";
import type { LabelRule } from "../dataset/labels.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../landmarks/point.ts";

/** Everything that decides how a photo becomes features. */
export interface PipelineOptions {
  readonly detector?: DetectorOptions;
  readonly landmarks?: LandmarkerOptions;
  /** Feature set name. Default `"geometry"`. */
  readonly features?: string;
  /** Face alignment for the embedding (used by the sets that need it). */
  readonly embedder?: EmbedderOptions;
}

/**
 * The whole pipeline configuration recorded in a cache: resolved options, the sha256 of
 * the cascade and landmark model in use (and of the embedding model and the alignment, for
 * the sets that need them), the feature set and the label rule. Two runs with equal
 * configurations turn the same photo into the same record.
 */
export async function pipelineConfig(options: PipelineOptions, labelRule: LabelRule): Promise<Record<string, unknown>> {
  const detector = resolveDetectorOptions(options.detector);
  const landmarks = resolveLandmarkerOptions(options.landmarks);
  const set = featureSet(options.features ?? "geometry");
  const assets: Record<string, string> = {
    cascade: await sha256Hex(await readAsset(cascadeUrl(detector.cascade))),
    landmark_model: await sha256Hex(await readAsset(landmarkModelUrl(landmarks.model))),
  };
  // Only the sets that use the embedding record its model and the alignment (so geometry caches
  // are unaffected by them).
  const align = set.needsEmbedding ? resolveEmbedderOptions(options.embedder) : undefined;
  if (align) assets.embedding_model = await sha256Hex(await readAsset(embeddingModelUrl()));
  return {
    detector: { ...detector, angles: [...detector.angles] },
    landmarks,
    ...(align ? { align: { ...align, points: [...align.points] } } : {}),
    assets,
    features: { name: set.name, version: set.version },
    labels: labelRule,
  };
}

/** A loaded pipeline: detector, landmarker, embedder (when the feature set needs it) and feature set. */
export interface Pipeline {
  readonly detector: FaceDetector;
  readonly landmarker: FaceLandmarker;
  /** Present when the feature set needs the embedding (or `embed` was asked for). */
  readonly embedder?: FaceEmbedder;
  readonly features: FeatureSet;
  dispose(): Promise<void>;
}

/**
 * Loads the detector, landmarker, feature set and, when the set needs it or `embed` is
 * true, the embedder for `options`.
 */
export async function createPipeline(options: PipelineOptions, embed = false): Promise<Pipeline> {
  const features = featureSet(options.features ?? "geometry");
  const detector = await createFaceDetector(options.detector);
  const landmarker = await createLandmarker(options.landmarks);
  const embedder = features.needsEmbedding || embed ? await createEmbedder(options.embedder) : undefined;
  return {
    detector,
    landmarker,
    embedder,
    features,
    async dispose() {
      detector.dispose();
      await landmarker.dispose();
      await embedder?.dispose();
    },
  };
}

/**
 * One face's features (and embedding, when the pipeline has an embedder) from its landmarks.
 *
 * @throws {RangeError} When the feature set needs an embedding and the pipeline has no embedder.
 */
export async function faceFeatures(
  pipeline: Pipeline,
  image: Image,
  landmarks: readonly (readonly Point[])[],
): Promise<{ features: Float32Array; embedding?: Float32Array }[]> {
  const embeddings = pipeline.embedder ? await pipeline.embedder.embed(image, landmarks) : undefined;
  return landmarks.map((points, i) => {
    const embedding = embeddings?.[i];
    return { features: pipeline.features.compute({ landmarks: points, embedding }), embedding };
  });
}

/** The largest face of a photo, processed: what {@linkcode largestFace} returns. */
export interface ProcessedFace {
  /** How many faces the photo has. */
  readonly faces: number;
  readonly face: Face;
  readonly landmarks: readonly Point[];
  readonly features: Float32Array;
  /** Present when the pipeline has an embedder. */
  readonly embedding?: Float32Array;
}

/**
 * The largest face of an image through the whole pipeline: landmarks, features and (when the
 * pipeline has an embedder) embedding. What preprocessing caches, `enrol` enrols and `compare`
 * compares.
 *
 * @returns The face, or undefined when none is found.
 */
export async function largestFace(pipeline: Pipeline, image: Image): Promise<ProcessedFace | undefined> {
  const found = pipeline.detector.detect(image);
  const face = found[0];
  if (!face) return undefined;
  const [landmarks] = await pipeline.landmarker.landmarks(image, [face.box]);
  const [computed] = await faceFeatures(pipeline, image, [landmarks!]);
  return { faces: found.length, face, landmarks: landmarks!, ...computed! };
}
