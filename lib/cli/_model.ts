/**
 * What `evaluate`, `predict` and `enrol` share: loading a model for a command, turning a
 * missing or mismatched model into a one-line message.
 *
 * @module
 */

import type { Model, ModelInfo } from "../classify/model.ts";
import type { DetectorName } from "../detect/detect_faces.ts";
import { type GalleryBackend, isDatabaseUrl, isGalleryRefusal, openGallery } from "../gallery/backend.ts";
import { Gallery } from "../gallery/store.ts";
import { loadCheckedModel } from "../recognize/recognize.ts";
import type { CliIo } from "./_io.ts";

/**
 * Loads the model in `dir`, or prints why it cannot be used (no model, or photos would now
 * be processed differently than its photos were) and returns undefined.
 */
export async function loadModelFor(dir: string, io: CliIo): Promise<Model | undefined> {
  try {
    return await loadCheckedModel(dir);
  } catch (e) {
    io.stderr(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}

/**
 * Opens `--gallery`'s database, or prints why it cannot be used (not a `postgres://` URL,
 * unreachable, no pgvector, another pipeline, an unreadable password file) and returns
 * undefined. No line printed quotes the URL (it may hold a password).
 *
 * @param connections The database connections to keep open (default the gallery's).
 * @param timeoutMs The database's time limit per transaction (`--timeout`; default the gallery's).
 */
export async function openGalleryFor(
  o: { readonly gallery: string; readonly passwordFile?: string; readonly detector?: DetectorName },
  io: CliIo,
  connections?: number,
  timeoutMs?: number,
): Promise<GalleryBackend | undefined> {
  if (!isDatabaseUrl(o.gallery)) {
    io.stderr("--gallery: give a postgres:// URL (the file store is --model's folder)");
    return undefined;
  }
  try {
    return await openGallery(o.gallery, { passwordFile: o.passwordFile, detector: o.detector, connections, timeoutMs });
  } catch (e) {
    if (!isGalleryRefusal(e)) throw e;
    io.stderr(e.message);
    return undefined;
  }
}

/** A database gallery's settings as a gallery-only model (its pipeline; its faces stay in the database). */
export function galleryModel(info: ModelInfo): Model {
  return { info, weights: {}, gallery: Gallery.from([]) };
}
