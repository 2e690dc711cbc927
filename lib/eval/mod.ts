/**
 * Measuring: detection hits and false boxes against hand-drawn boxes, landmark error (NME),
 * identification by nearest person under k-fold, verification error rates, the open-set
 * protocol and its threshold, clustering quality (pairwise and BCubed), and a model's
 * accuracy over cache records. What `deno task report` and the tests measure with.
 *
 * ```ts
 * import { equalErrorRate } from "./mod.ts";
 * // Same-person distances all below different-person ones: no error at the right threshold.
 * const eer = equalErrorRate({ genuine: Float64Array.of(0.2, 0.3), impostor: Float64Array.of(0.8, 0.9) });
 * if (eer.eer !== 0) throw new Error(JSON.stringify(eer));
 * ```
 *
 * @module
 */

export { type Detected, type DetectionScore, scoreDetections } from "./detection.ts";
export { centredLabels, type ClusteringScore, type ListedFace, scoreClustering } from "./clustering.ts";
export { type AnnotatedFace, boundingBox, landmarkErrors, loadAnnotated, nme, summarizeNme } from "./landmarks.ts";
export {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  minimaxThreshold,
  nearestKfold,
  openSetAnswers,
  type OpenSetRates,
  openSetRates,
  type OpenSetSplit,
  openSetSplit,
  pairDistances,
  verificationAt,
} from "./embedding.ts";
export { evaluateRecords, type Evaluation } from "./evaluate.ts";
export { type Augmentation, augmentFace, TEST_AUGMENTATIONS, TRAIN_AUGMENTATIONS } from "./augment.ts";
