/**
 * Sharded preprocessing: `preprocess --shard i/n` takes a fixed 1/n of a folder's photos
 * (by a hash of each photo's path relative to the folder, so a photo keeps its shard when
 * others are added, and machines that mount the folder at different places agree), each
 * shard into a cache of its own; {@linkcode mergeCaches} combines the n caches into exactly
 * the cache one run over the whole folder makes.
 *
 * @module
 */

import { configDifference } from "../_config.ts";
import { withLock } from "../_lock.ts";
import { CacheError, type CacheRecord, compactCache, readCache } from "./cache.ts";

/** One shard of n: `index` from 1 to `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** The most shards a folder is split into. */
export const MAX_SHARDS = 10_000;

/**
 * Reads `i/n` (1 ≤ i ≤ n ≤ {@linkcode MAX_SHARDS}).
 *
 * @param text The shard as written.
 * @returns The shard.
 * @throws {RangeError} For anything else, saying what is expected.
 * @example
 * ```ts
 * import { parseShard } from "./shard.ts";
 * const s = parseShard("2/4");
 * if (s.index !== 2 || s.count !== 4) throw new Error();
 * ```
 */
export function parseShard(text: string): Shard {
  const m = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(text.trim());
  const [index, count] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(index >= 1 && index <= count && count <= MAX_SHARDS)) {
    throw new RangeError(`${JSON.stringify(text)} is not a shard i/n with 1 ≤ i ≤ n ≤ ${MAX_SHARDS}`);
  }
  return { index, count };
}

/**
 * The shard (1 to `count`) of a photo: FNV-1a (32-bit) of its relative path's UTF-8 bytes,
 * mixed by MurmurHash3's finaliser, modulo `count`, plus 1. A photo's shard never changes:
 * a test pins it.
 *
 * @param relative The photo's path relative to the folder, `/`-separated.
 * @param count The number of shards.
 * @returns Its shard's index.
 * @example
 * ```ts
 * import { shardOf } from "./shard.ts";
 * if (shardOf("ada/1.jpg", 1) !== 1) throw new Error("one shard holds everything");
 * if (shardOf("ada/1.jpg", 4) !== shardOf("ada/1.jpg", 4)) throw new Error("stable");
 * ```
 */
export function shardOf(relative: string, count: number): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(relative)) h = Math.imul(h ^ b, 0x01000193);
  // MurmurHash3's finaliser: FNV's low bits alone split similar paths unevenly.
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) % count) + 1;
}

/**
 * A folder as every shard of it sees it, wherever it is mounted: how many photos it has, and
 * the sha256 (lowercase hex) of their paths relative to it, sorted, each followed by a newline.
 */
export interface FolderIdentity {
  readonly photos: number;
  readonly sha256: string;
}

/**
 * The identity of a folder from its photos' relative paths (every shard lists the whole folder
 * to take its part, so each computes the same identity; `mergeCaches` merges only shards of one).
 *
 * @param relatives Every photo's path relative to the folder, `/`-separated, in any order.
 * @returns The count and the hash of the sorted list.
 * @example
 * ```ts
 * import { folderIdentity } from "./shard.ts";
 * const a = await folderIdentity(["b/2.jpg", "a/1.jpg"]), b = await folderIdentity(["a/1.jpg", "b/2.jpg"]);
 * if (a.photos !== 2 || a.sha256 !== b.sha256) throw new Error("the same folder, whatever the order");
 * ```
 */
export async function folderIdentity(relatives: readonly string[]): Promise<FolderIdentity> {
  const sorted = [...relatives].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const bytes = new TextEncoder().encode(sorted.map((p) => `${p}\n`).join(""));
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return { photos: sorted.length, sha256: Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("") };
}

/** A shard as written, `i/n`. */
export function shardText(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}

