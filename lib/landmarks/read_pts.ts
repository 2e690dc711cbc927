import type { Point } from "../image/point.ts";

/**
 * Parses landmark annotations in the iBUG `.pts` format, with or without its header
 * (`version: 1`, `n_points: 68`, `{` … `}`): one `x y` pair per line.
 *
 * @param text The file's contents.
 * @param name The name used in errors.
 * @returns The points in file order (0-based iBUG order for 68-point files).
 * @throws {SyntaxError} For a line that is not two numbers, or a point count that differs from `n_points`.
 * @example
 * ```ts
 * import { parsePts } from "./read_pts.ts";
 * const a = parsePts("version: 1\nn_points: 2\n{\n1 2\n3.5 4\n}\n");
 * const b = parsePts("1 2\n3.5 4\n");
 * if (JSON.stringify(a) !== JSON.stringify(b) || a[1]?.x !== 3.5) throw new Error();
 * ```
 */
export function parsePts(text: string, name = "<pts>"): Point[] {
  const points: Point[] = [];
  let declared: number | undefined;
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === "" || line === "{" || line === "}" || /^version\s*:/i.test(line)) continue;
    const n = line.match(/^n_points\s*:\s*(\d+)$/i);
    if (n) {
      declared = Number(n[1]);
      continue;
    }
    const parts = line.split(/\s+/).map(Number);
    if (parts.length !== 2 || parts.some((v) => !Number.isFinite(v))) {
      throw new SyntaxError(`${name}: line ${i + 1} is not "x y": ${JSON.stringify(raw)}`);
    }
    points.push({ x: parts[0]!, y: parts[1]! });
  }
  if (declared !== undefined && declared !== points.length) {
    throw new SyntaxError(`${name}: n_points is ${declared} but ${points.length} points follow`);
  }
  return points;
}
