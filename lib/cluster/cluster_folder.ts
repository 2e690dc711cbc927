/**
 * A folder of unsorted photos grouped into people: every face of every photo through the
 * cached pipeline (the every-face cache, incremental and resumable like `preprocess`), its
 * embeddings grouped by {@linkcode clusterFaces}, and, given enrolled people, each group
 * named after the person its centre matches under the gallery's open-set rule.
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import { defaultCachePath, preprocessFolder, type PreprocessOptions } from "../dataset/preprocess.ts";
import { type CachedFace, type CacheRecord, readCache } from "../dataset/cache.ts";
import { createMatcher, type NearestAnswer } from "../gallery/matcher.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import type { GalleryStore } from "../store/gallery_store.ts";
import { Gallery } from "../gallery/gallery.ts";
import type { PipelineOptions } from "../pipeline/pipeline.ts";
import { clusterFaces, type ClusterOptions, resolveClusterOptions } from "./cluster_faces.ts";

/** Options of {@linkcode clusterFolder}. */
export interface ClusterFolderOptions extends ClusterOptions {
  /** Detector, landmark and alignment options (the feature set is always the embedding). */
  readonly pipeline?: Omit<PipelineOptions, "features">;
  /** The every-face cache. Default {@linkcode clusterCachePath}. */
  readonly cache?: string;
  /**
   * Enrolled people to name groups after (their faces, or a gallery backend such as a
   * database's), and the open-set distance (a model's `maxDistance`).
   */
  readonly gallery?: {
    readonly entries: Gallery | readonly GalleryEntry[] | GalleryStore;
    readonly maxDistance: number;
  };
  /** Preprocessing: workers, progress, locking (as {@linkcode preprocessFolder}). */
  readonly preprocess?: Pick<
    PreprocessOptions,
    "workers" | "onPhoto" | "onStart" | "dropDamaged" | "lockTimeoutMs" | "onWait"
  >;
}

/** One face of one photo and its group. */
export interface ClusteredFace {
  /** The photo, relative to the folder. */
  readonly path: string;
  /** Which face of the photo (0: the largest). */
  readonly face: number;
  readonly box: Box;
  /** The detector pass that found it, and its score where the detector gives one. */
  readonly source: string;
  readonly score?: number;
  /** 68 landmarks, image pixels. */
  readonly landmarks: readonly (readonly [number, number])[];
  /** Its group's id (1 is the largest group), or null: unclustered. */
  readonly cluster: number | null;
  /** Distance to its group's centre (the mean embedding); null when unclustered. */
  readonly distance: number | null;
}

/** One group of faces. */
export interface FaceCluster {
  /** 1 for the largest, then by size. */
  readonly id: number;
  readonly size: number;
  /** The enrolled person its centre matches (gallery given), else null. */
  readonly name: string | null;
  /** Distance of its centre to that person's centroid (gallery given), else null. */
  readonly nameDistance: number | null;
}

/** What {@linkcode clusterFolder} found. */
export interface FolderClustering {
  /** Every face, photo by photo (sorted paths), largest face first. */
  readonly faces: readonly ClusteredFace[];
  /** The groups, largest first. */
  readonly clusters: readonly FaceCluster[];
  /** Faces in no group. */
  readonly unclustered: number;
  /** Photos read, photos with no face, photos that could not be used (with the reason). */
  readonly photos: number;
  readonly noFace: number;
  readonly errors: readonly { readonly path: string; readonly reason: string }[];
  /** The every-face cache used. */
  readonly cache: string;
  /** The clustering options in force. */
  readonly options: Readonly<Required<ClusterOptions>>;
}

/**
 * The default every-face cache of a folder: `./.face2vec/cluster/<name>-<hash>.embedding.cache`
 * (under `cluster/`, where `train` does not look for caches).
 *
 * @param folder The photo folder.
 * @returns The cache path.
 */
export async function clusterCachePath(folder: string): Promise<string> {
  return (await defaultCachePath(folder, "embedding")).replace("./.face2vec/", "./.face2vec/cluster/");
}

