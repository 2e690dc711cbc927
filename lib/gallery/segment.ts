/**
 * The binary gallery segment: enrolled faces as float32 embeddings behind a small JSON
 * header, read without parsing a number (the embeddings are a view of the file's bytes) and
 * checked field by field, for galleries of a million faces. Little-endian throughout:
 *
 * | bytes | what |
 * |---|---|
 * | 4 | magic `F2VG` |
 * | 4 | u32: the header's length H |
 * | H | the header, UTF-8 JSON: `{"format": "face2vec-gallery-segment", "version": 1, "dim", "count", "labels": [the people], "cells", "pathBytes", "checksum"}`, padded with spaces to a multiple of 4 |
 * | 4·count | u32: each face's person (an index into `labels`) |
 * | count, padded to 4 | u8: 1 for a face added by `enrol`, else 0 |
 * | 2·count, padded to 4 | u16: each face's cell of the gallery's inverted file (only when `cells` > 0) |
 * | 4·(count + 1) | u32: where each face's path starts in the path bytes, and their end |
 * | pathBytes, padded to 4 | the paths, UTF-8, one after another |
 * | 4·count·dim | f32: the embeddings |
 *
 * `checksum` (8 hex digits) is a 32-bit FNV-1a of every u32 word after the header, in four
 * interleaved lanes (lane j: words j, j + 4, …) then of the four lanes' values.
 *
 * @module
 */

import type { GalleryEntry } from "./entry.ts";

/** The segment's format name and version, in its header. */
export const SEGMENT_FORMAT = { format: "face2vec-gallery-segment", version: 1 } as const;

const MAGIC = [0x46, 0x32, 0x56, 0x47]; // "F2VG"

/** A segment read into memory: columns, the embeddings a view of the file's bytes. */
export interface GallerySegment {
  readonly dim: number;
  readonly count: number;
  /** The people, in the order their indexes refer to. */
  readonly labels: readonly string[];
  /** Per face, its person's index into `labels`. */
  readonly person: Uint32Array;
  /** Per face, 1 when added by `enrol`. */
  readonly enrolled: Uint8Array;
  /** `count * dim` floats, face after face. */
  readonly embeddings: Float32Array;
  /** The number of cells of the inverted file the faces were put in; 0 for none. */
  readonly cells: number;
  /** Per face, its cell (below `cells`); empty when `cells` is 0. */
  readonly cell: Uint16Array;
  /** The file's bytes (the columns are views of them, or of a copy when they are not 4-byte aligned). */
  readonly bytes: Uint8Array;
  /**
   * False for a segment read without its embeddings ({@linkcode decodeSegmentColumns}; a
   * model folder's `readSegment` with `embeddings: false`): `embeddings` and `bytes` are then empty, and the checksum, which
   * covers them, was not checked.
   */
  readonly complete: boolean;
  /** Face `i`'s path. */
  path(i: number): string;
}

/** A segment that cannot be used; the message names the file and the field. */
export class SegmentError extends Error {
  override name = "SegmentError";
}

/**
 * The range every embedding's Euclidean norm must lie in (inclusive), checked on load: what
 * the embedding network can give, so that a stored vector far outside it (a damaged or forged
 * file: 3e38 in every number is finite, yet its person's centroid is then nowhere near their
 * faces) is refused.
 */
export interface NormRange {
  readonly min: number;
  readonly max: number;
}

/** Options of {@linkcode decodeSegment} and {@linkcode decodeSegmentColumns}. */
export interface DecodeSegmentOptions {
  /** The embedding length expected (the model's feature set); default: any. */
  readonly dim?: number;
  /** Every embedding's norm must lie in this range; default: any (a gallery of any vectors). */
  readonly norm?: NormRange;
}

const pad4 = (n: number) => (n + 3) & ~3;

/** Where each column of a segment's body starts, in bytes from the body's start (all 4-byte aligned). */
interface BodyLayout {
  readonly enrolled: number;
  readonly cells: number;
  readonly offsets: number;
  readonly paths: number;
  readonly embeddings: number;
  /** The body's length. */
  readonly end: number;
}

