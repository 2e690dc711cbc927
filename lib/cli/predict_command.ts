import { Command, Option } from "npm:@commander-js/extra-typings@15.1.0";
import type { DetectorName } from "../detect/detect_faces.ts";
import { createRecognizer } from "../recognize/recognize.ts";
import { ImageError, printable } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import { type CliIo, detectorOption, EXIT, galleryOptions, jsonText, listInputs, ms, numberIn } from "./_io.ts";
import { roundedBox, roundedPoints } from "../image/_rounded.ts";
import { loadModelFor, openGalleryFor } from "./_model.ts";
import { type Model, modelOfInfo } from "../model/model.ts";
import { GalleryError, type GalleryStore } from "../store/gallery_store.ts";
import type { ListedImage } from "../image/list_images.ts";

/** The `predict` subcommand: names every face in photos, or "unknown". */
export function predictCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("predict")
    .description("Name every face in images or folders with a trained model (label null = unknown).")
    .argument("<inputs...>", "image files or folders")
    .option("--model <dir>", "the model", "./model")
    .addOption(galleryOptions("name faces by")[0])
    .addOption(galleryOptions("name faces by")[1])
    .option("--json", "one JSON object per image on stdout (JSON lines)")
    .addOption(detectorOption(true))
    .addOption(
      new Option(
        "--method <m>",
        "name faces by the network, or by the nearest person in the gallery (the centroid of their enrolled faces; default: the model's)",
      )
        .choices(["network", "nearest"] as const),
    )
    .option(
      "--min-prob <p>",
      "network: faces under this top probability are unknown (default: the model's)",
      numberIn("--min-prob", 0, 1),
    )
    .option(
      "--max-distance <d>",
      "nearest: faces farther than this from every person's centroid are unknown (default: the model's)",
      numberIn("--max-distance", 0, 100),
    )
    .action(async (inputs, o) => setExit(await runPredict(inputs, o, io)));
}

/** A probability or distance as printed: 4 decimals. */
function round4(x: number | null): number | null {
  return x === null ? null : Math.round(x * 10000) / 10000;
}

async function runPredict(
  inputs: string[],
  o: {
    model: string;
    gallery?: string;
    passwordFile?: string;
    json?: true;
    detector?: DetectorName;
    method?: "network" | "nearest";
    minProb?: number;
    maxDistance?: number;
  },
  io: CliIo,
): Promise<number> {
  // The inputs before any model is loaded (a photo that is not there is said at once), after
  // the arguments are checked (a --gallery URL is refused first).
  const inputsFirst = async () => {
    const listed = await listInputs(inputs, io);
    return { listed, done: listed.listed.length === 0 ? (listed.failed > 0 ? EXIT.inputFailed : EXIT.ok) : undefined };
  };
  let database: GalleryStore | undefined;
  let model: Model | undefined;
  if (o.gallery !== undefined) {
    database = await openGalleryFor({ ...o, gallery: o.gallery, detector: undefined }, io);
    if (!database) return EXIT.badArguments;
    try {
      if (o.method === "network") {
        io.stderr(`${database.location}: a database gallery has no network for --method network`);
        return EXIT.badArguments;
      }
      if ((await database.check()).faces === 0) {
        io.stderr(`${database.location}: no one is enrolled yet (enrol --gallery ${database.location})`);
        return EXIT.badArguments;
      }
      const { listed, done } = await inputsFirst();
      if (done !== undefined) return done;
      model = modelOfInfo((await database.info())!);
      return await predictWith(listed, o, io, model, database);
    } catch (e) {
      if (!(e instanceof GalleryError)) throw e;
      io.stderr(e.message);
      return EXIT.badArguments;
    } finally {
      await database.close();
    }
  }
  const { listed, done } = await inputsFirst();
  if (done !== undefined) return done;
  model = await loadModelFor(o.model, io);
  if (!model) return EXIT.badArguments;
  return await predictWith(listed, o, io, model);
}

async function predictWith(
  inputsListed: { listed: ListedImage[]; failed: number },
  o: {
    json?: true;
    model: string;
    detector?: DetectorName;
    method?: "network" | "nearest";
    minProb?: number;
    maxDistance?: number;
  },
  io: CliIo,
  model: Model,
  database?: GalleryStore,
): Promise<number> {
  const method = o.method ?? model.info.method;
  if (method === "nearest" && model.gallery.size === 0 && !database) {
    io.stderr(
      `${o.model}: no enrolled faces for --method nearest (this model's features: ${model.info.features.name})`,
    );
    return EXIT.badArguments;
  }
  if (method === "network" && !model.info.network) {
    io.stderr(`${o.model}: a gallery-only model has no network for --method network`);
    return EXIT.badArguments;
  }
  const recognizer = await createRecognizer(model, { detector: o.detector, matcher: database });
  let failed = 0;
  try {
    failed += inputsListed.failed;
    for (const item of inputsListed.listed) {
      const t0 = performance.now();
      try {
        const image = await readImage(item.path);
        const faces = await recognizer.recognize(image, { method, minProb: o.minProb, maxDistance: o.maxDistance });
        const line = {
          path: item.path,
          faces: faces.map((f) => ({
            box: roundedBox(f.box),
            landmarks: roundedPoints(f.landmarks),
            label: f.prediction.label,
            candidate: f.prediction.candidate,
            method: f.prediction.method,
            probability: round4(f.prediction.probability),
            distance: round4(f.prediction.distance),
            runner_up: f.prediction.runnerUp && {
              label: f.prediction.runnerUp.label,
              probability: round4(f.prediction.runnerUp.probability),
              distance: round4(f.prediction.runnerUp.distance),
            },
          })),
          ms: ms(performance.now() - t0),
        };
        if (o.json) io.stdout(jsonText(line));
        else {
          const score = (p: number | null, d: number | null) => p !== null ? p.toFixed(2) : `distance ${d!.toFixed(2)}`;
          const named = line.faces.map((f) =>
            `${f.label === null ? "unknown" : printable(f.label)} (${
              f.label === null ? `most like ${printable(f.candidate ?? "")}, ` : ""
            }${score(f.probability, f.distance)}${
              f.runner_up
                ? `; then ${printable(f.runner_up.label)} ${score(f.runner_up.probability, f.runner_up.distance)}`
                : ""
            })`
          );
          io.stdout(`${printable(item.path)}: ${named.length ? named.join(", ") : "no face"}`);
        }
      } catch (e) {
        if (e instanceof GalleryError) {
          // The database stopped answering: the rest would fail the same way.
          io.stderr(e.message);
          return EXIT.badArguments;
        }
        if (!(e instanceof ImageError)) throw e;
        failed++;
        io.stderr(e.message);
        if (o.json) io.stdout(jsonText({ path: item.path, error: e.reason }));
      }
    }
  } finally {
    await recognizer.dispose();
  }
  return failed > 0 ? EXIT.inputFailed : EXIT.ok;
}
