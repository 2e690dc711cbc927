import type { Image } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { decodeImage, type DecodeOptions } from "./decode_image.ts";

/**
 * Reads and decodes an image file (JPEG, PNG, WebP, PGM/PPM), applying EXIF orientation.
 *
 * @param path A file path or `file:` URL.
 * @param options Pixel limit (see {@linkcode DecodeOptions}); `name` defaults to the path.
 * @returns The decoded, EXIF-oriented image.
 * @throws {ImageError} When the file is missing, unreadable, or not a supported image;
 * the message names the file and the reason.
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
export async function readImage(path: string | URL, options: DecodeOptions = {}): Promise<Image> {
  const name = options.name ?? (path instanceof URL ? path.href : path);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new ImageError(name, readFailure(e));
  }
  return await decodeImage(bytes, { ...options, name });
}

function readFailure(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "file not found";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  return `unreadable (${e instanceof Error ? e.message : String(e)})`;
}
