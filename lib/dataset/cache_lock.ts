/**
 * The lock of one cache: one writer at a time per cache file, by a hidden lock file beside it
 * (`dir/.name.cache.lock`). `preprocess`, `--merge` and the files kept beside a cache (the
 * groups `cluster` keeps) take it through here.
 *
 * @module
 */

import { type LockOptions, withLock } from "../_lock.ts";

/**
 * The lock file of a cache: hidden, beside it.
 *
 * @example
 * ```ts
 * import { cacheLockPath } from "./cache_lock.ts";
 * if (cacheLockPath("a/b/x.cache") !== "a/b/.x.cache.lock") throw new Error();
 * if (cacheLockPath("x.cache") !== ".x.cache.lock") throw new Error();
 * ```
 */
export function cacheLockPath(cachePath: string): string {
  const slash = cachePath.lastIndexOf("/");
  return `${cachePath.slice(0, slash + 1)}.${cachePath.slice(slash + 1)}.lock`;
}

/**
 * Runs `fn` holding the cache's lock.
 *
 * @param cachePath The cache.
 * @param fn The work to do under the lock.
 * @param options Timeout and a note when waiting.
 * @returns What `fn` returns.
 * @throws {LockError} When another process holds it for longer than the timeout.
 */
export function withCacheLock<T>(cachePath: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  return withLock(cacheLockPath(cachePath), fn, options);
}
