/**
 * The embedding networks side by side: each network's gallery accuracy, open set and
 * verification on one dataset ({@linkcode embedderFigures}), and the rule that picks the
 * default network, fixed before measuring ({@linkcode chooseDefaultEmbedder}).
 *
 * @module
 */

import { foldCount, nearestScores, type PreparedSet } from "./identification.ts";
import { openSetFigures } from "./open_set.ts";
import type { EmbedderFiguresJson } from "./schema.ts";
import { avg, r4, sd } from "./_figures.ts";

/**
 * One network's figures on one dataset (its faces as that network embedded them): the
 * gallery's k-fold accuracy (nearest person's centroid) and train→test, and the open set and
 * verification at the network's own default distances.
 *
 * @param p The dataset preprocessed with the network's embeddings.
 * @param seeds The folds' seeds.
 * @param network The network's name, licence and default distances.
 * @returns The figures, rounded to 4 decimals.
 */
export function embedderFigures(
  p: PreparedSet,
  seeds: readonly number[],
  network: {
    readonly name: string;
    readonly size: number;
    readonly distances: { readonly open: number; readonly verify: number };
    readonly licence: { readonly weights: string; readonly commercial: boolean };
  },
): EmbedderFiguresJson {
  const k = foldCount(p.samples.labels, p.samples.names.length);
  const { means, trainTest } = nearestScores(p, k, seeds);
  const { open_set, verification } = openSetFigures(p.faces, network.distances);
  return {
    size: network.size,
    commercial: network.licence.commercial,
    gallery: {
      kfold_mean: r4(avg(means)),
      kfold_std: r4(sd(means)),
      k,
      faces: p.faces.length,
      no_face: p.noFace,
      train_test: trainTest.length ? r4(avg(trainTest)) : null,
    },
    open_set,
    verification,
  };
}

/** One network as the rule sees it. */
export interface EmbedderCandidate {
  readonly name: string;
  /** Whether its weights' licence allows commercial use. */
  readonly commercial: boolean;
  /** Its verification accuracy (the protocol's mean) on the even half of lfw_min10's people. */
  readonly evenAccuracy: number;
  /** Its embedding's cost per face on one thread, or undefined when not measured. */
  readonly msPerFace?: number;
}

/** The rule's answer: the chosen network and why. */
export interface EmbedderVerdict {
  readonly chosen: string;
  readonly reason: string;
}

/** The tie margin of the rule: 0.2 points of accuracy. */
export const TIE_MARGIN = 0.002;

/**
 * The default by the rule fixed before measuring (issue 24): the highest verification accuracy
 * on the even half of lfw_min10's people, among networks whose weights allow commercial use;
 * among those within {@linkcode TIE_MARGIN} (0.2 points) of the best, the cheapest per face
 * (where every one of them was timed; else the most accurate).
 *
 * @param candidates Every network measured.
 * @returns The chosen network and the reason, or undefined when none may be the default.
 * @example
 * ```ts
 * import { chooseDefaultEmbedder } from "./embedders.ts";
 * const v = chooseDefaultEmbedder([
 *   { name: "a", commercial: true, evenAccuracy: 0.983, msPerFace: 30 },
 *   { name: "b", commercial: true, evenAccuracy: 0.9845, msPerFace: 12 },
 *   { name: "c", commercial: false, evenAccuracy: 0.995, msPerFace: 5 },
 * ]);
 * // b is best among the allowed; a is within 0.2 points but slower.
 * if (v?.chosen !== "b") throw new Error(JSON.stringify(v));
 * ```
 */
export function chooseDefaultEmbedder(candidates: readonly EmbedderCandidate[]): EmbedderVerdict | undefined {
  const allowed = candidates.filter((c) => c.commercial && Number.isFinite(c.evenAccuracy));
  if (allowed.length === 0) return undefined;
  const best = Math.max(...allowed.map((c) => c.evenAccuracy));
  const close = allowed.filter((c) => c.evenAccuracy >= best - TIE_MARGIN - 1e-12);
  const timed = close.every((c) => c.msPerFace !== undefined);
  const pick = [...close].sort((a, b) =>
    timed && a.msPerFace !== b.msPerFace ? a.msPerFace! - b.msPerFace! : b.evenAccuracy - a.evenAccuracy
  )[0]!;
  const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
  const others = close.filter((c) => c !== pick).map((c) => c.name);
  const reason = others.length === 0
    ? `the highest even-half verification accuracy among commercial-use networks (${
      pct(pick.evenAccuracy)
    }), more than 0.2 points above the next`
    : timed
    ? `within 0.2 points of the best even-half accuracy (${pct(pick.evenAccuracy)}, with ${
      others.join(", ")
    }) and the cheapest per face (${pick.msPerFace} ms)`
    : `the highest even-half accuracy (${pct(pick.evenAccuracy)}); ${others.join(", ")} within 0.2 points, untimed`;
  return { chosen: pick.name, reason };
}
