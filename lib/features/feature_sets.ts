/**
 * The named, versioned feature sets a cache can hold. A later issue adds the learned face
 * embedding beside the landmark geometry.
 *
 * @module
 */

import type { Point } from "../landmarks/point.ts";
import { geometryFeatures } from "./geometry.ts";

/** What a feature set computes from: one face's landmarks (more inputs as sets are added). */
export interface FaceInput {
  readonly landmarks: readonly Point[];
}

/** A named, versioned way to turn one face into numbers. */
export interface FeatureSet {
  /** The name used by `--features` and recorded in caches. */
  readonly name: string;
  /** Bumped whenever the numbers a set produces change; a cache of another version is refused. */
  readonly version: number;
  /** The shape of one face's features (row-major). */
  readonly shape: readonly number[];
  /** One line for `--help` and the docs. */
  readonly description: string;
  /** Computes one face's features. */
  compute(face: FaceInput): Float32Array;
}

/** Every feature set, by name. */
export const FEATURE_SETS: Readonly<Record<string, FeatureSet>> = Object.freeze({
  geometry: {
    name: "geometry",
    version: 1,
    shape: [3, 68],
    description: "the original Face2Vec's landmark geometry: distance, dy, dx from the nose tip, max-abs scaled",
    compute: (face: FaceInput) => geometryFeatures(face.landmarks),
  },
});

/**
 * Looks up a feature set by name.
 *
 * @param name A key of {@linkcode FEATURE_SETS}.
 * @returns The feature set.
 * @throws {RangeError} For an unknown name, listing the known ones.
 * @example
 * ```ts
 * import { featureSet } from "./feature_sets.ts";
 * if (featureSet("geometry").shape.join("x") !== "3x68") throw new Error();
 * ```
 */
export function featureSet(name: string): FeatureSet {
  const set = FEATURE_SETS[name];
  if (!set) {
    throw new RangeError(
      `unknown feature set ${JSON.stringify(name)} (known: ${Object.keys(FEATURE_SETS).join(", ")})`,
    );
  }
  return set;
}
