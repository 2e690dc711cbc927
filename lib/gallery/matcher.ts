/**
 * The embedding gallery: enrolled faces (a person and an embedding each), and
 * identification by the nearest person (the centroid of their enrolled embeddings) with a
 * distance threshold for "unknown". Distances are Euclidean on the embeddings as the network
 * outputs them.
 *
 * @module
 */

import { DEFAULT_EMBEDDER, EMBEDDER_REGISTRY } from "../embed/embed_faces.ts";
import type { GalleryEntry } from "./entry.ts";
import { Gallery, type SearchOptions } from "./gallery.ts";

/**
 * The default distance beyond which a face is a stranger to the gallery (`predict`, method
 * "nearest"): the default embedding network's `distances.open` (a gallery of another network
 * takes that network's; `deno task report` gives the rates on both halves, `docs/report.json`).
 */
export const DEFAULT_MAX_DISTANCE: number = EMBEDDER_REGISTRY[DEFAULT_EMBEDDER].distances.open;

/**
 * The default distance beyond which two faces are taken for different people (`compare`): the
 * default embedding network's `distances.verify`.
 */
export const DEFAULT_VERIFY_DISTANCE: number = EMBEDDER_REGISTRY[DEFAULT_EMBEDDER].distances.verify;

/**
 * A search of an empty gallery (no one is enrolled yet): a RangeError, with a `kind` a caller
 * acts on (the service answers 409 `no_model`) rather than its text.
 *
 * @example
 * ```ts
 * import { createMatcher, EmptyGalleryError } from "./matcher.ts";
 * try {
 *   createMatcher([]);
 *   throw new Error("expected a refusal");
 * } catch (e) {
 *   if (!(e instanceof EmptyGalleryError) || e.kind !== "empty") throw e;
 * }
 * ```
 */
export class EmptyGalleryError extends RangeError {
  override name = "EmptyGalleryError";
  /** Always "empty": no one is enrolled. */
  readonly kind = "empty" as const;
  constructor() {
    super("the gallery is empty: enrol someone first");
  }
}

/** How a {@linkcode Matcher} searches. */
export interface MatchOptions {
  /** Farther than this from every person's centroid → label null. Default: the gallery's `maxDistance`. */
  readonly maxDistance?: number;
  /** Exact search even where an index exists (a saved gallery's inverted file, pgvector's HNSW). */
  readonly exact?: boolean;
}

/**
 * What a classifier asks of a gallery, wherever it is kept (in memory, a model folder, a
 * database): the nearest person for each embedding, under the open-set rule.
 */
export interface Matcher {
  /**
   * The nearest person for each embedding.
   * @throws {EmptyGalleryError} When no one is enrolled.
   */
  match(embeddings: readonly ArrayLike<number>[], options?: MatchOptions): Promise<NearestAnswer[]>;
}

/**
 * A {@linkcode Matcher} over an in-memory gallery (see {@linkcode createMatcher}); the search
 * is prepared at the first query.
 *
 * @param gallery Enrolled faces.
 * @param maxDistance The default open-set distance (a model's `maxDistance`). Default Infinity.
 * @returns The matcher; its queries throw {@linkcode EmptyGalleryError} for an empty gallery.
 * @example
 * ```ts
 * import { galleryMatcher } from "./matcher.ts";
 * const m = galleryMatcher([{ label: "ada", path: "a.jpg", embedding: new Float32Array([0, 0]) }], 1);
 * const [near] = await m.match([new Float32Array([3, 4])]);
 * if (near!.label !== null || near!.candidate !== "ada" || near!.distance !== 5) throw new Error();
 * ```
 */
export function galleryMatcher(gallery: Gallery | readonly GalleryEntry[], maxDistance = Infinity): Matcher {
  let near: ReturnType<typeof createMatcher> | undefined;
  let exact: ReturnType<typeof createMatcher> | undefined;
  return {
    match(embeddings, options = {}) {
      try {
        const m = options.exact
          ? (exact ??= createMatcher(gallery, { exact: true }))
          : (near ??= createMatcher(gallery));
        return Promise.resolve(embeddings.map((e) => m(e, options.maxDistance ?? maxDistance)));
      } catch (e) {
        return Promise.reject(e);
      }
    },
  };
}

/** A gallery answer for one face. */
export interface NearestAnswer {
  /** The nearest enrolled person, or null when even they are farther than the threshold. */
  readonly label: string | null;
  /** The nearest enrolled person, whatever the threshold. */
  readonly candidate: string;
  /** Distance to that person's centroid (the mean of their enrolled embeddings). */
  readonly distance: number;
  /** The next nearest person and their centroid's distance. */
  readonly runnerUp: { readonly label: string; readonly distance: number } | null;
}

/**
 * A matcher over a gallery: for an embedding, the enrolled person whose mean embedding (the
 * centroid of their enrolled faces) is nearest, "unknown" (label null) beyond `maxDistance`.
 * The centroid was chosen over the single nearest face by measurement on LFW's even half
 * (`deno task tune embed`, the open-set protocol): it separates strangers better. A gallery
 * with an inverted file (a large saved one) is searched through it unless `exact`.
 *
 * @param gallery Enrolled faces (at least one).
 * @param search Exact or through the inverted file.
 * @returns A function answering for one embedding.
 * @throws {EmptyGalleryError} For an empty gallery (a RangeError).
 */
export function createMatcher(
  gallery: Gallery | readonly GalleryEntry[],
  search: SearchOptions = {},
): (embedding: ArrayLike<number>, maxDistance?: number) => NearestAnswer {
  const g = gallery instanceof Gallery ? gallery : Gallery.from(gallery);
  if (g.size === 0) throw new EmptyGalleryError();
  return (embedding, maxDistance = Infinity) => {
    const [top, second] = g.nearestPeople(embedding, 2, search);
    return {
      label: top!.distance <= maxDistance ? top!.label : null,
      candidate: top!.label,
      distance: top!.distance,
      runnerUp: second ? { label: second.label, distance: second.distance } : null,
    };
  };
}

/**
 * The nearest enrolled person to an embedding (see {@linkcode createMatcher}); for many
 * queries against one gallery, make the matcher once.
 *
 * @param gallery Enrolled faces (at least one).
 * @param embedding The query's embedding.
 * @param maxDistance Farther than this from every person's centroid → label null. Default Infinity.
 * @returns The answer with the runner-up person.
 * @throws {EmptyGalleryError} For an empty gallery (a RangeError).
 * @example
 * ```ts
 * import { nearestPerson } from "./matcher.ts";
 * const gallery = [
 *   { label: "ada", path: "a1.jpg", embedding: new Float32Array([0, 0]) },
 *   { label: "ada", path: "a2.jpg", embedding: new Float32Array([0, 2]) },
 *   { label: "bob", path: "b.jpg", embedding: new Float32Array([3, 5]) },
 * ];
 * // ada's centroid is (0, 1): distance 0 from (0, 1); bob's is 5 away.
 * const near = nearestPerson(gallery, new Float32Array([0, 1]), 2);
 * if (near.label !== "ada" || near.distance !== 0 || near.runnerUp?.distance !== 5) throw new Error();
 * if (nearestPerson(gallery, new Float32Array([10, 10]), 2).label !== null) throw new Error("expected unknown");
 * ```
 */
export function nearestPerson(
  gallery: Gallery | readonly GalleryEntry[],
  embedding: ArrayLike<number>,
  maxDistance = Infinity,
): NearestAnswer {
  return createMatcher(gallery)(embedding, maxDistance);
}
