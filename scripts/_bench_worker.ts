/**
 * A bench worker: loads a detector, warms up, says "ready", then on "go" decodes and
 * detects its share of the photos and says "done".
 *
 * @module
 */

/// <reference lib="deno.worker" />
import { createFaceDetector, type DetectorOptions } from "../lib/detect/detect_faces.ts";
import { readImage } from "../lib/image/read_image.ts";

interface Start {
  paths: string[];
  options: DetectorOptions;
}

let job: Start | undefined;
self.onmessage = async (e: MessageEvent<Start | "go">) => {
  if (e.data !== "go") {
    job = e.data;
    const detector = await createFaceDetector(job.options);
    if (job.paths[0] !== undefined) detector.detect(await readImage(job.paths[0]));
    detector.dispose();
    self.postMessage("ready");
    return;
  }
  const detector = await createFaceDetector(job!.options);
  for (const p of job!.paths) detector.detect(await readImage(p));
  detector.dispose();
  self.postMessage("done");
};
