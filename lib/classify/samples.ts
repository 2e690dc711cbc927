import type { Cache } from "../dataset/cache.ts";
import { DEFAULT_FEATURE_SET, featureSet } from "../features/feature_sets.ts";

/** A cache's usable photos as training samples. */
export interface Samples {
  readonly features: Float32Array[];
  /** Class index per sample. */
  readonly labels: number[];
  /** Class index → person, sorted. */
  readonly names: string[];
  /** The photos' paths, per sample. */
  readonly paths: string[];
  /** Rows of one sample (from the feature set's shape). */
  readonly rows: number;
}

/**
 * The samples of a cache: every photo with status "ok", classes sorted by name.
 *
 * @param cache A cache from `readCache`.
 * @returns Features, class indices, class names and paths.
 * @throws {RangeError} When the cache holds no usable photo.
 */
export function samplesFromCache(cache: Cache): Samples {
  const ok = [...cache.records.values()].filter((r) => r.status === "ok" && r.features).sort((a, b) =>
    a.path < b.path ? -1 : 1
  );
  if (ok.length === 0) throw new RangeError("the cache holds no photo with features");
  const names = [...new Set(ok.map((r) => r.label))].sort();
  const set = featureSet(String((cache.config.features as { name?: string } | undefined)?.name ?? DEFAULT_FEATURE_SET));
  return {
    features: ok.map((r) => Float32Array.from(r.features!)),
    labels: ok.map((r) => names.indexOf(r.label)),
    names,
    paths: ok.map((r) => r.path),
    rows: set.shape[0]!,
  };
}
