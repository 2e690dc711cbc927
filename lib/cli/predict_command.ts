import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { createPipeline } from "../dataset/process_photo.ts";
import { ImageError } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import { type CliIo, EXIT, listInputs, ms, numberIn } from "./_io.ts";
import { roundedBox, roundedPoints } from "../_rounded.ts";
import { loadCheckedModel } from "./_model.ts";

/** The `predict` subcommand: names every face in photos, or "unknown". */
export function predictCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("predict")
    .description("Name every face in images or folders with a trained model (label null = unknown).")
    .argument("<inputs...>", "image files or folders")
    .option("--model <dir>", "the model", "./model")
    .option("--json", "one JSON object per image on stdout (JSON lines)")
    .option(
      "--min-prob <p>",
      "faces under this top probability are unknown (default: the model's)",
      numberIn("--min-prob", 0, 1),
    )
    .action(async (inputs, o) => setExit(await runPredict(inputs, o, io)));
}

async function runPredict(
  inputs: string[],
  o: { model: string; json?: true; minProb?: number },
  io: CliIo,
): Promise<number> {
  const model = await loadCheckedModel(o.model, io);
  if (!model) return EXIT.badArguments;
  const pipeline = await createPipeline(model.pipeline);
  let failed = 0;
  try {
    const inputsListed = await listInputs(inputs, io);
    failed += inputsListed.failed;
    for (const item of inputsListed.listed) {
      const t0 = performance.now();
      try {
        const image = await readImage(item.path);
        const faces = pipeline.detector.detect(image);
        const points = await pipeline.landmarker.landmarks(image, faces.map((f) => f.box));
        const features = points.map((p) => pipeline.features.compute({ landmarks: p }));
        const answers = await model.classifier.predict(features, o.minProb);
        const line = {
          path: item.path,
          faces: faces.map((f, i) => ({
            box: roundedBox(f.box),
            landmarks: roundedPoints(points[i]!),
            label: answers[i]!.label,
            probability: Math.round(answers[i]!.probability * 10000) / 10000,
            runner_up: answers[i]!.runnerUp &&
              {
                label: answers[i]!.runnerUp!.label,
                probability: Math.round(answers[i]!.runnerUp!.probability * 10000) / 10000,
              },
          })),
          ms: ms(performance.now() - t0),
        };
        if (o.json) io.stdout(JSON.stringify(line));
        else {
          const named = line.faces.map((f) =>
            `${f.label ?? "unknown"} (${f.probability.toFixed(2)}${
              f.runner_up ? `; then ${f.runner_up.label} ${f.runner_up.probability.toFixed(2)}` : ""
            })`
          );
          io.stdout(`${item.path}: ${named.length ? named.join(", ") : "no face"}`);
        }
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        failed++;
        io.stderr(e.message);
        if (o.json) io.stdout(JSON.stringify({ path: item.path, error: e.reason }));
      }
    }
  } finally {
    await pipeline.dispose();
    model.classifier.dispose();
  }
  return failed > 0 ? EXIT.inputFailed : EXIT.ok;
}
