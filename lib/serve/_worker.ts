/**
 * A service worker thread: decodes a photo and runs the pipeline (and the model's
 * classifier) on it. It keeps the model it last loaded, and loads it again when the folder's
 * revision has changed (another process enrolled someone, or trained), so that the service
 * holds no state of its own beyond the gallery.
 *
 * @module
 */

/// <reference lib="deno.worker" />
import { decodeImage } from "../image/decode_image.ts";
import { ImageError } from "../image/image_error.ts";
import { createRecognizer, type Recognizer } from "../recognize/recognize.ts";
import { modelDistances, modelOfInfo, newGalleryModel } from "../model/model.ts";
import { ModelFolder } from "../model/model_folder.ts";
import type { FaceAnswer, Job, JobResult, WorkerReply } from "./pool.ts";
import type { ProcessedFace } from "../pipeline/pipeline.ts";

let loaded: { revision: string | undefined; recognizer: Recognizer } | undefined;
let loading: Promise<Recognizer> | undefined;

/**
 * The recognizer of the model in a folder as it is now (the default pipeline when there is
 * none), or of a database gallery's settings (a pipeline and an empty gallery).
 */
async function current(source: Job["source"]): Promise<{ recognizer: Recognizer; model: boolean }> {
  const folder = "modelDir" in source ? new ModelFolder(source.modelDir) : undefined;
  // The folder's revision (undefined: no model yet); a database's settings never change.
  const revision = folder ? await folder.revision() : "database";
  if (!loaded || loaded.revision !== revision) {
    loading ??= (async () => {
      const model = "info" in source
        ? modelOfInfo(source.info)
        : revision === undefined
        ? await newGalleryModel()
        : (await folder!.readChecked()).model;
      const recognizer = await createRecognizer(model);
      const old = loaded;
      loaded = { revision, recognizer };
      await old?.recognizer.dispose();
      return recognizer;
    })().finally(() => (loading = undefined));
    await loading;
  }
  return { recognizer: loaded!.recognizer, model: loaded!.revision !== undefined };
}

/** Where a face is, as the service answers it: box, detector score, landmarks. */
function located(f: ProcessedFace): Pick<FaceAnswer, "box" | "score" | "landmarks"> {
  return { box: f.box, score: f.score ?? null, landmarks: f.landmarks.map((p) => [p.x, p.y]) };
}

async function run(job: Job): Promise<JobResult> {
  let image;
  try {
    image = await decodeImage(job.bytes, { name: job.name, maxPixels: job.maxPixels });
  } catch (e) {
    if (!(e instanceof ImageError)) throw e;
    return { kind: "bad_image", reason: e.reason, image: e.kind };
  }
  const { recognizer, model } = await current(job.source);
  const size = { width: image.width, height: image.height };
  if (job.op === "detect" || job.op === "faces") {
    // "faces" adds each face's embedding, for a gallery the main thread searches.
    const faces = await recognizer.pipeline.processFaces(image);
    return {
      kind: "faces",
      size,
      faces: faces.map((f) => ({
        ...located(f),
        ...(job.op === "faces" && f.embedding ? { embedding: Array.from(f.embedding) } : {}),
      })),
    };
  }
  if (job.op === "embed") {
    const found = await recognizer.pipeline.processLargestFace(image);
    if (!found?.face.embedding) return { kind: "no_face" };
    return {
      kind: "embedding",
      size,
      embedding: Array.from(found.face.embedding),
      verify: modelDistances(recognizer.info).verify,
      faces: found.faces,
      box: found.face.box,
    };
  }
  if (!model || recognizer.classifier.gallery.size === 0 && recognizer.info.network === null) {
    return { kind: "no_model" };
  }
  const faces = await recognizer.recognize(image);
  return {
    kind: "faces",
    size,
    faces: faces.map((f) => ({
      ...located(f),
      label: f.prediction.label,
      method: f.prediction.method,
      probability: f.prediction.probability,
      distance: f.prediction.distance,
      runner_up: f.prediction.runnerUp,
    })),
  };
}

self.onmessage = async (e: MessageEvent<{ id: number; job: Job } | "close">) => {
  const m = e.data;
  if (m === "close") {
    await loaded?.recognizer.dispose();
    self.close();
    return;
  }
  let reply: WorkerReply;
  try {
    reply = { id: m.id, result: await run(m.job) };
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    reply = {
      id: m.id,
      error: err instanceof Error ? err.message : String(err),
      ...(typeof code === "string" ? { code } : {}),
    };
  }
  self.postMessage(reply);
};
