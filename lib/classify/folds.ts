/**
 * Stratified k-fold splits for training.
 *
 * @module
 */

import { shuffled } from "../_random.ts";

/** One fold: indices to train on and to validate on. */
export interface Fold {
  readonly train: readonly number[];
  readonly validation: readonly number[];
}

/**
 * Stratified k-fold split: each class's samples are shuffled and dealt round-robin over the
 * folds (continuing across classes, so fold sizes stay balanced). With k ≤ the smallest
 * class, every fold validates on every class and trains on every class with ≥ 2 samples.
 * (The original Face2Vec cut contiguous slices of a list in file order, so a fold could
 * hold people never seen in training.)
 *
 * @param labels One class index per sample.
 * @param k Number of folds (≥ 2).
 * @param random The seeded random source.
 * @returns k folds, each with sorted index lists.
 * @throws {RangeError} When k < 2 or k exceeds the number of samples.
 * @example
 * ```ts
 * import { seededRandom } from "../_random.ts";
 * import { stratifiedFolds } from "./folds.ts";
 * const folds = stratifiedFolds([0, 0, 1, 1, 0, 1], 2, seededRandom(1));
 * if (folds.some((f) => f.validation.length !== 3)) throw new Error(JSON.stringify(folds));
 * ```
 */
export function stratifiedFolds(labels: readonly number[], k: number, random: () => number): Fold[] {
  if (!(Number.isInteger(k) && k >= 2)) throw new RangeError(`folds must be a whole number ≥ 2, got ${k}`);
  if (k > labels.length) throw new RangeError(`${k} folds need at least ${k} samples, got ${labels.length}`);
  const byClass = new Map<number, number[]>();
  labels.forEach((c, i) => byClass.set(c, [...(byClass.get(c) ?? []), i]));
  const assignment = new Array<number>(labels.length);
  let next = 0;
  for (const c of [...byClass.keys()].sort((a, b) => a - b)) {
    for (const i of shuffled(byClass.get(c)!, random)) assignment[i] = next++ % k;
  }
  return Array.from({ length: k }, (_, f) => ({
    train: labels.map((_, i) => i).filter((i) => assignment[i] !== f),
    validation: labels.map((_, i) => i).filter((i) => assignment[i] === f),
  }));
}
