import { readAsset, sha256Hex } from "../_asset.ts";
import {
  cascadeUrl,
  createFaceDetector,
  type DetectorOptions,
  type FaceDetector,
  resolveDetectorOptions,
} from "../detect/detect_faces.ts";
import { decodeImage } from "../image/decode_image.ts";
import { ImageError } from "../image/image_error.ts";
import {
  createLandmarker,
  type FaceLandmarker,
  type LandmarkerOptions,
  landmarkModelUrl,
  resolveLandmarkerOptions,
} from "../landmarks/detect_landmarks.ts";
import { type FeatureSet, featureSet } from "../features/feature_sets.ts";
import type { CacheRecord } from "./cache.ts";
import type { LabelRule } from "./labels.ts";
import { roundedBox, roundedPoints } from "../_rounded.ts";

/** Everything that decides how a photo becomes features. */
export interface PipelineOptions {
  readonly detector?: DetectorOptions;
  readonly landmarks?: LandmarkerOptions;
  /** Feature set name. Default `"geometry"`. */
  readonly features?: string;
}

/**
 * The whole pipeline configuration recorded in a cache: resolved options, the sha256 of
 * the cascade and landmark model in use, the feature set and the label rule. Two runs with
 * equal configurations turn the same photo into the same record.
 */
export async function pipelineConfig(options: PipelineOptions, labelRule: LabelRule): Promise<Record<string, unknown>> {
  const detector = resolveDetectorOptions(options.detector);
  const landmarks = resolveLandmarkerOptions(options.landmarks);
  const set = featureSet(options.features ?? "geometry");
  return {
    detector: { ...detector, angles: [...detector.angles] },
    landmarks,
    assets: {
      cascade: await sha256Hex(await readAsset(cascadeUrl(detector.cascade))),
      landmark_model: await sha256Hex(await readAsset(landmarkModelUrl(landmarks.model))),
    },
    features: { name: set.name, version: set.version },
    labels: labelRule,
  };
}

/** A loaded pipeline: detector, landmarker and feature set. */
export interface Pipeline {
  readonly detector: FaceDetector;
  readonly landmarker: FaceLandmarker;
  readonly features: FeatureSet;
  dispose(): Promise<void>;
}

/** Loads the detector, landmarker and feature set for `options`. */
export async function createPipeline(options: PipelineOptions): Promise<Pipeline> {
  const features = featureSet(options.features ?? "geometry");
  const detector = await createFaceDetector(options.detector);
  const landmarker = await createLandmarker(options.landmarks);
  return {
    detector,
    landmarker,
    features,
    async dispose() {
      detector.dispose();
      await landmarker.dispose();
    },
  };
}

/** One photo to process: its bytes and what is already known of it. */
export interface PhotoTask {
  readonly relative: string;
  readonly bytes: Uint8Array;
  readonly hash: string;
  /** The label, or the reason there is none. */
  readonly label: { readonly value: string } | { readonly error: string };
}

/**
 * Turns one photo into its cache record: decode, detect (the largest face is used),
 * landmarks, features. Never throws for a bad photo: its record has status "error" or
 * "no_face" with the reason.
 */
export async function processPhoto(pipeline: Pipeline, task: PhotoTask): Promise<CacheRecord> {
  const base = { path: task.relative, hash: task.hash, label: "value" in task.label ? task.label.value : "" };
  if ("error" in task.label) return { ...base, status: "error", reason: task.label.error };
  let image;
  try {
    image = await decodeImage(task.bytes, { name: task.relative });
  } catch (e) {
    if (e instanceof ImageError) return { ...base, status: "error", reason: e.reason };
    throw e;
  }
  const size = { width: image.width, height: image.height };
  const faces = pipeline.detector.detect(image);
  const face = faces[0];
  if (!face) return { ...base, status: "no_face", reason: "no face found", ...size, faces: 0 };
  const [points] = await pipeline.landmarker.landmarks(image, [face.box]);
  const features = pipeline.features.compute({ landmarks: points! });
  return {
    ...base,
    status: "ok",
    ...size,
    faces: faces.length,
    box: roundedBox(face.box),
    source: face.source,
    landmarks: roundedPoints(points!),
    features: Array.from(features),
  };
}
