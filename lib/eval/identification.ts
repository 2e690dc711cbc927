/**
 * Identification measured the report's way: k-fold cross-validation stratified by person
 * (k = min(10, smallest class), at least 2), the same folds for every feature set (same seeds,
 * same photos), mean ± std over seeds, and train→test where a folder has `train/` and `test/`.
 * The embedding is scored by the gallery's nearest person; `geometry` and `both` by the trained
 * network. One implementation for `deno task report` and `deno task tune`.
 *
 * @module
 */

import type { Cache } from "../dataset/cache.ts";
import { type Samples, samplesFromCache } from "../classify/samples.ts";
import { trainClassifier } from "../classify/train.ts";
import { createClassifier, type Prediction } from "../classify/classifier.ts";
import { modelFromTraining } from "../classify/train_model.ts";
import { networkFor } from "../classify/network.ts";
import { stratifiedFolds } from "../classify/folds.ts";
import { featureSet } from "../features/feature_sets.ts";
import { createMatcher } from "../gallery/matcher.ts";
import { seededRandom } from "../_random.ts";
import { type Labelled, nearestKfold } from "./embedding.ts";
import type { AccuracyFigures } from "./schema.ts";
import { avg, r4, sd } from "./_figures.ts";

/** A photo with a face: its person, features and embedding (empty for `geometry`). */
export type Face = Labelled & { readonly features: Float32Array };

/** A dataset preprocessed with one feature set behind one detector, as the measures read it. */
export interface PreparedSet {
  /** The cache's samples (classes sorted by name). */
  readonly samples: Samples;
  /** The photos with a face, sorted by path (the order of `samples`). */
  readonly faces: readonly Face[];
  /** Those under `train/` and `test/`. */
  readonly train: readonly Face[];
  readonly test: readonly Face[];
  /** Photos without a face, all and under `test/`. */
  readonly noFace: number;
  readonly testNoFace: number;
}

/**
 * A read cache as the measures use it.
 *
 * @param cache A cache from `readCache` (of the largest face of each photo).
 * @returns Its samples and faces.
 * @throws {RangeError} As {@linkcode samplesFromCache}, when it holds no usable photo.
 * @example
 * ```ts
 * import { preparedSet } from "./identification.ts";
 * // No photo with a face: nothing to measure.
 * const cache = { config: {}, records: new Map([["a.jpg", { path: "a.jpg", hash: "", label: "ann", status: "no_face" }]]) };
 * let refused = false;
 * try {
 *   preparedSet(cache as never);
 * } catch (e) {
 *   refused = e instanceof RangeError;
 * }
 * if (!refused) throw new Error("expected a RangeError");
 * ```
 */
export function preparedSet(cache: Cache): PreparedSet {
  const records = [...cache.records.values()];
  const noFace = records.filter((r) => r.status === "no_face");
  const ok = records.filter((r) => r.status === "ok" && r.features).sort((a, b) => (a.path < b.path ? -1 : 1));
  const faces: Face[] = ok.map((r) => ({
    label: r.label,
    path: r.path,
    features: Float32Array.from(r.features!),
    embedding: r.embedding ? Float32Array.from(r.embedding) : new Float32Array(0),
  }));
  return {
    samples: samplesFromCache(cache),
    faces,
    train: faces.filter((f) => f.path.startsWith("train/")),
    test: faces.filter((f) => f.path.startsWith("test/")),
    noFace: noFace.length,
    testNoFace: noFace.filter((r) => r.path.startsWith("test/")).length,
  };
}

/**
 * The folds of a cross-validation by person: min(10, the smallest class), at least 2.
 *
 * @param labels Class index per sample.
 * @param classes How many classes (default: the largest index + 1).
 * @returns k.
 * @example
 * ```ts
 * import { foldCount } from "./identification.ts";
 * if (foldCount([0, 0, 0, 1, 1, 1, 1]) !== 3 || foldCount([0, 1]) !== 2) throw new Error("k");
 * ```
 */
export function foldCount(labels: readonly number[], classes = Math.max(-1, ...labels) + 1): number {
  const counts = Array.from({ length: classes }, (_, c) => labels.filter((l) => l === c).length);
  return Math.max(2, Math.min(10, ...counts));
}

/**
 * The gallery's mean accuracy (nearest person's centroid) over stratified folds.
 *
 * @param faces Labelled faces with embeddings.
 * @param seed The folds' seed.
 * @param labels Class index per face (default: the index of its label among the sorted labels).
 * @param k The folds (default {@linkcode foldCount} of `labels`).
 * @returns The mean of the folds' accuracies, 0–1.
 * @example
 * ```ts
 * import { nearestAccuracy } from "./identification.ts";
 * const face = (label: string, x: number) => ({ label, path: `${label}${x}`, embedding: Float32Array.of(x, 0) });
 * const faces = [face("a", 0), face("a", 0.1), face("a", 0.2), face("b", 5), face("b", 5.1), face("b", 5.2)];
 * if (nearestAccuracy(faces, 0) !== 1) throw new Error("two far-apart people are always told apart");
 * ```
 */
