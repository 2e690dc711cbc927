/**
 * Evaluation data from faces without identities: augmented copies of one face (mirrored,
 * rotated, brightened or darkened), the copies a person is enrolled from and the held-out
 * copies they are recognised in. `deno task demo --samples` makes its people this way.
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import type { Image } from "../image/image.ts";

/** One augmented copy of a face: mirrored or not, rotated, brightened or darkened. */
export interface Augmentation {
  /** Mirror left–right (before rotating). */
  readonly mirror: boolean;
  /** Rotation in degrees, counter-clockwise on screen. */
  readonly angle: number;
  /** Every channel is multiplied by this (then clamped to 0–255). */
  readonly brightness: number;
}

/** The copies a person is enrolled from: either side, upright and turned ±5° and ±10°, brightness 0.8–1.2. */
export const TRAIN_AUGMENTATIONS: readonly Augmentation[] = [-10, -5, 0, 5, 10].flatMap((angle, i) =>
  [false, true].map((mirror, j) => ({ mirror, angle, brightness: [0.8, 0.9, 1, 1.1, 1.2][(i + 2 * j) % 5]! }))
);

/** The held-out copies a person is recognised in: angles (±2.5°, ±7.5°) and brightness unseen in training. */
export const TEST_AUGMENTATIONS: readonly Augmentation[] = [
  { mirror: false, angle: -7.5, brightness: 0.85 },
  { mirror: true, angle: -2.5, brightness: 1.15 },
  { mirror: false, angle: 2.5, brightness: 0.95 },
  { mirror: true, angle: 7.5, brightness: 1.05 },
];

/**
 * A square copy of the region around a face, mirrored, rotated about the face's centre and
 * brightness-scaled, resampled bilinearly (pixels beyond the photo repeat its edge).
 *
 * @param image The photo.
 * @param box The face.
 * @param a The augmentation, e.g. one of {@linkcode TRAIN_AUGMENTATIONS} or {@linkcode TEST_AUGMENTATIONS}.
 * @param size Side of the output in pixels.
 * @param context Side of the region copied, in face sizes (the box's longer side; default 2: half a face of margin).
 * @returns A `size`×`size` image with the photo's channels.
 * @example
 * ```ts
 * import { augmentFace, TRAIN_AUGMENTATIONS } from "./augment.ts";
 * const img = { width: 4, height: 4, channels: 1 as const, data: new Uint8Array(16).fill(100) };
 * const out = augmentFace(img, { x: 1, y: 1, width: 2, height: 2 }, { mirror: true, angle: 7, brightness: 1.2 }, 8);
 * if (out.width !== 8 || out.data.some((v) => v !== 120)) throw new Error("a flat image stays flat");
 * const copies = TRAIN_AUGMENTATIONS.map((a) => augmentFace(img, { x: 1, y: 1, width: 2, height: 2 }, a, 8));
 * if (copies.length !== 10) throw new Error("ten copies to train on");
 * ```
 */
export function augmentFace(image: Image, box: Box, a: Augmentation, size: number, context = 2): Image {
  const { width: w, height: h, channels: c, data } = image;
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const k = (context * Math.max(box.width, box.height)) / size;
  const t = (a.angle * Math.PI) / 180, cos = Math.cos(t), sin = Math.sin(t);
  const out = new Uint8Array(size * size * c);
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      // The output pixel's centre relative to the face's centre, in photo pixels.
      const ox = (u + 0.5 - size / 2) * k, oy = (v + 0.5 - size / 2) * k;
      // Undo the rotation (counter-clockwise on screen, where y points down), then the mirror.
      const rx = (cos * ox - sin * oy) * (a.mirror ? -1 : 1), ry = sin * ox + cos * oy;
      // Pixel i's centre is at i + 0.5.
      const sx = Math.min(w - 1, Math.max(0, cx + rx - 0.5));
      const sy = Math.min(h - 1, Math.max(0, cy + ry - 0.5));
      const x0 = Math.floor(sx), y0 = Math.floor(sy), x1 = Math.min(x0 + 1, w - 1), y1 = Math.min(y0 + 1, h - 1);
      const fx = sx - x0, fy = sy - y0;
      for (let ch = 0; ch < c; ch++) {
        const p = (x: number, y: number) => data[(y * w + x) * c + ch]!;
        const top = p(x0, y0) * (1 - fx) + p(x1, y0) * fx;
        const bottom = p(x0, y1) * (1 - fx) + p(x1, y1) * fx;
        out[(v * size + u) * c + ch] = Math.min(
          255,
          Math.max(0, Math.round((top * (1 - fy) + bottom * fy) * a.brightness)),
        );
      }
    }
  }
  return { width: size, height: size, channels: c, data: out };
}
