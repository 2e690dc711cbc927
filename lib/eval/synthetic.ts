/**
 * Synthetic people for the bench's large sets, drawn around real faces: a person is a centre
 * (a real face's embedding moved by the spread measured within real people: the pooled
 * per-dimension standard deviation of labelled faces around their person's mean) and faces
 * around it (the centre moved by that spread again), so that two faces of a synthetic person
 * are as far apart as two photos of one real person.
 *
 * @module
 */

import { seededRandom } from "../_random.ts";

/** Real faces to draw around: every face's embedding of a dataset, and the spread within its people. */
export interface RealFaces {
  readonly base: string;
  readonly embeddings: readonly Float32Array[];
  readonly spread: number;
}

/**
 * The spread within people: the pooled per-dimension standard deviation of labelled faces
 * around their person's mean (people with one face add nothing).
 *
 * @param embeddings The faces' embeddings, all of one length (as stored: not rounded to float32 first).
 * @param labels Per face its person, or undefined (not counted).
 * @returns The spread (NaN when no person has two faces).
 * @example
 * ```ts
 * import { withinSpread } from "./synthetic.ts";
 * // Two people, each two faces ±1 from their mean in one of two dimensions: variance 1/2 per dimension.
 * const e = [[0, 0], [2, 0], [10, 0], [12, 0]].map((v) => Float32Array.from(v));
 * const spread = withinSpread(e, ["a", "a", "b", "b"]);
 * if (Math.abs(spread - Math.sqrt(0.5)) > 1e-12) throw new Error(String(spread));
 * ```
 */
export function withinSpread(
  embeddings: readonly ArrayLike<number>[],
  labels: readonly (string | undefined)[],
): number {
  const dim = embeddings[0]!.length;
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  embeddings.forEach((e, i) => {
    const l = labels[i];
    if (l === undefined) return;
    const s = sums.get(l) ?? { sum: new Float64Array(dim), n: 0 };
    for (let k = 0; k < dim; k++) s.sum[k]! += e[k]!;
    s.n++;
    sums.set(l, s);
  });
  let squares = 0, count = 0;
  embeddings.forEach((e, i) => {
    const s = labels[i] === undefined ? undefined : sums.get(labels[i]!)!;
    if (!s || s.n < 2) return;
    for (let k = 0; k < dim; k++) squares += (e[k]! - s.sum[k]! / s.n) ** 2;
    count += dim;
  });
  return Math.sqrt(squares / count);
}

/** Synthetic people: their faces one after another, each face's person, and a probe per person. */
export interface SyntheticPeople {
  readonly dim: number;
  /** `faces * dim` numbers. */
  readonly data: Float32Array;
  /** Per face, its person (0, 1, …; `perPerson` faces each). */
  readonly person: Uint32Array;
  /** Per person, one more face of theirs that is not among `data` (a query). */
  readonly probes: Float32Array;
}

/**
 * `people` synthetic people of `perPerson` faces each, around random faces of `real`.
 *
 * @param real The real faces and spread.
 * @param people How many people.
 * @param perPerson Faces a person.
 * @param seed The draw's seed.
 * @returns The faces and one probe a person.
 * @example
 * ```ts
 * import { syntheticPeople } from "./synthetic.ts";
 * const real = { base: "x", embeddings: [Float32Array.of(0, 0), Float32Array.of(1, 1)], spread: 0.01 };
 * const s = syntheticPeople(real, 3, 2, 0);
 * if (s.data.length !== 12 || s.person.join() !== "0,0,1,1,2,2" || s.probes.length !== 6) throw new Error("sizes");
 * ```
 */
export function syntheticPeople(real: RealFaces, people: number, perPerson: number, seed: number): SyntheticPeople {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const dim = real.embeddings[0]!.length, spread = real.spread;
  const data = new Float32Array(people * perPerson * dim);
  const person = new Uint32Array(people * perPerson);
  const probes = new Float32Array(people * dim);
  const centre = new Float64Array(dim);
  for (let p = 0; p < people; p++) {
    const base = real.embeddings[Math.floor(random() * real.embeddings.length)]!;
    for (let k = 0; k < dim; k++) centre[k] = base[k]! + spread * gauss();
    for (let f = 0; f < perPerson; f++) {
      const at = (p * perPerson + f) * dim;
      person[p * perPerson + f] = p;
      for (let k = 0; k < dim; k++) data[at + k] = centre[k]! + spread * gauss();
    }
    for (let k = 0; k < dim; k++) probes[p * dim + k] = centre[k]! + spread * gauss();
  }
  return { dim, data, person, probes };
}
