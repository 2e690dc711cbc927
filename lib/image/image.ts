/**
 * The one image type used by every stage after decoding.
 *
 * @module
 */

/** Number of interleaved 8-bit channels: 1 = gray, 3 = RGB. */
export type Channels = 1 | 3;

/**
 * A decoded 8-bit image, row-major, channels interleaved, no padding between rows.
 * Coordinates everywhere in Face2Vec are float pixels of this (EXIF-oriented) image.
 */
export interface Image {
  /** Width in pixels (> 0). */
  readonly width: number;
  /** Height in pixels (> 0). */
  readonly height: number;
  /** 1 for grayscale, 3 for RGB. */
  readonly channels: Channels;
  /** `width * height * channels` bytes. */
  readonly data: Uint8Array;
}

/**
 * Makes a blank image (all zeros) of the given size.
 *
 * @param width Width in pixels, a positive integer.
 * @param height Height in pixels, a positive integer.
 * @param channels 1 (gray) or 3 (RGB).
 * @returns A new zero-filled image.
 * @throws {RangeError} When a dimension is not a positive integer.
 * @example
 * ```ts
 * import { createImage } from "./image.ts";
 * const img = createImage(4, 2, 3);
 * if (img.data.length !== 24) throw new Error("unexpected size");
 * ```
 */
export function createImage(
  width: number,
  height: number,
  channels: Channels,
): Image {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new RangeError(`image size must be positive integers, got ${width}x${height}`);
  }
  return { width, height, channels, data: new Uint8Array(width * height * channels) };
}
