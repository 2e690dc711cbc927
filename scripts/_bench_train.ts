/**
 * Bench child: trains the default model on the first N faces (sorted by path, of the classes
 * with at least `folds` of them) of a cache, K folds x E epochs, batch 10, with W workers,
 * and prints one JSON line: {"faces", "people", "folds", "epochs", "workers", "seconds", "ms_per_epoch"}.
 * Usage: deno run -A scripts/_bench_train.ts CACHE N K E W
 *
 * @module
 */

import { readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";

const [cache, n, k, e, w] = Deno.args.map((a, i) => (i === 0 ? a : Number(a))) as [
  string,
  number,
  number,
  number,
  number,
];
const s = samplesFromCache((await readCache(cache))!);
const take = s.features.map((_, i) => i).slice(0, n);
const counts = new Map<number, number>();
for (const i of take) counts.set(s.labels[i]!, (counts.get(s.labels[i]!) ?? 0) + 1);
const keep = take.filter((i) => counts.get(s.labels[i]!)! >= k);
const classes = [...new Set(keep.map((i) => s.labels[i]!))].sort((a, b) => a - b);
const t0 = performance.now();
await trainClassifier(keep.map((i) => s.features[i]!), keep.map((i) => classes.indexOf(s.labels[i]!)), s.rows, {
  folds: k,
  epochs: e,
  batch: 10,
  seed: 0,
  workers: w,
});
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({
  faces: keep.length,
  people: classes.length,
  folds: k,
  epochs: e,
  workers: w,
  seconds: Math.round(seconds * 10) / 10,
  ms_per_epoch: Math.round((seconds * 1000) / e),
}));
