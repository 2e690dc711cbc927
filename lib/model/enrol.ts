/**
 * Enrolment into a model folder: people added to a model's gallery without retraining, as
 * one read-modify-write under the folder's lock ({@linkcode ModelFolder.update}); a folder
 * without a model becomes a gallery-only model.
 *
 * @module
 */

import { configDifference } from "../_config.ts";
import { featureSet } from "../features/feature_sets.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { detectorOf, recordedEmbedderOf } from "../pipeline/pipeline.ts";
import { readSegment, segmentFile } from "./gallery_files.ts";
import { type Model, modelPipelineOptions, newGalleryModel } from "./model.ts";
import { ModelError } from "./model_error.ts";
import type { Loaded, ModelFolder, UpdateOptions } from "./model_folder.ts";

/**
 * Refuses a model that cannot take enrolments: its feature set has no embedding.
 *
 * @param model The model.
 * @param dir Its folder, for the message.
 * @throws {ModelError} Kind "unsuitable", saying what to do instead.
 * @example
 * ```ts
 * import { assertEnrollable } from "./enrol.ts";
 * import { newGalleryModel } from "./model.ts";
 * assertEnrollable(await newGalleryModel(), "model"); // the embedding: it takes enrolments
 * ```
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

/** What enrolment's embeddings were computed for: a model, and the revision it was read at (none: a new model). */
export interface EnrolBasis {
  readonly model: Model;
  readonly revision?: string;
}

/**
 * Adds faces to the model in a folder (a new gallery-only model when the folder has none) as
 * one locked read-modify-write ({@linkcode ModelFolder.update}): under the folder's lock the
 * model is read afresh unless it is still the basis's revision, the faces are added (see
 * `Gallery.withAdded`: a photo enrolled again under the same name replaces its earlier entry;
 * the new faces are one new segment file, the others are not written again) and the model is
 * saved as one unit, so writers at the same time each add their faces and none is lost.
 *
 * @param folder The model folder.
 * @param added The faces, with embeddings computed by the pipeline of `basis`.
 * @param basis The model the embeddings were computed for (its feature set and pipeline), and its revision.
 * @param options Lock timeout and a note when waiting.
 * @returns The model as saved (its gallery read without the embeddings of the segments it
 * did not write: use it for its counts, or read the folder again to search it), and its revision.
 * @throws {ModelError} When the model cannot take enrolments, or was replaced meanwhile by
 * one that processes photos differently (kind "mismatch": enrol again).
 * @throws {LockError} When another writer holds the model for longer than the timeout.
 */
export async function enrolInto(
  folder: ModelFolder,
  added: readonly GalleryEntry[],
  basis: EnrolBasis,
  options: UpdateOptions = {},
): Promise<Loaded> {
  const dir = folder.dir;
  const saved = await folder.update(async (now) => {
    // The model the embeddings were computed for, when the folder still holds it; else read
    // afresh, without the embeddings (only the segments the enrolment writes again are read whole).
    const options = modelPipelineOptions(basis.model.info, folder.parts);
    const network = options.embedder?.network;
    const current = now.revision === undefined
      ? await newGalleryModel(detectorOf(options), { embedder: network ? { network } : undefined, parts: folder.parts })
      : now.revision === basis.revision
      ? basis.model
      : (await now.readChecked({ embeddings: false })).model;
    assertEnrollable(current, dir);
    const diff = configDifference(
      { features: basis.model.info.features, pipeline: basis.model.info.pipeline },
      { features: current.info.features, pipeline: current.info.pipeline },
    );
    if (diff) throw new ModelError("mismatch", dir, `the model was replaced while enrolling (${diff}); enrol again`);
    const marked = added.map((e) => ({ ...e, enrolled: true }));
    let gallery = current.gallery;
    const rewrites = gallery.rewrites(marked);
    if (rewrites.length) {
      // Its embeddings are the length and norms of the network that made them.
      const { size, norm } = recordedEmbedderOf(current.info.pipeline, folder.parts);
      const read = await Promise.all(
        rewrites.map(async (k) =>
          [
            k,
            await readSegment(`${dir}/${segmentFile(gallery.segments[k]!)}`, size, { norm }),
          ] as const
        ),
      );
      gallery = gallery.withSegments(new Map(read));
    }
    return { ...current, gallery: gallery.withAdded(marked) };
  }, options);
  return saved!;
}

/**
 * Saves a newly trained model over the one in a folder, keeping the faces enrolled into the
 * old one (added with `enrol`, marked `enrolled`) that the new one's gallery lacks, when both
 * take the same embeddings (the same feature set and pipeline): one read-modify-write under
 * the folder's lock ({@linkcode ModelFolder.update}).
 *
 * @param folder The model folder.
 * @param model The new model.
 * @param options Lock timeout and a note when waiting.
 * @returns How many enrolled faces were carried over.
 * @throws {LockError} When another writer holds the model for longer than the timeout.
 */
export async function replaceKeepingEnrolled(
  folder: ModelFolder,
  model: Model,
  options: UpdateOptions = {},
): Promise<number> {
  let carried = 0;
  await folder.update(async (now) => {
    let old: Model | undefined;
    try {
      old = now.revision === undefined ? undefined : (await now.read()).model;
    } catch (e) {
      if (!(e instanceof ModelError)) throw e;
    }
    const same = old && featureSet(model.info.features.name).needsEmbedding &&
      configDifference(
          { features: old.info.features, pipeline: old.info.pipeline },
          { features: model.info.features, pipeline: model.info.pipeline },
        ) === undefined;
    // Only faces added by enrol: the old model's training faces are the old cache's, not the user's additions.
    const kept = same ? [...old!.gallery].filter((e) => e.enrolled) : [];
    // Faces of the new gallery win over the old ones of the same person and photo.
    const known = new Set([...model.gallery].map((e) => `${e.label}\n${e.path}`));
    const faces = kept.filter((e) => !known.has(`${e.label}\n${e.path}`));
    carried = faces.length;
    return faces.length ? { ...model, gallery: model.gallery.withAdded(faces) } : model;
  }, options);
  return carried;
}
