/**
 * Grouping unnamed faces into people: face embeddings joined by a distance graph, grouped by
 * one of the {@linkcode CLUSTER_ALGORITHMS}; groups smaller than a minimum size are left
 * "unclustered" rather than forced into a group.
 *
 * @module
 */

import { chineseWhispers, dbscan, type NeighbourGraph, vectorSet } from "./_graph.ts";
import { neighbourGraph, type NeighbourOptions } from "./_neighbours.ts";
import { seededRandom } from "../_random.ts";
import { applyCorrections, type Correction, type FaceKey } from "./corrections.ts";
import { DEFAULT_EMBEDDER } from "../embed/embed_faces.ts";

/** The clustering algorithms by name. */
export type ClusterAlgorithm = "chinese-whispers" | "dbscan";

/** One algorithm: its defaults and how it groups a graph. */
export interface ClusterAlgorithmEntry {
  /**
   * By the embedding network the faces come from (each network's distances have their own
   * scale): `threshold`, the largest embedding distance (exclusive) of two faces joined in the
   * graph, and `power`, the edges' weighting (see {@linkcode ClusterOptions.power}).
   */
  readonly networks: Readonly<Record<string, { readonly threshold: number; readonly power: number }>>;
  /** Smallest group; faces of smaller groups are unclustered. */
  readonly minSize: number;
  /** What it is, for help texts. */
  readonly about: string;
  /** Group numbers per vertex (-1: none), from the graph and the options in force. */
  group(graph: NeighbourGraph, options: Readonly<ResolvedClusterOptions>): Int32Array;
}

/**
 * The algorithms, each owning its defaults, chosen with `deno task tune cluster [--network N]`
 * on the even halves of lfw_min10 and orl_att_faces (every face of every photo, the default
 * detector): the setting with the largest smaller BCubed F1 of the two sets. Chinese
 * whispers: dlib's ResNet, distance 0.55 with edges weighted by `(0.55 − d)`, groups of 2 or
 * more (LFW 0.972, ORL 0.977; dlib's unweighted edges at 0.5: 0.964, 0.988); MobileFaceNet,
 * distance 0.889 with unweighted edges (LFW 0.987, ORL 0.984, pairwise precision 1.000 on
 * both; weighted edges at best 0.975). DBSCAN: dlib 0.475 (0.924, 0.976), MobileFaceNet
 * 0.844 (0.980, 0.978).
 */
export const CLUSTER_ALGORITHMS: Readonly<Record<ClusterAlgorithm, ClusterAlgorithmEntry>> = Object.freeze({
  "chinese-whispers": {
    networks: { dlib_resnet: { threshold: 0.55, power: 1 }, mobilefacenet: { threshold: 0.889, power: 0 } },
    minSize: 2,
    about: "Chinese whispers on the distance graph (dlib's face clustering)",
    group: (graph, o) => chineseWhispers(graph, seededRandom(o.seed), 100, { limit: o.threshold, power: o.power }),
  },
  dbscan: {
    networks: { dlib_resnet: { threshold: 0.475, power: 0 }, mobilefacenet: { threshold: 0.844, power: 0 } },
    minSize: 2,
    about: "DBSCAN: dense cores joined by edges, other faces on their nearest core",
    group: (graph, o) => dbscan(graph, o.minSize),
  },
});

/** The default algorithm. */
export const DEFAULT_CLUSTER_ALGORITHM: ClusterAlgorithm = "chinese-whispers";

/** Clustering options; missing ones take the algorithm's defaults. */
export interface ClusterOptions {
  readonly algorithm?: ClusterAlgorithm;
  /**
   * The embedding network the vectors come from, which picks the default `threshold` (see
   * {@linkcode ClusterAlgorithmEntry.networks}). Default: the library's default network.
   */
  readonly network?: string;
  /** Largest embedding distance (exclusive) of two faces joined in the graph. */
  readonly threshold?: number;
  /** Smallest group (at least 1); faces of smaller groups are unclustered. */
  readonly minSize?: number;
  /** Seed of the random order Chinese whispers visits faces in. Default 0. */
  readonly seed?: number;
  /**
   * Chinese whispers: an edge of length `d` weighs `(threshold − d)^power` (0: every edge 1,
   * as in dlib). Unused by DBSCAN.
   */
  readonly power?: number;
  /**
   * Two faces of one photo are never one person: where the algorithm put two faces of one
   * photo (see `photos` of {@linkcode clusterFaces}) in one group, the face most tied to the
   * group stays and each other moves to the neighbouring group it is most tied to that holds
   * no face of its photo, or alone. Default true.
   */
  readonly cannotLink?: boolean;
}

