/**
 * How well a clustering matches the people: pairwise precision, recall and F1 (over pairs of
 * labelled faces), BCubed precision, recall and F1 (per face, averaged), groups counted, and
 * unclustered faces. Only labelled faces are scored; a face left unclustered counts as a
 * group of its own (so it costs recall, never precision).
 *
 * @module
 */

import { type Box, containsPoint } from "../image/box.ts";
import type { CacheRecord } from "../dataset/cache.ts";
import { clusterRecords } from "../cluster/cluster_folder.ts";
import {
  CLUSTER_ALGORITHMS,
  type ClusterAlgorithm,
  type ClusterOptions,
  resolveClusterOptions,
} from "../cluster/cluster_faces.ts";
import type { ClusteringFigures } from "./schema.ts";
import { labelOf } from "../dataset/labels.ts";
import { type Half, half } from "./datasets.ts";
import { r4 } from "./_figures.ts";

/** Clustering quality over the labelled faces. */
export interface ClusteringScore {
  readonly pairwise: { readonly precision: number; readonly recall: number; readonly f1: number };
  readonly bcubed: { readonly precision: number; readonly recall: number; readonly f1: number };
  /** Labelled faces scored. */
  readonly faces: number;
  /** Distinct people among them. */
  readonly people: number;
  /** Groups holding at least 2 labelled faces. */
  readonly groups: number;
  /** Labelled faces that are in no group. */
  readonly unclustered: number;
}

const f1 = (p: number, r: number) => (p + r === 0 ? 0 : (2 * p * r) / (p + r));

/**
 * Scores groups against labels.
 *
 * @param groups Per face, its group (-1: unclustered).
 * @param labels Per face, its person, or `undefined` for a face without ground truth (skipped).
 * @returns The scores; precision is 1 where no two labelled faces share a group.
 * @throws {RangeError} When the two lists differ in length.
 * @example
 * ```ts
 * import { scoreClustering } from "./clustering.ts";
 * // a's three faces together, b's two split: all pairs in a group are right (precision 1).
 * const s = scoreClustering([0, 0, 0, 1, -1], ["a", "a", "a", "b", "b"]);
 * if (s.pairwise.precision !== 1 || s.pairwise.recall !== 3 / 4) throw new Error(JSON.stringify(s));
 * ```
 */
export function scoreClustering(
  groups: ArrayLike<number>,
  labels: readonly (string | undefined)[],
): ClusteringScore {
  if (groups.length !== labels.length) {
    throw new RangeError(`${groups.length} groups for ${labels.length} labels`);
  }
  // Unclustered faces are groups of their own: a key no real group has.
  const faces: { group: string; label: string }[] = [];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label === undefined) continue;
    faces.push({ group: groups[i]! < 0 ? `u${i}` : `g${groups[i]}`, label });
  }
  const count = <K>(keys: K[]) => {
    const m = new Map<K, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const byGroup = count(faces.map((f) => f.group));
  const byLabel = count(faces.map((f) => f.label));
  const byBoth = count(faces.map((f) => `${f.group}\u0000${f.label}`));
  const pairs = (m: Map<unknown, number>) => [...m.values()].reduce((s, c) => s + (c * (c - 1)) / 2, 0);
  const together = pairs(byBoth), inGroups = pairs(byGroup), samePerson = pairs(byLabel);
  const precision = inGroups === 0 ? 1 : together / inGroups;
  const recall = samePerson === 0 ? 1 : together / samePerson;
  // BCubed: per face, the share of its group that is its person, and of its person in its group.
  let bp = 0, br = 0;
  for (const f of faces) {
    const both = byBoth.get(`${f.group}\u0000${f.label}`)!;
    bp += both / byGroup.get(f.group)!;
    br += both / byLabel.get(f.label)!;
  }
  const n = faces.length;
  const bcP = n === 0 ? 1 : bp / n, bcR = n === 0 ? 1 : br / n;
  return {
    pairwise: { precision, recall, f1: f1(precision, recall) },
    bcubed: { precision: bcP, recall: bcR, f1: f1(bcP, bcR) },
    faces: n,
    people: byLabel.size,
    groups: [...byGroup.entries()].filter(([g, c]) => g.startsWith("g") && c >= 2).length,
    unclustered: faces.filter((f) => f.group.startsWith("u")).length,
  };
}

/** A face as clustering lists it: its photo, its index in the photo, its box. */
export interface ListedFace {
  readonly path: string;
  readonly face: number;
  readonly box: Box;
}

/**
 * The ground truth a clustering of every face is scored on: a photo's label names its
 * centred face (the face whose box holds the photo's centre, the nearest such when several
 * do); the photo's other faces carry no truth.
 *
 * @param records The every-face cache's records (for each photo's size and status).
 * @param faces The clustered faces, in the clustering's order.
 * @param labelOf The person of a photo, from its path.
 * @returns Per face its label or undefined; and the labels of the photos whose named face was
 * not found (no face at all, or none at the centre), which count as unclustered faces.
 * @example
 * ```ts
 * import { centredLabels } from "./clustering.ts";
 * const records = [{ path: "ann/1.jpg", hash: "", label: "", status: "ok", width: 100, height: 100 }] as const;
 * const faces = [
 *   { path: "ann/1.jpg", face: 0, box: { x: 0, y: 0, width: 40, height: 40 } },
 *   { path: "ann/1.jpg", face: 1, box: { x: 30, y: 30, width: 40, height: 40 } },
 * ];
 * const { labels, missing } = centredLabels(records, faces, (p) => p.split("/")[0]!);
 * if (labels.join() !== ",ann" || missing.length !== 0) throw new Error(JSON.stringify(labels));
 * ```
 */
