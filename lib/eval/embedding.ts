/**
 * Measures of the face embedding used by `deno task report` and `deno task tune embed`:
 * nearest-neighbour identification over folds, verification over all pairs (equal error
 * rate), and the open-set protocol (enrol some people, present strangers too).
 *
 * @module
 */

import type { Fold } from "../classify/folds.ts";
import { createMatcher } from "../gallery/matcher.ts";
import { euclidean } from "../embed/embed_faces.ts";

/** One labelled face with its embedding. */
export interface Labelled {
  readonly label: string;
  readonly path: string;
  readonly embedding: Float32Array;
}

/** Accuracy of the gallery's nearest person on each fold's held-out faces, the rest enrolled. */
export function nearestKfold(faces: readonly Labelled[], folds: readonly Fold[]): number[] {
  return folds.map((f) => {
    const match = createMatcher(f.train.map((i) => faces[i]!));
    const hits = f.validation.filter((i) => match(faces[i]!.embedding).label === faces[i]!.label);
    return hits.length / f.validation.length;
  });
}

/** Distances of every same-person (`genuine`) pair and every different-person pair, sorted. */
export interface Pairs {
  readonly genuine: Float64Array;
  readonly impostor: Float64Array;
}

/** Distances of every same-person pair and every different-person pair. */
export function pairDistances(faces: readonly Labelled[]): Pairs {
  const genuine: number[] = [], impostor: number[] = [];
  for (let i = 0; i < faces.length; i++) {
    for (let j = i + 1; j < faces.length; j++) {
      const d = euclidean(faces[i]!.embedding, faces[j]!.embedding);
      (faces[i]!.label === faces[j]!.label ? genuine : impostor).push(d);
    }
  }
  return { genuine: Float64Array.from(genuine).sort(), impostor: Float64Array.from(impostor).sort() };
}

/** Share of a sorted array's values that are ≤ t. */
function shareAtMost(sorted: Float64Array, t: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return sorted.length ? lo / sorted.length : 0;
}

/** Verification error rates at a threshold ("same" when distance ≤ threshold). */
export function verificationAt(pairs: Pairs, threshold: number): { false_accept: number; false_reject: number } {
  return {
    false_accept: shareAtMost(pairs.impostor, threshold),
    false_reject: 1 - shareAtMost(pairs.genuine, threshold),
  };
}

/**
 * The equal error rate: the threshold where false accepts and false rejects are closest,
 * searched over every genuine distance, and the mean of the two rates there.
 */
