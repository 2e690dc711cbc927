/**
 * Sharded preprocessing: `preprocess --shard i/n` takes a fixed 1/n of a folder's photos
 * (by a hash of each photo's path relative to the folder, so a photo keeps its shard when
 * others are added, and machines that mount the folder at different places agree), each
 * shard into a cache of its own; `mergeCaches` (merge_caches.ts) combines the n caches into exactly
 * the cache one run over the whole folder makes.
 *
 * @module
 */

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
