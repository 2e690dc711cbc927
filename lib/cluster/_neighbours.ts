/**
 * The distance graph of many vectors, fast: distances come from blocks of dot products
 * (`‖a − b‖² = ‖a‖² + ‖b‖² − 2·a·b`) computed by one small ONNX graph (a `MatMul`) in the
 * project's onnxruntime. Up to {@linkcode EXACT_LIMIT} vectors every pair is compared; above
 * it, an inverted-file search: the vectors are split into cells by k-means, and each cell's
 * vectors are compared with those of its nearest cells only (edges between far cells are
 * missed; clustering does not need them).
 *
 * @module
 */

import { columns, type DotKernel, dotKernel, kMeans, nearestCentres, rows } from "../runtime/_kmeans.ts";
import { graphFromPairs, type NeighbourGraph, type VectorSet } from "./_graph.ts";

/** Up to this many vectors the graph is exact (all pairs). */
export const EXACT_LIMIT = 20_000;

/** Options of {@linkcode neighbourGraph}. */
export interface NeighbourOptions {
  /** Compare all pairs up to this many vectors. Default {@linkcode EXACT_LIMIT}. */
  readonly exactLimit?: number;
  /** Above it: how many nearest cells (its own included) each cell's vectors are compared with. Default 12. */
  readonly probes?: number;
  /** Seed of the k-means start. Default 0. */
  readonly seed?: number;
}

function squaredNorms(set: VectorSet): Float64Array {
  const { data, dim, count } = set, out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) s += data[i * dim + k]! ** 2;
    out[i] = s;
  }
  return out;
}

/**
 * The graph joining every two vectors closer than `threshold` (all pairs up to
 * `exactLimit` vectors; above, the pairs within each cell's nearest cells).
 *
 * @param set The vectors.
 * @param threshold The largest distance (exclusive) of an edge.
 * @param options Exact limit, probed cells, seed.
 * @returns The graph, each row's neighbours in increasing order.
 */
export async function neighbourGraph(
  set: VectorSet,
  threshold: number,
  options: NeighbourOptions = {},
): Promise<NeighbourGraph> {
  const n = set.count;
  if (n < 2) return graphFromPairs(n, [], []);
  const kernel = await dotKernel(set.dim);
  try {
    const norms = squaredNorms(set);
    const all = Int32Array.from({ length: n }, (_, i) => i);
    const blocks: { from: Int32Array; to: Int32Array }[] = [];
    const exact = n <= (options.exactLimit ?? EXACT_LIMIT);
    if (exact) {
      // Row blocks against every later row: each pair once.
      const step = 1024;
      for (let i = 0; i < n; i += step) blocks.push({ from: all.subarray(i, i + step), to: all.subarray(i) });
    } else {
      const cells = await invertedFile(set, kernel, Math.round(Math.sqrt(n)), options.seed ?? 0);
      const probes = Math.min(options.probes ?? 12, cells.members.length);
      for (let c = 0; c < cells.members.length; c++) {
        const from = cells.members[c]!;
        if (from.length === 0) continue;
        const near = cells.nearest[c]!.slice(0, probes);
        const to = Int32Array.from(near.flatMap((d) => [...cells.members[d]!]));
        blocks.push({ from, to });
      }
    }
    const limit = threshold * threshold;
    // The dot products' rounding: candidates within it are measured again, exactly.
    const slack = 1e-4 * (1 + Math.max(...norms));
    const { data, dim } = set;
    const exactSquared = (i: number, j: number) => {
      let q = 0;
      for (let k = 0; k < dim; k++) {
        const v = data[i * dim + k]! - data[j * dim + k]!;
        q += v * v;
      }
      return q;
    };
    const keys: number[] = [];
    const lengths = new Map<number, number>();
    for (const { from, to } of blocks) {
      const d = await kernel.dots(rows(set, from), from.length, columns(set, to), to.length);
      for (let a = 0; a < from.length; a++) {
        const i = from[a]!, ni = norms[i]!, row = a * to.length;
        for (let b = 0; b < to.length; b++) {
          const j = to[b]!;
          // Exact: each pair once (j > i). Inverted file: a pair may be met from both cells.
          if (exact ? j <= i : j === i) continue;
          if (ni + norms[j]! - 2 * d[row + b]! >= limit + slack) continue;
          const key = i < j ? i * n + j : j * n + i;
          if (!exact && lengths.has(key)) continue;
          const sq = exactSquared(Math.min(i, j), Math.max(i, j));
          if (sq < limit) {
            lengths.set(key, Math.sqrt(sq));
            keys.push(key);
          }
        }
      }
    }
    const pairs: number[] = [], dist: number[] = [];
    for (const key of keys) {
      pairs.push(Math.floor(key / n), key % n);
      dist.push(lengths.get(key)!);
    }
    return graphFromPairs(n, pairs, dist);
  } finally {
    await kernel.release();
  }
}

/** Cells of an inverted file: each cell's members, and per cell the cells nearest it (itself first). */
interface Cells {
  readonly members: Int32Array[];
  readonly nearest: number[][];
}

/** k-means cells (see {@linkcode kMeans}), every vector in the cell of its nearest centre. */
async function invertedFile(set: VectorSet, kernel: DotKernel, cells: number, seed: number): Promise<Cells> {
  const { count: n, dim } = set;
  const centres = await kMeans(set, cells, seed, kernel);
  const owner = await nearestCentres(set, Int32Array.from({ length: n }, (_, i) => i), centres, kernel);
  const lists: number[][] = Array.from({ length: cells }, () => []);
  owner.forEach((c, i) => lists[c]!.push(i));
  // Cells nearest each cell, by their centres' distance.
  const centreDist = (a: number, b: number) => {
    let q = 0;
    for (let k = 0; k < dim; k++) q += (centres[a * dim + k]! - centres[b * dim + k]!) ** 2;
    return q;
  };
  const nearest = Array.from({ length: cells }, (_, c) => {
    const d = Float64Array.from({ length: cells }, (_, e) => centreDist(c, e));
    return Array.from({ length: cells }, (_, e) => e).sort((a, b) => d[a]! - d[b]!);
  });
  return { members: lists.map((l) => Int32Array.from(l)), nearest };
}
