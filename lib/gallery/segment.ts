/**
 * The binary gallery segment: enrolled faces as float32 embeddings behind a small JSON
 * header, read without parsing a number (the embeddings are a view of the file's bytes) and
 * checked field by field, for galleries of a million faces. Little-endian throughout:
 *
 * | bytes | what |
 * |---|---|
 * | 4 | magic `F2VG` |
 * | 4 | u32: the header's length H |
 * | H | the header, UTF-8 JSON: `{"format": "face2vec-gallery-segment", "version": 1, "dim", "count", "labels": [the people], "pathBytes", "checksum"}`, padded with spaces to a multiple of 4 |
 * | 4·count | u32: each face's person (an index into `labels`) |
 * | count, padded to 4 | u8: 1 for a face added by `enrol`, else 0 |
 * | 4·(count + 1) | u32: where each face's path starts in the path bytes, and their end |
 * | pathBytes, padded to 4 | the paths, UTF-8, one after another |
 * | 4·count·dim | f32: the embeddings |
 *
 * `checksum` is a 32-bit FNV-1a of every u32 word after the header (8 hex digits).
 *
 * @module
 */

import type { GalleryEntry } from "./gallery.ts";

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
  /** Face `i`'s path. */
  path(i: number): string;
}

/** A segment that cannot be used; the message names the file and the field. */
export class SegmentError extends Error {
  override name = "SegmentError";
}

const pad4 = (n: number) => (n + 3) & ~3;

