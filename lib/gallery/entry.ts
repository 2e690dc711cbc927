/**
 * One enrolled face, as plain data: the unit every part of the gallery (the in-memory
 * {@linkcode Gallery} of `gallery.ts`, the segment codec, the stores) takes and gives.
 *
 * @module
 */

/**
 * One enrolled face.
 *
 * @example
 * ```ts
 * import type { GalleryEntry } from "./entry.ts";
 * const face: GalleryEntry = { label: "ada", path: "a.jpg", embedding: new Float32Array([0.6, 0.8]), enrolled: true };
 * if (face.embedding.length !== 2) throw new Error();
 * ```
 */
export interface GalleryEntry {
  readonly label: string;
  /** Where it came from (a path relative to its dataset, or a file given to `enrol`). */
  readonly path: string;
  readonly embedding: Float32Array;
  /** True for a face added by `enrol` (not from the training cache): retraining keeps it. */
  readonly enrolled?: boolean;
}
