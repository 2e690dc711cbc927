/**
 * Training and the gallery in detail: the classifier's training loop over feature vectors,
 * its network, samples from a cache, models from a training result, the label rules of a
 * folder, and the gallery's parts (enrolment, gallery-only models, nearest person, files).
 * Where a gallery is kept (a model folder or PostgreSQL + pgvector) is `./store`'s.
 *
 * ```ts
 * import { nearestPerson, networkFor } from "./mod.ts";
 * import { featureSet } from "../features/feature_sets.ts";
 * if (networkFor(featureSet("geometry")).hidden2 !== 32) throw new Error("the original's network");
 * const gallery = [{ label: "ada", path: "a.jpg", embedding: new Float32Array([0, 0]) }];
 * if (nearestPerson(gallery, new Float32Array([3, 4])).distance !== 5) throw new Error();
 * ```
 *
 * @module
 */

export {
  type EpochMetrics,
  type RunMetrics,
  trainClassifier,
  type TrainOptions,
  type TrainResult,
  type Weights,
} from "./train.ts";
export { type Activation, DEFAULT_NETWORK, networkFor, type NetworkOptions } from "./network.ts";
export { type Samples, samplesFromCache } from "./samples.ts";
export { modelFromTraining, resumableModel } from "./train_model.ts";
export { detectLabelRule, labelOf, type LabelRule } from "../dataset/labels.ts";
export { nearestPerson } from "../gallery/matcher.ts";
export { Gallery, type Hit, type SearchOptions } from "../gallery/gallery.ts";
export { loadGallery, saveGallery } from "../model/gallery_files.ts";
export { newGalleryModel } from "../model/model.ts";
export { assertEnrollable } from "../model/enrol.ts";
