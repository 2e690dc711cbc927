/**
 * The embedding gallery: enrolled faces (a person and a 128-d embedding each), and
 * identification by the nearest person (the centroid of their enrolled embeddings) with a
 * distance threshold for "unknown". Distances are Euclidean on the embeddings as the network
 * outputs them.
 *
 * @module
 */

import { readRegularFile, readRegularTextFile, writeFileAtomic } from "../_fs.ts";
import { Gallery, type SearchOptions } from "./store.ts";
import { decodeSegment, encodeSegment, type NormRange } from "./segment.ts";

/**
 * The default distance beyond which a face is a stranger to the gallery (`predict`, method
 * "nearest"): chosen with `deno task tune embed` on lfw_min10's even-position people (their
 * even-position photos; half of the people enrolled with half of their photos), where it
 * minimises the largest of the open-set error rates. `deno task report` gives the rates on
 * both halves (`docs/report.json`).
 */
export const DEFAULT_MAX_DISTANCE = 0.455;

/**
 * The default distance beyond which two faces are taken for different people (`compare`):
 * the equal-error point of every same/different pair of lfw_min10's even-position people and
 * photos (`deno task tune embed`), rounded. It is larger than
 * {@linkcode DEFAULT_MAX_DISTANCE} because a gallery compares a stranger with many people
 * at once (the nearest of many is closer than a typical one), and a 1:1 check with one.
 */
export const DEFAULT_VERIFY_DISTANCE = 0.63;