/** FNV-1a over 32-bit words. */
function fnv(words: Uint32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * Encodes enrolled faces as a segment.
 *
 * @param entries The faces, all with embeddings of one length.
 * @returns The segment's bytes.
 * @throws {RangeError} For embeddings of different lengths, or a number that is not finite as float32.
 * @example
 * ```ts
 * import { decodeSegment, encodeSegment } from "./segment.ts";
 * const bytes = encodeSegment([{ label: "ada", path: "a.jpg", embedding: new Float32Array([1, 2]) }]);
 * const s = decodeSegment(bytes, "g.f2vg");
 * if (s.labels[s.person[0]!] !== "ada" || s.path(0) !== "a.jpg" || s.embeddings[1] !== 2) throw new Error();
 * ```
 */
export function encodeSegment(entries: readonly GalleryEntry[]): Uint8Array {
  const dim = entries[0]?.embedding.length ?? 0;
  const labels = [...new Set(entries.map((e) => e.label))];
  const index = new Map(labels.map((l, i) => [l, i]));
  const enc = new TextEncoder();
  const paths = entries.map((e) => enc.encode(e.path));
  const pathBytes = paths.reduce((n, p) => n + p.length, 0);
  const count = entries.length;
  const bodyLength = 4 * count + pad4(count) + 4 * (count + 1) + pad4(pathBytes) + 4 * count * dim;
  const body = new Uint8Array(bodyLength);
  const view = new DataView(body.buffer);
  let o = 0;
  for (const e of entries) {
    if (e.embedding.length !== dim) {
      throw new RangeError(`${e.path}: an embedding of ${e.embedding.length}, not ${dim}`);
    }
    view.setUint32(o, index.get(e.label)!, true);
    o += 4;
  }
  entries.forEach((e, i) => (body[o + i] = e.enrolled ? 1 : 0));
  o += pad4(count);
  let at = 0;
  for (const p of paths) {
    view.setUint32(o, at, true);
    o += 4;
    at += p.length;
  }
  view.setUint32(o, at, true);
  o += 4;
  for (const p of paths) {
    body.set(p, o);
    o += p.length;
  }
  o = pad4(o);
  for (const e of entries) {
    for (let k = 0; k < dim; k++) {
      const v = Math.fround(e.embedding[k]!);
      if (!Number.isFinite(v)) throw new RangeError(`${e.path}: embedding number ${k} is ${e.embedding[k]}`);
      view.setFloat32(o, v, true);
      o += 4;
    }
  }
  const checksum = fnv(new Uint32Array(body.buffer)).toString(16).padStart(8, "0");
  const json = JSON.stringify({ ...SEGMENT_FORMAT, dim, count, labels, pathBytes, checksum });
  const header = enc.encode(json.padEnd(pad4(enc.encode(json).length), " "));
  const out = new Uint8Array(8 + header.length + body.length);
  out.set(MAGIC, 0);
  new DataView(out.buffer).setUint32(4, header.length, true);
  out.set(header, 8);
  out.set(body, 8 + header.length);
  return out;
}

/**
 * Reads a segment, checking every field: magic, header (format, version, integers, labels),
 * sizes, person indexes, flags, path offsets, every embedding number finite, the checksum.
 *
 * @param bytes The file's bytes (kept: the embeddings are a view of them when aligned).
 * @param file Its name, for messages.
 * @param dim The embedding length expected (the model's feature set); default: any.
 * @returns The segment.
 * @throws {SegmentError} With one line naming the file and what is wrong.
 */
export function decodeSegment(bytes: Uint8Array, file: string, dim?: number): GallerySegment {
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
  const count = int("count"), d = int("dim"), pathBytes = int("pathBytes");
  if (dim !== undefined && count > 0 && d !== dim) bad(`header.dim: ${d}, expected ${dim}`);
  const labels = h.labels;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string" && l.trim() !== "")) {
    bad("header.labels: not a list of non-empty names");
  }
  if (typeof h.checksum !== "string" || !/^[0-9a-f]{8}$/.test(h.checksum)) bad("header.checksum: not 8 hex digits");
  const start = 8 + headerLength;
  const expected = 4 * count + pad4(count) + 4 * (count + 1) + pad4(pathBytes) + 4 * count * d;
  if (bytes.length - start !== expected) bad(`${bytes.length - start} bytes after the header, expected ${expected}`);
  // The body as words (copied once when the file's bytes are not 4-byte aligned).
  const body = (bytes.byteOffset + start) % 4 === 0
    ? new Uint32Array(bytes.buffer, bytes.byteOffset + start, expected / 4)
    : new Uint32Array(bytes.slice(start).buffer);
  if (fnv(body).toString(16).padStart(8, "0") !== h.checksum) bad("checksum does not match (a damaged file)");
  const person = body.subarray(0, count);
  const names = labels as string[];
  for (let i = 0; i < count; i++) {
    if (person[i]! >= names.length) bad(`face ${i}: person ${person[i]} of ${names.length}`);
  }
  const bodyBytes = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  const enrolled = bodyBytes.subarray(4 * count, 5 * count);
  for (let i = 0; i < count; i++) if (enrolled[i]! > 1) bad(`face ${i}: enrolled flag ${enrolled[i]}`);
  const offsetsAt = (4 * count + pad4(count)) / 4;
  const offsets = body.subarray(offsetsAt, offsetsAt + count + 1);
  if (offsets[0] !== 0 || offsets[count] !== pathBytes) bad("path offsets do not span the path bytes");
  for (let i = 0; i < count; i++) if (offsets[i + 1]! < offsets[i]!) bad(`face ${i}: path offsets go backwards`);
  const pathStart = 4 * (offsetsAt + count + 1);
  const pathData = bodyBytes.subarray(pathStart, pathStart + pathBytes);
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(pathData);
  } catch {
    bad("paths are not UTF-8");
  }
  const floatsAt = (pathStart + pad4(pathBytes)) / 4;
  const words = body.subarray(floatsAt, floatsAt + count * d);
  // Not finite as float32: all exponent bits set.
  for (let i = 0; i < words.length; i++) {
    if ((words[i]! & 0x7f800000) === 0x7f800000) {
      bad(`face ${Math.floor(i / d)}: embedding number ${i % d} is not finite`);
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
