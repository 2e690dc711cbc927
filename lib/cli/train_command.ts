import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { type Cache, CacheError, readCache } from "../dataset/cache.ts";
import { modelFromTraining, saveModel } from "../classify/classifier.ts";
import { DEFAULT_NETWORK } from "../classify/network.ts";
import { samplesFromCache } from "../classify/samples.ts";
import { trainClassifier } from "../classify/train.ts";
import { type CliIo, EXIT, numberIn } from "./_io.ts";

/** Default probability under which a face is "unknown", stored in the model. */
export const DEFAULT_MIN_PROB = 0.5;

/**
 * Finds the cache to use: the one given, or the only one under `./.face2vec/`.
 *
 * @returns The path, or an error message naming the candidates.
 */
export async function findCache(given?: string): Promise<{ path: string } | { error: string }> {
  if (given !== undefined) return { path: given };
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir("./.face2vec")) {
      if (e.isFile && e.name.endsWith(".cache")) found.push(`./.face2vec/${e.name}`);
    }
  } catch {
    // no folder: no cache
  }
  found.sort();
  if (found.length === 1) return { path: found[0]! };
  if (found.length === 0) {
    return { error: "no cache under ./.face2vec/: run `deno task preprocess <folder>` first, or pass --cache" };
  }
  return { error: `several caches under ./.face2vec/, choose one with --cache: ${found.join(", ")}` };
}

/** Reads a cache for a command, turning its absence into a one-line error. */
export async function openCache(path: string, io: CliIo): Promise<Cache | undefined> {
  try {
    const cache = await readCache(path);
    if (!cache) io.stderr(`${path}: cache not found`);
    return cache;
  } catch (e) {
    if (e instanceof CacheError) {
      io.stderr(e.message);
      return undefined;
    }
    throw e;
  }
}

/**
 * The `train` subcommand: k-fold cross-validation stratified by person, then a final model
 * on all photos, saved to `--model`.
 */
export function trainCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("train")
    .description("Train the classifier on a preprocessed cache (k-fold cross-validation, then a final model).")
    .option("--cache <file>", "the cache (default: the only one under ./.face2vec/)")
    .option("--model <dir>", "where to save the model", "./model")
    .option("--folds <k>", "cross-validation folds (0 = none)", numberIn("--folds", 0, 100, true), 10)
    .option("--epochs <n>", "epochs", numberIn("--epochs", 1, 100000, true), 100)
    .option("--batch <n>", "batch size", numberIn("--batch", 1, 100000, true), 10)
    .option("--seed <n>", "seed (runs are reproducible)", numberIn("--seed", 0, 2 ** 31, true), 0)
    .option("--l2 <x>", "L2 strength on kernels and biases", numberIn("--l2", 0, 10), DEFAULT_NETWORK.l2)
    .option("--logdir <dir>", "write TensorBoard event files (one run per fold)")
    .option(
      "--workers <n>",
      "Deno workers sharing the folds",
      numberIn("--workers", 1, 64, true),
      navigator.hardwareConcurrency,
    )
    .option("--min-prob <p>", "store this threshold for 'unknown'", numberIn("--min-prob", 0, 1), DEFAULT_MIN_PROB)
    .action(async (o) => setExit(await runTrain(o, io)));
}

async function runTrain(
  o: {
    cache?: string;
    model: string;
    folds: number;
    epochs: number;
    batch: number;
    seed: number;
    l2: number;
    logdir?: string;
    workers: number;
    minProb: number;
  },
  io: CliIo,
): Promise<number> {
  const found = await findCache(o.cache);
  if ("error" in found) {
    io.stderr(found.error);
    return EXIT.badArguments;
  }
  const cache = await openCache(found.path, io);
  if (!cache) return EXIT.badArguments;
  const samples = samplesFromCache(cache);
  const perClass = samples.names.map((_, c) => samples.labels.filter((l) => l === c).length);
  const smallest = Math.min(...perClass);
  let k = o.folds;
  if (k >= 2 && smallest < k) {
    k = smallest >= 2 ? smallest : 0;
    io.stderr(`the smallest class has ${smallest} photo(s): ${k >= 2 ? `using ${k} folds` : "no cross-validation"}`);
  }
  io.stderr(`training on ${samples.features.length} faces of ${samples.names.length} people from ${found.path}`);
  const result = await trainClassifier(samples.features, samples.labels, samples.rows, {
    folds: k,
    epochs: o.epochs,
    batch: o.batch,
    seed: o.seed,
    network: { l2: o.l2 },
    logdir: o.logdir,
    workers: o.workers,
    onEpoch: (epoch, m) => {
      if (!io.stderrIsTerminal && epoch % 10 !== 0 && epoch !== o.epochs) return;
      const val = m.folds.length
        ? ` val_accuracy ${(m.folds.reduce((a, f) => a + (f.val_accuracy ?? 0), 0) / m.folds.length).toFixed(3)}`
        : "";
      io.stderr(
        `epoch ${epoch}/${o.epochs}: loss ${m.final.loss.toFixed(4)} accuracy ${m.final.accuracy.toFixed(3)}${val}`,
      );
    },
  });
  result.folds.forEach((f, i) =>
    io.stderr(`fold ${i + 1}: ${(f.accuracy * 100).toFixed(1)}% of ${f.validation} (best epoch ${f.bestEpoch})`)
  );
  if (result.folds.length) {
    io.stderr(
      `cross-validation: ${(result.mean * 100).toFixed(1)}% ± ${
        (result.std * 100).toFixed(1)
      }% over ${result.folds.length} folds`,
    );
  }
  const { features: fs, labels: _l, ...pipeline } = cache.config as Record<string, unknown>;
  await saveModel(
    o.model,
    modelFromTraining(result, samples.names, samples.rows, {
      features: fs as { name: string; version: number },
      pipeline,
      minProb: o.minProb,
      training: {
        cache: found.path,
        faces: samples.features.length,
        folds: k,
        epochs: o.epochs,
        batch: o.batch,
        seed: o.seed,
        kfold_mean: result.mean,
        kfold_std: result.std,
        fold_accuracy: result.folds.map((f) => f.accuracy),
        ms: Math.round(result.ms),
      },
    }),
  );
  io.stderr(`model saved to ${o.model}/ (${(result.ms / 1000).toFixed(1)} s)`);
  return EXIT.ok;
}
