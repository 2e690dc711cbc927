import type { DetectorName } from "../detect/detect_faces.ts";
import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { DEFAULT_VERIFY_DISTANCE } from "../gallery/matcher.ts";
import { loadCheckedModel } from "../model/model_folder.ts";
import { modelDistances, modelPipelineOptions } from "../model/model.ts";
import { createPipeline, type PipelineOptions, withDetector } from "../pipeline/pipeline.ts";
import { euclidean } from "../embed/embed_faces.ts";
import { ImageError } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import { type CliIo, detectorOption, EXIT, numberIn } from "./_io.ts";
import { featureSet } from "../features/feature_sets.ts";

/**
 * The `compare` subcommand: 1:1 verification of the largest face of two photos by the
 * Euclidean distance of their embeddings.
 */
export function compareCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("compare")
    .description("Are the largest faces of two photos the same person? (embedding distance; exit 0 either way)")
    .argument("<a>", "first photo")
    .argument("<b>", "second photo")
    .option(
      "--model <dir>",
      "take the pipeline settings of this model when it uses embeddings",
      "./model",
    )
    .option(
      "--threshold <d>",
      `same person when the distance is at most this (default: the model's network's equal-error point measured on LFW; ${DEFAULT_VERIFY_DISTANCE} for the default network)`,
      numberIn("--threshold", 0, 100),
    )
    .addOption(detectorOption(true))
    .option("--json", "print one JSON object")
    .action(async (a, b, o, cmd) =>
      setExit(await runCompare(a, b, { ...o, modelGiven: cmd.getOptionValueSource("model") !== "default" }, io))
    );
}

async function runCompare(
  a: string,
  b: string,
  o: { model: string; modelGiven: boolean; threshold?: number; json?: true; detector?: DetectorName },
  io: CliIo,
): Promise<number> {
  // The model's settings when it has embeddings; the defaults when there is no model (unless one was named).
  let options: PipelineOptions = { features: "embedding" };
  // The network's own default threshold: the model's, else the default network's.
  let threshold = o.threshold ?? DEFAULT_VERIFY_DISTANCE;
  try {
    const model = await loadCheckedModel(o.model);
    if (featureSet(model.info.features.name).needsEmbedding) {
      options = { ...modelPipelineOptions(model.info), features: "embedding" };
      threshold = o.threshold ?? modelDistances(model.info).verify;
    }
  } catch (e) {
    if (o.modelGiven) {
      io.stderr(e instanceof Error ? e.message : String(e));
      return EXIT.badArguments;
    }
  }
  const pipeline = await createPipeline(withDetector(options, o.detector));
  try {
    const embeddings: Float32Array[] = [];
    for (const path of [a, b]) {
      try {
        const image = await readImage(path);
        const found = await pipeline.processLargestFace(image);
        if (!found) throw new ImageError(path, "no face found");
        embeddings.push(found.face.embedding!);
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        io.stderr(e.message);
        if (o.json) io.stdout(JSON.stringify({ a, b, error: `${e.path}: ${e.reason}` }));
        return EXIT.inputFailed;
      }
    }
    const distance = Math.round(euclidean(embeddings[0]!, embeddings[1]!) * 10000) / 10000;
    const same = distance <= threshold;
    if (o.json) io.stdout(JSON.stringify({ a, b, distance, same, threshold }));
    else {io.stdout(
        `${same ? "same person" : "different people"}: distance ${distance.toFixed(4)} (threshold ${threshold})`,
      );}
    return EXIT.ok;
  } finally {
    await pipeline.dispose();
  }
}