/** The body's layout for `count` faces, with or without cells, `pathBytes` of paths and `dim` numbers each. */
function bodyLayout(count: number, withCells: boolean, pathBytes: number, dim: number): BodyLayout {
  const enrolled = 4 * count;
  const cells = enrolled + pad4(count);
  const cellBytes = withCells ? pad4(2 * count) : 0;
  const offsets = cells + cellBytes;
  const paths = offsets + 4 * (count + 1);
  const embeddings = paths + pad4(pathBytes);
  return { enrolled, cells, offsets, paths, embeddings, end: embeddings + 4 * count * dim };
}

const FNV_START = 0x811c9dc5, FNV_PRIME = 0x01000193;

/**
 * The checksum: FNV-1a over 32-bit words in four lanes (lane j takes words j, j + 4, …, so
 * that the four run side by side), then FNV-1a of the four lanes' values; and the position
 * (from `from`) of the first word at or after `from` that is not a finite float32 (all
 * exponent bits set), or -1.
 *
 * @param words The words after the header.
 * @param from Where the embeddings start (default: none are checked).
 * @returns The checksum as 8 hex digits, and the first number that is not finite.
 */
export function checksum(words: Uint32Array, from = words.length): { sum: string; notFinite: number } {
  let a = FNV_START, b = FNV_START, c = FNV_START, d = FNV_START, notFinite = -1;
  const n = words.length, whole = n - (n % 4);
  for (let i = 0; i < whole; i += 4) {
    const w0 = words[i]!, w1 = words[i + 1]!, w2 = words[i + 2]!, w3 = words[i + 3]!;
    a = Math.imul(a ^ w0, FNV_PRIME);
    b = Math.imul(b ^ w1, FNV_PRIME);
    c = Math.imul(c ^ w2, FNV_PRIME);
    d = Math.imul(d ^ w3, FNV_PRIME);
    // Exponent bits all set in one of the four: which, and whether it is at or after `from`.
    if (
      (w0 & 0x7f800000) === 0x7f800000 || (w1 & 0x7f800000) === 0x7f800000 ||
      (w2 & 0x7f800000) === 0x7f800000 || (w3 & 0x7f800000) === 0x7f800000
    ) {
      for (let j = i; j < i + 4 && notFinite < 0; j++) {
        if (j >= from && (words[j]! & 0x7f800000) === 0x7f800000) notFinite = j - from;
      }
    }
  }
  for (let i = whole; i < n; i++) {
    const lane = i % 4, w = words[i]!;
    if (lane === 0) a = Math.imul(a ^ w, FNV_PRIME);
    else if (lane === 1) b = Math.imul(b ^ w, FNV_PRIME);
    else c = Math.imul(c ^ w, FNV_PRIME);
    if (i >= from && notFinite < 0 && (w & 0x7f800000) === 0x7f800000) notFinite = i - from;
  }
  let h = FNV_START;
  for (const lane of [a, b, c, d]) h = Math.imul(h ^ lane, FNV_PRIME);
  return { sum: (h >>> 0).toString(16).padStart(8, "0"), notFinite };
}

/** Faces to encode, as columns (a gallery's faces or a list of entries). */
export interface SegmentSource {
  readonly count: number;
  readonly dim: number;
  label(i: number): string;
  path(i: number): string;
  embedding(i: number): ArrayLike<number>;
  enrolled(i: number): boolean;
}

/**
 * Encodes enrolled faces as a segment.
 *
 * @param source The faces, all with embeddings of one length: a list of entries, or columns.
 * @param cells The number of inverted-file cells and each face's cell; default none.
 * @returns The segment's bytes.
 * @throws {RangeError} For embeddings of different lengths, a number that is not finite as
 * float32, or a cell out of range.
 * @example
 * ```ts
 * import { decodeSegment, encodeSegment } from "./segment.ts";
 * const bytes = encodeSegment([{ label: "ada", path: "a.jpg", embedding: new Float32Array([1, 2]) }]);
 * const s = decodeSegment(bytes, "g.f2vg");
 * if (s.labels[s.person[0]!] !== "ada" || s.path(0) !== "a.jpg" || s.embeddings[1] !== 2) throw new Error();
 * ```
 */
