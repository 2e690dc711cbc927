import type { Image } from "./image.ts";

/**
 * Applies an EXIF orientation (1–8) to an image, returning the image as it should be
 * displayed. Orientations 5–8 swap width and height.
 *
 * @param image The stored pixels.
 * @param orientation The EXIF orientation tag value; 1 returns the image unchanged.
 * @returns The displayed image (a new image unless `orientation` is 1).
 * @throws {RangeError} When `orientation` is not an integer from 1 to 8.
 * @example
 * ```ts
 * import { orientImage } from "./orient_image.ts";
 * // 2x1 gray image [10, 20], rotated 90° clockwise (orientation 6) is 1x2: [10, 20] top to bottom.
 * const out = orientImage({ width: 2, height: 1, channels: 1, data: new Uint8Array([10, 20]) }, 6);
 * if (out.width !== 1 || out.height !== 2 || out.data[0] !== 10) throw new Error("wrong rotation");
 * ```
 */
export function orientImage(image: Image, orientation: number): Image {
  if (!Number.isInteger(orientation) || orientation < 1 || orientation > 8) {
    throw new RangeError(`EXIF orientation must be 1–8, got ${orientation}`);
  }
  if (orientation === 1) return image;
  const { width: w, height: h, channels: c, data } = image;
  const swap = orientation >= 5;
  const ow = swap ? h : w;
  const oh = swap ? w : h;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let sx: number, sy: number;
      switch (orientation) {
        case 2:
          sx = w - 1 - x, sy = y;
          break;
        case 3:
          sx = w - 1 - x, sy = h - 1 - y;
          break;
        case 4:
          sx = x, sy = h - 1 - y;
          break;
        case 5:
          sx = y, sy = x;
          break;
        case 6:
          sx = y, sy = h - 1 - x;
          break;
        case 7:
          sx = w - 1 - y, sy = h - 1 - x;
          break;
        default: // 8
          sx = w - 1 - y, sy = x;
      }
      const s = (sy * w + sx) * c;
      const d = (y * ow + x) * c;
      for (let k = 0; k < c; k++) out[d + k] = data[s + k] ?? 0;
    }
  }
  return { width: ow, height: oh, channels: c, data: out };
}
