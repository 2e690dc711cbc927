/**
 * The error every image-reading failure becomes: one line, naming the file and the reason.
 * Batch callers catch it, report it, and go on with the next file.
 *
 * @example
 * ```ts
 * import { ImageError } from "./image_error.ts";
 * const e = new ImageError("kanye3.jpg", "truncated JPEG");
 * if (e.message !== "kanye3.jpg: truncated JPEG") throw new Error(e.message);
 * ```
 */
export class ImageError extends Error {
  override name = "ImageError";
  /** The file (or name) the error is about. */
  readonly path: string;
  /** Why it could not be read, without the file name. */
  readonly reason: string;

  /**
   * @param path The file the error is about.
   * @param reason Why, in a few words, without the file name.
   */
  constructor(path: string, reason: string) {
    super(`${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}
