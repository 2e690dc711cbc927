/**
 * Clustering in detail: the algorithms and their defaults, grouping embeddings without a
 * folder, the every-face cache's default place, and what `cluster` writes (contact sheets,
 * one folder of face crops per group), and the corrections a person makes to the groups.
 *
 * ```ts
 * import { clusterFaces } from "./mod.ts";
 * // Two people of two faces each, and one face near neither: two groups, one face unclustered.
 * const c = await clusterFaces([[0, 0], [0.2, 0], [2, 2], [2, 2.1], [5, 0]], { threshold: 0.5 });
 * if (c.sizes.join() !== "2,2" || c.unclustered !== 1) throw new Error(JSON.stringify(c));
 * ```
 *
 * @module
 */

export {
  CLUSTER_ALGORITHMS,
  type ClusterAlgorithm,
  type ClusterAlgorithmEntry,
  clusterFaces,
  type Clustering,
  type ClusterOptions,
  DEFAULT_CLUSTER_ALGORITHM,
  resolveClusterOptions,
  type ResolvedClusterOptions,
} from "./cluster_faces.ts";
export {
  clusterCachePath,
  type ClusteredFace,
  type ClusterFolderOptions,
  type FaceCluster,
  type FolderClustering,
} from "./cluster_folder.ts";
export {
  clusterName,
  type ContactSheetOptions,
  LINK_MARGIN,
  linkClusters,
  writeContactSheets,
} from "./cluster_files.ts";
export {
  type Correction,
  type FaceKey,
  type GroupsFile,
  GroupsFileError,
  groupsFilePath,
  readGroupsFile,
  splitInTwo,
} from "./corrections.ts";
