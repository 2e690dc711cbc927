/**
 * The feature sets: the original Face2Vec's landmark geometry, the embedding, or both, each
 * with its version, vector length and the defaults of the models trained on it.
 *
 * ```ts
 * import { featureSet, geometryFeatures } from "./mod.ts";
 * // Nose tip (landmark 30) at the origin, every other landmark 5 px away.
 * const points = Array.from({ length: 68 }, (_, i) => (i === 30 ? { x: 0, y: 0 } : { x: 3, y: 4 }));
 * const f = geometryFeatures(points);
 * if (f.length !== featureSet("geometry").length || f[0] !== 1) throw new Error();
 * ```
 *
 * @module
 */

export {
  DEFAULT_FEATURE_SET,
  type FaceInput,
  FEATURE_SET_NAMES,
  FEATURE_SETS,
  type FeatureSet,
  featureSet,
  type FeatureSetName,
  type PredictMethod,
} from "./feature_sets.ts";
export { geometryFeatures } from "./geometry.ts";
