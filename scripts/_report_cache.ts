/**
 * Where the measurements keep their caches: `.face2vec/report/`, one cache per dataset,
 * detector, feature set (and, for clustering, every face), named by a hash of the pipeline
 * settings it records.
 *
 * @module
 */

import type { CachedFaces } from "../lib/dataset/cache.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { type PipelineOptions, pipelineSettings } from "../lib/pipeline/pipeline.ts";

/**
 * The report's cache of a dataset with one feature set behind one detector (of the largest
 * face of each photo, or of every face), named by a hash of the pipeline settings it
 * records: when a default changes, a new cache is made (and the report's older ones of that
 * dataset, kind, set and detector are deleted), never refused.
 *
 * @param name The dataset's name.
 * @param options Its pipeline options, with the detector and feature set named.
 * @param faces Which faces the cache holds. Default `"largest"`.
 * @returns The cache's path.
 */
export async function reportCache(
  name: string,
  options: PipelineOptions & { features: string },
  faces: CachedFaces = "largest",
): Promise<string> {
  const dir = `${ROOT}/.face2vec/report`;
  const prefix = `${name}.${options.detector!.detector}.${faces === "all" ? "every." : ""}${options.features}.`;
  const recorded = await pipelineSettings(options);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(JSON.stringify(recorded)));
  const hash = [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const file = `${prefix}${hash}.cache`;
  await Deno.mkdir(dir, { recursive: true });
  for await (const e of Deno.readDir(dir)) {
    if (e.isFile && e.name.startsWith(prefix) && e.name.endsWith(".cache") && e.name !== file) {
      await Deno.remove(`${dir}/${e.name}`);
    }
  }
  return `${dir}/${file}`;
}
