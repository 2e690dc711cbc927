/**
 * The file store: a model folder's gallery behind {@linkcode GalleryStore}, every read and
 * write through lib/model's {@linkcode ModelFolder} (its checks, its lock, its revision).
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import { createMatcher, EmptyGalleryError, type MatchOptions } from "../gallery/matcher.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { assertEnrollable, type EnrolBasis, enrolInto } from "../model/enrol.ts";
import { type Model, newGalleryModel } from "../model/model.ts";
import { ModelError } from "../model/model_error.ts";
import { type Loaded, ModelFolder } from "../model/model_folder.ts";
import { type GalleryStore, lastOfRepeats, type OpenStoreOptions, type StoreWriteOptions } from "./gallery_store.ts";

/**
 * The file store of a model folder (nothing is read until asked).
 *
 * @param dir The model folder.
 * @param detector A new model's detector, when the folder has none yet.
 * @param options A new model's embedding network, and the registries the model's parts are looked up in.
 * @returns The store.
 * @example
 * ```ts
 * import { fileStore } from "./file_store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = fileStore(dir);
 * try {
 *   // A folder without a model is an empty file store; enrolling would create the model.
 *   if (store.kind !== "file" || (await store.check()).faces !== 0) throw new Error();
 * } finally {
 *   await store.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function fileStore(
  dir: string,
  detector?: DetectorName,
  options: Pick<OpenStoreOptions, "embedder" | "parts"> = {},
): GalleryStore {
  return new FileStore(dir, detector, options);
}

/** A folder without a model as undefined; any other failure thrown on. */
function noModel(e: unknown): undefined {
  if (e instanceof ModelError && e.kind === "missing") return undefined;
  throw e;
}

/** The file store: the gallery of a model folder (`model.json` and its segments). */
class FileStore implements GalleryStore {
  readonly kind = "file";
  readonly #folder: ModelFolder;
  /** The last model read whole, for {@linkcode match}, while the folder's revision is unchanged. */
  #searched: { loaded: Loaded; match: ReturnType<typeof createMatcher> } | undefined;
  /** The model as last read without its embeddings (enrolment's basis: it checks it is still current). */
  #basis: Loaded | undefined;

  readonly #new: Pick<OpenStoreOptions, "embedder" | "parts">;

  constructor(
    readonly location: string,
    readonly detector?: DetectorName,
    options: Pick<OpenStoreOptions, "embedder" | "parts"> = {},
  ) {
    this.#folder = new ModelFolder(location, { parts: options.parts });
    this.#new = options;
  }

  async #light(): Promise<Model | undefined> {
    this.#basis = await this.#folder.readChecked({ embeddings: false }).catch(noModel);
    return this.#basis?.model;
  }

  async info() {
    return (await this.#light())?.info;
  }

  async check() {
    return { faces: (await this.#light())?.gallery.size ?? 0 };
  }

  async enrol(faces: readonly GalleryEntry[], options: StoreWriteOptions = {}) {
    if (!this.#basis) await this.#light();
    const basis: EnrolBasis = this.#basis ?? { model: await newGalleryModel(this.detector, this.#new) };
    assertEnrollable(basis.model, this.location);
    let saved: Loaded;
    try {
      saved = this.#basis = await enrolInto(this.#folder, lastOfRepeats(faces), basis, {
        timeoutMs: options.lockTimeoutMs,
        onWait: options.onWait,
      });
    } catch (e) {
      // The folder now holds another model (retrained meanwhile): the next enrolment reads it afresh.
      this.#basis = undefined;
      throw e;
    }
    return { faces: saved.model.gallery.size, people: saved.model.gallery.labels.length };
  }

  async people() {
    const model = await this.#light();
    const counts = new Map<string, number>();
    for (const p of model?.gallery.person ?? []) {
      const label = model!.gallery.labels[p]!;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    return [...counts].map(([label, faces]) => ({ label, faces })).sort((x, y) => (x.label < y.label ? -1 : 1));
  }

  async remove(label: string, options: StoreWriteOptions = {}) {
    let removed = 0;
    await this.#folder.update(async (now) => {
      if (now.revision === undefined) return undefined;
      const { model } = await now.read();
      if (!model.gallery.labels.includes(label)) return undefined;
      const gallery = model.gallery.without(new Set([label]));
      removed = model.gallery.size - gallery.size;
      return { ...model, gallery };
    }, { timeoutMs: options.lockTimeoutMs, onWait: options.onWait });
    return removed;
  }

  async match(embeddings: readonly ArrayLike<number>[], options: MatchOptions = {}) {
    const revision = await this.#folder.revision();
    if (revision === undefined) throw new EmptyGalleryError();
    if (this.#searched?.loaded.revision !== revision) {
      // The revision read, which another writer may have replaced since: the next match reads again.
      const loaded = await this.#folder.readChecked();
      this.#searched = { loaded, match: createMatcher(loaded.model.gallery) };
    }
    const { model } = this.#searched.loaded;
    const match = options.exact ? createMatcher(model.gallery, { exact: true }) : this.#searched.match;
    const maxDistance = options.maxDistance ?? model.info.maxDistance ?? Infinity;
    return embeddings.map((e) => match(e, maxDistance));
  }

  close() {
    this.#searched = undefined;
    return Promise.resolve();
  }
}
