/**
 * A preprocessing worker: builds its own pipeline from the options it is sent, then turns
 * each photo task into a cache record.
 *
 * @module
 */

/// <reference lib="deno.worker" />
import { createPipeline, type Pipeline, type PipelineOptions } from "../pipeline/pipeline.ts";
import { type PhotoTask, processPhoto } from "./photo_record.ts";

let pipeline: Promise<Pipeline> | undefined;

self.onmessage = async (e: MessageEvent<{ init: PipelineOptions } | { id: number; task: PhotoTask } | "close">) => {
  const m = e.data;
  if (m === "close") {
    await (await pipeline)?.dispose();
    self.close();
    return;
  }
  if ("init" in m) {
    pipeline = createPipeline(m.init);
    await pipeline;
    self.postMessage({ ready: true });
    return;
  }
  try {
    self.postMessage({ id: m.id, record: await processPhoto(await pipeline!, m.task) });
  } catch (err) {
    self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
