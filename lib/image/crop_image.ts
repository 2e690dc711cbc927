import type { Image } from "./image.ts";

/** A rectangle in pixels; only the fields cropping needs. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Copies the pixels inside a rectangle (rounded outward to whole pixels, clamped to the
 * image) into a new image.
 *
 * @param image The source image.
 * @param rect The region, in float pixels.
 * @returns The cropped image.
 * @throws {RangeError} When the clamped region is empty.
 * @example
 * ```ts
 * import { cropImage } from "./crop_image.ts";
 * const img = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
 * const c = cropImage(img, { x: 1, y: 0.5, width: 2, height: 1 });
 * if (c.width !== 2 || c.height !== 2 || c.data[0] !== 2) throw new Error(JSON.stringify(c));
 * ```
 */
export function cropImage(image: Image, rect: Rect): Image {
  const x0 = Math.max(0, Math.floor(rect.x));
  const y0 = Math.max(0, Math.floor(rect.y));
  const x1 = Math.min(image.width, Math.ceil(rect.x + rect.width));
  const y1 = Math.min(image.height, Math.ceil(rect.y + rect.height));
  if (x1 <= x0 || y1 <= y0) throw new RangeError(`empty crop ${JSON.stringify(rect)}`);
  const c = image.channels;
  const w = x1 - x0;
  const out = new Uint8Array(w * (y1 - y0) * c);
  for (let y = y0; y < y1; y++) {
    const s = (y * image.width + x0) * c;
    out.set(image.data.subarray(s, s + w * c), (y - y0) * w * c);
  }
  return { width: w, height: y1 - y0, channels: c, data: out };
}