export function encodeSegment(
  source: readonly GalleryEntry[] | SegmentSource,
  cells?: { readonly count: number; readonly of: ArrayLike<number> },
): Uint8Array {
  const src: SegmentSource = Array.isArray(source)
    ? entriesSource(source as readonly GalleryEntry[])
    : source as SegmentSource;
  const { count, dim } = src;
  const k = cells?.count ?? 0;
  if (k > 65536 || (k > 0 && cells!.of.length !== count)) throw new RangeError(`${k} cells for ${count} faces`);
  const labels: string[] = [];
  const index = new Map<string, number>();
  const person = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const l = src.label(i);
    let p = index.get(l);
    if (p === undefined) index.set(l, p = labels.push(l) - 1);
    person[i] = p;
  }
  const enc = new TextEncoder();
  const paths = Array.from({ length: count }, (_, i) => enc.encode(src.path(i)));
  const pathBytes = paths.reduce((n, p) => n + p.length, 0);
  const layout = bodyLayout(count, k > 0, pathBytes, dim);
  const body = new Uint8Array(layout.end);
  const view = new DataView(body.buffer);
  for (let i = 0; i < count; i++) view.setUint32(4 * i, person[i]!, true);
  for (let i = 0; i < count; i++) body[layout.enrolled + i] = src.enrolled(i) ? 1 : 0;
  for (let i = 0; k > 0 && i < count; i++) {
    const c = cells!.of[i]!;
    if (!(Number.isInteger(c) && c >= 0 && c < k)) throw new RangeError(`${src.path(i)}: cell ${c} of ${k}`);
    view.setUint16(layout.cells + 2 * i, c, true);
  }
  let at = 0;
  paths.forEach((p, i) => {
    view.setUint32(layout.offsets + 4 * i, at, true);
    body.set(p, layout.paths + at);
    at += p.length;
  });
  view.setUint32(layout.offsets + 4 * count, at, true);
  const floats = new Float32Array(body.buffer, layout.embeddings, count * dim);
  for (let i = 0; i < count; i++) {
    const e = src.embedding(i);
    if (e.length !== dim) throw new RangeError(`${src.path(i)}: an embedding of ${e.length}, not ${dim}`);
    for (let j = 0; j < dim; j++) {
      const v = Math.fround(e[j]!);
      if (!Number.isFinite(v)) throw new RangeError(`${src.path(i)}: embedding number ${j} is ${e[j]}`);
      floats[i * dim + j] = v;
    }
  }
  const json = JSON.stringify({
    ...SEGMENT_FORMAT,
    dim,
    count,
    labels,
    cells: k,
    pathBytes,
    checksum: checksum(new Uint32Array(body.buffer)).sum,
  });
  // Padded with spaces to a multiple of 4 bytes (not characters: names may be any Unicode).
  const raw = enc.encode(json);
  const header = new Uint8Array(pad4(raw.length)).fill(0x20);
  header.set(raw);
  const out = new Uint8Array(8 + header.length + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  out.set(body, 8 + header.length);
  return out;
}

/** A list of entries as columns. */
function entriesSource(entries: readonly GalleryEntry[]): SegmentSource {
  return {
    count: entries.length,
    dim: entries[0]?.embedding.length ?? 0,
    label: (i) => entries[i]!.label,
    path: (i) => entries[i]!.path,
    embedding: (i) => entries[i]!.embedding,
    enrolled: (i) => entries[i]!.enrolled === true,
  };
}

/**
 * Reads a segment, checking every field: magic, header (format, version, integers, labels),
 * sizes, person indexes, flags, path offsets, every embedding number finite (and, with
 * `norm`, every embedding's norm in range), the checksum.
 *
 * @param bytes The file's bytes (kept: the embeddings are a view of them when aligned).
 * @param file Its name, for messages.
 * @param dim The embedding length expected (a number), or the options; default: any.
 * @returns The segment.
 * @throws {SegmentError} With one line naming the file and what is wrong.
 * @example
 * ```ts
 * import { decodeSegment, encodeSegment, SegmentError } from "./segment.ts";
 * const bytes = encodeSegment([{ label: "ada", path: "a.jpg", embedding: new Float32Array([3e38, 3e38]) }]);
 * try {
 *   decodeSegment(bytes, "g.f2vg", { norm: { min: 0.5, max: 3 } });
 *   throw new Error("expected a refusal");
 * } catch (e) {
 *   if (!(e instanceof SegmentError) || !e.message.startsWith("g.f2vg: face 0: embedding norm")) throw e;
 * }
 * ```
 */
