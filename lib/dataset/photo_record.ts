/**
 * One photo → its cache record: decode, the largest face through the pipeline, and the
 * record's fields (rounded as every output is).
 *
 * @module
 */

import { decodeImage } from "../image/decode_image.ts";
import { ImageError } from "../image/image_error.ts";
import type { Pipeline } from "../pipeline/pipeline.ts";
import { roundedBox, roundedPoints } from "../_rounded.ts";
import type { CacheRecord } from "./cache.ts";

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
  const found = await pipeline.processLargestFace(image);
  if (!found) return { ...base, status: "no_face", reason: "no face found", ...size, faces: 0 };
  const { face } = found;
  return {
    ...base,
    status: "ok",
    ...size,
    faces: found.faces,
    box: roundedBox(face.box),
    source: face.source,
    landmarks: roundedPoints(face.landmarks),
    features: Array.from(face.features),
    ...(face.embedding ? { embedding: Array.from(face.embedding) } : {}),
  };
}
