/**
 * The arithmetic of face clustering: a graph joining every two vectors closer than a
 * distance (compressed rows: each vector's neighbours and their distances), Chinese whispers
 * on it (dlib's `chinese_whispers`) and DBSCAN on it. Plain TypeScript, no runtime.
 *
 * @module
 */

/** Vectors of one length, stored one after another. */
export interface VectorSet {
  /** `count * dim` numbers. */
  readonly data: Float32Array;
  readonly count: number;
  readonly dim: number;
}

/**
 * An undirected graph in compressed rows: vector `i`'s neighbours are
 * `neighbours[offsets[i] .. offsets[i + 1])`, at `distances` of the same positions. A vector
 * is never its own neighbour.
 */
export interface NeighbourGraph {
  readonly count: number;
  readonly offsets: Int32Array;
  readonly neighbours: Int32Array;
  readonly distances: Float32Array;
}

/**
 * Packs vectors of one length into a {@linkcode VectorSet}.
 *
 * @param vectors The vectors.
 * @returns Their numbers one after another.
 * @throws {RangeError} When the vectors differ in length or hold a number that is not finite.
 * @example
 * ```ts
 * import { vectorSet } from "./_graph.ts";
 * const s = vectorSet([[1, 2], [3, 4]]);
 * if (s.count !== 2 || s.dim !== 2 || s.data[3] !== 4) throw new Error(JSON.stringify(s));
 * ```
 */
export function vectorSet(vectors: readonly ArrayLike<number>[]): VectorSet {
  const dim = vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((v, i) => {
    if (v.length !== dim) throw new RangeError(`vector ${i} has ${v.length} numbers, not ${dim}`);
    for (let k = 0; k < dim; k++) {
      if (!Number.isFinite(v[k])) throw new RangeError(`vector ${i} holds ${v[k]} at ${k}`);
      data[i * dim + k] = v[k]!;
    }
  });
  return { data, count: vectors.length, dim };
}

/**
 * The exact graph: every pair of vectors at a Euclidean distance below `threshold` is an
 * edge. All pairs are compared (count² / 2 distances).
 *
 * @param set The vectors.
 * @param threshold The largest distance (exclusive) of an edge.
 * @returns The graph.
 * @example
 * ```ts
 * import { exactGraph, vectorSet } from "./_graph.ts";
 * const g = exactGraph(vectorSet([[0, 0], [0.3, 0], [5, 5]]), 0.5);
 * if (g.neighbours.length !== 2 || g.offsets[3] !== 2) throw new Error(JSON.stringify(g));
 * ```
 */
export function exactGraph(set: VectorSet, threshold: number): NeighbourGraph {
  const { data, count: n, dim } = set;
  const limit = threshold * threshold;
  const pairs: number[] = [], lengths: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = i * dim;
    for (let j = i + 1; j < n; j++) {
      const b = j * dim;
      let s = 0;
      for (let k = 0; k < dim && s < limit; k++) {
        const d = data[a + k]! - data[b + k]!;
        s += d * d;
      }
      if (s < limit) {
        pairs.push(i, j);
        lengths.push(Math.sqrt(s));
      }
    }
  }
  return graphFromPairs(n, pairs, lengths);
}

/**
 * An undirected graph from its edges.
 *
 * @param count How many vertices.
 * @param pairs The edges, two vertex indexes each (`i ≠ j`, each edge once).
 * @param lengths Each edge's distance.
 * @returns The graph in compressed rows, each row's neighbours in increasing order.
 */
export function graphFromPairs(count: number, pairs: readonly number[], lengths: readonly number[]): NeighbourGraph {
  const degree = new Int32Array(count + 1);
  for (let e = 0; e < lengths.length; e++) {
    degree[pairs[2 * e]! + 1]!++;
    degree[pairs[2 * e + 1]! + 1]!++;
  }
  const offsets = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + degree[i + 1]!;
  const fill = offsets.slice(0, count);
  const neighbours = new Int32Array(offsets[count]!), distances = new Float32Array(offsets[count]!);
  for (let e = 0; e < lengths.length; e++) {
    const i = pairs[2 * e]!, j = pairs[2 * e + 1]!;
    neighbours[fill[i]!] = j;
    distances[fill[i]!++] = lengths[e]!;
    neighbours[fill[j]!] = i;
    distances[fill[j]!++] = lengths[e]!;
  }
  for (let i = 0; i < count; i++) {
    const from = offsets[i]!, to = offsets[i + 1]!;
    const order = Array.from({ length: to - from }, (_, k) => from + k).sort((a, b) => neighbours[a]! - neighbours[b]!);
    const ns = order.map((k) => neighbours[k]!), ds = order.map((k) => distances[k]!);
    neighbours.set(ns, from);
    distances.set(ds, from);
  }
  return { count, offsets, neighbours, distances };
}