export function decodeSegment(
  bytes: Uint8Array,
  file: string,
  dim?: number | DecodeSegmentOptions,
): GallerySegment {
  return decode(bytes, file, typeof dim === "number" ? { dim } : dim ?? {}, bytes.length);
}

/**
 * How many bytes of a segment's body come before its embeddings (its people, flags, cells,
 * path offsets and paths): what {@linkcode decodeSegmentColumns} needs after the header.
 *
 * @param count The header's `count`.
 * @param cells The header's `cells`.
 * @param pathBytes The header's `pathBytes`.
 * @returns The number of bytes.
 * @example
 * ```ts
 * import { columnsBytes } from "./segment.ts";
 * // 2 faces: persons (8), flags (4), path offsets (12), 3 path bytes padded to 4.
 * if (columnsBytes(2, 0, 3) !== 28) throw new Error(String(columnsBytes(2, 0, 3)));
 * ```
 */
export function columnsBytes(count: number, cells: number, pathBytes: number): number {
  return bodyLayout(count, cells > 0, pathBytes, 0).embeddings;
}

/**
 * Decodes a segment's columns before its embeddings (people, flags, cells, paths), checking
 * each as {@linkcode decodeSegment} does, and the file's size; the segment has
 * `complete: false` (no embeddings, the checksum unchecked).
 *
 * @param bytes The file's first bytes: the header and the columns ({@linkcode columnsBytes}).
 * @param file Its name, for messages.
 * @param size The whole file's size, in bytes.
 * @param options The embedding length and norm range expected.
 * @returns The segment without its embeddings.
 * @throws {SegmentError} With one line naming the file and what is wrong.
 * @example
 * ```ts
 * import { columnsBytes, decodeSegmentColumns, encodeSegment } from "./segment.ts";
 * const bytes = encodeSegment([{ label: "ada", path: "a.jpg", embedding: new Float32Array([1, 2]) }]);
 * const headerLength = new DataView(bytes.buffer).getUint32(4, true);
 * const s = decodeSegmentColumns(bytes.subarray(0, 8 + headerLength + columnsBytes(1, 0, 5)), "g.f2vg", bytes.length);
 * if (s.complete || s.path(0) !== "a.jpg" || s.embeddings.length !== 0) throw new Error();
 * ```
 */
export function decodeSegmentColumns(
  bytes: Uint8Array,
  file: string,
  size: number,
  options: DecodeSegmentOptions = {},
): GallerySegment {
  return decode(bytes, file, options, size);
}

