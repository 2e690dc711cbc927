import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { type Cache, CacheError, configDifference, readCache } from "../dataset/cache.ts";
import { defaultMinProb, loadModel, type Model, modelFromTraining, saveModel } from "../classify/classifier.ts";
import { DEFAULT_NETWORK, defaultNetwork, type NetworkOptions } from "../classify/network.ts";
import { DEFAULT_MAX_DISTANCE, type GalleryEntry } from "../gallery/gallery.ts";
import { featureSet } from "../features/feature_sets.ts";
import { type Samples, samplesFromCache } from "../classify/samples.ts";
import { trainClassifier } from "../classify/train.ts";
import { type CliIo, EXIT, numberIn } from "./_io.ts";

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
 * on all photos, saved to `--model`. With `--resume`, the final model continues from the
 * model saved in `--model` (its parameters and batch-normalisation statistics; Nadam's state
 * starts fresh) while the folds start fresh as always.
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
    .option(
      "--l2 <x>",
      "L2 strength on kernels and biases (with --resume: the model's unless given)",
      numberIn("--l2", 0, 10),
      DEFAULT_NETWORK.l2,
    )
    .option("--logdir <dir>", "write TensorBoard event files (one run per fold)")
    .option(
      "--workers <n>",
      "Deno workers sharing the folds",
      numberIn("--workers", 1, 64, true),
      navigator.hardwareConcurrency,
    )
    .option(
      "--min-prob <p>",
      "store this probability threshold for 'unknown' (default by feature set, measured on LFW: geometry 0.34, " +
        "both 0.9, embedding 0.5; with --resume: the model's unless given)",
      numberIn("--min-prob", 0, 1),
    )
    .option(
      "--max-distance <d>",
      `store this distance beyond which a face is unknown to the gallery (embedding features; default ${DEFAULT_MAX_DISTANCE})`,
      numberIn("--max-distance", 0, 100),
    )
    .option(
      "--resume",
      "continue training the final model saved in --model from its weights and BN statistics (Nadam's state " +
        "starts fresh; the folds train from scratch for --epochs); refused unless its people, features, " +
        "pipeline and network sizes match the cache's and the request",
    )
    .action(async (o, cmd) =>
      setExit(
        await runTrain({
          ...o,
          l2Given: cmd.getOptionValueSource("l2") !== "default",
          minProbGiven: o.minProb !== undefined,
        }, io),
      )
    );
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
    minProb?: number;
    maxDistance?: number;
    resume?: true;
    l2Given: boolean;
    minProbGiven: boolean;
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
  const { features: fs, labels: _l, ...pipeline } = cache.config as Record<string, unknown>;
  const set = featureSet((fs as { name: string }).name);
  let network: Required<NetworkOptions> = { ...defaultNetwork(set.name), l2: o.l2 };
  let minProb = o.minProb ?? defaultMinProb(set.name);
  let previous: Model | undefined;
  if (o.resume) {
    const checked = await resumable(o.model, samples, fs, pipeline, network);
    if ("error" in checked) {
      io.stderr(`${o.model}: cannot resume: ${checked.error}`);
      return EXIT.badArguments;
    }
    previous = checked.model;
    // Regularisation and the threshold may change; by default they stay the model's.
    network = { ...checked.network, l2: o.l2Given ? o.l2 : checked.network.l2 };
    if (!o.minProbGiven) minProb = previous.info.minProb;
  }
  const resumedFrom = previous ? totalEpochs(previous) : 0;
  const perClass = samples.names.map((_, c) => samples.labels.filter((l) => l === c).length);
  const smallest = Math.min(...perClass);
  let k = o.folds;
  if (k >= 2 && smallest < k) {
    k = smallest >= 2 ? smallest : 0;
    io.stderr(`the smallest class has ${smallest} photo(s): ${k >= 2 ? `using ${k} folds` : "no cross-validation"}`);
  }
  io.stderr(`training on ${samples.features.length} faces of ${samples.names.length} people from ${found.path}`);
  if (previous) io.stderr(`the final model continues from ${o.model}/ (${resumedFrom} epochs so far)`);
  const result = await trainClassifier(samples.features, samples.labels, samples.rows, {
    folds: k,
    epochs: o.epochs,
    batch: o.batch,
    seed: o.seed,
    network,
    logdir: o.logdir,
    workers: o.workers,
    initial: previous?.weights,
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
  // Models with the embedding also keep every training face's embedding: the gallery that
  // "nearest" answers from and `enrol` adds to (a resumed model keeps its enrolled faces too).
  const gallery: GalleryEntry[] = [];
  if (set.needsEmbedding) {
    const trained = new Set(samples.paths);
    gallery.push(...(previous?.gallery ?? []).filter((e) => !trained.has(e.path)));
    for (const r of [...cache.records.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
      if (r.status === "ok" && r.embedding) {
        gallery.push({ label: r.label, path: r.path, embedding: Float32Array.from(r.embedding) });
      }
    }
  }
  await saveModel(
    o.model,
    modelFromTraining(result, samples.names, samples.rows, {
      features: fs as { name: string; version: number },
      pipeline,
      minProb,
      method: set.name === "embedding" ? "nearest" : "network",
      maxDistance: set.needsEmbedding ? (o.maxDistance ?? previous?.info.maxDistance ?? DEFAULT_MAX_DISTANCE) : null,
      training: {
        cache: found.path,
        faces: samples.features.length,
        folds: k,
        epochs: o.epochs,
        ...(previous ? { resumed_from: resumedFrom } : {}),
        total_epochs: resumedFrom + o.epochs,
        batch: o.batch,
        seed: o.seed,
        kfold_mean: result.mean,
        kfold_std: result.std,
        fold_accuracy: result.folds.map((f) => f.accuracy),
        ms: Math.round(result.ms),
      },
    }, gallery),
  );
  io.stderr(
    `model saved to ${o.model}/ (${(result.ms / 1000).toFixed(1)} s${
      previous ? `; ${resumedFrom + o.epochs} epochs in all` : ""
    })`,
  );
  return EXIT.ok;
}

/** Epochs a saved model's final weights have been trained for (all runs, resumed ones included). */
function totalEpochs(model: Model): number {
  const t = model.info.training as { total_epochs?: unknown; epochs?: unknown };
  const n = typeof t.total_epochs === "number" ? t.total_epochs : t.epochs;
  return typeof n === "number" && Number.isFinite(n) ? n : 0;
}

/**
 * The model in `dir`, if training can continue from it on these samples: same people in the
 * same order, same feature set and pipeline as the cache, same network sizes and activations
 * as requested (L2 and dropout may change: they shape training, not the weights). Otherwise
 * the reason, for a one-line message.
 */
async function resumable(
  dir: string,
  samples: Samples,
  features: unknown,
  pipeline: Readonly<Record<string, unknown>>,
  network: Required<NetworkOptions>,
): Promise<{ model: Model; network: Required<NetworkOptions> } | { error: string }> {
  let model: Model;
  try {
    model = await loadModel(dir);
  } catch (e) {
    const text = e instanceof Error ? e.message : String(e);
    if (/no model here/.test(text)) return { error: "no model here (train without --resume first)" };
    return { error: text.startsWith(`${dir}/`) ? text.slice(dir.length + 1) : text };
  }
  const { info } = model;
  if (!info.network) return { error: "it has no trained network (a model made by enrolment alone)" };
  const had = info.labels, now = samples.names;
  if (had.join("\n") !== now.join("\n")) {
    const gone = had.filter((l) => !now.includes(l)), added = now.filter((l) => !had.includes(l));
    const what = [
      gone.length ? `not in the cache: ${gone.join(", ")}` : "",
      added.length ? `new in the cache: ${added.join(", ")}` : "",
    ].filter(Boolean).join("; ");
    return { error: `the model's people differ from the cache's (${what || "another order"})` };
  }
  const featureDiff = configDifference(info.features, features) ??
    (info.rows === samples.rows ? undefined : `rows: ${info.rows} → ${samples.rows}`);
  if (featureDiff) return { error: `the model was trained on other features (${featureDiff})` };
  const pipelineDiff = configDifference(info.pipeline, pipeline);
  if (pipelineDiff) return { error: `the cache was made with other settings than the model (${pipelineDiff})` };
  const arch = (n: Required<NetworkOptions>) => ({
    hidden1: n.hidden1,
    hidden2: n.hidden2,
    activation1: n.activation1,
    activation2: n.activation2,
  });
  const networkDiff = configDifference(arch(info.network), arch(network));
  if (networkDiff) return { error: `its network differs from the one requested (${networkDiff})` };
  return { model, network: info.network };
}
