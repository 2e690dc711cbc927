/**
 * A preprocessing worker: builds its own pipeline from the options it is sent, then turns
 * each photo task into a cache record.
 *
 * @module
 */

/// <reference lib="deno.worker" />
import { createPipeline, type Pipeline, type PipelineOptions } from "../pipeline/pipeline.ts";
import { type PhotoTask, processPhoto } from "./photo_record.ts";
import type { CachedFaces } from "./cache.ts";

let pipeline: Promise<Pipeline> | undefined;
let faces: CachedFaces = "largest";

type Message = { init: PipelineOptions; faces: CachedFaces } | { id: number; task: PhotoTask } | "close";

self.onmessage = async (e: MessageEvent<Message>) => {
  const m = e.data;
  if (m === "close") {
    await (await pipeline)?.dispose();
    self.close();
    return;
  }
  if ("init" in m) {
    pipeline = createPipeline(m.init);
    faces = m.faces;
    await pipeline;
    self.postMessage({ ready: true });
    return;
  }
  try {
    self.postMessage({ id: m.id, record: await processPhoto(await pipeline!, m.task, faces) });
  } catch (err) {
    self.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
};