/** Decodes a segment's bytes, or (`bytes` shorter than `size`) its columns before the embeddings. */
function decode(bytes: Uint8Array, file: string, checks: DecodeSegmentOptions, size: number): GallerySegment {
  const { dim, norm } = checks;
  const complete = bytes.length === size;
  const bad = (why: string): never => {
    throw new SegmentError(`${file}: ${why}`);
  };
  if (bytes.length < 8 || MAGIC.some((m, i) => bytes[i] !== m)) bad("not a Face2Vec gallery segment");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (headerLength % 4 !== 0 || 8 + headerLength > bytes.length) bad(`header length ${headerLength} does not fit`);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    return bad("header is not JSON");
  }
  if (h.format !== SEGMENT_FORMAT.format) bad("not a Face2Vec gallery segment");
  if (h.version !== SEGMENT_FORMAT.version) {
    bad(`segment version ${h.version}, this Face2Vec reads ${SEGMENT_FORMAT.version}`);
  }
  const int = (k: string) => {
    const v = h[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) bad(`header.${k}: not an integer ≥ 0`);
    return v as number;
  };
  const count = int("count"), d = int("dim"), pathBytes = int("pathBytes"), k = int("cells");
  if (k > 65536) bad(`header.cells: ${k}, at most 65536`);
  if (dim !== undefined && count > 0 && d !== dim) bad(`header.dim: ${d}, expected ${dim}`);
  const labels = h.labels;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string" && l.trim() !== "")) {
    bad("header.labels: not a list of non-empty names");
  }
  if (typeof h.checksum !== "string" || !/^[0-9a-f]{8}$/.test(h.checksum)) bad("header.checksum: not 8 hex digits");
  const start = 8 + headerLength;
  const layout = bodyLayout(count, k > 0, pathBytes, d);
  const expected = layout.end;
  if (size - start !== expected) bad(`${size - start} bytes after the header, expected ${expected}`);
  const floatBytes = 4 * count * d;
  if (!complete && bytes.length !== size - floatBytes) bad("could not read the columns");
  // The body as words (copied once when the file's bytes are not 4-byte aligned).
  const body = (bytes.byteOffset + start) % 4 === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset + start, (bytes.length - start) / 4)
    : new Uint32Array(bytes.slice(start).buffer);
  // One pass over the words: the checksum, and the first embedding number that is not
  // finite as float32 (all exponent bits set), reported after the other fields' checks.
  const floatsAt = layout.embeddings / 4;
  let notFinite = -1;
  if (complete) {
    const sum = checksum(body, floatsAt);
    if (sum.sum !== h.checksum) bad("checksum does not match (a damaged file)");
    notFinite = sum.notFinite;
  }
  const person = body.subarray(0, count);
  const names = labels as string[];
  for (let i = 0; i < count; i++) {
    if (person[i]! >= names.length) bad(`face ${i}: person ${person[i]} of ${names.length}`);
  }
  const bodyBytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const enrolled = bodyBytes.subarray(layout.enrolled, layout.enrolled + count);
  for (let i = 0; i < count; i++) if (enrolled[i]! > 1) bad(`face ${i}: enrolled flag ${enrolled[i]}`);
  const cell = k > 0 ? new Uint16Array(body.buffer, body.byteOffset + layout.cells, count) : new Uint16Array(0);
  for (let i = 0; i < cell.length; i++) if (cell[i]! >= k) bad(`face ${i}: cell ${cell[i]} of ${k}`);
  const offsets = body.subarray(layout.offsets / 4, layout.offsets / 4 + count + 1);
  if (offsets[0] !== 0 || offsets[count] !== pathBytes) bad("path offsets do not span the path bytes");
  for (let i = 0; i < count; i++) if (offsets[i + 1]! < offsets[i]!) bad(`face ${i}: path offsets go backwards`);
  const pathData = bodyBytes.subarray(layout.paths, layout.paths + pathBytes);
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(pathData);
  } catch {
    bad("paths are not UTF-8");
  }
  const words = complete ? body.subarray(floatsAt, floatsAt + count * d) : new Uint32Array(0);
  if (notFinite >= 0) bad(`face ${Math.floor(notFinite / d)}: embedding number ${notFinite % d} is not finite`);
  if (norm && complete) {
    const floats = new Float32Array(words.buffer, words.byteOffset, words.length);
    for (let i = 0; i < count; i++) {
      let s = 0;
      for (let j = i * d, end = j + d; j < end; j++) s += floats[j]! * floats[j]!;
      const n = Math.sqrt(s);
      if (!(n >= norm.min && n <= norm.max)) {
        bad(
          `face ${i}: embedding norm ${
            n.toPrecision(3)
          }, not within ${norm.min}–${norm.max} (a damaged or foreign file)`,
        );
      }
    }
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const paths = new Map<number, string>();
  return {
    dim: d,
    count,
    labels: names,
    person,
    enrolled,
    embeddings: new Float32Array(words.buffer, words.byteOffset, words.length),
    cells: k,
    cell,
    bytes: complete ? bytes : new Uint8Array(0),
    complete,
    path(i: number) {
      if (!(i >= 0 && i < count)) throw new RangeError(`face ${i} of ${count}`);
      let p = paths.get(i);
      if (p === undefined) {
        p = decoder.decode(pathData.subarray(offsets[i]!, offsets[i + 1]!));
        paths.set(i, p);
      }
      return p;
    },
  };
}
