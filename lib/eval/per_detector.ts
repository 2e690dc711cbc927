/**
 * The detectors as the measurements lay them side by side: every figure that depends on the
 * face detector is an object with one entry per detector, in {@linkcode DETECTOR_COLUMNS} order.
 *
 * @module
 */

import { DEFAULT_DETECTOR, type DetectorName, DETECTORS } from "../detect/detect_faces.ts";

/**
 * The detectors in the order the figures show them side by side: the others (the original's
 * Haar cascade) first, the library's default last.
 *
 * @example
 * ```ts
 * import { DETECTOR_COLUMNS } from "./per_detector.ts";
 * if (DETECTOR_COLUMNS.at(-1) !== "blazeface") throw new Error(DETECTOR_COLUMNS.join());
 * ```
 */
export const DETECTOR_COLUMNS: readonly DetectorName[] = Object.freeze([
  ...DETECTORS.filter((d) => d !== DEFAULT_DETECTOR),
  DEFAULT_DETECTOR,
]);

/**
 * An object with `f(d)` for each detector `d`, in {@linkcode DETECTOR_COLUMNS} order.
 *
 * @param f The figure of one detector.
 * @returns Each detector's figure.
 * @example
 * ```ts
 * import { perDetector } from "./per_detector.ts";
 * const lengths = perDetector((d) => d.length);
 * if (lengths.haar !== 4 || lengths.blazeface !== 9) throw new Error(JSON.stringify(lengths));
 * ```
 */
export function perDetector<T>(f: (d: DetectorName) => T): Record<DetectorName, T> {
  return Object.fromEntries(DETECTOR_COLUMNS.map((d) => [d, f(d)])) as Record<DetectorName, T>;
}

/**
 * {@linkcode perDetector} of an async `f`, one detector after the other (measurements never overlap).
 *
 * @param f The figure of one detector.
 * @returns Each detector's figure.
 * @example
 * ```ts
 * import { perDetectorAsync } from "./per_detector.ts";
 * const order: string[] = [];
 * await perDetectorAsync(async (d) => order.push(d));
 * if (order.join() !== "haar,blazeface") throw new Error(order.join());
 * ```
 */
export async function perDetectorAsync<T>(f: (d: DetectorName) => Promise<T>): Promise<Record<DetectorName, T>> {
  const out: Partial<Record<DetectorName, T>> = {};
  for (const d of DETECTOR_COLUMNS) out[d] = await f(d);
  return out as Record<DetectorName, T>;
}
