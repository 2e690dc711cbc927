/**
 * The embedding gallery: enrolled faces (a person and a 128-d embedding each), and
 * nearest-neighbour identification over them with a distance threshold for "unknown".
 * Distances are Euclidean on the embeddings as the network outputs them.
 *
 * @module
 */

import { writeFileAtomic } from "../_fs.ts";
import { euclidean } from "../embed/embed_faces.ts";

/**
 * The default distance beyond which two faces are taken for different people (`compare`)
 * and a face for a stranger (`predict` with the gallery). PROVISIONAL until measured.
 */
export const DEFAULT_MAX_DISTANCE = 0.55;

/** One enrolled face. */
export interface GalleryEntry {
  readonly label: string;
  /** Where it came from (a path relative to its dataset, or a file given to `enrol`). */
  readonly path: string;
  readonly embedding: Float32Array;
}

/** A nearest-neighbour answer for one face. */
export interface NearestAnswer {
  /** The nearest enrolled person, or null when even they are farther than the threshold. */
  readonly label: string | null;
  /** Distance to the nearest enrolled face (of any person). */
  readonly distance: number;
  /** The nearest enrolled face of any other person. */
  readonly runnerUp: { readonly label: string; readonly distance: number } | null;
}

/**
 * The nearest enrolled person to an embedding (1-nearest-neighbour), "unknown" (label null)
 * beyond `maxDistance`.
 *
 * @param gallery Enrolled faces (at least one).
 * @param embedding The query's embedding.
 * @param maxDistance Farther than this from every enrolled face → label null. Default Infinity.
 * @returns The answer with the runner-up person.
 * @throws {RangeError} For an empty gallery.
 * @example
 * ```ts
 * import { nearestPerson } from "./gallery.ts";
 * const gallery = [
 *   { label: "ada", path: "a.jpg", embedding: new Float32Array([0, 0]) },
 *   { label: "bob", path: "b.jpg", embedding: new Float32Array([3, 4]) },
 * ];
 * const near = nearestPerson(gallery, new Float32Array([0, 1]), 2);
 * if (near.label !== "ada" || near.distance !== 1 || near.runnerUp?.label !== "bob") throw new Error();
 * if (nearestPerson(gallery, new Float32Array([10, 10]), 2).label !== null) throw new Error("expected unknown");
 * ```
 */
export function nearestPerson(
  gallery: readonly GalleryEntry[],
  embedding: ArrayLike<number>,
  maxDistance = Infinity,
): NearestAnswer {
  if (gallery.length === 0) throw new RangeError("the gallery is empty: enrol someone first");
  const best = new Map<string, number>();
  for (const e of gallery) {
    const d = euclidean(e.embedding, embedding);
    if (d < (best.get(e.label) ?? Infinity)) best.set(e.label, d);
  }
  const ranked = [...best].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1));
  const [top, second] = [ranked[0]!, ranked[1]];
  return {
    label: top[1] <= maxDistance ? top[0] : null,
    distance: top[1],
    runnerUp: second ? { label: second[0], distance: second[1] } : null,
  };
}

/** The gallery file's format name and version. */
export const GALLERY_FORMAT = { format: "face2vec-gallery", version: 1 } as const;

/**
 * Saves a gallery atomically as `gallery.json` in a model folder: `{"format", "version",
 * "entries": [{"label", "path", "embedding": [128 numbers]}]}`.
 */
export async function saveGallery(dir: string, entries: readonly GalleryEntry[]): Promise<void> {
  const json = {
    ...GALLERY_FORMAT,
    entries: entries.map((e) => ({ label: e.label, path: e.path, embedding: Array.from(e.embedding) })),
  };
  await writeFileAtomic(`${dir}/gallery.json`, JSON.stringify(json) + "\n");
}

/**
 * Loads `gallery.json` from a model folder; an absent file is an empty gallery.
 *
 * @throws {Error} When the file is not a Face2Vec gallery.
 */
export async function loadGallery(dir: string): Promise<GalleryEntry[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(`${dir}/gallery.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  let json: { format?: string; version?: number; entries?: { label: string; path: string; embedding: number[] }[] };
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`${dir}/gallery.json: not JSON`);
  }
  if (json.format !== GALLERY_FORMAT.format || json.version !== GALLERY_FORMAT.version || !json.entries) {
    throw new Error(`${dir}/gallery.json: not a Face2Vec gallery (version ${GALLERY_FORMAT.version})`);
  }
  return json.entries.map((e) => ({ label: e.label, path: e.path, embedding: Float32Array.from(e.embedding) }));
}