/** Every clustering option in force (the network only picks the default threshold). */
export type ResolvedClusterOptions = Required<Omit<ClusterOptions, "network">>;

/** The groups of a set of faces. */
export interface Clustering {
  /** Per face, its group (0 is the largest, then by size, ties by first face) or -1: unclustered. */
  readonly groups: Int32Array;
  /** Per face, its distance to its group's centre (the mean of its embeddings); NaN when unclustered. */
  readonly distances: Float32Array;
  /** Each group's size, largest first. */
  readonly sizes: readonly number[];
  /** How many faces are in no group. */
  readonly unclustered: number;
  /** The options in force. */
  readonly options: Readonly<ResolvedClusterOptions>;
}

/**
 * The options in force: the algorithm's defaults filled in, validated.
 *
 * @param options Partial options.
 * @returns Every option.
 * @throws {RangeError} For an unknown algorithm or an out-of-range value.
 * @example
 * ```ts
 * import { resolveClusterOptions } from "./cluster_faces.ts";
 * const o = resolveClusterOptions({ threshold: 0.45 });
 * if (o.algorithm !== "chinese-whispers" || o.threshold !== 0.45 || o.power !== 1) throw new Error(JSON.stringify(o));
 * ```
 */
export function resolveClusterOptions(options: ClusterOptions = {}): ResolvedClusterOptions {
  const algorithm = options.algorithm ?? DEFAULT_CLUSTER_ALGORITHM;
  const entry = Object.hasOwn(CLUSTER_ALGORITHMS, algorithm) ? CLUSTER_ALGORITHMS[algorithm] : undefined;
  if (!entry) {
    throw new RangeError(`unknown clustering algorithm ${algorithm} (${Object.keys(CLUSTER_ALGORITHMS).join(" | ")})`);
  }
  const network = options.network ?? DEFAULT_EMBEDDER;
  const own = Object.hasOwn(entry.networks, network) ? entry.networks[network] : undefined;
  if (!own && options.threshold === undefined) {
    throw new RangeError(
      `${algorithm} has no default distance for the ${network} network's embeddings: give a threshold`,
    );
  }
  const o = {
    algorithm,
    threshold: options.threshold ?? own!.threshold,
    minSize: options.minSize ?? entry.minSize,
    seed: options.seed ?? 0,
    power: options.power ?? own?.power ?? 0,
    cannotLink: options.cannotLink ?? true,
  };
  if (!(o.threshold > 0 && o.threshold < 4)) {
    throw new RangeError(`cluster threshold must be above 0 and below 4, got ${o.threshold}`);
  }
  if (!Number.isInteger(o.minSize) || o.minSize < 1) {
    throw new RangeError(`minimum group size must be an integer ≥ 1, got ${o.minSize}`);
  }
  if (!Number.isInteger(o.seed)) throw new RangeError(`seed must be an integer, got ${o.seed}`);
  if (!(o.power >= 0 && o.power <= 8)) throw new RangeError(`edge weight power must be from 0 to 8, got ${o.power}`);
  return o;
}

/**
 * Groups face embeddings into people: the graph of distances below the threshold (every
 * pair compared up to 20,000 faces, an inverted-file search above), grouped by the algorithm.
 *
 * @param embeddings One embedding per face, all of one length.
 * @param options Algorithm, distance threshold, minimum group size, seed; `photos`: each
 *   face's photo (any key, one per face), for the cannot-link rule of {@linkcode ClusterOptions.cannotLink};
 *   `corrections`: each face's key and a person's corrections, applied after the algorithm
 *   and before the cannot-link rule (see `./corrections.ts`).
 * @returns Each face's group and distance to its group's centre, the groups' sizes.
 * @throws {RangeError} For embeddings of different lengths, numbers that are not finite, or bad options.
 * @example
 * ```ts
 * import { clusterFaces } from "./cluster_faces.ts";
 * // Two tight pairs and one face far from both.
 * const c = await clusterFaces([[0, 0], [0.1, 0], [3, 3], [3, 3.1], [9, 0]]);
 * if (c.sizes.join() !== "2,2" || c.unclustered !== 1 || c.groups[4] !== -1) throw new Error(JSON.stringify(c));
 * ```
 */