/**
 * Groups every face of the photos in `folder` into people.
 *
 * @param folder The photos, walked recursively; their names and folders are not used.
 * @param options Clustering, pipeline, cache, naming and preprocessing options.
 * @returns Every face with its group, and the groups.
 * @throws {CacheError} When the cache is corrupt or was made with other settings.
 * @throws {RangeError} For bad clustering options.
 */
export async function clusterFolder(folder: string, options: ClusterFolderOptions = {}): Promise<FolderClustering> {
  resolveClusterOptions(options); // bad options fail before any photo is read
  const cache = options.cache ?? await clusterCachePath(folder);
  const summary = await preprocessFolder(folder, {
    ...options.pipeline,
    ...options.preprocess,
    features: "embedding",
    faces: "all",
    labels: "none",
    cache,
  });
  const records = [...(await readCache(cache))!.records.values()];
  return {
    ...await clusterRecords(records, options),
    photos: records.length,
    noFace: summary.noFace,
    errors: summary.errors,
    cache,
  };
}

/** What {@linkcode clusterRecords} finds: the faces with their groups, and the groups. */
export type RecordsClustering = Pick<FolderClustering, "faces" | "clusters" | "unclustered" | "options">;

/**
 * Groups every face of every-face cache records (the step of {@linkcode clusterFolder} after
 * preprocessing).
 *
 * @param records Records of an every-face cache (any order; records without faces are skipped).
 * @param options Clustering options, and enrolled people to name groups after.
 * @returns Every face (records by path, largest face first) with its group, and the groups.
 * @throws {RangeError} For bad options or a record without every face's embedding.
 */
export async function clusterRecords(
  records: readonly CacheRecord[],
  options: ClusterOptions & Pick<ClusterFolderOptions, "gallery"> = {},
): Promise<RecordsClustering> {
  const sorted = [...records].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const faces = sorted.flatMap((r) => {
    if (r.status !== "ok") return [];
    if (!r.all) throw new RangeError(`${r.path}: not a record of an every-face cache`);
    return r.all.map((f, face) => ({ path: r.path, face, f }));
  });
  const vector = (f: CachedFace) => f.embedding ?? f.features;
  const clustering = await clusterFaces(faces.map(({ f }) => vector(f)), {
    ...options,
    photos: faces.map(({ path }) => path),
  });
  const dim = faces[0] ? vector(faces[0].f).length : 0;
  const known = options.gallery?.entries;
  const centres = clustering.sizes.map(() => new Float64Array(dim));
  faces.forEach(({ f }, i) => {
    const g = clustering.groups[i]!;
    if (g < 0) return;
    const v = vector(f);
    for (let k = 0; k < dim; k++) centres[g]![k]! += v[k]! / clustering.sizes[g]!;
  });
  const maxDistance = options.gallery?.maxDistance ?? Infinity;
  let answers: (NearestAnswer | undefined)[] = [];
  if (known && "match" in known) {
    answers = (await known.check()).faces > 0 ? await known.match(centres, { maxDistance }) : [];
  } else if (known && (known instanceof Gallery ? known.size : known.length) > 0) {
    const match = createMatcher(known);
    answers = centres.map((c) => match(c, maxDistance));
  }
  const clusters = clustering.sizes.map((size, g): FaceCluster => {
    const answer = answers[g];
    if (!answer) return { id: g + 1, size, name: null, nameDistance: null };
    return { id: g + 1, size, name: answer.label, nameDistance: answer.label === null ? null : answer.distance };
  });
  return {
    faces: faces.map(({ path, face, f }, i) => {
      const g = clustering.groups[i]!;
      return {
        path,
        face,
        box: f.box,
        source: f.source,
        ...(f.score !== undefined ? { score: f.score } : {}),
        landmarks: f.landmarks,
        cluster: g < 0 ? null : g + 1,
        distance: g < 0 ? null : Math.round(clustering.distances[i]! * 1e4) / 1e4,
      };
    }),
    clusters,
    unclustered: clustering.unclustered,
    options: clustering.options,
  };
}
