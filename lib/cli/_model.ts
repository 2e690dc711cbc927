/**
 * What `evaluate`, `predict` and `enrol` share: loading a model for a command, turning a
 * missing or mismatched model into a one-line message.
 *
 * @module
 */

import type { Model } from "../model/model.ts";
import type { DetectorName } from "../detect/detect_faces.ts";
import { type GalleryStore, isDatabaseUrl, isGalleryRefusal } from "../store/gallery_store.ts";
import { openStore } from "../store/open_store.ts";
import { loadCheckedModel } from "../model/model_folder.ts";
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
): Promise<GalleryStore | undefined> {
  if (!isDatabaseUrl(o.gallery)) {
    io.stderr("--gallery: give a postgres:// URL (the file store is --model's folder)");
    return undefined;
  }
  try {
    return await openStore(o.gallery, { passwordFile: o.passwordFile, detector: o.detector, connections, timeoutMs });
  } catch (e) {
    if (!isGalleryRefusal(e)) throw e;
    io.stderr(e.message);
    return undefined;
  }
}
