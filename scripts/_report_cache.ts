/**
 * Where the measurements keep their caches, and the datasets read through them (the file side
 * of `lib/eval`'s measures): `.face2vec/report/`, one cache per dataset, detector, feature set
 * (and, for clustering, every face), named by a hash of the pipeline settings it records.
 *
 * @module
 */

import { type CachedFaces, type CacheRecord, readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { DEFAULT_DETECTOR, type DetectorName } from "../lib/detect/detect_faces.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { centredLabels } from "../lib/eval/clustering.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { type PreparedSet, preparedSet } from "../lib/eval/identification.ts";
import type { RealFaces } from "../lib/eval/synthetic.ts";
import { withinSpread } from "../lib/eval/synthetic.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { type PipelineOptions, pipelineSettings } from "../lib/pipeline/pipeline.ts";
import { DEFAULT_EMBEDDER, type EmbedderOptions } from "../lib/embed/embed_faces.ts";

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
  const network = options.embedder?.network;
  const prefix = `${name}.${options.detector!.detector}.${faces === "all" ? "every." : ""}${options.features}.${
    network && network !== DEFAULT_EMBEDDER ? `${network}.` : ""
  }${options.embedder?.mirror ? "mirror." : ""}`;
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

/**
 * A dataset preprocessed (largest face) with one feature set behind one detector, through the
 * report's cache.
 *
 * @param name The dataset's name.
 * @param dir Its folder.
 * @param features The feature set.
 * @param detector The face detector.
 * @param embedder The embedding network and its options. Default: the library's.
 * @returns Its samples and faces.
 */
export async function prepared(
  name: string,
  dir: string,
  features: "geometry" | "both" | "embedding",
  detector: DetectorName,
  embedder?: EmbedderOptions,
): Promise<PreparedSet> {
  const options = { features, detector: { detector }, ...(embedder ? { embedder } : {}) } as const;
  const cache = await reportCache(name, options);
  await preprocessFolder(dir, { ...options, cache, workers: navigator.hardwareConcurrency });
  return preparedSet((await readCache(cache))!);
}

/**
 * Every photo of a dataset through the every-face pipeline (embedding features) behind a
 * detector, from (and into) the report's every-face cache.
 *
 * @param name The dataset's name.
 * @param dir Its folder.
 * @param detector The face detector.
 * @param embedder The embedding network and its options. Default: the library's.
 * @returns The cache's records, sorted by path.
 */
export async function everyFaceRecords(
  name: string,
  dir: string,
  detector: DetectorName,
  embedder?: EmbedderOptions,
): Promise<CacheRecord[]> {
  const options = { features: "embedding", detector: { detector }, ...(embedder ? { embedder } : {}) } as const;
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
 * Every face of a dataset's every-face cache (the report's, default detector) and the spread
 * within its people (over the centred faces its labels name): what the bench's synthetic
 * people are drawn around (`lib/eval/synthetic.ts`).
 *
 * @param base The dataset's name.
 * @returns The faces, or null without the dataset.
 */
export async function realFaces(base: string): Promise<RealFaces | null> {
  if (!datasetsPresent(base)) return null;
  const records = await everyFaceRecords(base, `${datasetsDir()}/${base}`, DEFAULT_DETECTOR);
  const faces = records.flatMap((r) =>
    r.status === "ok" ? r.all!.map((f, face) => ({ path: r.path, face, box: f.box, e: f.embedding! })) : []
  );
  const { labels } = centredLabels(records, faces, (p) => labelOf(p, "folder"));
  const spread = withinSpread(faces.map((f) => f.e), labels);
  return { base, embeddings: faces.map((f) => Float32Array.from(f.e)), spread };
}
