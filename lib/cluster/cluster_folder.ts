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
import { type PipelineOptions, type PipelineSettings, recordedEmbedderOf } from "../pipeline/pipeline.ts";
import {
  clusterFaces,
  type ClusterOptions,
  resolveClusterOptions,
  type ResolvedClusterOptions,
} from "./cluster_faces.ts";
import {
  type Correction,
  faceKey,
  type GroupsFile,
  GroupsFileError,
  groupsFilePath,
  readGroupsFile,
  splitInTwo,
  writeGroupsFile,
} from "./corrections.ts";
import { withCacheLock } from "../dataset/cache_lock.ts";

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
  /**
   * A person's corrections, by the last run's group ids (1 the largest): merge these two
   * groups into one. Kept with every earlier correction in the groups file beside the cache
   * (`./corrections.ts`), so later runs keep it.
   */
  readonly merge?: readonly [number, number];
  /** Split this group of the last run in two (2-means on its embeddings); kept as `merge` is. */
  readonly split?: number;
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
  readonly options: Readonly<ResolvedClusterOptions>;
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
  const read = (await readCache(cache))!;
  const records = [...read.records.values()];
  // The default distance is the one of the network that embedded the faces.
  const network = options.network ?? recordedEmbedderOf(read.config as PipelineSettings).name;
  // The groups file is read, corrected and written under the cache's lock: two runs at once
  // each keep their correction.
  const groupsPath = groupsFilePath(cache);
  const clustered = await withCacheLock(cache, async () => {
    const saved = await readGroupsFile(groupsPath);
    const corrections = [...saved?.corrections ?? [], ...newCorrections(groupsPath, saved, records, options)];
    const result = await clusterRecords(records, { ...options, network, corrections });
    const groups = result.clusters.map((c) =>
      result.faces.filter((f) => f.cluster === c.id).map((f) => faceKey(f.path, f.face))
    );
    await writeGroupsFile(groupsPath, { format: "face2vec-cluster-groups", version: 1, groups, corrections });
    return result;
  }, { timeoutMs: options.preprocess?.lockTimeoutMs, onWait: (h) => options.preprocess?.onWait?.(h, cache) });
  return {
    ...clustered,
    photos: records.length,
    noFace: summary.noFace,
    errors: summary.errors,
    cache,
  };
}

/** The vector a cached face is clustered by: its embedding, else its features. */
const faceVector = (f: CachedFace) => f.embedding ?? f.features;

/** The corrections `options.merge` and `options.split` ask for, by the faces of the last run's groups. */
function newCorrections(
  groupsPath: string,
  saved: GroupsFile | undefined,
  records: readonly CacheRecord[],
  options: Pick<ClusterFolderOptions, "merge" | "split">,
): Correction[] {
  if (options.merge === undefined && options.split === undefined) return [];
  if (!saved) {
    throw new GroupsFileError(
      `${groupsPath}: no groups kept yet; run cluster once, look at its groups, then merge or split them`,
      "argument",
    );
  }
  const group = (id: number) => {
    const g = Number.isInteger(id) && id >= 1 ? saved.groups[id - 1] : undefined;
    if (!g) {
      throw new GroupsFileError(
        `group ${id} is not one of the last run's ${saved.groups.length} groups (1–${saved.groups.length})`,
        "argument",
      );
    }
    return g;
  };
  const out: Correction[] = [];
  if (options.merge) {
    const [a, b] = options.merge;
    if (a === b) throw new GroupsFileError(`cannot merge group ${a} with itself`, "argument");
    out.push({ merge: [group(a), group(b)] });
  }
  if (options.split !== undefined) {
    const keys = group(options.split);
    const byKey = new Map(records.flatMap((r) => (r.all ?? []).map((f, i) => [faceKey(r.path, i), f] as const)));
    const vectors = keys.map((k) => {
      const f = byKey.get(k);
      if (!f) {
        throw new GroupsFileError(`group ${options.split}: its face ${k} is not in the cache any more`, "argument");
      }
      return faceVector(f);
    });
    let parts: [number[], number[]];
    try {
      parts = splitInTwo(vectors);
    } catch (e) {
      throw new GroupsFileError(`group ${options.split}: ${(e as Error).message}`, "argument");
    }
    out.push({ split: parts.map((p) => p.map((i) => keys[i]!)) });
  }
  return out;
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
  options: ClusterOptions & Pick<ClusterFolderOptions, "gallery"> & { readonly corrections?: readonly Correction[] } =
    {},
): Promise<RecordsClustering> {
  const sorted = [...records].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const faces = sorted.flatMap((r) => {
    if (r.status !== "ok") return [];
    if (!r.all) throw new RangeError(`${r.path}: not a record of an every-face cache`);
    return r.all.map((f, face) => ({ path: r.path, face, f }));
  });
  const vector = faceVector;
  const clustering = await clusterFaces(faces.map(({ f }) => vector(f)), {
    ...options,
    photos: faces.map(({ path }) => path),
    corrections: { keys: faces.map(({ path, face }) => faceKey(path, face)), list: options.corrections ?? [] },
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