export function centredLabels(
  records: readonly Pick<CacheRecord, "path" | "status" | "width" | "height">[],
  faces: readonly ListedFace[],
  labelOf: (path: string) => string,
): { labels: (string | undefined)[]; missing: string[] } {
  const size = new Map(records.map((r) => [r.path, r]));
  const named = new Map<string, { index: number; d: number }>();
  faces.forEach((f, index) => {
    const r = size.get(f.path);
    if (!r?.width || !r.height) return;
    const cx = r.width / 2, cy = r.height / 2;
    if (!containsPoint(f.box, cx, cy)) return;
    const d = Math.hypot(f.box.x + f.box.width / 2 - cx, f.box.y + f.box.height / 2 - cy);
    const best = named.get(f.path);
    if (!best || d < best.d) named.set(f.path, { index, d });
  });
  const labels: (string | undefined)[] = faces.map(() => undefined);
  for (const [path, { index }] of named) labels[index] = labelOf(path);
  const missing = records.filter((r) => r.status !== "error" && !named.has(r.path)).map((r) => labelOf(r.path));
  return { labels, missing };
}

/** Clustering figures over the labelled (centred) faces of one set of photos. */
export interface ClusterFigures {
  readonly pairwise_precision: number;
  readonly pairwise_recall: number;
  readonly pairwise_f1: number;
  readonly bcubed_precision: number;
  readonly bcubed_recall: number;
  readonly bcubed_f1: number;
  /** Groups holding at least 2 labelled faces, and the people among the labelled faces. */
  readonly groups: number;
  readonly people: number;
  /** Labelled faces (photos), and the share of them in no group (not found, or left alone). */
  readonly labelled: number;
  readonly unclustered_rate: number;
  /** Every face clustered (other faces of the photos included). */
  readonly faces: number;
  /** Milliseconds to cluster them (graph and grouping; embeddings from the cache). */
  readonly ms: number;
}

/**
 * Clusters every face of a half of every-face records and scores the labelled ones: the face
 * each photo's label (its folder) names, its centred face ({@linkcode centredLabels}); photos
 * whose named face was not found count as unclustered. For `deno task tune cluster` (choosing
 * the defaults on even halves) and `deno task report` (both halves).
 *
 * @param records Every-face records (a cache of `faces: "all"` with embeddings), sorted by path.
 * @param which Which half (even or odd positions), or all of them.
 * @param options Clustering options.
 * @returns The figures, rounded to 4 decimals (`ms` to whole milliseconds).
 * @example
 * ```ts
 * import { clusterFigures } from "./clustering.ts";
 * const box = { x: 0, y: 0, width: 10, height: 10 };
 * const record = (path: string, x: number) => ({
 *   path, hash: "", label: "", status: "ok", width: 10, height: 10,
 *   all: [{ box, embedding: [x, 0, 0] }],
 * }) as const;
 * const records = [record("ann/1.jpg", 0), record("ann/2.jpg", 0.01), record("bob/1.jpg", 5), record("bob/2.jpg", 5.01)];
 * const f = await clusterFigures(records as never, "all", { algorithm: "chinese-whispers", threshold: 0.5, minSize: 2 });
 * if (f.bcubed_f1 !== 1 || f.groups !== 2 || f.people !== 2 || f.faces !== 4) throw new Error(JSON.stringify(f));
 * ```
 */
export async function clusterFigures(
  records: readonly CacheRecord[],
  which: Half | "all",
  options: ClusterOptions,
): Promise<ClusterFigures> {
  const part = which === "all" ? records : half(records, which);
  const t0 = performance.now();
  const c = await clusterRecords(part, options);
  const ms = performance.now() - t0;
  const { labels, missing } = centredLabels(part, c.faces, (p) => labelOf(p, "folder"));
  const groups = [...c.faces.map((f) => f.cluster ?? -1), ...missing.map(() => -1)];
  const s = scoreClustering(groups, [...labels, ...missing]);
  return {
    pairwise_precision: r4(s.pairwise.precision),
    pairwise_recall: r4(s.pairwise.recall),
    pairwise_f1: r4(s.pairwise.f1),
    bcubed_precision: r4(s.bcubed.precision),
    bcubed_recall: r4(s.bcubed.recall),
    bcubed_f1: r4(s.bcubed.f1),
    groups: s.groups,
    people: s.people,
    labelled: s.faces,
    unclustered_rate: r4(s.faces === 0 ? 0 : s.unclustered / s.faces),
    faces: c.faces.length,
    ms: Math.round(ms),
  };
}

/**
 * Every clustering algorithm with its defaults, on the even and the odd half of every-face
 * records: what `deno task report` gives for a labelled set.
 *
 * @param records Every-face records, sorted by path.
 * @param network The embedding network of the records (picks each algorithm's default distance). Default: the library's.
 * @returns Per algorithm, its options and each half's {@linkcode clusterFigures}.
 */
export async function clusteringByAlgorithm(
  records: readonly CacheRecord[],
  network?: string,
): Promise<Record<string, ClusteringFigures>> {
  const out: Record<string, ClusteringFigures> = {};
  for (const algorithm of Object.keys(CLUSTER_ALGORITHMS) as ClusterAlgorithm[]) {
    const options = resolveClusterOptions({ algorithm, ...(network ? { network } : {}) });
    out[algorithm] = {
      options,
      even: await clusterFigures(records, "even", options),
      odd: await clusterFigures(records, "odd", options),
    };
  }
  return out;
}
