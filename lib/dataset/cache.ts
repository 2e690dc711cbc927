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
 * Version 1 records hold the photo's largest face (box, landmarks, features, embedding at the
 * record's top level). Version 2 is the every-face cache (`config.faces` is `"all"`): each
 * record lists every face the detector found, largest first, in `all`, each with the same
 * fields. Both versions are read; a cache is written in the version of its kind.
 *
 * During a run, records are appended as photos finish, so a crash or Ctrl-C loses at most the
 * photos in flight; an incomplete last line (the write the crash interrupted) is dropped on
 * the next read. At the end of a run the cache is compacted (one line per live photo, sorted
 * by path) into a temporary file that atomically replaces it.
 *
 * @module
 */

import { featureSet } from "../features/feature_sets.ts";
import { PIPELINE_PARTS, type PipelineParts } from "../pipeline/parts.ts";
import { recordedEmbedderOf } from "../pipeline/pipeline.ts";
import { writeFileAtomic } from "../_fs.ts";
import { crc32With } from "../_crc.ts";
import { type FolderIdentity, parseShard, type Shard, shardText } from "./shard.ts";
import { checkRegularFile, FileKindError } from "../_fs.ts";

/** The format's name and version, in every header of a largest-face cache. */
export const CACHE_FORMAT = { format: "face2vec-cache", version: 1 } as const;

/** The version of an every-face cache (`config.faces` is `"all"`). */
export const EVERY_FACE_CACHE_VERSION = 2;

/** Which faces of a photo a cache holds: the largest (version 1) or every one (version 2). */
export type CachedFaces = "largest" | "all";

/** Which faces a cache's configuration says it holds. */
export function cachedFaces(config: Readonly<Record<string, unknown>>): CachedFaces {
  return config.faces === "all" ? "all" : "largest";
}

/**
 * What the cache of one shard of a folder (`preprocess --shard i/n`) records about its run,
 * in its header: which shard, of which folder, and whether the run finished. `mergeCaches`
 * merges only finished shards of one folder.
 */
export interface ShardRun {
  readonly shard: Shard;
  /** The whole folder the shard was taken from (see {@linkcode folderIdentity}). */
  readonly folder: FolderIdentity;
  /**
   * True once the run has a record of every photo of its shard: written by the run's last
   * rewrite of the cache (atomic); a run starts by rewriting it false.
   */
  readonly complete: boolean;
}

/**
 * The header line's object for a configuration: its format, the version of its kind, the
 * configuration, and for the cache of one shard of a folder (`preprocess --shard`) its run.
 */
function header(config: Readonly<Record<string, unknown>>, run?: ShardRun) {
  const version = cachedFaces(config) === "all" ? EVERY_FACE_CACHE_VERSION : CACHE_FORMAT.version;
  return {
    format: CACHE_FORMAT.format,
    version,
    config,
    ...(run ? { shard: shardText(run.shard), folder: run.folder, complete: run.complete } : {}),
  };
}

/** One face of a photo in an every-face cache: the fields a largest-face record holds at its top level. */
export interface CachedFace {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  /** Which detector pass found it. */
  readonly source: string;
  /** The detector's score (0–1), for detectors that give one. */
  readonly score?: number;
  /** Its 68 landmarks, `[x, y]` in image pixels. */
  readonly landmarks: readonly (readonly [number, number])[];
  /** Its features (the configured feature set, row-major). */
  readonly features: readonly number[];
  /** Its embedding (sets that use the embedding), of the length the cache's network gives. */
  readonly embedding?: readonly number[];
}

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
  /**
   * Its embedding as the network outputs it (sets that use the embedding), of the length the
   * network recorded in the cache's configuration gives.
   */
  readonly embedding?: readonly number[];
  /** In an every-face cache (instead of the fields above): every face, largest first. */
  readonly all?: readonly CachedFace[];
}