export async function clusterFaces(
  embeddings: readonly ArrayLike<number>[],
  options: ClusterOptions & {
    readonly graph?: NeighbourOptions;
    readonly photos?: readonly unknown[];
    readonly corrections?: { readonly keys: readonly FaceKey[]; readonly list: readonly Correction[] };
  } = {},
): Promise<Clustering> {
  const o = resolveClusterOptions(options);
  const set = vectorSet(embeddings);
  if (options.photos && options.photos.length !== set.count) {
    throw new RangeError(`photos must name one photo per face: ${options.photos.length} for ${set.count} faces`);
  }
  const graph = await neighbourGraph(set, o.threshold, options.graph);
  const found = CLUSTER_ALGORITHMS[o.algorithm].group(graph, o);
  const c = options.corrections;
  if (c && c.keys.length !== set.count) {
    throw new RangeError(`corrections must key every face: ${c.keys.length} keys for ${set.count} faces`);
  }
  const raw = c?.list.length ? applyCorrections(found, c.keys, c.list) : found;
  const grouped = o.cannotLink && options.photos ? separatePhotoMates(raw, graph, options.photos, o.threshold) : raw;
  return numbered(grouped, set.data, set.dim, o);
}

/**
 * The cannot-link rule on raw groups: no group keeps two faces of one photo. In each such
 * group the face with the most tie to the rest (the sum of `limit − d` over its edges into
 * the group) stays; the others, in face order, join the neighbouring group they are most tied
 * to among those without a face of their photo, or a group of their own.
 *
 * @param raw Group per face (-1: none), as an algorithm gave them.
 * @param graph The distance graph the groups were made from.
 * @param photos Each face's photo.
 * @param limit The graph's distance threshold.
 * @returns New group numbers (raw's, and new ones past them).
 */
export function separatePhotoMates(
  raw: Int32Array,
  graph: NeighbourGraph,
  photos: readonly unknown[],
  limit: number,
): Int32Array {
  const groups = Int32Array.from(raw);
  const tie = (face: number, group: number) => {
    let w = 0;
    for (let k = graph.offsets[face]!; k < graph.offsets[face + 1]!; k++) {
      if (groups[graph.neighbours[k]!] === group) w += limit - graph.distances[k]!;
    }
    return w;
  };
  // Per group, its faces by photo.
  const byGroup = new Map<number, Map<unknown, number[]>>();
  const photosIn = (g: number) => byGroup.get(g) ?? byGroup.set(g, new Map()).get(g)!;
  groups.forEach((g, i) => {
    if (g >= 0) photosIn(g).set(photos[i], [...photosIn(g).get(photos[i]) ?? [], i]);
  });
  const moved: number[] = [];
  for (const [g, photosOf] of byGroup) {
    for (const [photo, faces] of photosOf) {
      if (faces.length < 2) continue;
      const ties = faces.map((f) => tie(f, g));
      const keep = faces[ties.indexOf(Math.max(...ties))]!;
      photosOf.set(photo, [keep]);
      moved.push(...faces.filter((f) => f !== keep));
    }
  }
  let next = groups.reduce((m, g) => Math.max(m, g), -1) + 1;
  for (const face of moved.sort((a, b) => a - b)) groups[face] = -1;
  for (const face of moved) {
    const photo = photos[face];
    let best = -1, bestTie = 0;
    for (let k = graph.offsets[face]!; k < graph.offsets[face + 1]!; k++) {
      const g = groups[graph.neighbours[k]!]!;
      if (g < 0 || g === best || byGroup.get(g)?.has(photo)) continue;
      const t = tie(face, g);
      if (t > bestTie || (t === bestTie && best >= 0 && g < best)) [best, bestTie] = [g, t];
    }
    const g = best >= 0 ? best : next++;
    groups[face] = g;
    photosIn(g).set(photo, [face]);
  }
  return groups;
}

/** Renumbers raw groups by size (largest first; ties by first face), drops the small ones, measures distances. */
function numbered(raw: Int32Array, data: Float32Array, dim: number, o: ResolvedClusterOptions): Clustering {
  const members = new Map<number, number[]>();
  raw.forEach((g, i) => {
    if (g < 0) return;
    const m = members.get(g);
    if (m) m.push(i);
    else members.set(g, [i]);
  });
  const kept = [...members.values()].filter((m) => m.length >= o.minSize)
    .sort((a, b) => b.length - a.length || a[0]! - b[0]!);
  const groups = new Int32Array(raw.length).fill(-1);
  const distances = new Float32Array(raw.length).fill(NaN);
  kept.forEach((m, g) => {
    const centre = new Float64Array(dim);
    for (const i of m) for (let k = 0; k < dim; k++) centre[k]! += data[i * dim + k]! / m.length;
    for (const i of m) {
      groups[i] = g;
      let s = 0;
      for (let k = 0; k < dim; k++) s += (data[i * dim + k]! - centre[k]!) ** 2;
      distances[i] = Math.sqrt(s);
    }
  });
  const sizes = kept.map((m) => m.length);
  return Object.freeze({
    groups,
    distances,
    sizes,
    unclustered: raw.length - sizes.reduce((a, b) => a + b, 0),
    options: Object.freeze(o),
  });
}
