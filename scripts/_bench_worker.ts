/**
 * A bench worker: loads its pipeline, warms up, says "ready", then on "go" runs its share of
 * the photos and says "done". Mode "detect": decode and detect. Mode "full": the whole
 * pipeline of every feature set (decode, detect, landmarks, alignment and embedding, geometry
 * and embedding features) on the largest face. The detector is the one `options` names, with
 * the landmark options that go with it.
 *
 * @module
 */

/// <reference lib="deno.worker" />
import type { DetectorOptions } from "../lib/detect/detect_faces.ts";
import { createPipeline, type Pipeline } from "../lib/pipeline/pipeline.ts";
import { readImage } from "../lib/image/read_image.ts";

interface Start {
  paths: string[];
  options: DetectorOptions;
  mode: "detect" | "full";
}

async function run(pipeline: Pipeline, mode: Start["mode"], path: string): Promise<void> {
  const image = await readImage(path);
  if (mode === "detect") await pipeline.detector.detect(image);
  else await pipeline.processLargestFace(image);
}

let job: Start | undefined;
let pipeline: Pipeline | undefined;
self.onmessage = async (e: MessageEvent<Start | "go">) => {
  if (e.data !== "go") {
    job = e.data;
    pipeline = await createPipeline({ detector: job.options, features: "both" });
    for (const p of job.paths.slice(0, 3)) await run(pipeline, job.mode, p);
    self.postMessage("ready");
    return;
  }
  for (const p of job!.paths) await run(pipeline!, job!.mode, p);
  await pipeline!.dispose();
  self.postMessage("done");
};
