/**
 * Axis-aligned boxes in float image pixels, and the geometry the pipeline needs on them.
 *
 * @module
 */

/** A rectangle in float pixels of the (EXIF-oriented) image; `x`,`y` is the top-left corner. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Intersection over union of two boxes (0 when they do not overlap).
 *
 * @param a First box.
 * @param b Second box.
 * @returns A number from 0 to 1.
 * @example
 * ```ts
 * import { iou } from "./box.ts";
 * const v = iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 });
 * if (Math.abs(v - 1 / 3) > 1e-12) throw new Error(String(v));
 * ```
 */
export function iou(a: Box, b: Box): number {
  const w = Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.width * a.height + b.width * b.height - inter);
}

/**
 * Whether a point lies inside a box (edges included).
 *
 * @param box The box.
 * @param x Point x in pixels.
 * @param y Point y in pixels.
 * @returns True when inside.
 * @example
 * ```ts
 * import { containsPoint } from "./box.ts";
 * if (!containsPoint({ x: 0, y: 0, width: 4, height: 4 }, 2, 2)) throw new Error("centre");
 * ```
 */
export function containsPoint(box: Box, x: number, y: number): boolean {
  return x >= box.x && x <= box.x + box.width && y >= box.y && y <= box.y + box.height;
}

/**
 * Grows a box by a margin on every side and clamps it to the image. The original
 * Face2Vec grew Haar boxes by a seventh of their height on each side.
 *
 * @param box The face box.
 * @param margin The margin on each side as a fraction of the box's height (1/7 in the original).
 * @param width Image width: the result is clamped to `[0, width]`.
 * @param height Image height: the result is clamped to `[0, height]`.
 * @returns The grown, clamped box.
 * @throws {RangeError} When `margin` is negative.
 * @example
 * ```ts
 * import { growBox } from "./box.ts";
 * const g = growBox({ x: 10, y: 10, width: 70, height: 70 }, 1 / 7, 200, 200);
 * if (g.x !== 0 || g.width !== 90) throw new Error(JSON.stringify(g));
 * ```
 */
export function growBox(box: Box, margin: number, width: number, height: number): Box {
  if (!(margin >= 0)) throw new RangeError(`margin must be >= 0, got ${margin}`);
  const m = box.height * margin;
  const x0 = Math.max(0, box.x - m);
  const y0 = Math.max(0, box.y - m);
  const x1 = Math.min(width, box.x + box.width + m);
  const y1 = Math.min(height, box.y + box.height + m);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
