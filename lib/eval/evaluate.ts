/**
 * Accuracy of a model over labelled photos (the original's `get_accuracy`): every photo is
 * named, photos without a face count as errors, with per-person precision and recall, a
 * confusion matrix and the list of mistakes.
 *
 * @module
 */

import type { CacheRecord } from "../dataset/cache.ts";
import type { Classifier } from "../classify/classifier.ts";

/** What {@linkcode evaluateRecords} measured. Fractions are 0–1. */
export interface Evaluation {
  /** Photos counted (decoded; with or without a face). */
  readonly photos: number;
  readonly no_face: number;
  readonly correct: number;
  /** correct / photos: photos without a face are errors. */
  readonly accuracy: number;
  /**
   * Photos `predict` would call unknown: their face's answer under the model's own threshold
   * (`minProb` for the network, `maxDistance` for the gallery) is null. Evaluation names every
   * face by its best guess, without that threshold, so these are among `correct` or `errors`.
   */
  readonly unknown: number;
  /** Photos `predict` names as their own person: correct, and not under the model's threshold. */
  readonly named_correctly: number;
  /** Per person: photos of them, precision (null when never predicted) and recall. */
  readonly per_label: Readonly<
    Record<string, { readonly photos: number; readonly precision: number | null; readonly recall: number | null }>
  >;
  /** True person → predicted person (or "(no face)") → count. */
  readonly confusion: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Every photo not named correctly. */
  readonly errors: readonly { readonly path: string; readonly label: string; readonly predicted: string | null }[];
}

/**
 * Names every usable record's face with the classifier's own method (never "unknown": the
 * thresholds are lifted, as the original's accuracy did) and scores the answers; it also
 * counts the faces `predict` would call unknown under the model's threshold. Records
 * with status "error" (unreadable photos) are left out; "no_face" ones count as errors.
 *
 * @param classifier The model's classifier.
 * @param records Cache records of labelled photos.
 * @returns The evaluation.
 * @example
 * ```ts ignore
 * import { evaluateRecords } from "./evaluate.ts";
 * const result = await evaluateRecords(classifier, [...cache.records.values()]);
 * console.log(result.accuracy);
 * ```
 */
export async function evaluateRecords(classifier: Classifier, records: Iterable<CacheRecord>): Promise<Evaluation> {
  const counted = [...records].filter((r) => r.status !== "error").sort((a, b) => (a.path < b.path ? -1 : 1));
  const ok = counted.filter((r) => r.status === "ok");
  const answers = await classifier.predict(
    ok.map((r) => ({
      features: Float32Array.from(r.features!),
      embedding: r.embedding && Float32Array.from(r.embedding),
    })),
    { minProb: 0, maxDistance: Infinity },
  );
  // As predict answers: the model's own thresholds, under which a face is "unknown".
  const thresholded = await classifier.predict(
    ok.map((r) => ({
      features: Float32Array.from(r.features!),
      embedding: r.embedding && Float32Array.from(r.embedding),
    })),
  );
  const asPredict = new Map(ok.map((r, i) => [r.path, thresholded[i]!.label]));
  const predicted = new Map(ok.map((r, i) => [r.path, answers[i]!.label]));
  const labels = [...new Set([...counted.map((r) => r.label), ...classifier.info.labels])].sort();
  const confusion: Record<string, Record<string, number>> = {};
  const errors: { path: string; label: string; predicted: string | null }[] = [];
  let correct = 0;
  for (const r of counted) {
    const p = predicted.get(r.path) ?? null;
    const key = p ?? "(no face)";
    confusion[r.label] ??= {};
    confusion[r.label]![key] = (confusion[r.label]![key] ?? 0) + 1;
    if (p === r.label) correct++;
    else errors.push({ path: r.path, label: r.label, predicted: p });
  }
  const perLabel: Record<string, { photos: number; precision: number | null; recall: number | null }> = {};
  for (const l of labels) {
    const truth = counted.filter((r) => r.label === l);
    const claimed = counted.filter((r) => predicted.get(r.path) === l);
    const hits = truth.filter((r) => predicted.get(r.path) === l).length;
    if (truth.length === 0 && claimed.length === 0) continue;
    perLabel[l] = {
      photos: truth.length,
      precision: claimed.length ? hits / claimed.length : null,
      recall: truth.length ? hits / truth.length : null,
    };
  }
  return {
    photos: counted.length,
    no_face: counted.filter((r) => r.status === "no_face").length,
    correct,
    accuracy: counted.length ? correct / counted.length : 0,
    unknown: ok.filter((r) => asPredict.get(r.path) === null).length,
    named_correctly: ok.filter((r) => asPredict.get(r.path) === r.label).length,
    per_label: perLabel,
    confusion,
    errors,
  };
}