export function nearestAccuracy(
  faces: readonly Labelled[],
  seed: number,
  labels?: readonly number[],
  k?: number,
): number {
  const names = labels ? [] : [...new Set(faces.map((f) => f.label))].sort();
  const classes = labels ?? faces.map((f) => names.indexOf(f.label));
  return avg(nearestKfold(faces, stratifiedFolds(classes, k ?? foldCount(classes), seededRandom(seed))));
}

/**
 * Trains `set`'s network (no folds) on `gallery`, person i being `names[i]`, and asks it about
 * each list of `probes` (no unknown threshold: every answer names a person).
 *
 * @param rows Rows of one feature sample.
 * @param set The feature set (its network's sizes).
 * @param training The epochs and the seed.
 * @param gallery The faces to train on.
 * @param names The people, by class index.
 * @param probes Lists of faces to ask about.
 * @returns Per list, the network's answers.
 */
export async function trainAndAsk(
  rows: number,
  set: string,
  { epochs, seed }: { epochs: number; seed: number },
  gallery: readonly Face[],
  names: readonly string[],
  probes: readonly (readonly Face[])[],
): Promise<Prediction[][]> {
  const labels = gallery.map((f) => names.indexOf(f.label)), network = networkFor(featureSet(set));
  const r = await trainClassifier(gallery.map((f) => f.features), labels, rows, { folds: 0, epochs, seed, network });
  const classifier = await createClassifier(modelFromTraining(r, names, rows));
  try {
    const answers = [];
    for (const faces of probes) answers.push(await classifier.predict(faces, { minProb: 0 }));
    return answers;
  } finally {
    classifier.dispose();
  }
}

/** k-fold means (one per seed) and train→test scores (one per seed, none without `test/`). */
export interface Scores {
  readonly means: readonly number[];
  readonly trainTest: readonly number[];
}

/** k-fold (network) and train→test (network) scores of one feature set's samples. */
async function networkScores(p: PreparedSet, set: string, k: number, seeds: readonly number[], epochs: number) {
  const { samples } = p;
  const means: number[] = [];
  for (const seed of seeds) {
    const r = await trainClassifier(samples.features, samples.labels, samples.rows, {
      folds: k,
      epochs,
      seed,
      workers: navigator.hardwareConcurrency,
      network: networkFor(featureSet(set)),
    });
    means.push(r.mean);
  }
  const { train, test } = p;
  const trainTest: number[] = [];
  for (const seed of test.length > 0 ? seeds : []) {
    const [answers] = await trainAndAsk(samples.rows, set, { epochs, seed }, train, samples.names, [test]);
    trainTest.push(answers!.filter((a, j) => a.label === test[j]!.label).length / (test.length + p.testNoFace));
  }
  return { means, trainTest };
}

/** k-fold and train→test scores of the gallery (nearest person's centroid) on the embeddings. */
export function nearestScores(p: PreparedSet, k: number, seeds: readonly number[]): Scores {
  const means = seeds.map((seed) => nearestAccuracy(p.faces, seed, p.samples.labels, k));
  const { train, test } = p;
  const match = train.length ? createMatcher(train) : undefined;
  const trainTest = test.length && match
    ? [test.filter((f) => match(f.embedding).label === f.label).length / (test.length + p.testNoFace)]
    : [];
  return { means, trainTest };
}

/**
 * Identification accuracy of each feature set with its default classifier (see the module
 * doc). `kfold_mean` is over photos with a face; `kfold_mean_all` counts each no-face photo
 * as an error, as train→test does. `embedding` is the gallery's nearest person (deterministic:
 * its std is over the seeds' folds); `geometry` and `both` are the trained network.
 *
 * @param geometry The dataset preprocessed with the `geometry` features.
 * @param both The same with `both` (whose embeddings the gallery uses).
 * @param seeds The folds' (and the networks') seeds.
 * @param epochs The networks' epochs.
 * @returns The figures of `geometry`, `embedding` and `both`, rounded to 4 decimals.
 */
export async function accuracyFigures(
  geometry: PreparedSet,
  both: PreparedSet,
  seeds: number[],
  epochs: number,
): Promise<Record<string, AccuracyFigures>> {
  const k = foldCount(geometry.samples.labels, geometry.samples.names.length);
  const sameFaces = geometry.samples.paths.join("\n") === both.samples.paths.join("\n");
  const out: Record<string, AccuracyFigures> = {};
  for (const [set, p] of [["geometry", geometry], ["embedding", both], ["both", both]] as const) {
    const { means, trainTest } = set === "embedding"
      ? nearestScores(p, k, seeds)
      : await networkScores(p, set, k, seeds, epochs);
    const found = p.samples.features.length / (p.samples.features.length + p.noFace);
    out[set] = {
      kfold_mean: r4(avg(means)),
      kfold_std: r4(sd(means)),
      kfold_mean_all: r4(avg(means) * found),
      k,
      seeds,
      method: set === "embedding" ? "nearest" : "network",
      ...(set === "embedding" ? {} : { epochs }),
      faces: p.samples.features.length,
      no_face: p.noFace,
      people: p.samples.names.length,
      same_folds: sameFaces,
      train_test: trainTest.length ? r4(avg(trainTest)) : null,
      train_test_std: trainTest.length ? r4(sd(trainTest)) : null,
    };
  }
  return out;
}
