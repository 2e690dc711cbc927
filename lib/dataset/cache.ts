/**
 * The preprocessing cache: a documented text format, not opaque state.
 *
 * A cache is UTF-8 text, one entry per line: 8 lowercase hex digits (the CRC-32 of the
 * JSON that follows), one space, then one JSON object.
 * - Line 1, the header: `{"format": "face2vec-cache", "version": 1, "config": {…}}`, where
 *   `config` is the whole pipeline configuration (detector and landmark options, the
 *   cascade's and the landmark model's sha256, feature set name and version, label rule).
 * - Every other line, a {@linkcode CacheRecord} (one photo) or a removal
 *   `{"path": "…", "removed": true}`. A later line for the same path replaces an earlier one.
 *
 * During a run, records are appended as photos finish, so a crash or Ctrl-C loses at most the
 * photos in flight; an incomplete last line (the write the crash interrupted) is dropped on
 * the next read. At the end of a run the cache is compacted (one line per live photo, sorted
 * by path) into a temporary file that atomically replaces it.
 *
 * @module
 */

import { writeFileAtomic } from "../_fs.ts";
import { crc32With } from "../_crc.ts";

/** The format's name and version, in every header. */
export const CACHE_FORMAT = { format: "face2vec-cache", version: 1 } as const;

/** What happened to one photo. */
export type RecordStatus = "ok" | "no_face" | "error";

/** One photo's entry in the cache. */
export interface CacheRecord {
  /** Path relative to the dataset folder, `/`-separated. */
  readonly path: string;
  /** sha256 of the file's bytes: a changed photo is processed again. */
  readonly hash: string;
  /** The person (empty when the label could not be found: then `status` is "error"). */
  readonly label: string;
  readonly status: RecordStatus;
  /** Why, for "error" (and "no_face"). */
  readonly reason?: string;
  /** Image size (EXIF-oriented). */
  readonly width?: number;
  readonly height?: number;
  /** How many faces the photo has; the largest is used. */
  readonly faces?: number;
  /** The face used: its box and where it came from. */
  readonly box?: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly source?: string;
  /** Its 68 landmarks, `[x, y]` in image pixels. */
  readonly landmarks?: readonly (readonly [number, number])[];
  /** Its features (the configured feature set, row-major). */
  readonly features?: readonly number[];
  /** Its 128-d embedding as the network outputs it (sets that use the embedding). */
  readonly embedding?: readonly number[];
}

/** A whole cache in memory. */
export interface Cache {
  readonly config: Readonly<Record<string, unknown>>;
  /** Live records by path. */
  readonly records: Map<string, CacheRecord>;
  /** True when an incomplete last line (an interrupted write) was dropped while reading. */
  readonly droppedPartialLine: boolean;
}

/** A cache file that cannot be used; the message names the file and the reason. */
export class CacheError extends Error {
  override name = "CacheError";
}

const crc32Ieee = crc32With(0xedb88320);

/**
 * CRC-32 (IEEE, as zlib's `crc32`) of a string's UTF-8 bytes.
 *
 * @param text The text.
 * @returns The checksum as an unsigned 32-bit integer.
 * @example
 * ```ts
 * import { crc32 } from "./cache.ts";
 * if (crc32("123456789") !== 0xcbf43926) throw new Error("check value");
 * ```
 */
export function crc32(text: string): number {
  return crc32Ieee(new TextEncoder().encode(text));
}

/** One checksummed line (with its newline) for a JSON value. */
export function cacheLine(value: unknown): string {
  const json = JSON.stringify(value);
  return `${crc32(json).toString(16).padStart(8, "0")} ${json}\n`;
}

/**
 * Parses a cache file's text.
 *
 * @param text The file's contents.
 * @param file The file name, for errors.
 * @returns The configuration and the live records.
 * @throws {CacheError} For a missing or foreign header, or a line other than the last that
 * fails its checksum or does not parse.
 */
export function parseCache(text: string, file: string): Cache {
  if (text.trim() === "") throw new CacheError(`${file}: empty cache file (no header)`);
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  if (complete) lines.pop();
  let droppedPartialLine = false;
  let config: Record<string, unknown> | undefined;
  const records = new Map<string, CacheRecord>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const value = checkedJson(line);
    if (value === undefined) {
      // Only the very last line may be damaged: the write a crash interrupted.
      if (i === lines.length - 1 && i > 0) {
        droppedPartialLine = true;
        break;
      }
      throw new CacheError(
        `${file}: corrupt cache (line ${i + 1} fails its checksum): delete it or use another --cache`,
      );
    }
    if (i === 0) {
      const h = value as { format?: unknown; version?: unknown; config?: unknown };
      if (h.format !== CACHE_FORMAT.format) throw new CacheError(`${file}: not a Face2Vec cache`);
      if (h.version !== CACHE_FORMAT.version) {
        throw new CacheError(`${file}: cache format version ${h.version}, this Face2Vec reads ${CACHE_FORMAT.version}`);
      }
      config = (h.config ?? {}) as Record<string, unknown>;
      continue;
    }
    const r = value as CacheRecord & { removed?: boolean };
    if (typeof r.path !== "string") throw new CacheError(`${file}: corrupt cache (line ${i + 1} has no path)`);
    if (r.removed) records.delete(r.path);
    else records.set(r.path, r);
  }
  if (!config) throw new CacheError(`${file}: empty cache file (no header)`);
  return { config, records, droppedPartialLine };
}

function checkedJson(line: string): unknown {
  const m = line.match(/^([0-9a-f]{8}) (.*)$/s);
  if (!m || parseInt(m[1]!, 16) !== crc32(m[2]!)) return undefined;
  try {
    return JSON.parse(m[2]!);
  } catch {
    return undefined;
  }
}

/**
 * Reads a cache file; undefined when it does not exist.
 *
 * @throws {CacheError} As {@linkcode parseCache}.
 */
export async function readCache(file: string): Promise<Cache | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw new CacheError(`${file}: unreadable cache (${e instanceof Error ? e.message : e})`);
  }
  return parseCache(text, file);
}

/**
 * Cuts an incomplete last line (a write a crash interrupted) off the end of a file, so that
 * the next record appended starts a line of its own: a cache stays readable after crashes
 * in a row.
 */
async function cutTornLine(path: string): Promise<void> {
  const bytes = await Deno.readFile(path);
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return;
  await Deno.truncate(path, bytes.lastIndexOf(0x0a) + 1);
}

/** Appends records to a cache file as they come; creates the file with its header first. */
export class CacheWriter {
  #file: Deno.FsFile;
  readonly path: string;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Opens `path` for appending, writing the header when the file is new (or `fresh`). */
  static async open(path: string, config: Readonly<Record<string, unknown>>, fresh: boolean): Promise<CacheWriter> {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    if (fresh) await writeFileAtomic(path, cacheLine({ ...CACHE_FORMAT, config }));
    else await cutTornLine(path);
    const file = await Deno.open(path, { append: true, create: true });
    return new CacheWriter(path, file);
  }

  /** Appends one record (or removal) as one line, in one write. */
  async append(entry: CacheRecord | { path: string; removed: true }): Promise<void> {
    const bytes = new TextEncoder().encode(cacheLine(entry));
    let written = 0;
    while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * Rewrites a cache with one line per live record, sorted by path, atomically (a temporary
 * file renamed over it).
 */
export async function compactCache(
  path: string,
  config: Readonly<Record<string, unknown>>,
  records: Iterable<CacheRecord>,
): Promise<void> {
  const sorted = [...records].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeFileAtomic(path, cacheLine({ ...CACHE_FORMAT, config }) + sorted.map(cacheLine).join(""));
}
