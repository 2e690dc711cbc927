import assert from "node:assert/strict";
import { summarize } from "./timing.ts";

Deno.test("summarize() gives the median, the nearest-rank 90th percentile and the count", () => {
  const ms = Array.from({ length: 20 }, (_, i) => 20 - i); // 20 … 1
  assert.deepEqual(summarize(ms), { median_ms: 10.5, p90_ms: 18, n: 20 });
  assert.deepEqual(summarize([1.234, 5.678, 3.333]), { median_ms: 3.33, p90_ms: 5.68, n: 3 });
  assert.deepEqual(summarize([]), { median_ms: 0, p90_ms: 0, n: 0 });
});
