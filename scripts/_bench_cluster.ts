/**
 * Clustering time for `deno task bench`, faces from a cache (embedding excluded): every face
 * of lfw_min10 (the report's every-face cache, default detector; orl_att_faces in a quick
 * run) plus synthetic people of 10 faces (see `lib/eval/synthetic.ts`) up to 10,000 and 100,000 faces.
 *
 * @module
 */

import { clusterFaces } from "../lib/cluster/cluster_faces.ts";
import { EXACT_LIMIT } from "../lib/cluster/_neighbours.ts";
import { realFaces } from "./_report_cache.ts";
import { syntheticPeople } from "../lib/eval/synthetic.ts";
import type { BenchJson } from "../lib/eval/schema.ts";

/** The bench's clustering figures (`clustering` of bench.json). */
export type ClusterBench = NonNullable<BenchJson["clustering"]>;
/** One timed clustering. */
export type ClusterTiming = ClusterBench["sets"][string];

/**
 * Times clustering (the defaults) at 10,000 faces and, unless `quick`, 100,000 (a quick run's
 * real faces are orl_att_faces').
 *
 * @returns The figures, or null without the datasets.
 */
export async function clusteringBench(quick: boolean): Promise<ClusterBench | null> {
  // A quick run starts from the small ORL (its every-face cache is made in seconds).
  const found = await realFaces(quick ? "orl_att_faces" : "lfw_min10");
  if (!found) return null;
  const { base, spread, embeddings: real } = found;
  const sets: Record<string, ClusterTiming> = {};
  for (const total of quick ? [10_000] : [10_000, 100_000]) {
    const extra = total - real.length, dim = real[0]!.length;
    const synthetic = syntheticPeople(found, Math.ceil(extra / 10), 10, 11);
    const vectors: ArrayLike<number>[] = [...real];
    for (let i = 0; i < extra; i++) vectors.push(synthetic.data.subarray(i * dim, (i + 1) * dim));
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
