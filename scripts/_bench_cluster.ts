/**
 * Clustering time for `deno task bench`, faces from a cache (embedding excluded): every face
 * of lfw_min10 (the report's every-face cache, default detector; orl_att_faces in a quick
 * run) plus synthetic people up to 10,000 and 100,000 faces. A synthetic person is 10 faces around a centre; the centre is a
 * real face's embedding moved by the spread measured within real people (the pooled
 * per-dimension standard deviation of LFW's labelled faces around their person's mean), and
 * each face is the centre moved by that spread again: as far from each other as two photos
 * of one real person, as far from the real face as a photo of its own person.
 *
 * @module
 */

import { DEFAULT_DETECTOR } from "../lib/detect/detect_faces.ts";
import { clusterFaces } from "../lib/cluster/cluster_faces.ts";
import { EXACT_LIMIT } from "../lib/cluster/_neighbours.ts";
import { seededRandom } from "../lib/classify/folds.ts";
import { centredLabels } from "../lib/eval/clustering.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { everyFaceRecords } from "./_cluster_eval.ts";

/** One timed clustering. */
export interface ClusterTiming {
  readonly faces: number;
  readonly real_faces: number;
  readonly ms: number;
  readonly groups: number;
  readonly unclustered: number;
  /** How the distance graph was made: every pair, or the inverted file. */
  readonly graph: "exact" | "inverted file";
}

/** The bench's clustering figures. */
export interface ClusterBench {
  /** The dataset the real faces come from. */
  readonly base: string;
  /** The pooled per-dimension standard deviation within real people. */
  readonly spread_within_person: number;
  readonly sets: Readonly<Record<string, ClusterTiming>>;
}

/**
 * Times clustering (the defaults) at 10,000 faces and, unless `quick`, 100,000 (a quick run's
 * real faces are orl_att_faces').
 *
 * @returns The figures, or null without the datasets.
 */
export async function clusteringBench(quick: boolean): Promise<ClusterBench | null> {
  // A quick run starts from the small ORL (its every-face cache is made in seconds).
  const base = quick ? "orl_att_faces" : "lfw_min10";
  if (!datasetsPresent(base)) return null;
  const records = await everyFaceRecords(base, `${datasetsDir()}/${base}`, DEFAULT_DETECTOR);
  const faces = records.flatMap((r) =>
    r.status === "ok" ? r.all!.map((f, face) => ({ path: r.path, face, box: f.box, e: f.embedding! })) : []
  );
  const { labels } = centredLabels(records, faces, (p) => labelOf(p, "folder"));
  const dim = faces[0]!.e.length;
  // The spread within people: residuals of labelled faces around their person's mean.
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  faces.forEach((f, i) => {
    const l = labels[i];
    if (l === undefined) return;
    const s = sums.get(l) ?? { sum: new Float64Array(dim), n: 0 };
    f.e.forEach((v, k) => (s.sum[k]! += v));
    s.n++;
    sums.set(l, s);
  });
  let squares = 0, count = 0;
  faces.forEach((f, i) => {
    const s = labels[i] === undefined ? undefined : sums.get(labels[i]!)!;
    if (!s || s.n < 2) return;
    f.e.forEach((v, k) => (squares += (v - s.sum[k]! / s.n) ** 2));
    count += dim;
  });
  const spread = Math.sqrt(squares / count);
  const random = seededRandom(11);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const real = faces.map((f) => f.e);
  const sets: Record<string, ClusterTiming> = {};
  for (const total of quick ? [10_000] : [10_000, 100_000]) {
    const vectors: ArrayLike<number>[] = [...real];
    while (vectors.length < total) {
      const base = real[Math.floor(random() * real.length)]!;
      const centre = Array.from(base, (v) => v + spread * gauss());
      for (let i = 0; i < 10 && vectors.length < total; i++) vectors.push(centre.map((v) => v + spread * gauss()));
    }
    console.error(`bench: clustering ${total} faces…`);
    const t0 = performance.now();
    const c = await clusterFaces(vectors);
    sets[`faces_${total / 1000}k`] = {
      faces: total,
      real_faces: real.length,
      ms: Math.round(performance.now() - t0),
      groups: c.sizes.length,
      unclustered: c.unclustered,
      graph: total <= EXACT_LIMIT ? "exact" : "inverted file",
    };
  }
  return { base, spread_within_person: Math.round(spread * 1e5) / 1e5, sets };
}
