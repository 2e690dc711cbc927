/**
 * The registry of feature sets: the original Face2Vec's landmark geometry, the learned face
 * embedding, or both side by side. Each entry owns everything about its set: its name,
 * version, vector length, the network trained on it, and how a model made from it names
 * faces by default. Nothing else branches on a set's name.
 *
 * @module
 */

import type { Point } from "../image/point.ts";
import { EMBEDDING_SIZE } from "../embed/embed_faces.ts";
import { geometryFeatures } from "./geometry.ts";

/** The names of the feature sets. */
export type FeatureSetName = "geometry" | "embedding" | "both";

/** How a model names a face: the trained network's top class, or the nearest person in its gallery. */
export type PredictMethod = "network" | "nearest";

/** What a feature set computes from: one face's landmarks and, for sets that need it, its embedding. */
export interface FaceInput {
  readonly landmarks: readonly Point[];
  /** The face's embedding (as the network outputs it, of its size); required when the set's `needsEmbedding`. */
  readonly embedding?: ArrayLike<number>;
}

/** A named, versioned way to turn one face into numbers, with the defaults of the models made from it. */
export interface FeatureSet {
  /** The name used by `--features` and recorded in caches and models. */
  readonly name: FeatureSetName;
  /** Bumped whenever the numbers a set produces change; a cache of another version is refused. */
  readonly version: number;
  /** The shape of one face's features (row-major): rows x columns. */
  readonly shape: readonly [number, number];
  /** Numbers per face: rows · columns. */
  readonly length: number;
  /** Whether it needs the face embedding (the pipeline then runs the embedding network). */
  readonly needsEmbedding: boolean;
  /** One line for `--help` and the docs. */
  readonly description: string;
  /** The classifier's hidden layer widths for this set (the rest of the network is the original's). */
  readonly network: { readonly hidden1: number; readonly hidden2: number };
  /** The probability under which the network's answer is "unknown", stored in a model by `train`. */
  readonly minProb: number;
  /** How a model trained on this set names faces unless told otherwise. */
  readonly method: PredictMethod;
  /**
   * Computes one face's features.
   * @throws {RangeError} When the set needs the embedding and `face` has none.
   */
  compute(face: FaceInput): Float32Array;
}

