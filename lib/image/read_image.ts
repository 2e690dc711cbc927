import type { Image } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { decodeImage, type DecodeOptions } from "./decode_image.ts";
import { FileKindError, readRegularFile } from "../_fs.ts";

/** Default for {@linkcode ReadOptions.maxBytes}: 256 MB, far above any photo within the pixel limit. */
export const DEFAULT_MAX_BYTES = 256_000_000;

/** Options of {@linkcode readImage}: the decoder's, and a size limit checked before reading. */
export interface ReadOptions extends DecodeOptions {
  /** Files larger than this many bytes are refused before they are read. Default {@linkcode DEFAULT_MAX_BYTES}. */
  readonly maxBytes?: number;
}

/**
 * Reads and decodes an image file (JPEG, PNG, WebP, GIF, BMP, TIFF, PGM/PPM), applying its orientation tag.
 *
 * @param path A file path or `file:` URL.
 * @param options Pixel and byte limits (see {@linkcode ReadOptions}); `name` defaults to the path.
 * @returns The decoded, EXIF-oriented image.
 * @throws {ImageError} When the file is missing, not a regular file, over the size limit,
 * unreadable, or not a supported image; the message names the file and the reason.
 * @example
 * ```ts
 * import { readImage } from "./read_image.ts";
 * import { ImageError } from "./image_error.ts";
 * try {
 *   await readImage("no-such-photo.jpg");
 * } catch (e) {
 *   if (!(e instanceof ImageError) || e.message !== "no-such-photo.jpg: file not found") throw e;
 * }
 * ```
 */
export async function readImage(path: string | URL, options: ReadOptions = {}): Promise<Image> {
  const name = options.name ?? (path instanceof URL ? path.href : path);
  return await decodeImage(await readPhotoBytes(path, { ...options, name }), { ...options, name });
}

/**
 * A photo file's bytes, looked at before it is opened: opening a FIFO would wait for a
 * writer for ever, and a device (a link to /dev/zero) or a huge file would be read whole.
 *
 * @param path A file path or `file:` URL.
 * @param options `maxBytes` and the `name` for messages (default: the path).
 * @returns The bytes.
 * @throws {ImageError} When the file is missing, not a regular file, over the size limit or unreadable.
 */
export async function readPhotoBytes(path: string | URL, options: ReadOptions = {}): Promise<Uint8Array> {
  const name = options.name ?? (path instanceof URL ? path.href : path);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    return await readRegularFile(path, { maxBytes, name });
  } catch (e) {
    if (e instanceof FileKindError) throw new ImageError(name, e.reason);
    throw new ImageError(name, readFailure(e));
  }
}

function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "file not found";
  if (e instanceof Deno.errors.FilesystemLoop) return "a symbolic link loop";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  return `unreadable (${e instanceof Error ? e.message : String(e)})`;
}
