/**
 * Atomic file writes: a reader sees the old file or the whole new one, never half of it.
 *
 * @module
 */

/**
 * Writes `bytes` to `path` through a temporary file in the same folder, synced to the disk,
 * and a rename, creating parent folders as needed.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
      // On the disk before the rename makes it the file: a power cut leaves the old or the new one.
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}

/** Why a file that should hold data cannot be read as such, for callers that act on it. */
export type FileKindErrorKind =
  /** A directory. */
  | "directory"
  /** A FIFO, device or socket: opening a FIFO waits for a writer for ever, a device never ends. */
  | "special"
  /** Larger than the limit given. */
  | "too_large";

/** A file that is not a regular file of an acceptable size; `message` is one line naming it. */
export class FileKindError extends Error {
  override name = "FileKindError";
  /**
   * @param kind What is wrong.
   * @param file The file.
   * @param reason Why, in a few words (the message without the file).
   */
  constructor(readonly kind: FileKindErrorKind, readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}

/**
 * Checks, before it is opened, that a path (after symbolic links) is a regular file no
 * larger than `maxBytes`: the rule for every file Face2Vec reads as data (photos, model
 * files, gallery segments, caches), so that a FIFO never hangs a reader and a device (a
 * link to /dev/zero) is never read whole.
 *
 * @param path A file path or `file:` URL.
 * @param options `maxBytes` (default: no limit) and the `name` for messages (default: the path).
 * @returns The file's information.
 * @throws {FileKindError} For a directory (kind "directory"), a FIFO, device or socket
 * ("special"), or a file over the limit ("too_large").
 * @throws {Deno.errors.NotFound} And the other errors of `Deno.stat`, as they are.
 * @example
 * ```ts
 * import { checkRegularFile, FileKindError } from "./_fs.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await checkRegularFile(dir);
 *   throw new Error("a directory is refused");
 * } catch (e) {
 *   if (!(e instanceof FileKindError) || e.kind !== "directory") throw e;
 * } finally {
 *   await Deno.remove(dir);
 * }
 * ```
 */
export async function checkRegularFile(
  path: string | URL,
  options: { readonly maxBytes?: number; readonly name?: string } = {},
): Promise<Deno.FileInfo> {
  const name = options.name ?? (path instanceof URL ? path.href : path);
  const info = await Deno.stat(path);
  if (info.isDirectory) throw new FileKindError("directory", name, "is a directory");
  if (!info.isFile) throw new FileKindError("special", name, "not a regular file (a FIFO, device or socket)");
  const max = options.maxBytes ?? Infinity;
  if (info.size > max) {
    throw new FileKindError(
      "too_large",
      name,
      `${(info.size / 1e6).toFixed(1)} MB, over the ${max / 1e6} MB file limit`,
    );
  }
  return info;
}

/**
 * A regular file's bytes, checked by {@linkcode checkRegularFile} before it is opened.
 *
 * @param path A file path or `file:` URL.
 * @param options As {@linkcode checkRegularFile}.
 * @returns The bytes.
 * @throws {FileKindError} As {@linkcode checkRegularFile}.
 */
export async function readRegularFile(
  path: string | URL,
  options: { readonly maxBytes?: number; readonly name?: string } = {},
): Promise<Uint8Array> {
  await checkRegularFile(path, options);
  return await Deno.readFile(path);
}

/**
 * A regular file's text (UTF-8), checked by {@linkcode checkRegularFile} before it is opened.
 *
 * @param path A file path or `file:` URL.
 * @returns The text.
 * @throws {FileKindError} As {@linkcode checkRegularFile}.
 */
export async function readRegularTextFile(path: string | URL): Promise<string> {
  await checkRegularFile(path);
  return await Deno.readTextFile(path);
}
