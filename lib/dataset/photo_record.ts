/**
 * One photo → its cache record: decode, the largest face (or every face) through the
 * pipeline, and the record's fields (rounded as every output is).
 *
 * @module
 */

import { decodeImage } from "../image/decode_image.ts";
import { ImageError } from "../image/image_error.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { roundedBox, roundedPoints } from "../image/_rounded.ts";
import type { CachedFace, CachedFaces, CacheRecord } from "./cache.ts";
import type { ProcessedFace } from "../pipeline/pipeline.ts";

/** One photo to process: its bytes and what is already known of it. */
export interface PhotoTask {
  readonly relative: string;
  readonly bytes: Uint8Array;
  readonly hash: string;
  /** The label, or the reason there is none. */
  readonly label: { readonly value: string } | { readonly error: string };
}

/**
 * Turns one photo into its cache record: decode, detect, landmarks, features of the largest
 * face (`faces` `"largest"`) or of every face (`"all"`, the every-face cache). Never throws
 * for a bad photo: its record has status "error" or "no_face" with the reason.
 */
export async function processPhoto(
  pipeline: Pipeline,
  task: PhotoTask,
  faces: CachedFaces = "largest",
): Promise<CacheRecord> {
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
  const none = { ...base, status: "no_face", reason: "no face found", ...size, faces: 0 } as const;
  if (faces === "all") {
    const every = await pipeline.processFaces(image);
    if (every.length === 0) return none;
    return { ...base, status: "ok", ...size, faces: every.length, all: every.map(cachedFace) };
  }
  const found = await pipeline.processLargestFace(image);
  if (!found) return none;
  // A largest-face record keeps the fields and order it has had since version 1 (no score).
  const { box, source, landmarks, features, embedding } = cachedFace(found.face);
  return {
    ...base,
    status: "ok",
    ...size,
    faces: found.faces,
    box,
    source,
    landmarks,
    features,
    ...(embedding ? { embedding } : {}),
  };
}

/** A processed face's cache fields, rounded. */
function cachedFace(face: ProcessedFace): CachedFace {
  return {
    box: roundedBox(face.box),
    source: face.source,
    ...(face.score !== undefined ? { score: Math.round(face.score * 1e4) / 1e4 } : {}),
    landmarks: roundedPoints(face.landmarks),
    features: Array.from(face.features),
    ...(face.embedding ? { embedding: Array.from(face.embedding) } : {}),
  };
}
