/**
 * The open-set protocol and verification as the report measures them, for the embedding's
 * gallery and for a trained network. People sorted by name are split in halves (even and odd
 * positions); a threshold is chosen on the even half and reported on the odd half, beside the
 * rates at the default.
 *
 * @module
 */

import { DEFAULT_MAX_DISTANCE, DEFAULT_VERIFY_DISTANCE } from "../gallery/matcher.ts";
import { featureSet } from "../features/feature_sets.ts";
import {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  minimaxThreshold,
  openSetAnswers,
  openSetRates,
  openSetSplit,
  pairDistances,
  verificationAt,
} from "./embedding.ts";
import { type PreparedSet, trainAndAsk } from "./identification.ts";
import type { NetworkOpenSet, OpenSetFigures, ProtocolFiguresJson, VerificationFigures } from "./schema.ts";
import { LFW_STYLE_PROTOCOL, verifyByFolds } from "./verification.ts";
import { peopleHalf, r4, rounded } from "./_figures.ts";

/**
 * Open-set and verification figures of the embedding on one dataset. Open set: the gallery's
 * threshold chosen on the even half ({@linkcode chooseOpenSetThreshold}), the odd half's rates
 * at it and at the default. Verification: every same/different pair, the equal error rate
 * (all, even and odd halves), and the error rates at `compare`'s default threshold.
 *
 * @param faces Labelled faces with embeddings.
 * @param distances The network's default distances (`open` for the gallery, `verify` for
 *   `compare`). Default: the default network's.
 * @returns The figures, rounded to 4 decimals.
 * @example
 * ```ts
 * import { openSetFigures } from "./open_set.ts";
 * // Four people, each two photos close together, far from the others: no error anywhere.
 * const faces = [0, 1, 2, 3].flatMap((p) =>
 *   [0, 1].map((i) => ({ label: `p${p}`, path: `p${p}/${i}`, embedding: Float32Array.of(10 * p + 0.01 * i, 0) }))
 * );
 * const { open_set, verification } = openSetFigures(faces);
 * if (verification.eer !== 0 || open_set.odd_at_default.known_wrong !== 0) throw new Error("errors");
 * if (verification.pairs.genuine !== 4 || verification.pairs.impostor !== 24) throw new Error("pairs");
 * ```
 */
export function openSetFigures(
  faces: readonly Labelled[],
  distances: { readonly open: number; readonly verify: number } = {
    open: DEFAULT_MAX_DISTANCE,
    verify: DEFAULT_VERIFY_DISTANCE,
  },
): { open_set: Omit<OpenSetFigures, "network">; verification: VerificationFigures } {
  const even = peopleHalf(faces, "even"), odd = peopleHalf(faces, "odd");
  const ae = openSetAnswers(openSetSplit(even)), ao = openSetAnswers(openSetSplit(odd));
  const chosen = chooseOpenSetThreshold(ae);
  const rates = (a: typeof ae, t: number) => rounded(openSetRates(a, t));
  const pairs = pairDistances(faces), po = pairDistances(odd);
  const eer = equalErrorRate(pairs), eerEven = equalErrorRate(pairDistances(even)), eerOdd = equalErrorRate(po);
  const at = (p: typeof pairs, t: number) => rounded(verificationAt(p, t));
  return {
    open_set: {
      threshold_default: distances.open,
      threshold_chosen_on_even: chosen,
      odd_at_default: rates(ao, distances.open),
      even_at_default: rates(ae, distances.open),
      odd_at_chosen: rates(ao, chosen),
      probes: { known: ae.known.length + ao.known.length, strangers: ae.strangers.length + ao.strangers.length },
    },
    verification: {
      pairs: { genuine: pairs.genuine.length, impostor: pairs.impostor.length },
      eer: r4(eer.eer),
      eer_threshold: r4(eer.threshold),
      eer_even: r4(eerEven.eer),
      eer_even_threshold: r4(eerEven.threshold),
      eer_odd: r4(eerOdd.eer),
      // `compare`'s default threshold (the gallery's, above, is stricter).
      threshold_default: distances.verify,
      at_default: at(pairs, distances.verify),
      odd_at_default: at(po, distances.verify),
      ...(new Set(odd.map((f) => f.label)).size >= 2 * LFW_STYLE_PROTOCOL.folds
        ? { protocol: { all: protocolJson(faces), even: protocolJson(even), odd: protocolJson(odd) } }
        : {}),
    },
  };
}

/** {@linkcode verifyByFolds} with the defaults, rounded to 4 decimals. */
function protocolJson(faces: readonly Labelled[]): ProtocolFiguresJson {
  const f = verifyByFolds(faces);
  return {
    ...f,
    accuracy_mean: r4(f.accuracy_mean),
    accuracy_sd: r4(f.accuracy_sd),
    fold_accuracy: f.fold_accuracy.map(r4),
    threshold_mean: r4(f.threshold_mean),
    tar_at_far: r4(f.tar_at_far),
  };
}

/**
 * The open-set protocol for a trained network (`geometry`, `both`): in each half of the people
 * every other person is enrolled with every other photo (as `openSetSplit`), a network is
 * trained on those photos alone (seed 0), and each probe's top probability decides: under
 * `minProb` it is unknown. `minProb` is chosen on the even half (minimax of the three rates,
 * over 0.05–0.95) and reported on the odd half, beside the rates at the feature set's default.
 *
 * @param p The dataset preprocessed with feature set `set`.
 * @param set The feature set.
 * @param epochs The network's epochs.
 * @returns The figures, rounded to 4 decimals.
 */
export async function networkOpenSet(p: PreparedSet, set: string, epochs: number): Promise<NetworkOpenSet> {
  // A probability p is scored as the distance −p, so that the gallery's rates apply at −minProb.
  const halfAnswers = async (which: "even" | "odd") => {
    const split = openSetSplit(peopleHalf(p.faces, which));
    const enrolled = [...new Set(split.gallery.map((f) => f.label))].sort();
    const probes = [split.known, split.strangers];
    const [known, strangers] = await trainAndAsk(
      p.samples.rows,
      set,
      { epochs, seed: 0 },
      split.gallery,
      enrolled,
      probes,
    );
    return {
      known: known!.map((a, j) => ({ label: a.label!, distance: -a.probability!, truth: split.known[j]!.label })),
      strangers: strangers!.map((a) => -a.probability!),
    };
  };
  type Answers = Awaited<ReturnType<typeof halfAnswers>>;
  const rates = (a: Answers, minProb: number) => rounded(openSetRates(a, -minProb));
  const even = await halfAnswers("even"), odd = await halfAnswers("odd");
  const chosen = minimaxThreshold((t) => rates(even, t), 0.05, 0.95, 0.01);
  return {
    min_prob_default: featureSet(set).minProb,
    min_prob_chosen_on_even: chosen,
    odd_at_default: rates(odd, featureSet(set).minProb),
    odd_at_chosen: rates(odd, chosen),
    even_at_chosen: rates(even, chosen),
  };
}
