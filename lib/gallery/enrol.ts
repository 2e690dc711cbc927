/**
 * Enrolment: people added to a model's gallery without retraining, and the gallery-only
 * model that a folder without a model becomes.
 *
 * @module
 */

import { type Model, ModelError } from "../classify/model.ts";
import { featureSet } from "../features/feature_sets.ts";
import { pipelineSettings } from "../pipeline/pipeline.ts";
import { DEFAULT_MAX_DISTANCE, type GalleryEntry } from "./gallery.ts";

/**
 * A new gallery-only model: the default pipeline with the embedding, no network, named by
 * the nearest person.
 *
 * @returns The model, with an empty gallery.
 */
export async function newGalleryModel(): Promise<Model> {
  const { settings, features } = await pipelineSettings({ features: "embedding" });
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
    gallery: [],
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

/**
 * The gallery after enrolling `added`: a photo enrolled again under the same name replaces
 * its earlier entry; every other entry stays.
 *
 * @param gallery The model's gallery.
 * @param added The new entries.
 * @returns The new gallery (the old entries first, in their order).
 * @example
 * ```ts
 * import { enrolled } from "./enrol.ts";
 * const e = (label: string, path: string, v: number) => ({ label, path, embedding: new Float32Array([v]) });
 * const g = enrolled([e("ada", "a.jpg", 1), e("bob", "b.jpg", 2)], [e("ada", "a.jpg", 3)]);
 * if (g.length !== 2 || g[1]!.embedding[0] !== 3) throw new Error("a.jpg is replaced, b.jpg kept");
 * ```
 */
export function enrolled(gallery: readonly GalleryEntry[], added: readonly GalleryEntry[]): GalleryEntry[] {
  const again = new Set(added.map((e) => `${e.label}\n${e.path}`));
  return [...gallery.filter((e) => !again.has(`${e.label}\n${e.path}`)), ...added];
}