/** Options of {@linkcode mergeCaches}. */
export interface MergeOptions {
  /** How long to wait for another writer of the output, in ms. Default 60 000. */
  readonly lockTimeoutMs?: number;
  /** Called once when another process is writing the output, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/**
 * Combines the caches of every shard of a folder (`preprocess --shard i/n`, made anywhere:
 * their paths are relative to the folder) into one cache, the one a single run over the
 * whole folder makes (one line per photo, sorted by path). Checked: each input is a valid
 * cache of one shard whose run finished; together they are shards 1 to n of one n, each once,
 * of one folder (the same list of photos, see {@linkcode folderIdentity}); they were made
 * with one configuration; each photo is in the shard its path belongs to; together they hold
 * a record of every photo of the folder. A shard cache of an earlier version, which records
 * neither its folder nor whether it finished, is refused: its shard is to be run again. The
 * output is written atomically under its writers' lock.
 *
 * @param inputs The shard caches.
 * @param output The merged cache (replaced if it exists and was made with the same configuration).
 * @param options Lock timeout and a note when waiting.
 * @returns The number of photos and of shards.
 * @throws {CacheError} Naming the file and what is wrong.
 */
export async function mergeCaches(
  inputs: readonly string[],
  output: string,
  options: MergeOptions = {},
): Promise<{ photos: number; shards: number }> {
  if (inputs.length === 0) throw new CacheError("--merge: no shard caches given");
  const caches = [];
  for (const file of inputs) {
    const cache = await readCache(file);
    if (!cache) throw new CacheError(`${file}: no such cache`);
    if (!cache.shard) throw new CacheError(`${file}: not the cache of a shard (made without --shard)`);
    const again = `run preprocess --shard ${shardText(cache.shard)} again`;
    if (!cache.folder) {
      throw new CacheError(
        `${file}: a shard cache of an earlier version, which records neither its folder nor that it finished; ${again}`,
      );
    }
    if (!cache.complete) {
      throw new CacheError(`${file}: shard ${shardText(cache.shard)} did not finish (its run was stopped); ${again}`);
    }
    caches.push({ file, cache, shard: cache.shard, folder: cache.folder });
  }
  const count = caches[0]!.shard.count;
  const byIndex = new Map<number, string>();
  for (const { file, shard } of caches) {
    if (shard.count !== count) {
      throw new CacheError(`${file}: shard ${shardText(shard)}, the others are of ${count}`);
    }
    const twice = byIndex.get(shard.index);
    if (twice) throw new CacheError(`${file}: shard ${shardText(shard)} again (also ${twice})`);
    byIndex.set(shard.index, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length) {
    throw new CacheError(
      `--merge: shard${missing.length > 1 ? "s" : ""} ${missing.map((i) => `${i}/${count}`).join(", ")} missing`,
    );
  }
  const first = caches[0]!;
  for (const { file, folder } of caches) {
    if (folder.sha256 !== first.folder.sha256 || folder.photos !== first.folder.photos) {
      throw new CacheError(
        `${file}: a shard of another folder than ${first.file} (${folder.photos} photos, not ${first.folder.photos}, ` +
          `or other paths)`,
      );
    }
  }
  const config = caches[0]!.cache.config;
  const records: CacheRecord[] = [];
  for (const { file, cache, shard } of caches) {
    const diff = configDifference(config, cache.config);
    if (diff) throw new CacheError(`${file}: made with another configuration than ${caches[0]!.file} (${diff})`);
    for (const r of cache.records.values()) {
      const belongs = shardOf(r.path, count);
      if (belongs !== shard.index) {
        throw new CacheError(
          `${file}: holds ${r.path}, which is in shard ${belongs}/${count}, not ${shardText(shard)}`,
        );
      }
      records.push(r);
    }
  }
  // A finished shard has a record of each of its photos (an error or no face included).
  if (records.length !== first.folder.photos) {
    throw new CacheError(
      `--merge: the shards hold ${records.length} photos, their folder has ${first.folder.photos}; run the shards again`,
    );
  }
  const slash = output.lastIndexOf("/");
  const lock = `${output.slice(0, slash + 1)}.${output.slice(slash + 1)}.lock`;
  if (slash > 0) await Deno.mkdir(output.slice(0, slash), { recursive: true });
  await withLock(lock, async () => {
    const old = await readCache(output).catch(() => undefined);
    if (old && (old.shard || configDifference(old.config, config))) {
      throw new CacheError(`${output}: a cache made otherwise is there; merge into another --cache or delete it`);
    }
    await compactCache(output, config, records);
  }, { timeoutMs: options.lockTimeoutMs, onWait: options.onWait });
  return { photos: records.length, shards: count };
}
