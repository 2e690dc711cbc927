/**
 * A training worker: trains its share of the runs of a spec and posts each epoch's metrics
 * and, at the end, its runs' results.
 *
 * @module
 */

/// <reference lib="deno.worker" />
import { trainRuns, type TrainSpec } from "./train.ts";

self.onmessage = async (e: MessageEvent<{ spec: TrainSpec; runIds: number[] }>) => {
  try {
    const results = await trainRuns(e.data.spec, e.data.runIds, (epoch, metrics) => {
      self.postMessage({ epoch, metrics: [...metrics] });
    });
    self.postMessage({ results });
  } catch (err) {
    self.postMessage({ error: err instanceof Error ? err.message : String(err) });
  }
};
