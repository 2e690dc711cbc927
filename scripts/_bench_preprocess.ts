/**
 * Bench child: preprocesses FOLDER into CACHE with N workers, sampling this process's RSS
 * (workers included: they are threads of it) every 20 ms, and prints one JSON line:
 * {"seconds", "photos", "processed", "cached", "peak_rss_mb"}.
 * Usage: deno run -A scripts/_bench_preprocess.ts FOLDER CACHE N
 *
 * @module
 */

import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { rssMb } from "./_meta.ts";

const [folder, cache, n] = Deno.args;
let peak = rssMb();
const timer = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
const t0 = performance.now();
const s = await preprocessFolder(folder!, { cache, workers: Number(n) });
const seconds = (performance.now() - t0) / 1000;
clearInterval(timer);
peak = Math.max(peak, rssMb());
console.log(
  JSON.stringify({
    seconds,
    photos: s.processed + s.cached,
    processed: s.processed,
    cached: s.cached,
    peak_rss_mb: peak,
  }),
);
