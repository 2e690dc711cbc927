/**
 * A verification protocol in the style of LFW's standard one, built from any labelled set of
 * faces: the people are dealt into folds (no person in two folds), each fold draws its own
 * same-person and different-person pairs, and each fold is scored at the threshold that is
 * best on the other folds' pairs. Beside the accuracy (mean ± sample sd over the folds) it gives the
 * true-accept rate at a false-accept rate of 0.1%, over every pair within each fold.
 *
 * Faces are compared by the cosine of their embeddings (each scaled to unit length first), so
 * one protocol serves networks whose outputs are not unit-length (dlib's) and those trained
 * for cosine similarity alike.
 *
 * @module
 */

import { seededRandom, shuffled } from "../_random.ts";
import type { Labelled } from "./embedding.ts";
import { avg } from "./_figures.ts";

/** The protocol's settings. */
export interface VerificationProtocol {
  /** Folds the people are dealt into. Default 10. */
  readonly folds?: number;
  /** Same-person pairs drawn per fold (fewer when the fold has fewer). Default 300. */
  readonly same?: number;
  /** Different-person pairs drawn per fold (fewer when the fold has fewer). Default 300. */
  readonly different?: number;
  /** Seeds the dealing and the draws. Default 24. */
  readonly seed?: number;
  /** The false-accept rate the TAR is read at. Default 0.001. */
  readonly far?: number;
}

/** The defaults of {@linkcode VerificationProtocol}: LFW's 10 folds of 300 + 300 pairs. */
export const LFW_STYLE_PROTOCOL: Readonly<Required<VerificationProtocol>> = Object.freeze({
  folds: 10,
  same: 300,
  different: 300,
  seed: 24,
  far: 0.001,
});

/** One fold's drawn pairs (indices into the faces). */
export interface PairFold {
  readonly same: readonly (readonly [number, number])[];
  readonly different: readonly (readonly [number, number])[];
  /** Indices of the faces of this fold's people. */
  readonly faces: readonly number[];
}

/** What {@linkcode verifyByFolds} measures. */
export interface ProtocolFigures {
  /** Mean accuracy over the folds, each at the threshold best on the other folds. */
  readonly accuracy_mean: number;
  /**
   * Sample standard deviation of the folds' accuracies (n − 1). LFW's own results page gives
   * the standard error, this divided by √folds.
   */
  readonly accuracy_sd: number;
  /** Each fold's accuracy, in fold order. */
  readonly fold_accuracy: readonly number[];
  /** The mean of the thresholds (cosine similarity) the folds were scored at. */
  readonly threshold_mean: number;
  /** Share of every within-fold same-person pair accepted at the threshold that accepts at most `far` of the different-person ones. */
  readonly tar_at_far: number;
  /** The false-accept rate `tar_at_far` is read at. */
  readonly far: number;
  readonly folds: number;
  readonly people: number;
  readonly faces: number;
  /** Pairs drawn for the accuracy, over all folds. */
  readonly pairs: { readonly same: number; readonly different: number };
  /** Every within-fold pair, for the TAR. */
  readonly all_pairs: { readonly same: number; readonly different: number };
}

/**
 * Deals the people into folds and draws each fold's pairs.
 *
 * @param labels Each face's person.
 * @param protocol The settings; defaults {@linkcode LFW_STYLE_PROTOCOL}.
 * @returns One {@linkcode PairFold} per fold.
 * @throws {RangeError} For fewer people than twice the folds, or a fold count under 2.
 */
export function verificationFolds(labels: readonly string[], protocol: VerificationProtocol = {}): PairFold[] {
  const p = { ...LFW_STYLE_PROTOCOL, ...protocol };
  if (!Number.isInteger(p.folds) || p.folds < 2) throw new RangeError(`folds must be an integer ≥ 2, got ${p.folds}`);
  const byPerson = new Map<string, number[]>();
  labels.forEach((l, i) => byPerson.set(l, [...byPerson.get(l) ?? [], i]));
  const people = [...byPerson.keys()].sort();
  if (people.length < 2 * p.folds) {
    throw new RangeError(`${p.folds} folds need at least ${2 * p.folds} people, got ${people.length}`);
  }
  const random = seededRandom(p.seed);
  const dealt = shuffled(people, random);
  return Array.from({ length: p.folds }, (_, f) => {
    const mine = dealt.filter((_, i) => i % p.folds === f).sort();
    const same: [number, number][] = [];
    for (const person of mine) {
      const ix = byPerson.get(person)!;
      for (let a = 0; a < ix.length; a++) for (let b = a + 1; b < ix.length; b++) same.push([ix[a]!, ix[b]!]);
    }
    // Different pairs: a random face of each of two random people, distinct pairs, until
    // enough or every such pair is drawn.
    const sizes = mine.map((m) => byPerson.get(m)!.length);
    const total = sizes.reduce((s, n) => s + n, 0);
    const available = (total * total - sizes.reduce((s, n) => s + n * n, 0)) / 2;
    const want = Math.min(p.different, available);
    const seen = new Set<string>(), different: [number, number][] = [];
    while (different.length < want) {
      const i = Math.floor(random() * mine.length);
      let j = Math.floor(random() * (mine.length - 1));
      if (j >= i) j++;
      const fi = byPerson.get(mine[i]!)!, fj = byPerson.get(mine[j]!)!;
      const a = fi[Math.floor(random() * fi.length)]!, b = fj[Math.floor(random() * fj.length)]!;
      const key = a < b ? `${a},${b}` : `${b},${a}`;
      if (seen.has(key)) continue;
      seen.add(key);
      different.push(a < b ? [a, b] : [b, a]);
    }
    return {
      same: shuffled(same, random).slice(0, p.same),
      different,
      faces: mine.flatMap((m) => byPerson.get(m)!),
    };
  });
}

