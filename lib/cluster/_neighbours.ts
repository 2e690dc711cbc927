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

import { GraphBuilder } from "../runtime/_onnx_graph.ts";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import { graphFromPairs, type NeighbourGraph, type VectorSet } from "./_graph.ts";
import { seededRandom } from "../classify/folds.ts";

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

/** A loaded dot-product kernel: `a` (m × dim, rows) times `bT` (dim × n, columns) → m × n. */
interface DotKernel {
  dots(a: Float32Array, m: number, bT: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

async function dotKernel(dim: number): Promise<DotKernel> {
  const g = new GraphBuilder();
  g.io("input", "a", ["M", dim]);
  g.io("input", "b", [dim, "N"]);
  g.node("MatMul", ["a", "b"], {}, "c");
  g.io("output", "c", ["M", "N"]);
  const session: OnnxSession = await createOnnxSession(g.model("face2vec_dots", "face2vec", "dot products"));
  return {
    async dots(a, m, bT, n) {
      const out = await session.run({ a: { data: a, dims: [m, dim] }, b: { data: bT, dims: [dim, n] } });
      return out.c!.data;
    },
    release: () => session.release(),
  };
}

/** Rows `index` of `set`, transposed (dim × count) for the kernel's right-hand side. */
function columns(set: VectorSet, index: ArrayLike<number>): Float32Array {
  const { data, dim } = set, n = index.length;
  const out = new Float32Array(dim * n);
  for (let j = 0; j < n; j++) {
    const r = index[j]! * dim;
    for (let k = 0; k < dim; k++) out[k * n + j] = data[r + k]!;
  }
  return out;
}

/** Rows `index` of `set`, one after another. */
function rows(set: VectorSet, index: ArrayLike<number>): Float32Array {
  const { data, dim } = set, out = new Float32Array(index.length * dim);
  for (let i = 0; i < index.length; i++) out.set(data.subarray(index[i]! * dim, (index[i]! + 1) * dim), i * dim);
  return out;
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

/**
 * k-means (Lloyd, 8 rounds, on a sample of at most 64 vectors a cell, started from distinct
 * random vectors), then every vector in the cell of its nearest centre.
 */
async function invertedFile(set: VectorSet, kernel: DotKernel, cells: number, seed: number): Promise<Cells> {
  const { count: n, dim } = set;
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = order.subarray(0, Math.min(n, 64 * cells));
  const centres = rows(set, order.subarray(0, cells));
  const assign = async (index: Int32Array): Promise<Int32Array> => {
    const cn = new Float64Array(cells);
    for (let c = 0; c < cells; c++) {
      let q = 0;
      for (let k = 0; k < dim; k++) q += centres[c * dim + k]! ** 2;
      cn[c] = q;
    }
    const cT = new Float32Array(dim * cells);
    for (let c = 0; c < cells; c++) for (let k = 0; k < dim; k++) cT[k * cells + c] = centres[c * dim + k]!;
    const out = new Int32Array(index.length);
    for (let i = 0; i < index.length; i += 4096) {
      const part = index.subarray(i, i + 4096);
      const d = await kernel.dots(rows(set, part), part.length, cT, cells);
      for (let a = 0; a < part.length; a++) {
        let best = 0, bestV = Infinity;
        for (let c = 0; c < cells; c++) {
          const v = cn[c]! - 2 * d[a * cells + c]!;
          if (v < bestV) [best, bestV] = [c, v];
        }
        out[i + a] = best;
      }
    }
    return out;
  };
  for (let round = 0; round < 8; round++) {
    const owner = await assign(sample);
    const sum = new Float64Array(cells * dim), size = new Int32Array(cells);
    for (let a = 0; a < sample.length; a++) {
      const c = owner[a]!, r = sample[a]! * dim;
      size[c]!++;
      for (let k = 0; k < dim; k++) sum[c * dim + k]! += set.data[r + k]!;
    }
    for (let c = 0; c < cells; c++) {
      if (size[c] === 0) continue; // an empty cell keeps its centre
      for (let k = 0; k < dim; k++) centres[c * dim + k] = sum[c * dim + k]! / size[c]!;
    }
  }
  const owner = await assign(Int32Array.from({ length: n }, (_, i) => i));
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
