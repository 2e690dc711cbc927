/**
 * Enrolment: people added to a model's gallery without retraining, and the gallery-only
 * model that a folder without a model becomes.
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import { configDifference } from "../_config.ts";
import { withLock } from "../_lock.ts";
import { loadedFrom, type Model, ModelError, readModelText, saveModel } from "../classify/model.ts";
import { loadCheckedModel, modelPipelineOptions } from "../recognize/recognize.ts";
import { featureSet } from "../features/feature_sets.ts";
import { detectorOf, pipelineSettings } from "../pipeline/pipeline.ts";
import { DEFAULT_MAX_DISTANCE, type GalleryEntry } from "./gallery.ts";
import { Gallery } from "./store.ts";
import { readSegment } from "./segment.ts";
import { EMBEDDING_NORM, EMBEDDING_SIZE } from "../embed/embed_faces.ts";

/**
 * A new gallery-only model: the default pipeline with the embedding, no network, named by
 * the nearest person.
 *
 * @param detector The face detector (default: the library's).
 * @returns The model, with an empty gallery.
 */
export async function newGalleryModel(detector?: DetectorName): Promise<Model> {
  const { settings, features } = await pipelineSettings({
    features: "embedding",
    ...(detector ? { detector: { detector } } : {}),
  });
  return {
    info: {
      labels: [],
      network: null,
      rows: 1,
      features,
      pipeline: settings,
      minProb: 0,
      method: "nearest",
      maxDistance: DEFAULT_MAX_DISTANCE,
      training: {},
    },
    weights: {},
    gallery: Gallery.from([]),
  };
}

/**
 * Refuses a model that cannot take enrolments: its feature set has no embedding.
 *
 * @param model The model.
 * @param dir Its folder, for the message.
 * @throws {ModelError} Kind "unsuitable", saying what to do instead.
 */
export function assertEnrollable(model: Model, dir: string): void {
  const name = model.info.features.name;
  if (!featureSet(name).needsEmbedding) {
    throw new ModelError(
      "unsuitable",
      dir,
      `the model uses ${name} features; enrolment needs the embedding ` +
        "(train on a cache made with --features embedding or both, or enrol into a new folder)",
    );
  }
}

/** Options of {@linkcode enrolInto}. */
export interface EnrolOptions {
  /** How long to wait for another writer of the model, in ms. Default 60 000. */
  readonly lockTimeoutMs?: number;
  /** Called once when another process is writing the model, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/**
 * Adds faces to the model in `dir` (a new gallery-only model when the folder has none) as
 * one locked read-modify-write: under the folder's writers' lock the model is read afresh,
 * the faces are added (see {@linkcode Gallery.withAdded}: a photo enrolled again under the
 * same name replaces its earlier entry; the new faces are one new segment file, the others
 * are not written again) and the model is saved as one unit, so writers at the same time
 * each add their faces and none is lost.
 *
 * @param dir The model folder.
 * @param added The faces, with embeddings computed by the pipeline of `basis`.
 * @param basis The model the embeddings were computed for (its feature set and pipeline).
 * @param options Lock timeout and a note when waiting.
 * @returns The model as saved (its gallery read without the embeddings of the segments it
 * did not write: use it for its counts, or load the model again to search it).
 * @throws {ModelError} When the model cannot take enrolments, or was replaced meanwhile by
 * one that processes photos differently (kind "mismatch": enrol again).
 * @throws {LockError} When another writer holds the model for longer than the timeout.
 */
export async function enrolInto(
  dir: string,
  added: readonly GalleryEntry[],
  basis: Model,
  options: EnrolOptions = {},
): Promise<Model> {
  return await withLock(`${dir}/.lock`, async () => {
    const text = await readModelText(dir);
    // The model the embeddings were computed for, when the folder still holds it; else read
    // afresh, without the embeddings (only the segments the enrolment writes again are read whole).
    const current = text === undefined
      ? await newGalleryModel(detectorOf(modelPipelineOptions(basis.info)))
      : text === loadedFrom(basis)
      ? basis
      : await loadCheckedModel(dir, { embeddings: false });
    assertEnrollable(current, dir);
    const diff = configDifference(
      { features: basis.info.features, pipeline: basis.info.pipeline },
      { features: current.info.features, pipeline: current.info.pipeline },
    );
    if (diff) throw new ModelError("mismatch", dir, `the model was replaced while enrolling (${diff}); enrol again`);
    const marked = added.map((e) => ({ ...e, enrolled: true }));
    let gallery = current.gallery;
    const rewrites = gallery.rewrites(marked);
    if (rewrites.length) {
      const read = await Promise.all(
        rewrites.map(async (k) =>
          [k, await readSegment(`${dir}/${gallery.files[k]}`, EMBEDDING_SIZE, { norm: EMBEDDING_NORM })] as const
        ),
      );
      gallery = gallery.withSegments(new Map(read));
    }
    return await saveModel(dir, { ...current, gallery: gallery.withAdded(marked) });
  }, { timeoutMs: options.lockTimeoutMs, onWait: options.onWait });
}
