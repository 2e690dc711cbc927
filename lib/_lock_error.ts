/**
 * The error of a writers' lock that could not be had in time (`_lock.ts`), apart from the lock
 * itself: the commands and the service name it in their answers without taking any lock.
 *
 * @module
 */

/**
 * A lock that could not be had in time; `message` names the lock and its holder.
 *
 * @example
 * ```ts
 * import { LockError } from "./_lock_error.ts";
 * const e = new LockError("model/.lock", "pid 7 since 2026-01-01T00:00:00Z", 2000);
 * if (e.kind !== "timeout" || !e.message.startsWith("model/.lock: held by pid 7")) throw new Error(e.message);
 * ```
 */
export class LockError extends Error {
  override name = "LockError";
  /** Always "timeout": another writer held the lock for longer than the caller would wait. */
  readonly kind = "timeout" as const;
  /**
   * @param file The lock file.
   * @param holder Who holds it (`pid N since …`), as the holder wrote it.
   * @param timeoutMs How long we waited.
   */
  constructor(readonly file: string, readonly holder: string, readonly timeoutMs: number) {
    super(`${file}: held by ${holder || "another process"} for longer than ${timeoutMs / 1000} s (--lock-timeout)`);
  }
}
