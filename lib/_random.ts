/**
 * Seeded randomness shared by every stage: training folds, k-means, clustering, synthetic data.
 *
 * @module
 */

/**
 * A small seeded PRNG (mulberry32): the same seed gives the same sequence.
 *
 * @param seed Any 32-bit integer.
 * @returns A function returning floats in [0, 1).
 * @example
 * ```ts
 * import { seededRandom } from "./_random.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * if (a() !== b()) throw new Error("not reproducible");
 * ```
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of a copy, driven by `random`. */
export function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