/** Unit-length copies of the embeddings (float64). */
function unitVectors(faces: readonly Labelled[]): Float64Array[] {
  return faces.map(({ embedding, path }) => {
    let n = 0;
    for (const v of embedding) n += v * v;
    n = Math.sqrt(n);
    if (!(n > 0)) throw new RangeError(`${path}: a zero embedding has no direction`);
    return Float64Array.from(embedding, (v) => v / n);
  });
}

function cosine(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/**
 * The threshold (accept when similarity ≥ it) with the most right answers on these pairs:
 * midway between two neighbouring similarities, searched over all of them.
 */
export function bestThreshold(same: readonly number[], different: readonly number[]): number {
  const all = [...same.map((s) => [s, 1] as const), ...different.map((s) => [s, 0] as const)]
    .sort((x, y) => x[0] - y[0]);
  // Threshold below everything: every same pair right, every different pair wrong.
  let right = same.length, best = right, at = all.length ? all[0]![0] - 1e-6 : 0;
  for (let k = 0; k < all.length; k++) {
    right += all[k]![1] ? -1 : 1; // all[k] now falls below the threshold
    if (k + 1 < all.length && all[k + 1]![0] === all[k]![0]) continue;
    if (right > best) {
      best = right;
      at = k + 1 < all.length ? (all[k]![0] + all[k + 1]![0]) / 2 : all[k]![0] + 1e-6;
    }
  }
  return at;
}

/**
 * Runs the protocol on labelled faces.
 *
 * @param faces Labelled faces with embeddings (any length, all one length).
 * @param protocol The settings; defaults {@linkcode LFW_STYLE_PROTOCOL}.
 * @returns The figures (unrounded).
 * @throws {RangeError} As {@linkcode verificationFolds}, or for a zero embedding.
 * @example
 * ```ts
 * import { verifyByFolds } from "./verification.ts";
 * // 20 people, 3 photos each, each person's photos in a direction of their own: no error.
 * const faces = Array.from({ length: 60 }, (_, i) => {
 *   const e = new Float32Array(20);
 *   e[Math.floor(i / 3)] = 1;
 *   e[(Math.floor(i / 3) + 1) % 20] = 0.1 * (i % 3);
 *   return { label: `p${Math.floor(i / 3)}`, path: `${i}.jpg`, embedding: e };
 * });
 * const r = verifyByFolds(faces);
 * if (r.accuracy_mean !== 1 || r.tar_at_far !== 1 || r.folds !== 10) throw new Error(JSON.stringify(r));
 * ```
 */
export function verifyByFolds(faces: readonly Labelled[], protocol: VerificationProtocol = {}): ProtocolFigures {
  const p = { ...LFW_STYLE_PROTOCOL, ...protocol };
  const folds = verificationFolds(faces.map((f) => f.label), p);
  const unit = unitVectors(faces);
  const sims = (pairs: PairFold["same"]) => pairs.map(([a, b]) => cosine(unit[a]!, unit[b]!));
  const drawn = folds.map((f) => ({ same: sims(f.same), different: sims(f.different) }));
  const thresholds: number[] = [];
  const accuracy = drawn.map((fold, f) => {
    const others = drawn.filter((_, g) => g !== f);
    const t = bestThreshold(others.flatMap((o) => o.same), others.flatMap((o) => o.different));
    thresholds.push(t);
    const right = fold.same.filter((s) => s >= t).length + fold.different.filter((s) => s < t).length;
    return right / (fold.same.length + fold.different.length);
  });
  // TAR at FAR: every within-fold pair.
  const allSame: number[] = [], allDifferent: number[] = [];
  for (const f of folds) {
    for (let x = 0; x < f.faces.length; x++) {
      for (let y = x + 1; y < f.faces.length; y++) {
        const a = f.faces[x]!, b = f.faces[y]!;
        (faces[a]!.label === faces[b]!.label ? allSame : allDifferent).push(cosine(unit[a]!, unit[b]!));
      }
    }
  }
  allDifferent.sort((x, y) => y - x);
  // Accept when similarity > t: at most floor(far · n) different pairs lie above t.
  const allowed = Math.floor(p.far * allDifferent.length);
  const t = allDifferent.length ? allDifferent[Math.min(allowed, allDifferent.length - 1)]! : -Infinity;
  const m = avg(accuracy);
  return {
    accuracy_mean: m,
    accuracy_sd: Math.sqrt(accuracy.reduce((sum, a) => sum + (a - m) ** 2, 0) / (accuracy.length - 1)),
    fold_accuracy: accuracy,
    threshold_mean: avg(thresholds),
    tar_at_far: allSame.length ? allSame.filter((s) => s > t).length / allSame.length : 0,
    far: p.far,
    folds: p.folds,
    people: new Set(faces.map((f) => f.label)).size,
    faces: faces.length,
    pairs: {
      same: drawn.reduce((s, d) => s + d.same.length, 0),
      different: drawn.reduce((s, d) => s + d.different.length, 0),
    },
    all_pairs: { same: allSame.length, different: allDifferent.length },
  };
}
