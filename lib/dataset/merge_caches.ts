/**
 * `preprocess --merge`: the caches of every shard of a folder combined into the one cache a
 * single run makes.
 *
 * @module
 */

import { configDifference } from "../_config.ts";
import { withCacheLock } from "./cache_lock.ts";
import { CacheError, type CacheRecord, compactCache, readCache } from "./cache.ts";
import { shardOf, shardText } from "./shard.ts";

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
  if (slash > 0) await Deno.mkdir(output.slice(0, slash), { recursive: true });
  await withCacheLock(output, async () => {
    const old = await readCache(output).catch(() => undefined);
    if (old && (old.shard || configDifference(old.config, config))) {
      throw new CacheError(`${output}: a cache made otherwise is there; merge into another --cache or delete it`);
    }
    await compactCache(output, config, records);
  }, { timeoutMs: options.lockTimeoutMs, onWait: options.onWait });
  return { photos: records.length, shards: count };
}
