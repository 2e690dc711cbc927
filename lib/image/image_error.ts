/**
 * The error every image-reading failure becomes: one line, naming the file and the reason.
 * Batch callers catch it, report it, and go on with the next file.
 *
 * A file name's control characters are escaped in the message (a name cannot drive the
 * terminal it is printed on); `path` keeps the name as it is.
 *
 * @example
 * ```ts
 * import { ImageError } from "./image_error.ts";
 * const e = new ImageError("kanye3.jpg", "truncated JPEG");
 * if (e.message !== "kanye3.jpg: truncated JPEG") throw new Error(e.message);
 * if (new ImageError("a\x1b[2Jb.jpg", "x").message !== "a\\x1b[2Jb.jpg: x") throw new Error("escaped");
 * if (e.kind !== "unreadable" || new ImageError("big.jpg", "over the limit", "too_many_pixels").kind !== "too_many_pixels") {
 *   throw new Error("kinds");
 * }
 * ```
 */
export class ImageError extends Error {
  override name = "ImageError";
  /** The file (or name) the error is about. */
  readonly path: string;
  /** Why it could not be read, without the file name. */
  readonly reason: string;
  /** What is wrong, for callers that act on it (the service answers 413 for "too_many_pixels", else 400). */
  readonly kind: ImageErrorKind;

  /**
   * @param path The file the error is about.
   * @param reason Why, in a few words, without the file name.
   * @param kind What is wrong. Default "unreadable".
   */
  constructor(path: string, reason: string, kind: ImageErrorKind = "unreadable") {
    super(`${printable(path)}: ${reason}`);
    this.path = path;
    this.reason = reason;
    this.kind = kind;
  }
}

/**
 * Why an image cannot be used: "too_many_pixels" past the pixel limit the caller set; else
 * "unreadable" (missing, damaged, of an unknown format, zero-sized, no face where one is needed).
 */
export type ImageErrorKind = "unreadable" | "too_many_pixels";

/**
 * A name as it may be printed: control characters (C0, DEL, C1) as `\xNN` escapes, and the
 * bidirectional controls that reorder a terminal's text (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069) as `\uNNNN`.
 *
 * @param name A file name, path or person's name.
 * @returns The name, safe to print on a terminal.
 * @example
 * ```ts
 * import { printable } from "./image_error.ts";
 * if (printable("ada\x1b[2J\u202e") !== "ada\\x1b[2J\\u202e") throw new Error();
 * ```
 */
export function printable(name: string): string {
  // deno-lint-ignore no-control-regex
  return name.replace(/[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
}
