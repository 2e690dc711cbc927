import type { DetectorName } from "../detect/detect_faces.ts";
import { detectorOf } from "../pipeline/pipeline.ts";
import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { type Cache, CacheError, readCache } from "../dataset/cache.ts";
import { type ModelInfo, modelPipelineOptions } from "../model/model.ts";
import { sha256Hex } from "../_asset.ts";
import { printable } from "../image/image_error.ts";
import { LockError } from "../_lock_error.ts";
import { configDifference } from "../_config.ts";
import { evaluationCachePath, preprocessFolder } from "../dataset/preprocess.ts";
import { type CliIo, detectorOption, EXIT } from "./_io.ts";
import { loadModelFor } from "./_model.ts";
import { createClassifier } from "../classify/classifier.ts";
import { evaluateRecords } from "../eval/evaluate.ts";

/** The `evaluate` subcommand: accuracy of a model over a labelled folder or cache. */
export function evaluateCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("evaluate")
    .description("Accuracy of a trained model over a labelled folder (or its cache); no-face photos count as errors.")
    .argument("<source>", "a folder of photos named by person, or a .cache file")
    .option("--model <dir>", "the model", "./model")
    .option(
      "--cache <file>",
      "for a folder: its cache (default: the one preprocess made, ./.face2vec/<folder>-<hash>.<features>.cache, else one under ./.face2vec/evaluate/)",
    )
    .addOption(detectorOption(true))
    .option("--json", "print one JSON object")
    .action(async (source, o) => setExit(await runEvaluate(source, o, io)));
}

/** The model's threshold for "unknown", as predict applies it by default. */
function threshold(info: ModelInfo): string {
  return info.method === "network"
    ? `--min-prob ${info.minProb}`
    : info.maxDistance === null
    ? "the model stores no --max-distance"
    : `--max-distance ${info.maxDistance}`;
}

/** How a cache's settings differ from a model's (features and pipeline; labels aside), or undefined. */
function settingsDifference(cache: Cache, info: ModelInfo): string | undefined {
  const { labels: _l, features: _f, ...pipeline } = cache.config as Record<string, unknown>;
  return configDifference(info.features, cache.config.features, "features") ??
    configDifference(info.pipeline, pipeline);
}

/**
 * The cache evaluate uses for a folder and a model, keyed by everything it records: the folder's
 * preprocess cache when it was made with the model's settings (it is brought up to date), else a
 * cache of evaluate's own under `./.face2vec/evaluate/`, named by the folder and a hash of the
 * model's feature set and pipeline, so that models made with other settings (another detector)
 * each have theirs.
 */
async function evaluationCache(folder: string, info: ModelInfo): Promise<string> {
  const path = await evaluationCachePath(folder, info.features.name);
  const own = path.replace("./.face2vec/evaluate/", "./.face2vec/").replace("./.face2vec/", "./.face2vec/evaluate/");
  if (own !== path) {
    const cache = await readCache(path).catch(() => undefined);
    if (cache && settingsDifference(cache, info) === undefined) return path;
  }
  const settings = new TextEncoder().encode(JSON.stringify({ features: info.features, pipeline: info.pipeline }));
  return own.replace(/\.cache$/, `.${(await sha256Hex(settings)).slice(0, 8)}.cache`);
}

async function runEvaluate(
  source: string,
  o: { model: string; cache?: string; json?: true; detector?: DetectorName },
  io: CliIo,
): Promise<number> {
  const info = await Deno.stat(source).catch(() => undefined);
  if (!info || (!source.endsWith(".cache") && !info.isDirectory)) {
    io.stderr(`${printable(source)}: ${info ? "not a folder or a .cache file" : "not found"}`);
    return EXIT.badArguments;
  }
  const loaded = await loadModelFor(o.model, io);
  if (!loaded) return EXIT.badArguments;
  const recorded = detectorOf(modelPipelineOptions(loaded.info));
  if (o.detector !== undefined && o.detector !== recorded) {
    // The model's accuracy is measured on photos processed as its training photos were.
    io.stderr(
      `${o.model}: trained on faces found with the ${recorded} detector, not ${o.detector}: evaluate uses the model's`,
    );
    return EXIT.badArguments;
  }
  const model = { classifier: await createClassifier(loaded), pipeline: modelPipelineOptions(loaded.info) };
  try {
    let cachePath = source;
    if (!source.endsWith(".cache")) {
      cachePath = o.cache ?? await evaluationCache(source, model.classifier.info);
      await preprocessFolder(source, { ...model.pipeline, cache: cachePath });
    }
    const cache = await readCache(cachePath);
    if (!cache) {
      io.stderr(`${cachePath}: cache not found`);
      return EXIT.badArguments;
    }
    const diff = settingsDifference(cache, model.classifier.info);
    if (diff) {
      io.stderr(`${cachePath}: made with other settings than the model (${diff})`);
      return EXIT.badArguments;
    }
    const result = await evaluateRecords(model.classifier, cache.records.values());
    const { correct, no_face: noFace, per_label: perLabel, confusion, errors } = result;
    if (o.json) io.stdout(JSON.stringify(result));
    else {
      io.stdout(
        `accuracy: ${
          (result.accuracy * 100).toFixed(1)
        }% (${correct} of ${result.photos} photos; ${noFace} without a face count as errors)`,
      );
      // What it counts, beside what predict says of the same photos.
      io.stdout(
        `  each face is named by the model's best guess, without its 'unknown' threshold (${
          threshold(loaded.info)
        }); ` +
          `predict, which applies it, would call ${result.unknown} of these ${result.photos} photos unknown ` +
          `and name ${result.named_correctly} right`,
      );
      for (const [l, v] of Object.entries(perLabel)) {
        const f = (x: number | null) => (x === null ? "  —  " : `${(x * 100).toFixed(0).padStart(3)}%`);
        io.stdout(
          `  ${l.padEnd(24)} photos ${String(v.photos).padStart(3)}  precision ${f(v.precision)}  recall ${
            f(v.recall)
          }`,
        );
      }
      io.stdout("confusion (true → predicted: count):");
      for (const [t, row] of Object.entries(confusion)) {
        io.stdout(`  ${t}: ${Object.entries(row).map(([p, n]) => `${p} ${n}`).join(", ")}`);
      }
      for (const e of errors) io.stdout(`  wrong: ${e.path} (${e.label}) taken for ${e.predicted ?? "no face"}`);
    }
    return EXIT.ok;
  } catch (e) {
    // A corrupt cache, one made with other settings, or one another process holds: the user's to act on.
    if (!(e instanceof CacheError || e instanceof LockError)) throw e;
    io.stderr(e.message);
    return EXIT.badArguments;
  } finally {
    model.classifier.dispose();
  }
}