/** The face's embedding, refused unless it is `size` numbers (the network's). */
function embeddingOf(face: FaceInput, size: number): ArrayLike<number> {
  if (!face.embedding || face.embedding.length !== size) {
    throw new RangeError(`this feature set needs the ${size}-d embedding`);
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

const GEOMETRY_LENGTH = 3 * 68;

/**
 * Every feature set for an embedding network of `size` numbers (the sets that use the
 * embedding take their vector length from it; the geometry is the same for every network).
 */
function featureSetsFor(size: number): Readonly<Record<FeatureSetName, FeatureSet>> {
  return Object.freeze({
    geometry: GEOMETRY,
    embedding: Object.freeze(
      {
        name: "embedding",
        version: 1,
        shape: Object.freeze([1, size]) as readonly [number, number],
        length: size,
        needsEmbedding: true,
        description: `the learned ${size}-d face embedding of the aligned face, as the network outputs it`,
        network: { hidden1: 128, hidden2: 64 },
        minProb: 0.5,
        method: "nearest",
        compute: (face: FaceInput) => Float32Array.from(embeddingOf(face, size)),
      } as const,
    ),
    both: Object.freeze(
      {
        name: "both",
        version: 1,
        shape: Object.freeze([1, GEOMETRY_LENGTH + size]) as readonly [number, number],
        length: GEOMETRY_LENGTH + size,
        needsEmbedding: true,
        description: `geometry (${GEOMETRY_LENGTH}) then embedding (${size}), each part scaled to unit Euclidean norm`,
        network: { hidden1: 128, hidden2: 64 },
        minProb: 0.9,
        method: "network",
        compute: (face: FaceInput) => {
          const out = new Float32Array(GEOMETRY_LENGTH + size);
          out.set(unitNorm(geometryFeatures(face.landmarks)));
          out.set(unitNorm(embeddingOf(face, size)), GEOMETRY_LENGTH);
          return out;
        },
      } as const,
    ),
  });
}

/** The geometry set: no embedding, the same whichever network embeds faces. */
const GEOMETRY: FeatureSet = Object.freeze(
  {
    name: "geometry",
    version: 1,
    shape: [3, 68],
    length: GEOMETRY_LENGTH,
    needsEmbedding: false,
    description: "the original Face2Vec's landmark geometry: distance, dy, dx from the nose tip, max-abs scaled",
    network: { hidden1: 68, hidden2: 32 },
    minProb: 0.34,
    method: "network",
    compute: (face: FaceInput) => geometryFeatures(face.landmarks),
  } as const,
);

/**
 * Every feature set, by name, for the default embedding network ({@linkcode EMBEDDING_SIZE}
 * numbers; for another network's size see {@linkcode featureSet}). The defaults were chosen
 * by measurement on the even half of lfw_min10 (`deno task tune head` for the network widths,
 * `deno task report` for the probability thresholds); the figures are in `docs/report.json`.
 *
 * - `geometry`: the original's network (Dense 68, Dense 32), named by the network, unknown
 *   under probability 0.34.
 * - `embedding`: Dense 128, Dense 64; named by the nearest person in the gallery (the
 *   network's threshold, 0.5, was not tuned: the gallery is the default).
 * - `both`: Dense 128, Dense 64; named by the network, unknown under probability 0.9.
 */
export const FEATURE_SETS: Readonly<Record<FeatureSetName, FeatureSet>> = featureSetsFor(EMBEDDING_SIZE);

/** The sets of each other embedding size asked for (made once per size). */
const SIZED = new Map<number, Readonly<Record<FeatureSetName, FeatureSet>>>([[EMBEDDING_SIZE, FEATURE_SETS]]);

/** The names of every feature set, in the registry's order. */
export const FEATURE_SET_NAMES: readonly FeatureSetName[] = Object.freeze(
  Object.keys(FEATURE_SETS) as FeatureSetName[],
);

/**
 * The feature set used when none is named: the one that identifies best in the report's
 * cross-validation on every dataset (`docs/figures.md`), named by the nearest person in the
 * gallery, so that the model `train` makes by default also takes `enrol`. The original's
 * geometry stays one flag away (`--features geometry`).
 */
export const DEFAULT_FEATURE_SET: FeatureSetName = "embedding";

/**
 * Looks up a feature set by name, for the embedding network whose embeddings it takes.
 *
 * @param name A key of {@linkcode FEATURE_SETS}.
 * @param embeddingSize Numbers per embedding of the network (its entry's `size`). Default
 * {@linkcode EMBEDDING_SIZE}, the default network's.
 * @returns The feature set; a set that uses the embedding is as long as the network's.
 * @throws {RangeError} For an unknown name, listing the known ones, or a size that is not a
 * positive integer.
 * @example
 * ```ts
 * import { featureSet } from "./feature_sets.ts";
 * if (featureSet("geometry").shape.join("x") !== "3x68") throw new Error();
 * if (featureSet("both").length !== 332) throw new Error();
 * if (featureSet("embedding", 512).length !== 512 || featureSet("both", 64).length !== 268) throw new Error();
 * ```
 */
export function featureSet(name: string, embeddingSize: number = EMBEDDING_SIZE): FeatureSet {
  if (!Number.isInteger(embeddingSize) || embeddingSize < 1) {
    throw new RangeError(`an embedding's size must be a positive integer, got ${embeddingSize}`);
  }
  let sets = SIZED.get(embeddingSize);
  if (!sets) SIZED.set(embeddingSize, sets = featureSetsFor(embeddingSize));
  const set = (sets as Readonly<Record<string, FeatureSet>>)[name];
  if (!Object.hasOwn(sets, name) || !set) {
    throw new RangeError(`unknown feature set ${JSON.stringify(name)} (known: ${FEATURE_SET_NAMES.join(", ")})`);
  }
  return set;
}