/** A whole cache in memory. */
export interface Cache {
  readonly config: Readonly<Record<string, unknown>>;
  /** For the cache of one shard of a folder (`preprocess --shard i/n`), which one. */
  readonly shard?: Shard;
  /** For the cache of one shard: the whole folder it was taken from (absent in caches of earlier versions). */
  readonly folder?: FolderIdentity;
  /** For the cache of one shard: whether its run finished (absent in caches of earlier versions). */
  readonly complete?: boolean;
  /** Live records by path. */
  readonly records: Map<string, CacheRecord>;
  /** True when an incomplete last line (an interrupted write) was dropped while reading. */
  readonly droppedPartialLine: boolean;
  /** Line numbers (1-based) of damaged lines dropped with `dropDamaged` (absent: none). */
  readonly droppedLines?: readonly number[];
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

/** Options of {@linkcode parseCache} and {@linkcode readCache}. */
export interface ParseCacheOptions {
  /**
   * Drop complete lines that fail their checksum or their field checks, and keep the rest
   * (their line numbers are in `droppedLines`), instead of refusing the cache. Default false.
   */
  readonly dropDamaged?: boolean;
  /**
   * The registries the network the cache records is looked up in (its entry gives the length
   * and norm its embeddings must have). Default the library's, `PIPELINE_PARTS`.
   */
  readonly parts?: PipelineParts;
}

/** What a cache's embeddings must be: its network's length and range of norms. */
interface EmbeddingChecks {
  readonly size: number;
  readonly norm: { readonly min: number; readonly max: number };
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Why a record's fields cannot be used (undefined when they can): types, a usable photo's
 * label not empty (unless the cache's label rule is "none"), finite numbers, 68 landmarks,
 * vectors of the lengths the cache's feature set gives, embeddings of the length and norms of
 * the network the cache records (its registry entry's `size` and `norm`); in an every-face
 * cache, each of its faces.
 */
function recordProblem(
  r: Record<string, unknown>,
  lengths: { features?: number; embedding: EmbeddingChecks },
  faces: CachedFaces,
  labelled: boolean,
): string | undefined {
  if (typeof r.path !== "string" || r.path === "") return "no path";
  if (typeof r.hash !== "string" || typeof r.label !== "string") return "no hash or label";
  if (r.status !== "ok" && r.status !== "no_face" && r.status !== "error") return `status ${JSON.stringify(r.status)}`;
  if (r.status !== "ok") return undefined;
  // A person's name: training would otherwise run every epoch and fail at saving the gallery.
  if (labelled && r.label.trim() === "") return `empty label ${JSON.stringify(r.label)} for ${JSON.stringify(r.path)}`;
  if (faces === "largest") return faceProblem(r, lengths);
  const all = r.all;
  if (!Array.isArray(all) || all.length === 0 || all.length !== r.faces) {
    return `all is not a list of its ${JSON.stringify(r.faces)} faces`;
  }
  for (let i = 0; i < all.length; i++) {
    const f = all[i] as Record<string, unknown> | null;
    const problem = typeof f !== "object" || f === null
      ? "not an object"
      : typeof f.source !== "string"
      ? "no source"
      : f.score !== undefined && !(typeof f.score === "number" && f.score >= 0 && f.score <= 1)
      ? "score is not from 0 to 1"
      : faceProblem(f, lengths);
    if (problem) return `face ${i + 1}: ${problem}`;
  }
  return undefined;
}

/** Why one face's box, landmarks, features and embedding cannot be used (undefined when they can). */
function faceProblem(
  f: Record<string, unknown>,
  lengths: { features?: number; embedding: EmbeddingChecks },
): string | undefined {
  // Finite as float32, which is what features and embeddings become (1e39 would be Infinity).
  const finite = (v: unknown) => typeof v === "number" && Math.abs(v) <= FLOAT32_MAX;
  const vector = (v: unknown, n: number | undefined) =>
    Array.isArray(v) && (n === undefined || v.length === n) && v.every(finite);
  const box = f.box as Record<string, unknown> | undefined;
  if (!box || !["x", "y", "width", "height"].every((k) => finite(box[k]))) return "box is not four finite numbers";
  if (!Array.isArray(f.landmarks) || f.landmarks.length !== 68 || !f.landmarks.every((p) => vector(p, 2))) {
    return "landmarks are not 68 finite points";
  }
  if (!vector(f.features, lengths.features)) {
    return `features are not ${lengths.features ?? "a list of"} finite numbers`;
  }
  const { size, norm } = lengths.embedding;
  if (f.embedding !== undefined && !vector(f.embedding, size)) {
    return `embedding is not ${size} finite numbers`;
  }
  if (f.embedding !== undefined) {
    const n = Math.hypot(...(f.embedding as number[]));
    if (!(n >= norm.min && n <= norm.max)) {
      return `embedding norm ${n.toPrecision(3)}, not within ${norm.min}–${norm.max}`;
    }
  }
  return undefined;
}

/**
 * Parses a cache file's text, checking every line's checksum and every record's fields.
 *
 * @param text The file's contents.
 * @param file The file name, for errors.
 * @param options Whether damaged lines are dropped instead of refused.
 * @returns The configuration and the live records.
 * @throws {CacheError} For a missing or foreign header, or (unless `dropDamaged`) a line
 * other than the last that fails its checksum, does not parse or has a bad field; the
 * message names the file and the line.
 */
export function parseCache(text: string, file: string, options: ParseCacheOptions = {}): Cache {
  if (text.trim() === "") throw new CacheError(`${file}: empty cache file (no header)`);
  const lines = text.split("\n");
  const complete = text.endsWith("\n");
  if (complete) lines.pop();
  let droppedPartialLine = false;
  const droppedLines: number[] = [];
  let config: Record<string, unknown> | undefined;
  let shard: Shard | undefined;
  let folder: FolderIdentity | undefined;
  let finished: boolean | undefined;
  let faces: CachedFaces = "largest";
  const parts = options.parts ?? PIPELINE_PARTS;
  let lengths: { features?: number; embedding: EmbeddingChecks } = { embedding: recordedEmbedderOf({}, parts) };
  const records = new Map<string, CacheRecord>();
  const damaged = (i: number, why: string) => {
    if (options.dropDamaged && i > 0) return droppedLines.push(i + 1);
    if (i === 0) {
      throw new CacheError(`${file}: corrupt cache (its header, line 1, ${why}): delete it or use another --cache`);
    }
    throw new CacheError(
      `${file}: corrupt cache (line ${
        i + 1
      } ${why}): \`preprocess --drop-damaged\` drops such lines and keeps the rest`,
    );
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const value = checkedJson(line);
    if (value === undefined) {
      // The very last line may be the write a crash interrupted.
      if (i === lines.length - 1 && i > 0 && !complete) {
        droppedPartialLine = true;
        break;
      }
      damaged(i, "fails its checksum");
      continue;
    }
    if (i === 0) {
      const h = value as {
        format?: unknown;
        version?: unknown;
        config?: unknown;
        shard?: unknown;
        folder?: unknown;
        complete?: unknown;
      };
      if (h.format !== CACHE_FORMAT.format) throw new CacheError(`${file}: not a Face2Vec cache`);
      if (h.shard !== undefined) {
        try {
          if (typeof h.shard !== "string") throw new RangeError("not text");
          shard = parseShard(h.shard);
        } catch {
          throw new CacheError(`${file}: corrupt cache (its header, line 1, names shard ${JSON.stringify(h.shard)})`);
        }
      }
      // A shard's run: both or neither (a shard cache of an earlier version has neither).
      if (h.folder !== undefined || h.complete !== undefined) {
        const f = h.folder as { photos?: unknown; sha256?: unknown } | null | undefined;
        if (
          !shard || typeof h.complete !== "boolean" || typeof f !== "object" || f === null ||
          !(Number.isInteger(f.photos) && (f.photos as number) >= 0) ||
          typeof f.sha256 !== "string" || !/^[0-9a-f]{64}$/.test(f.sha256)
        ) {
          throw new CacheError(
            `${file}: corrupt cache (its header, line 1, has a bad shard record: folder ${JSON.stringify(h.folder)}, ` +
              `complete ${JSON.stringify(h.complete)})`,
          );
        }
        folder = { photos: f.photos as number, sha256: f.sha256 };
        finished = h.complete;
      }
      config = (h.config ?? {}) as Record<string, unknown>;
      faces = cachedFaces(config);
      const version = header(config).version;
      if (h.version !== version) {
        throw new CacheError(
          h.version === CACHE_FORMAT.version || h.version === EVERY_FACE_CACHE_VERSION
            ? `${file}: corrupt cache (its header, line 1, says version ${h.version} for ${
              faces === "all" ? "every face" : "the largest face"
            }): delete it or use another --cache`
            : `${file}: cache format version ${h.version}, this Face2Vec reads ${CACHE_FORMAT.version} and ${EVERY_FACE_CACHE_VERSION}`,
        );
      }
      // The network that made its embeddings (the default when it names none) gives their
      // length and norms, and the length of the sets that use them.
      let network;
      try {
        network = recordedEmbedderOf(config, parts);
      } catch (e) {
        if (!(e instanceof RangeError)) throw e;
        throw new CacheError(`${file}: line 1: made with an embedding network this Face2Vec lacks (${e.message})`);
      }
      lengths = { embedding: network };
      const name = (config.features as { name?: unknown } | undefined)?.name;
      if (name !== undefined) {
        let set;
        try {
          set = featureSet(String(name), network.size);
        } catch {
          throw new CacheError(`${file}: line 1: unknown feature set ${JSON.stringify(name)}`);
        }
        lengths = { ...lengths, features: set.length };
      }
      continue;
    }
    const r = value as CacheRecord & { removed?: boolean };
    if (r.removed === true && typeof r.path === "string") {
      records.delete(r.path);
      continue;
    }
    const problem = recordProblem(r as unknown as Record<string, unknown>, lengths, faces, config!.labels !== "none");
    if (problem) damaged(i, `has a bad record: ${problem}`);
    else records.set(r.path, r);
  }
  if (!config) throw new CacheError(`${file}: empty cache file (no header)`);
  return {
    config,
    ...(shard ? { shard } : {}),
    ...(folder ? { folder, complete: finished } : {}),
    records,
    droppedPartialLine,
    droppedLines,
  };
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
 * @param file The cache file.
 * @param options Whether damaged lines are dropped instead of refused.
 * @throws {CacheError} As {@linkcode parseCache}.
 */
export async function readCache(file: string, options: ParseCacheOptions = {}): Promise<Cache | undefined> {
  let text: string;
  try {
    // A FIFO would wait for a writer for ever: refused before it is opened.
    await checkRegularFile(file);
    text = await Deno.readTextFile(file);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof FileKindError) throw new CacheError(`${file}: unreadable cache (${e.reason})`);
    throw new CacheError(`${file}: unreadable cache (${e instanceof Error ? e.message : e})`);
  }
  return parseCache(text, file, options);
}

/**
 * Cuts an incomplete last line (a write a crash interrupted) off the end of a file, so that
 * the next record appended starts a line of its own: a cache stays readable after crashes
 * in a row.
 */
async function cutTornLine(path: string): Promise<void> {
  // Only the last byte is read, unless it shows a torn line.
  const file = await Deno.open(path, { read: true });
  let last: number | undefined;
  try {
    const size = (await file.stat()).size;
    if (size === 0) return;
    await file.seek(size - 1, Deno.SeekMode.Start);
    const one = new Uint8Array(1);
    if ((await file.read(one)) === 1) last = one[0];
  } finally {
    file.close();
  }
  if (last === 0x0a || last === undefined) return;
  const bytes = await Deno.readFile(path);
  await Deno.truncate(path, bytes.lastIndexOf(0x0a) + 1);
}

/** Appends records to a cache file as they come; creates the file with its header first. */
export class CacheWriter {
  #file: Deno.FsFile;
  #writing: Promise<void> = Promise.resolve();
  readonly path: string;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /** Opens `path` for appending, writing the header when the file is new (or `fresh`); for a shard, its run. */
  static async open(
    path: string,
    config: Readonly<Record<string, unknown>>,
    fresh: boolean,
    shard?: ShardRun,
  ): Promise<CacheWriter> {
    const slash = path.lastIndexOf("/");
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    if (fresh) await writeFileAtomic(path, cacheLine(header(config, shard)));
    else await cutTornLine(path);
    const file = await Deno.open(path, { append: true, create: true });
    return new CacheWriter(path, file);
  }

  /** Appends one record (or removal) as one line, in one write. */
  append(entry: CacheRecord | { path: string; removed: true }): Promise<void> {
    const bytes = new TextEncoder().encode(cacheLine(entry));
    // One line after the other, whoever calls: a line is never interleaved with another.
    const write = async () => {
      let written = 0;
      while (written < bytes.length) written += await this.#file.write(bytes.subarray(written));
    };
    const done = this.#writing.then(write);
    this.#writing = done.catch(() => {});
    return done;
  }

  /** Closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * Rewrites a cache with one line per live record, sorted by path, atomically (a temporary
 * file renamed over it).
 *
 * @param path The cache.
 * @param config Its configuration.
 * @param records Its records.
 * @param shard For the cache of one shard, its run (which shard, of which folder, finished or not).
 */
export async function compactCache(
  path: string,
  config: Readonly<Record<string, unknown>>,
  records: Iterable<CacheRecord>,
  shard?: ShardRun,
): Promise<void> {
  const sorted = [...records].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await writeFileAtomic(path, cacheLine(header(config, shard)) + sorted.map(cacheLine).join(""));
}