export function equalErrorRate(pairs: Pairs): { eer: number; threshold: number } {
  let best = { gap: Infinity, eer: 1, threshold: 0 };
  for (const t of pairs.genuine) {
    const r = verificationAt(pairs, t);
    const gap = Math.abs(r.false_accept - r.false_reject);
    if (gap < best.gap) best = { gap, eer: (r.false_accept + r.false_reject) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}

/** The open-set split of a set of people: who is enrolled with which photos, and the probes. */
export interface OpenSetSplit<T extends Labelled = Labelled> {
  readonly gallery: readonly T[];
  /** Other photos of enrolled people. */
  readonly known: readonly T[];
  /** Every photo of people never enrolled. */
  readonly strangers: readonly T[];
}

/**
 * The open-set protocol: people sorted by name, every other one enrolled (positions 0, 2, …)
 * with every other photo of theirs (sorted paths, positions 0, 2, …); the probes are their
 * other photos and every photo of the people not enrolled.
 */
export function openSetSplit<T extends Labelled>(faces: readonly T[]): OpenSetSplit<T> {
  const people = [...new Set(faces.map((f) => f.label))].sort();
  const enrolled = new Set(people.filter((_, i) => i % 2 === 0));
  const gallery: T[] = [], known: T[] = [], strangers: T[] = [];
  for (const p of people) {
    const photos = faces.filter((f) => f.label === p).sort((a, b) => (a.path < b.path ? -1 : 1));
    if (!enrolled.has(p)) strangers.push(...photos);
    else photos.forEach((f, i) => (i % 2 === 0 ? gallery : known).push(f));
  }
  return { gallery, known, strangers };
}

/** Open-set error rates at a threshold. */
export interface OpenSetRates {
  /** Strangers named as someone enrolled. */
  readonly strangers_named: number;
  /** Enrolled people's probes called unknown. */
  readonly known_unknown: number;
  /** Enrolled people's probes named as someone else. */
  readonly known_wrong: number;
}

/** The nearest enrolled person and distance for every probe (threshold-free). */
export function openSetAnswers(split: OpenSetSplit): {
  known: { label: string; distance: number; truth: string }[];
  strangers: number[];
} {
  const match = createMatcher(split.gallery);
  return {
    known: split.known.map((f) => {
      const { label, distance } = match(f.embedding);
      return { label: label!, distance, truth: f.label };
    }),
    strangers: split.strangers.map((f) => match(f.embedding).distance),
  };
}

/** The open-set rates at `threshold` from {@linkcode openSetAnswers}. */
export function openSetRates(answers: ReturnType<typeof openSetAnswers>, threshold: number): OpenSetRates {
  const k = answers.known;
  return {
    strangers_named: answers.strangers.filter((d) => d <= threshold).length / Math.max(1, answers.strangers.length),
    known_unknown: k.filter((a) => a.distance > threshold).length / Math.max(1, k.length),
    known_wrong: k.filter((a) => a.distance <= threshold && a.label !== a.truth).length / Math.max(1, k.length),
  };
}

/**
 * The threshold on a grid (`from`, `from + step`, … ≤ `to`) that minimises the largest of
 * the three open-set error rates; the first such threshold wins ties.
 *
 * @param rates The open-set rates at a threshold.
 */
export function minimaxThreshold(
  rates: (t: number) => OpenSetRates,
  from: number,
  to: number,
  step: number,
): number {
  let best = { worst: Infinity, t: from };
  for (let i = 0; from + i * step <= to + 1e-9; i++) {
    const t = Number((from + i * step).toFixed(10));
    const r = rates(t);
    const worst = Math.max(r.strangers_named, r.known_unknown, r.known_wrong);
    if (worst < best.worst - 1e-12) best = { worst, t };
  }
  return best.t;
}

/** The gallery's distance threshold, searched over 0.30–0.90 in steps of 0.005 ({@linkcode minimaxThreshold}). */
export function chooseOpenSetThreshold(answers: ReturnType<typeof openSetAnswers>): number {
  return minimaxThreshold((t) => openSetRates(answers, t), 0.3, 0.9, 0.005);
}

/**
 * {@linkcode openSetAnswers} with the single nearest enrolled face instead of the person's
 * centroid (the comparison `deno task tune embed` prints).
 *
 * @param split The open-set split.
 * @returns The nearest face's person and distance for every probe.
 * @example
 * ```ts
 * import { nearestFaceAnswers } from "./embedding.ts";
 * const face = (label: string, x: number) => ({ label, path: `${label}${x}`, embedding: Float32Array.of(x) });
 * const a = nearestFaceAnswers({ gallery: [face("a", 0), face("a", 2)], known: [face("a", 1.8)], strangers: [face("b", 5)] });
 * if (Math.abs(a.known[0]!.distance - 0.2) > 1e-6 || a.strangers[0] !== 3) throw new Error(JSON.stringify(a));
 * ```
 */
export function nearestFaceAnswers(split: OpenSetSplit): ReturnType<typeof openSetAnswers> {
  return {
    known: split.known.map((f) => {
      const best = split.gallery.map((g) => ({ label: g.label, d: euclidean(g.embedding, f.embedding) }))
        .sort((a, b) => a.d - b.d)[0]!;
      return { label: best.label, distance: best.d, truth: f.label };
    }),
    strangers: split.strangers.map((f) => Math.min(...split.gallery.map((g) => euclidean(g.embedding, f.embedding)))),
  };
}