/** One enrolled face. */
export interface GalleryEntry {
  readonly label: string;
  /** Where it came from (a path relative to its dataset, or a file given to `enrol`). */
  readonly path: string;
  readonly embedding: Float32Array;
  /** True for a face added by `enrol` (not from the training cache): retraining keeps it. */
  readonly enrolled?: boolean;
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
 * @throws {RangeError} For an empty gallery.
 */
export function createMatcher(
  gallery: Gallery | readonly GalleryEntry[],
  search: SearchOptions = {},
): (embedding: ArrayLike<number>, maxDistance?: number) => NearestAnswer {
  const g = gallery instanceof Gallery ? gallery : Gallery.from(gallery);
  if (g.size === 0) throw new RangeError("the gallery is empty: enrol someone first");
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
 * @throws {RangeError} For an empty gallery.
 * @example
 * ```ts
 * import { nearestPerson } from "./gallery.ts";
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

/** The gallery file's format name and version. */
export const GALLERY_FORMAT = { format: "face2vec-gallery", version: 1 } as const;

/**
 * A gallery as its file's text: `{"format", "version", "entries": [{"label", "path",
 * "embedding": [numbers]}]}` and a newline.
 *
 * @param entries The enrolled faces.
 * @returns The JSON text.
 */
export function galleryText(entries: readonly GalleryEntry[]): string {
  const json = {
    ...GALLERY_FORMAT,
    entries: entries.map((e) => ({
      label: e.label,
      path: e.path,
      embedding: Array.from(e.embedding),
      ...(e.enrolled ? { enrolled: true } : {}),
    })),
  };
  return JSON.stringify(json) + "\n";
}

/**
 * Parses a gallery file's text, checking every field: each entry a non-empty `label`, a
 * `path` string and an `embedding` of `length` finite numbers.
 *
 * @param text The file's text.
 * @param file Its name, for messages.
 * @param length The embedding's length (the feature set's); default: any, the same for every entry.
 * @param norm The range every embedding's Euclidean norm must lie in; default: any.
 * @returns The entries.
 * @throws {TypeError} With one line naming the file, the field and the reason.
 * @example
 * ```ts
 * import { galleryText, parseGallery } from "./gallery.ts";
 * const text = galleryText([{ label: "ada", path: "a.jpg", embedding: new Float32Array([1, 2]) }]);
 * if (parseGallery(text, "g.json", 2)[0]!.embedding[1] !== 2) throw new Error();
 * let refused = false;
 * try { parseGallery(text.replace("[1,2]", '[1,"far"]'), "g.json", 2); } catch { refused = true; }
 * if (!refused) throw new Error("a string in an embedding is refused");
 * ```
 */
export function parseGallery(text: string, file: string, length?: number, norm?: NormRange): GalleryEntry[] {
  let json: { format?: unknown; version?: unknown; entries?: unknown };
  try {
    json = JSON.parse(text);
  } catch {
    throw new TypeError(`${file}: not JSON`);
  }
  if (
    typeof json !== "object" || json === null || json.format !== GALLERY_FORMAT.format ||
    json.version !== GALLERY_FORMAT.version || !Array.isArray(json.entries)
  ) {
    throw new TypeError(`${file}: not a Face2Vec gallery (version ${GALLERY_FORMAT.version})`);
  }
  let size = length;
  return json.entries.map((e: unknown, i: number) => {
    const at = `${file}: entries[${i}]`;
    const entry = e as { label?: unknown; path?: unknown; embedding?: unknown; enrolled?: unknown };
    if (typeof entry !== "object" || entry === null) throw new TypeError(`${at}: not an object`);
    if (typeof entry.label !== "string" || entry.label.trim() === "") {
      throw new TypeError(`${at}.label: not a non-empty string`);
    }
    if (typeof entry.path !== "string") throw new TypeError(`${at}.path: not a string`);
    const v = entry.embedding;
    // Finite as float32, which is what they become (1e39 would be Infinity).
    if (!Array.isArray(v) || !v.every((x) => typeof x === "number" && Math.abs(x) <= 3.4028234663852886e38)) {
      throw new TypeError(`${at}.embedding: not an array of finite numbers`);
    }
    size ??= v.length;
    if (v.length !== size) throw new TypeError(`${at}.embedding: ${v.length} numbers, expected ${size}`);
    const n = Math.hypot(...(v as number[]));
    if (norm && !(n >= norm.min && n <= norm.max)) {
      throw new TypeError(`${at}.embedding: norm ${n.toPrecision(3)}, not within ${norm.min}–${norm.max}`);
    }
    if (entry.enrolled !== undefined && typeof entry.enrolled !== "boolean") {
      throw new TypeError(`${at}.enrolled: not a boolean`);
    }
    return {
      label: entry.label,
      path: entry.path,
      embedding: Float32Array.from(v),
      ...(entry.enrolled ? { enrolled: true } : {}),
    };
  });
}

/**
 * Saves a gallery atomically as one segment file, `gallery.f2vg`, in a folder (a gallery
 * apart from a model; a model's gallery is saved with it by `saveModel`).
 *
 * @param dir The folder.
 * @param gallery The enrolled faces.
 */
export async function saveGallery(dir: string, gallery: Gallery | readonly GalleryEntry[]): Promise<void> {
  const entries = gallery instanceof Gallery ? gallery.entries() : gallery;
  await writeFileAtomic(`${dir}/gallery.f2vg`, encodeSegment(entries));
}

/**
 * Loads the gallery saved by {@linkcode saveGallery} in a folder, or the `gallery.json` of an
 * earlier version; neither file is an empty gallery.
 *
 * @param dir The folder.
 * @returns The gallery.
 * @throws {TypeError} When the JSON file is not a valid Face2Vec gallery (see {@linkcode parseGallery}).
 * @throws {SegmentError} When the segment file is damaged (naming the file and the field).
 * @throws {FileKindError} When a gallery file is a directory, FIFO, device or socket.
 */
export async function loadGallery(dir: string): Promise<Gallery> {
  const bytes = await readRegularFile(`${dir}/gallery.f2vg`).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
  if (bytes) return new Gallery([decodeSegment(bytes, `${dir}/gallery.f2vg`)], ["gallery.f2vg"]);
  let text: string;
  try {
    text = await readRegularTextFile(`${dir}/gallery.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return Gallery.from([]);
    throw e;
  }
  return Gallery.from(parseGallery(text, `${dir}/gallery.json`));
}
