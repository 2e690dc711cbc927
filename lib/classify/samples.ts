import type { Cache } from "../dataset/cache.ts";
import { DEFAULT_FEATURE_SET } from "../features/feature_sets.ts";
import type { PipelineParts } from "../pipeline/parts.ts";
import { recordedFeatureSet } from "../pipeline/pipeline.ts";

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
 * @param parts The registries the cache's embedding network is looked up in (a set that uses
 * the embedding is as long as its embeddings). Default the library's.
 * @returns Features, class indices, class names and paths.
 * @throws {RangeError} When the cache holds no usable photo, or a record's features are not
 * the feature set's length of finite float32 numbers (the message names the record): a
 * network is never trained on numbers that would make it answer NaN; or when the cache names an
 * embedding network not in `parts`.
 */
export function samplesFromCache(cache: Cache, parts?: PipelineParts): Samples {
  const ok = [...cache.records.values()].filter((r) => r.status === "ok" && r.features).sort((a, b) =>
    a.path < b.path ? -1 : 1
  );
  if (ok.length === 0) throw new RangeError("the cache holds no photo with features");
  const names = [...new Set(ok.map((r) => r.label))].sort();
  const name = String((cache.config.features as { name?: string } | undefined)?.name ?? DEFAULT_FEATURE_SET);
  const set = recordedFeatureSet(cache.config, name, parts);
  const features = ok.map((r) => {
    const f = Float32Array.from(r.features!);
    if (f.length !== set.length) {
      throw new RangeError(`record ${JSON.stringify(r.path)}: ${f.length} features, ${set.name} has ${set.length}`);
    }
    const bad = f.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) {
      throw new RangeError(
        `record ${JSON.stringify(r.path)}: feature ${bad} is ${r.features![bad]}, not a finite float32 number`,
      );
    }
    return f;
  });
  return {
    features,
    labels: ok.map((r) => names.indexOf(r.label)),
    names,
    paths: ok.map((r) => r.path),
    rows: set.shape[0]!,
  };
}
