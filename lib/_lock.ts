/**
 * A writers' lock on a file or folder: an advisory lock (`flock`) on a lock file beside it,
 * which the operating system releases when the holder exits in any way, so a killed writer
 * never leaves a stale lock. A second writer waits for the first, up to a timeout.
 *
 * @module
 */

import { LockError } from "./_lock_error.ts";

export { LockError };

/** Options of {@linkcode withLock}. */
export interface LockOptions {
  /** How long to wait for another holder, in ms. Default 60 000. */
  readonly timeoutMs?: number;
  /** Called once when the lock is held by another process, with its holder, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/**
 * Runs `fn` holding the exclusive lock `file` (created when missing, with its folder).
 *
 * @param file The lock file, e.g. `model/.lock`.
 * @param fn The work to do under the lock.
 * @param options Timeout and a note when waiting.
 * @returns What `fn` returns.
 * @throws {LockError} When another process holds the lock for longer than the timeout.
 * @example
 * ```ts
 * import { withLock } from "./_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const order: string[] = [];
 * const slow = withLock(`${dir}/.lock`, async () => {
 *   order.push("first in");
 *   await new Promise((r) => setTimeout(r, 50));
 *   order.push("first out");
 * });
 * await new Promise((r) => setTimeout(r, 10));
 * await withLock(`${dir}/.lock`, () => Promise.resolve(order.push("second")));
 * await slow;
 * if (order.join() !== "first in,first out,second") throw new Error(order.join());
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withLock<T>(file: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const slash = file.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(file.slice(0, slash), { recursive: true });
  const handle = await Deno.open(file, { read: true, write: true, create: true });
  try {
    const start = performance.now();
    let told = false;
    while (!(await handle.tryLock(true))) {
      const holder = (await Deno.readTextFile(file).catch(() => "")).trim();
      if (performance.now() - start >= timeoutMs) throw new LockError(file, holder, timeoutMs);
      if (!told) options.onWait?.(holder);
      told = true;
      await new Promise((r) => setTimeout(r, 25 + Math.random() * 50));
    }
    try {
      await handle.truncate(0);
      await handle.write(new TextEncoder().encode(`pid ${Deno.pid} since ${new Date().toISOString()}\n`));
      return await fn();
    } finally {
      await handle.truncate(0).catch(() => {});
      await handle.unlock();
    }
  } finally {
    handle.close();
  }
}