/**
 * Chinese whispers (Biemann 2006, as dlib's `chinese_whispers`): every vertex starts in a
 * group of its own; then, visiting the vertices in a random order up to `iterations` times
 * (until nothing changes), each takes the group whose edges to it weigh the most (ties: the
 * first found). An edge of length `d` weighs `(limit − d)^power`: with `power` 0 every edge
 * weighs 1, as in dlib; a higher power lets near neighbours outvote far ones.
 *
 * @param graph The graph.
 * @param random Floats in [0, 1), for the visiting order (seed it for reproducible groups).
 * @param iterations How many passes over the vertices at most. dlib's default is 100.
 * @param weighting The edges' weights: `limit` (at least the longest edge) and `power`. Default: every edge 1.
 * @returns A group number per vertex (not consecutive).
 * @example
 * ```ts
 * import { chineseWhispers, graphFromPairs } from "./_graph.ts";
 * // Two triangles joined by nothing: two groups.
 * const g = graphFromPairs(6, [0, 1, 1, 2, 0, 2, 3, 4, 4, 5, 3, 5], [1, 1, 1, 1, 1, 1]);
 * const groups = chineseWhispers(g, Math.random);
 * if (new Set(groups).size !== 2 || groups[0] !== groups[2] || groups[0] === groups[3]) throw new Error(String(groups));
 * ```
 */
export function chineseWhispers(
  graph: NeighbourGraph,
  random: () => number,
  iterations = 100,
  weighting: { readonly limit: number; readonly power: number } = { limit: 1, power: 0 },
): Int32Array {
  const { count: n, offsets, neighbours, distances } = graph;
  const weight = weighting.power === 0
    ? new Float32Array(neighbours.length).fill(1)
    : Float32Array.from(distances, (d) => Math.max(0, weighting.limit - d) ** weighting.power);
  const group = Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const votes = new Map<number, number>();
  for (let pass = 0; pass < iterations; pass++) {
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    let changed = 0;
    for (const v of order) {
      const from = offsets[v]!, to = offsets[v + 1]!;
      if (from === to) continue;
      votes.clear();
      let best = group[v]!, most = 0;
      for (let k = from; k < to; k++) {
        const g = group[neighbours[k]!]!;
        const c = (votes.get(g) ?? 0) + weight[k]!;
        votes.set(g, c);
        if (c > most) {
          most = c;
          best = g;
        }
      }
      if (best !== group[v]) {
        group[v] = best;
        changed++;
      }
    }
    if (changed === 0) break;
  }
  return group;
}

/**
 * DBSCAN (Ester et al. 1996) on the graph of distances below its `eps`: a vertex with at
 * least `minPoints - 1` neighbours (itself counted, `minPoints`) is a core; cores joined by an
 * edge share a group; a vertex that is not a core joins the group of its nearest core
 * neighbour, and without one it is noise (-1).
 *
 * @param graph The graph (its edges are the `eps` neighbourhoods).
 * @param minPoints The smallest neighbourhood (the vertex included) that makes a core.
 * @returns A group number per vertex, -1 for noise.
 * @example
 * ```ts
 * import { dbscan, graphFromPairs } from "./_graph.ts";
 * // A path 0–1–2 and a lone vertex 3: with minPoints 2 every joined vertex is a core.
 * const groups = dbscan(graphFromPairs(4, [0, 1, 1, 2], [0.1, 0.1]), 2);
 * if (groups[0] !== groups[2] || groups[3] !== -1) throw new Error(String(groups));
 * ```
 */
export function dbscan(graph: NeighbourGraph, minPoints: number): Int32Array {
  const { count: n, offsets, neighbours, distances } = graph;
  const core = (v: number) => offsets[v + 1]! - offsets[v]! + 1 >= minPoints;
  const group = new Int32Array(n).fill(-1);
  let next = 0;
  const stack: number[] = [];
  for (let s = 0; s < n; s++) {
    if (group[s] !== -1 || !core(s)) continue;
    group[s] = next;
    stack.push(s);
    while (stack.length > 0) {
      const v = stack.pop()!;
      for (let k = offsets[v]!; k < offsets[v + 1]!; k++) {
        const u = neighbours[k]!;
        if (group[u] === -1 && core(u)) {
          group[u] = next;
          stack.push(u);
        }
      }
    }
    next++;
  }
  // Border vertices: the group of the nearest core.
  const border = new Int32Array(n).fill(-1);
  for (let v = 0; v < n; v++) {
    if (group[v] !== -1) continue;
    let best = Infinity;
    for (let k = offsets[v]!; k < offsets[v + 1]!; k++) {
      const u = neighbours[k]!;
      if (core(u) && distances[k]! < best) {
        best = distances[k]!;
        border[v] = group[u]!;
      }
    }
  }
  for (let v = 0; v < n; v++) if (group[v] === -1) group[v] = border[v]!;
  return group;
}
