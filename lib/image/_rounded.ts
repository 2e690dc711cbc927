/**
 * Coordinates as the project writes them (JSON lines, caches): rounded to 0.001 px, far
 * below any detector's or landmark network's precision. One rule for every output.
 *
 * @module
 */

import type { Box } from "./box.ts";
import type { Point } from "./point.ts";

/** A pixel coordinate rounded to 0.001 px. */
export function px(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** A box with every field rounded to 0.001 px. */
export function roundedBox(b: Box): Box {
  return { x: px(b.x), y: px(b.y), width: px(b.width), height: px(b.height) };
}

/** Points as `[x, y]` pairs rounded to 0.001 px. */
export function roundedPoints(points: readonly Point[]): [number, number][] {
  return points.map((p) => [px(p.x), px(p.y)]);
}
