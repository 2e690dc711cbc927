import type { Point } from "../image/point.ts";

/** The landmark the original Face2Vec measured from: 30, the nose tip (0-based iBUG). */
export const GEOMETRY_CENTRE = 30;

/**
 * The original Face2Vec's landmark geometry features, exactly: with the nose tip (landmark
 * 30) as centre, for every landmark dx = centre.x − x, dy = centre.y − y and the distance
 * √(dx² + dy²); each of the three 68-vectors divided by its own largest absolute value
 * (scikit-learn's MaxAbsScaler on one column); rows in the original's order: distance, dy,
 * dx (it stacked columns x, y, distance and rotated them by 90°).
 *
 * @param points The 68 landmarks of one face, in image pixels.
 * @returns 204 numbers: a 3x68 matrix, row-major (row 0 distance, row 1 dy, row 2 dx).
 * @throws {RangeError} Unless there are exactly 68 points, or when all points coincide.
 * @example
 * ```ts
 * import { geometryFeatures } from "./geometry.ts";
 * // Nose tip at (10, 10); every other landmark at (13, 14): 3-4-5 triangles.
 * const pts = Array.from({ length: 68 }, (_, i) => (i === 30 ? { x: 10, y: 10 } : { x: 13, y: 14 }));
 * const f = geometryFeatures(pts);
 * // distance row: 5/5 = 1 (0 at the nose tip); dy row: -4/4 = -1; dx row: -3/3 = -1.
 * if (f[0] !== 1 || f[30] !== 0 || f[68] !== -1 || f[136] !== -1) throw new Error(String(f.slice(0, 3)));
 * ```
 */
export function geometryFeatures(points: readonly Point[]): Float32Array {
  if (points.length !== 68) throw new RangeError(`geometry features need 68 landmarks, got ${points.length}`);
  const c = points[GEOMETRY_CENTRE]!;
  const dist = new Float64Array(68), dy = new Float64Array(68), dx = new Float64Array(68);
  points.forEach((p, i) => {
    dx[i] = c.x - p.x;
    dy[i] = c.y - p.y;
    dist[i] = Math.hypot(dx[i]!, dy[i]!);
  });
  const out = new Float32Array(3 * 68);
  [dist, dy, dx].forEach((row, r) => {
    let max = 0;
    for (const v of row) max = Math.max(max, Math.abs(v));
    if (max === 0) throw new RangeError("geometry features: all landmarks coincide with the nose tip");
    for (let i = 0; i < 68; i++) out[r * 68 + i] = row[i]! / max;
  });
  return out;
}
