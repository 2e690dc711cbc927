/**
 * How well a clustering matches the people: pairwise precision, recall and F1 (over pairs of
 * labelled faces), BCubed precision, recall and F1 (per face, averaged), groups counted, and
 * unclustered faces. Only labelled faces are scored; a face left unclustered counts as a
 * group of its own (so it costs recall, never precision).
 *
 * @module
 */

import { type Box, containsPoint } from "../detect/box.ts";
import type { CacheRecord } from "../dataset/cache.ts";

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
