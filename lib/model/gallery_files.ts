/**
 * The gallery's files on disk: binary segments read from a model folder (whole, or their
 * columns alone), the JSON gallery of earlier versions (`gallery.json`), a gallery saved in a
 * folder of its own (`gallery.f2vg`), and the name each segment has in its folder (the
 * in-memory gallery knows no file names: this module remembers them).
 *
 * @module
 */

import { checkRegularFile, FileKindError, readRegularFile, readRegularTextFile, writeFileAtomic } from "../_fs.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { Gallery } from "../gallery/gallery.ts";
import {
  columnsBytes,
  decodeSegment,
  decodeSegmentColumns,
  encodeSegment,
  type GallerySegment,
  type NormRange,
  SegmentError,
} from "../gallery/segment.ts";

/** The file each segment (or index's centres) was read from or saved as, in its model folder. */
const FILE_OF = new WeakMap<GallerySegment, string>();

/**
 * The file a segment was read from or saved as in its model folder, if any.
 *
 * @param segment A segment.
 * @returns Its file's name (no folder), or undefined for a segment not read from or saved to one.
 */
export function segmentFile(segment: GallerySegment): string | undefined {
  return FILE_OF.get(segment);
}

/**
 * Records the file a segment is stored as.
 *
 * @param segment A segment.
 * @param file Its file's name in its folder.
 */
export function nameSegment(segment: GallerySegment, file: string): void {
  FILE_OF.set(segment, file);
}

/**
 * Reads a segment file, checking every field (see `decodeSegment` of lib/gallery/segment.ts); with
 * `embeddings: false` only the columns before the embeddings are read (what a writer needs to
 * append to a gallery: its people, flags, cells and paths), the file's size still checked.
 *
 * The file must be a regular file (a FIFO would wait for a writer for ever): checked before
 * it is opened.
 *
 * @param path The file.
 * @param dim The embedding length expected; default: any.
 * @param options Whether to read the embeddings (default true), and the range of their norms.
 * @returns The segment.
 * @throws {SegmentError} With one line naming the file and what is wrong.
 */
export async function readSegment(
  path: string,
  dim?: number,
  options: { readonly embeddings?: boolean; readonly norm?: NormRange } = {},
): Promise<GallerySegment> {
  try {
    await checkRegularFile(path);
  } catch (e) {
    if (e instanceof FileKindError) throw new SegmentError(e.message);
    throw e;
  }
  const checks = { dim, norm: options.norm };
  using file = await Deno.open(path);
  if (options.embeddings !== false) {
    // Into one buffer of the file's size, read synchronously: for a gallery of a million faces
    // (500 MB) twice as fast as Deno.readFile, measured here.
    const bytes = new Uint8Array((await file.stat()).size);
    for (let o = 0; o < bytes.length;) {
      const got = file.readSync(bytes.subarray(o));
      if (got === null) throw new SegmentError(`${path}: the file ended while being read`);
      o += got;
    }
    return decodeSegment(bytes, path, checks);
  }
  const size = (await file.stat()).size;
  const readAt = async (at: number, n: number) => {
    const out = new Uint8Array(Math.max(0, Math.min(n, size - at)));
    await file.seek(at, Deno.SeekMode.Start);
    for (let o = 0; o < out.length;) {
      const got = await file.read(out.subarray(o));
      if (got === null) break;
      o += got;
    }
    return out;
  };
  const head = await readAt(0, 8);
  const headerLength = head.length === 8 ? new DataView(head.buffer).getUint32(4, true) : 0;
  let h: { count?: unknown; cells?: unknown; pathBytes?: unknown } = {};
  try {
    h = JSON.parse(new TextDecoder().decode(await readAt(8, Math.min(headerLength, 1 << 26))));
  } catch {
    // decode() below names what is wrong.
  }
  const [count, cells, pathBytes] = [h.count, h.cells, h.pathBytes].map((v) => Number.isInteger(v) ? v as number : 0);
  const before = 8 + headerLength + columnsBytes(count!, cells!, pathBytes!);
  return decodeSegmentColumns(await readAt(0, before), path, size, checks);
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
 * import { galleryText, parseGallery } from "./gallery_files.ts";
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
  if (bytes) return new Gallery([decodeSegment(bytes, `${dir}/gallery.f2vg`)], undefined, ["gallery.f2vg"]);
  let text: string;
  try {
    text = await readRegularTextFile(`${dir}/gallery.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return Gallery.from([]);
    throw e;
  }
  return Gallery.from(parseGallery(text, `${dir}/gallery.json`));
}
