import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { type Cache, cachedFaces, CacheError, readCache } from "../dataset/cache.ts";
import { findCache } from "../dataset/preprocess.ts";
import { type LabelRule, singleLabelProblem } from "../dataset/labels.ts";
import { ModelError } from "../model/model_error.ts";
import { planTraining, saveKeepingEnrolled, type TrainingPlan, trainModel } from "../classify/train_model.ts";
import { LockError } from "../_lock_error.ts";
import { DEFAULT_NETWORK } from "../classify/network.ts";
import { DEFAULT_MAX_DISTANCE } from "../gallery/matcher.ts";
import { FEATURE_SETS } from "../features/feature_sets.ts";
import { type CliIo, EXIT, lockTimeoutOption, numberIn, waitingLine, workersOption } from "./_io.ts";

const MIN_PROBS = Object.values(FEATURE_SETS).map((f) => `${f.name} ${f.minProb}`).join(", ");

/** The label rule a cache records (by file name when it records none). */
function labelRule(cache: Cache): LabelRule {
  const rule = (cache.config as Record<string, unknown>).labels;
  return rule === "folder" || rule === "filename" ? rule : "filename";
}

/** Reads a cache for a command, turning its absence into a one-line error. */
export async function openCache(path: string, io: CliIo): Promise<Cache | undefined> {
  try {
    const cache = await readCache(path);
    if (!cache) io.stderr(`${path}: cache not found`);
    else if (cachedFaces(cache.config) === "all") {
      io.stderr(`${path}: a cache of every face of unnamed photos (clustering's), not of named people`);
      return undefined;
    } else if (cache.shard) {
      io.stderr(
        `${path}: the cache of shard ${cache.shard.index}/${cache.shard.count} only: merge every shard's first (preprocess --merge)`,
      );
      return undefined;
    }
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
    .addOption(workersOption("Deno workers sharing the folds"))
    .addOption(lockTimeoutOption())
    .option(
      "--min-prob <p>",
      `store this probability threshold for 'unknown' (default by feature set, measured on LFW: ${MIN_PROBS}; ` +
        "with --resume: the model's unless given)",
      numberIn("--min-prob", 0, 1),
    )
    .option(
      "--max-distance <d>",
      `store this distance beyond which a face is unknown to the gallery (embedding features; default: the network's own, ${DEFAULT_MAX_DISTANCE} for the default network)`,
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
    lockTimeout: number;
  },
  io: CliIo,
): Promise<number> {
  // Outputs are checked before the work starts: a model folder that cannot be one is refused now.
  const at = await Deno.stat(o.model).catch(() => undefined);
  if (at && !at.isDirectory) {
    io.stderr(`${o.model}: not a folder (--model names the folder the model is saved in)`);
    return EXIT.badArguments;
  }
  const found = await findCache(o.cache);
  if ("error" in found) {
    io.stderr(found.error);
    return EXIT.badArguments;
  }
  const cache = await openCache(found.path, io);
  if (!cache) return EXIT.badArguments;
  let plan: TrainingPlan;
  try {
    plan = await planTraining(cache, {
      folds: o.folds,
      l2: o.l2Given ? o.l2 : undefined,
      minProb: o.minProb,
      maxDistance: o.maxDistance,
      resume: o.resume ? o.model : undefined,
    });
  } catch (e) {
    if (e instanceof ModelError) io.stderr(e.message);
    else if (e instanceof RangeError) io.stderr(`${found.path}: ${e.message}`);
    else throw e;
    return EXIT.badArguments;
  }
  const { samples, previous } = plan;
  // One person: every face would be named as them, and cross-validation would say 100%.
  const one = singleLabelProblem(
    Object.fromEntries(samples.names.map((n) => [n, samples.features.length])),
    labelRule(cache),
  );
  if (one) {
    io.stderr(`${found.path}: ${one}; nothing trained`);
    return EXIT.badArguments;
  }
  if (plan.folds !== o.folds) {
    io.stderr(
      `the smallest class has ${plan.smallestClass} photo(s): ${
        plan.folds >= 2 ? `using ${plan.folds} folds` : "no cross-validation"
      }`,
    );
  }
  io.stderr(`training on ${samples.features.length} faces of ${samples.names.length} people from ${found.path}`);
  if (previous) io.stderr(`the final model continues from ${o.model}/ (${previous.epochs} epochs so far)`);
  const { model, result } = await trainModel(cache, plan, {
    epochs: o.epochs,
    batch: o.batch,
    seed: o.seed,
    logdir: o.logdir,
    workers: o.workers,
    cachePath: found.path,
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
  try {
    const kept = await saveKeepingEnrolled(o.model, model, {
      timeoutMs: o.lockTimeout * 1000,
      onWait: (holder) => io.stderr(waitingLine(o.model, holder)),
    });
    if (kept > 0) io.stderr(`kept ${kept} face${kept === 1 ? "" : "s"} enrolled into the model it replaces`);
  } catch (e) {
    if (!(e instanceof LockError)) throw e;
    io.stderr(e.message);
    return EXIT.badArguments;
  }
  io.stderr(
    `model saved to ${o.model}/ (${(result.ms / 1000).toFixed(1)} s${
      previous ? `; ${previous.epochs + o.epochs} epochs in all` : ""
    })`,
  );
  return EXIT.ok;
}
