/**
 * Dot products of many vectors in blocks, by one small ONNX graph (a `MatMul`) in the
 * project's onnxruntime, and the k-means cells built on them: the inverted file that the
 * clustering's neighbour graph and the gallery's index share.
 *
 * @module
 */

import { GraphBuilder } from "./_onnx_graph.ts";
import { createOnnxSession, type OnnxSession } from "./onnx.ts";
import { seededRandom } from "../_random.ts";

/** Vectors of one length, one after another. */
export interface Vectors {
  /** `count * dim` numbers. */
  readonly data: Float32Array;
  readonly count: number;
  readonly dim: number;
}

/** A loaded dot-product kernel: `a` (m × dim, rows) times `bT` (dim × n, columns) → m × n. */
export interface DotKernel {
  dots(a: Float32Array, m: number, bT: Float32Array, n: number): Promise<Float32Array>;
  release(): Promise<void>;
}

/**
 * A dot-product kernel for vectors of `dim` numbers (release it when done).
 *
 * @param dim The vectors' length.
 * @returns The kernel.
 */
export async function dotKernel(dim: number): Promise<DotKernel> {
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
export function columns(set: Vectors, index: ArrayLike<number>): Float32Array {
  const { data, dim } = set, n = index.length;
  const out = new Float32Array(dim * n);
  for (let j = 0; j < n; j++) {
    const r = index[j]! * dim;
    for (let k = 0; k < dim; k++) out[k * n + j] = data[r + k]!;
  }
  return out;
}

/** Rows `index` of `set`, one after another. */
export function rows(set: Vectors, index: ArrayLike<number>): Float32Array {
  const { data, dim } = set, out = new Float32Array(index.length * dim);
  for (let i = 0; i < index.length; i++) out.set(data.subarray(index[i]! * dim, (index[i]! + 1) * dim), i * dim);
  return out;
}

/**
 * Each vector's nearest centre.
 *
 * @param set The vectors.
 * @param index Which of them.
 * @param centres `cells * dim` numbers.
 * @param kernel A kernel of the vectors' length.
 * @returns Per vector of `index`, its centre.
 */
export async function nearestCentres(
  set: Vectors,
  index: Int32Array,
  centres: Float32Array,
  kernel: DotKernel,
): Promise<Int32Array> {
  const dim = set.dim, cells = centres.length / dim;
  const cn = new Float64Array(cells);
  for (let c = 0; c < cells; c++) {
    let q = 0;
    for (let k = 0; k < dim; k++) q += centres[c * dim + k]! ** 2;
    cn[c] = q;
  }
  const cT = columns({ data: centres, count: cells, dim }, Int32Array.from({ length: cells }, (_, c) => c));
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
}

/**
 * k-means centres (Lloyd, 8 rounds, on a sample of at most 64 vectors a cell, started from
 * distinct random vectors; an empty cell keeps its centre).
 *
 * @param set The vectors (at least `cells`).
 * @param cells How many centres.
 * @param seed The start's seed.
 * @param kernel A kernel of the vectors' length.
 * @returns `cells * dim` numbers.
 */
export async function kMeans(set: Vectors, cells: number, seed: number, kernel: DotKernel): Promise<Float32Array> {
  const { count: n, dim } = set;
  const random = seededRandom(seed);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const sample = order.subarray(0, Math.min(n, 64 * cells));
  const centres = rows(set, order.subarray(0, cells));
  for (let round = 0; round < 8; round++) {
    const owner = await nearestCentres(set, sample, centres, kernel);
    const sum = new Float64Array(cells * dim), size = new Int32Array(cells);
    for (let a = 0; a < sample.length; a++) {
      const c = owner[a]!, r = sample[a]! * dim;
      size[c]!++;
      for (let k = 0; k < dim; k++) sum[c * dim + k]! += set.data[r + k]!;
    }
    for (let c = 0; c < cells; c++) {
      if (size[c] === 0) continue;
      for (let k = 0; k < dim; k++) centres[c * dim + k] = sum[c * dim + k]! / size[c]!;
    }
  }
  return centres;
}
