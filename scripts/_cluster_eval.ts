/**
 * Clustering measured on labelled datasets, for `deno task tune cluster` (choosing the
 * defaults on even halves) and `deno task report` (both halves): every face of every photo of
 * a half is clustered (from the report's every-face cache); the face each photo's label names
 * (its centred face) is scored; photos whose named face was not found count as unclustered.
 *
 * @module
 */

import type { DetectorName } from "../lib/detect/detect_faces.ts";
import { type CacheRecord, readCache } from "../lib/dataset/cache.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { clusterRecords } from "../lib/cluster/cluster_folder.ts";
import type { ClusterOptions } from "../lib/cluster/cluster_faces.ts";
import { centredLabels, scoreClustering } from "../lib/eval/clustering.ts";
import { type Half, half } from "../lib/eval/datasets.ts";
import { reportCache } from "./_report_cache.ts";

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
 * Every photo of a dataset through the every-face pipeline (embedding features) behind a
 * detector, from (and into) the report's every-face cache.
 *
 * @param name The dataset's name.
 * @param dir Its folder.
 * @param detector The face detector.
 * @returns The cache's records, sorted by path.
 */
export async function everyFaceRecords(name: string, dir: string, detector: DetectorName): Promise<CacheRecord[]> {
  const options = { features: "embedding", detector: { detector } } as const;
  const cache = await reportCache(name, options, "all");
  await preprocessFolder(dir, {
    ...options,
    faces: "all",
    labels: "none",
    cache,
    workers: navigator.hardwareConcurrency,
  });
  return [...(await readCache(cache))!.records.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
}

/**
 * Clusters every face of a half of the records and scores the labelled ones.
 *
 * @param records Every-face records, sorted by path.
 * @param which Which half (even or odd positions), or all of them.
 * @param options Clustering options.
 * @returns The figures.
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
  const r4 = (v: number) => Math.round(v * 1e4) / 1e4;
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
