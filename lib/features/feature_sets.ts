/**
 * The named, versioned feature sets a cache can hold: the original Face2Vec's landmark
 * geometry, the learned face embedding, or both side by side.
 *
 * @module
 */

import type { Point } from "../landmarks/point.ts";
import { geometryFeatures } from "./geometry.ts";

/** What a feature set computes from: one face's landmarks and, for sets that need it, its embedding. */
export interface FaceInput {
  readonly landmarks: readonly Point[];
  /** The face's 128-d embedding (as the network outputs it); required when the set's `needsEmbedding`. */
  readonly embedding?: ArrayLike<number>;
}

/** A named, versioned way to turn one face into numbers. */
export interface FeatureSet {
  /** The name used by `--features` and recorded in caches. */
  readonly name: string;
  /** Bumped whenever the numbers a set produces change; a cache of another version is refused. */
  readonly version: number;
  /** The shape of one face's features (row-major): rows x columns. */
  readonly shape: readonly [number, number];
  /** Whether it needs the face embedding (the pipeline then runs the embedding network). */
  readonly needsEmbedding: boolean;
  /** One line for `--help` and the docs. */
  readonly description: string;
  /**
   * Computes one face's features.
   * @throws {RangeError} When the set needs the embedding and `face` has none.
   */
  compute(face: FaceInput): Float32Array;
}

function embeddingOf(face: FaceInput): ArrayLike<number> {
  if (!face.embedding || face.embedding.length !== 128) {
    throw new RangeError("this feature set needs the 128-d embedding");
  }
  return face.embedding;
}

/** `v` divided by its Euclidean norm (unchanged when the norm is 0). */
function unitNorm(v: ArrayLike<number>): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const n = Math.sqrt(s) || 1;
  return Float32Array.from({ length: v.length }, (_, i) => v[i]! / n);
}

/** Every feature set, by name. */
export const FEATURE_SETS: Readonly<Record<string, FeatureSet>> = Object.freeze({
  geometry: {
    name: "geometry",
    version: 1,
    shape: [3, 68],
    needsEmbedding: false,
    description: "the original Face2Vec's landmark geometry: distance, dy, dx from the nose tip, max-abs scaled",
    compute: (face: FaceInput) => geometryFeatures(face.landmarks),
  },
  embedding: {
    name: "embedding",
    version: 1,
    shape: [1, 128],
    needsEmbedding: true,
    description: "the learned 128-d face embedding of the aligned face, as the network outputs it",
    compute: (face: FaceInput) => Float32Array.from(embeddingOf(face)),
  },
  both: {
    name: "both",
    version: 1,
    shape: [1, 332],
    needsEmbedding: true,
    description: "geometry (204) then embedding (128), each part scaled to unit Euclidean norm",
    compute: (face: FaceInput) => {
      const out = new Float32Array(332);
      out.set(unitNorm(geometryFeatures(face.landmarks)));
      out.set(unitNorm(embeddingOf(face)), 204);
      return out;
    },
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
