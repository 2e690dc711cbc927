/**
 * Stage times as the bench reports them: the median and 90th percentile of a sample of
 * milliseconds, with its size.
 *
 * @module
 */

import type { StageTimes } from "./schema.ts";

/**
 * Median and 90th percentile of a sample (nearest-rank), with its size, rounded to 0.01.
 *
 * @param values The milliseconds, in any order.
 * @returns `median_ms`, `p90_ms` and `n` (0, 0 and 0 when empty).
 * @example
 * ```ts
 * import { summarize } from "./timing.ts";
 * const s = summarize([4, 1, 3, 2]);
 * if (s.median_ms !== 2.5 || s.p90_ms !== 4 || s.n !== 4) throw new Error(JSON.stringify(s));
 * ```
 */
export function summarize(values: readonly number[]): StageTimes {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    median_ms: r(s.length % 2 === 1 || s.length === 0 ? q(0.5) : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2),
    p90_ms: r(q(0.9)),
    n: s.length,
  };
}
