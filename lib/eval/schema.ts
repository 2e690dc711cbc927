/**
 * The JSON files `deno task bench --json-out FILE` and `deno task report --json-out FILE` write,
 * declared once: each shape is a schema value, its type is inferred from it (`BenchJson`,
 * `ReportJson`, …) and its validator checks what a type cannot say (ranges, finite numbers,
 * integers, ISO dates). Rates and accuracies are fractions 0–1, times ms, memory MB, landmark NME
 * % of the outer-eye-corner distance. Fields not declared may be present and are not checked.
 * Every figure that depends on the face detector is an object with one entry per detector
 * (`{ haar: …, blazeface: … }`, every one of {@linkcode DETECTORS} required).
 *
 * @module
 */

import { type DetectorName, DETECTORS } from "../detect/detect_faces.ts";

/** A check of one JSON value (`check` returns its `path: problem`s, none when valid), which then has the type `T`. */
type Schema<T> = {
  expected: string;
  check: (v: unknown, at: string) => string[];
  optional?: boolean;
  type?: T;
};
type Infer<S> = S extends Schema<infer T> ? T : never;

type Shape = Readonly<Record<string, Schema<unknown>>>;
type Optional = { readonly optional: true };
type ObjectOf<S extends Shape> =
  & { readonly [K in keyof S as S[K] extends Optional ? never : K]: Infer<S[K]> }
  & { readonly [K in keyof S as S[K] extends Optional ? K : never]?: Infer<S[K]> };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const join = (at: string, key: string) => (at ? `${at}.${key}` : key);

/** What a value is, for a message: its JSON text, or its kind for objects and arrays. */
const show = (v: unknown) =>
  Array.isArray(v) ? "an array" : isObj(v) ? "an object" : typeof v === "number" ? String(v) : JSON.stringify(v);

/** A schema that checks the value itself with `ok`, then its parts with `inner`. */
function schema<T>(expected: string, ok: (v: unknown) => boolean, inner?: (v: never, at: string) => string[]) {
  const check = (v: unknown, at: string) =>
    ok(v) ? inner?.(v as never, at) ?? [] : [`${at || "(top level)"}: expected ${expected}, got ${show(v)}`];
  return { expected, check } as Schema<T>;
}

const number = (expected: string, ok: (v: number) => boolean) =>
  schema<number>(expected, (v) => typeof v === "number" && Number.isFinite(v) && ok(v));
const str = schema<string>("a string", (v) => typeof v === "string");
const bool = schema<boolean>("a boolean", (v) => typeof v === "boolean");
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;
const isDate = (v: unknown) => ISO_DATE.test(`${v}`) && !Number.isNaN(Date.parse(`${v}`));
const iso = schema<string>("an ISO 8601 date string", isDate);
const finite = number("a number", () => true);
const nonNegative = number("a number ≥ 0", (v) => v >= 0);
const positive = number("a number > 0", (v) => v > 0);
const fraction = number("a number 0–1", (v) => v >= 0 && v <= 1);
const int = (min: number) => number(`an integer ≥ ${min}`, (v) => Number.isInteger(v) && v >= min);
const optional = <T>(s: Schema<T>) => ({ ...s, optional: true }) as Schema<T> & Optional;
const orNull = <T>(s: Schema<T>) =>
  schema<T | null>(`${s.expected} or null`, () => true, (v, at) => (v === null ? [] : s.check(v, at)));
const array = <T>(s: Schema<T>) =>
  schema<readonly T[]>("an array", Array.isArray, (v: unknown[], at) => v.flatMap((x, i) => s.check(x, `${at}.${i}`)));

/** An object of entries by name (a stage, a set, a dataset…), each checked by `s`. */
const record = <T>(s: Schema<T>) =>
  schema<Readonly<Record<string, T>>>("an object", isObj, (v: Record<string, unknown>, at) => {
    return Object.entries(v).flatMap(([key, x]) => s.check(x, join(at, key)));
  });

/** An object with the fields of `shape` (kept on the schema, to extend it). */
function object<S extends Shape>(shape: S): Schema<ObjectOf<S>> & { readonly shape: S } {
  const inner = (v: Record<string, unknown>, at: string) =>
    Object.entries(shape).flatMap(([key, s]) => {
      if (key in v) return s.check(v[key], join(at, key));
      return s.optional ? [] : [`${join(at, key)}: missing (expected ${s.expected})`];
    });
  return { ...schema<ObjectOf<S>>("an object", isObj, inner), shape };
}

/** The fields of an object with one entry per detector, each checked by `s`. */
const detectorShape = <T>(s: Schema<T>) =>
  Object.fromEntries(DETECTORS.map((d) => [d, s])) as unknown as Readonly<Record<DetectorName, Schema<T>>>;

/** An object with one entry per detector (`{ haar: …, blazeface: … }`), each checked by `s`. */
const byDetector = <T>(s: Schema<T>) => object(detectorShape(s));

/** Provenance, in both files: `commit` has `-dirty` when the tree had changes; `quick`: the fixed subsets. */
const meta = { commit: str, deno: str, cores: int(1), date: iso, quick: bool, command: str };

const stageTimes = object({ median_ms: nonNegative, p90_ms: nonNegative, n: int(0) });
/** Photos per second end to end with 1 and `n` workers, and for decode + detect alone (one detector's pipeline). */
const throughput = object({
  workers_1: nonNegative,
  workers_n: nonNegative,
  n: int(1),
  detect_only_workers_1: nonNegative,
  detect_only_workers_n: nonNegative,
});

const bench = object({
  ...meta,
  /**
   * By photo set, by detector: stage times (ms per photo; landmarks and embedding per face,
   * with the detector's own landmark defaults) and throughput.
   */
  sets: record(object({ stages: byDetector(record(stageTimes)), throughput: byDetector(throughput) })),
  /** By detector: the first set's stages, and the `recognize_*` stages measured once through the library. */
  stages: byDetector(record(stageTimes)),
  throughput: byDetector(throughput),
  /** Cold starts that do not depend on the detector, ms, by what starts. */
  cold_start_ms: record(nonNegative),
  /** Cold starts of each detector (`detector`: its runtime and model) and of the commands that use it, ms. */
  cold_start_by_detector_ms: byDetector(record(nonNegative)),
  /** By detector: `preprocess` with a cold cache, then again over the unchanged folder; null without a folder. */
  preprocess: orNull(byDetector(object({
    folder: str,
    workers: int(1),
    photos: int(0),
    cold_seconds: nonNegative,
    cold_photos_per_s: nonNegative,
    second_run_seconds: nonNegative,
    second_run_processed: int(0),
    peak_rss_mb: positive,
  }))),
  /** Clustering time (faces from a cache; real LFW faces plus synthetic people); absent without the datasets. */
  clustering: optional(object({
    base: str,
    spread_within_person: nonNegative,
    sets: record(object({
      faces: int(0),
      real_faces: int(0),
      ms: nonNegative,
      groups: int(0),
      unclustered: int(0),
      graph: schema<"exact" | "inverted file">(
        '"exact" or "inverted file"',
        (v) => v === "exact" || v === "inverted file",
      ),
    })),
  })),
  /** The gallery at 10k, 100k and 1M synthetic faces (see `_bench_gallery.ts`); absent without the datasets. */
  gallery: optional(object({
    base: str,
    spread_within_person: nonNegative,
    sets: record(object({
      faces: int(0),
      people: int(0),
      save_ms: nonNegative,
      saved_with_index: bool,
      file_mb: nonNegative,
      load_ms: nonNegative,
      rss_growth_mb: finite,
      index_build_ms: orNull(nonNegative),
      cells: int(0),
      probes: int(1),
      person_exact_ms: nonNegative,
      person_index_ms: nonNegative,
      person_recall_at_1: nonNegative,
      person_accuracy_exact: nonNegative,
      face_exact_ms: nonNegative,
      face_index_ms: nonNegative,
      face_recall_at_1: nonNegative,
      queries: int(1),
      add_one_ms: nonNegative,
      cli_enrol_ms: nonNegative,
    })),
  })),
  /** The HTTP service under a loopback load, 1 and 2 workers (see `_bench_service.ts`). */
  service: optional(object({
    client: str,
    endpoint: str,
    photos: str,
    gallery_faces: int(1),
    runs: record(object({
      workers: int(1),
      concurrency: int(1),
      requests: int(0),
      seconds: nonNegative,
      per_s: nonNegative,
      p50_ms: nonNegative,
      p99_ms: nonNegative,
      errors: int(0),
      rss_mb: record(positive),
    })),
    speedup_2_over_1: nonNegative,
    rss_growth_mb: orNull(finite),
    /** 2,000 slow clients that never finish (absent from benches before issue 22). */
    hostile: optional(array(object({
      workers: int(1),
      file_limit: orNull(int(1)),
      max_connections: int(1),
      slow_clients: int(1),
      slow_kind: str,
      requests: int(1),
      seconds: nonNegative,
      unloaded_p50_ms: positive,
      unloaded_p90_ms: positive,
      loaded_p50_ms: positive,
      loaded_p90_ms: positive,
      latency_ratio: nonNegative,
      errors: int(0),
      rss_idle_mb: positive,
      rss_attack_mb: positive,
      rss_after_mb: positive,
      rss_after_growth_mb: finite,
      service_up: bool,
      connections: record(int(0)),
    }))),
  })),
  /** The pgvector gallery in PGlite at 10k and 100k faces (see `_bench_pgvector.ts`); absent without the datasets. */
  pgvector: optional(object({
    engine: str,
    ef_search: int(1),
    sets: record(object({
      faces: int(0),
      people: int(0),
      bulk_enrol_s: nonNegative,
      enrol_one_ms: nonNegative,
      person_exact_ms: nonNegative,
      person_hnsw_ms: nonNegative,
      person_recall_at_1: nonNegative,
      queries: int(1),
    })),
  })),
  /** Training time of the default model; null without a cache to train on. */
  train: orNull(object({
    seconds: nonNegative,
    ms_per_epoch: nonNegative,
    faces: int(0),
    people: int(0),
    folds: int(0),
    epochs: int(1),
    workers: int(1),
  })),
  /** By detector: peak RSS of a process detecting over every set. */
  peak_rss_mb: byDetector(positive),
});

/** `errors`: photos that could not be read; `false_boxes` and `listed_faces` for the hand-boxed sets. */
const detectionHalf = {
  photos: int(0),
  hit_rate: fraction,
  fallback_rate: fraction,
  padded_rate: fraction,
  errors: int(0),
  false_boxes: optional(int(0)),
  listed_faces: optional(int(0)),
};
/**
 * One detector's detection figures, with its halves; `misses` names the photos without a hit
 * (for the hand-boxed sets, each missed face as `photo {box}`).
 */
const detection = object({
  ...detectionHalf,
  misses: array(str),
  even: object(detectionHalf),
  odd: object(detectionHalf),
});

const nmeHalf = { median: nonNegative, mean: nonNegative, found_rate: fraction, n: int(0) };
const nme = object({ ...nmeHalf, even: object(nmeHalf), odd: object(nmeHalf) });

/** The landmark options in force (`createLandmarker`'s, defaults filled in). */
const landmarkOptions = object({ model: str, scale: finite, shiftY: finite, refine: bool, mirror: bool });

/**
 * Behind one detector's boxes, with its default landmark options (`options`): the default
 * network's figures, each network's (`models`), and the default network with the refinement
 * pass off and on (one of them is the default).
 */
const detectorNme = object({
  ...nme.shape,
  options: landmarkOptions,
  models: record(nme),
  refine: object({ off: nme, on: nme }),
});

/** From crops of the annotated points (one pass, no detector): each network's own ceiling. */
const ceilingNme = object({ ...nme.shape, models: record(nme) });

/** `kfold_mean` over photos with a face, `kfold_mean_all` with no-face photos as errors; `train_test` needs `train/`. */
const accuracy = object({
  kfold_mean: fraction,
  kfold_std: nonNegative,
  kfold_mean_all: fraction,
  k: int(2),
  seeds: array(int(0)),
  method: schema<"network" | "nearest">('"network" or "nearest"', (v) => v === "network" || v === "nearest"),
  epochs: optional(int(1)),
  faces: int(0),
  no_face: int(0),
  people: int(0),
  same_folds: bool,
  train_test: orNull(fraction),
  train_test_std: orNull(nonNegative),
});

const openSetRates = object({ strangers_named: fraction, known_unknown: fraction, known_wrong: fraction });
const verificationRates = object({ false_accept: fraction, false_reject: fraction });

/** The trained network's open set: the `minProb` it stores, the one chosen on the even half, and the rates. */
const networkOpenSet = object({
  min_prob_default: fraction,
  min_prob_chosen_on_even: fraction,
  odd_at_default: openSetRates,
  odd_at_chosen: openSetRates,
  even_at_chosen: openSetRates,
});

/** The embedding gallery's open set at its distance threshold, and (LFW) the network's at its probability. */
const openSet = object({
  threshold_default: nonNegative,
  threshold_chosen_on_even: nonNegative,
  odd_at_default: openSetRates,
  even_at_default: openSetRates,
  odd_at_chosen: openSetRates,
  probes: object({ known: int(0), strangers: int(0) }),
  network: optional(record(networkOpenSet)),
});

/** The LFW-style protocol's figures on one set of people (see `verifyByFolds` in `./verification.ts`). */
const protocolFigures = object({
  accuracy_mean: fraction,
  accuracy_sd: nonNegative,
  fold_accuracy: array(fraction),
  threshold_mean: finite,
  tar_at_far: fraction,
  far: fraction,
  folds: int(2),
  people: int(0),
  faces: int(0),
  pairs: object({ same: int(0), different: int(0) }),
  all_pairs: object({ same: int(0), different: int(0) }),
});

/**
 * Every same-person (`genuine`) and different-person pair: the EERs, and the rates at `compare`'s
 * threshold; and (for a set of 20 people or more) the LFW-style protocol on all the people and on
 * each half.
 */
const verification = object({
  pairs: object({ genuine: int(0), impostor: int(0) }),
  eer: fraction,
  eer_threshold: finite,
  eer_even: fraction,
  eer_even_threshold: finite,
  eer_odd: fraction,
  threshold_default: nonNegative,
  at_default: verificationRates,
  odd_at_default: verificationRates,
  protocol: optional(object({ all: protocolFigures, even: protocolFigures, odd: protocolFigures })),
});

/** Clustering figures over the labelled (centred) faces of one half (see `clusterFigures` in `./clustering.ts`). */
const clusterFigures = object({
  pairwise_precision: fraction,
  pairwise_recall: fraction,
  pairwise_f1: fraction,
  bcubed_precision: fraction,
  bcubed_recall: fraction,
  bcubed_f1: fraction,
  groups: int(0),
  people: int(0),
  labelled: int(0),
  unclustered_rate: fraction,
  faces: int(0),
  ms: nonNegative,
});

/** One clustering algorithm with its defaults, behind the default detector: its options and each half's figures. */
const clustering = object({
  options: schema<object>("an object", isObj),
  even: clusterFigures,
  odd: clusterFigures,
});

/**
 * One embedding network on one dataset, behind the default detector (see `embedderFigures` in
 * `./embedders.ts`): the gallery's accuracy, and the open set and verification at the
 * network's own default distances.
 */
const embedderFigures = object({
  size: int(1),
  commercial: bool,
  gallery: object({
    kfold_mean: fraction,
    kfold_std: nonNegative,
    k: int(2),
    faces: int(0),
    no_face: int(0),
    train_test: orNull(fraction),
  }),
  open_set: openSet,
  verification,
  /** By algorithm at the network's own defaults, every face of every photo (LFW and ORL). */
  clustering: optional(record(clustering)),
});

/** The default network by the rule fixed before measuring (see `chooseDefaultEmbedder` in `./embedders.ts`). */
const embedderRule = object({
  /** The run that measured the networks (a `--embedders` run merges into an older report). */
  measured: object({ commit: str, date: iso, command: str }),
  default: str,
  chosen: str,
  reason: str,
  candidates: array(object({
    name: str,
    commercial: bool,
    even_accuracy: fraction,
    ms_per_face: orNull(positive),
  })),
});

/**
 * One dataset: by detector, its detection figures, `accuracy` by feature set, the open set and
 * verification; `nme` behind each detector's boxes and from the annotated points (`ceiling`).
 * `options`: the detector options the set is run with besides the defaults (both detectors).
 */
const dataset = object({
  photos: int(0),
  kind: str,
  options: schema<object>("an object", isObj),
  detection: byDetector(detection),
  accuracy: optional(byDetector(record(accuracy))),
  nme: optional(object({ ...detectorShape(detectorNme), ceiling: ceilingNme })),
  open_set: optional(byDetector(openSet)),
  verification: optional(byDetector(verification)),
  /** By algorithm (every face of every photo, the default detector; LFW and ORL). */
  clustering: optional(record(clustering)),
  /** By embedding network (labelled sets, the default detector). */
  embedders: optional(record(embedderFigures)),
});

/** The settings each detector runs with (its own options and the landmark options behind it, defaults filled in). */
const settings = object({ detector: schema<object>("an object", isObj), landmarks: landmarkOptions });

const report = object({
  ...meta,
  /** The library's default detector. */
  default_detector: schema<DetectorName>(
    `one of ${DETECTORS.join(", ")}`,
    (v) => DETECTORS.includes(v as DetectorName),
  ),
  settings: byDetector(settings),
  datasets: record(dataset),
  /** Absent without lfw_min10. */
  embedder_rule: optional(embedderRule),
});

/** One of `values` (a name the renderer knows). */
const oneOf = <T extends string>(values: readonly T[]) =>
  schema<T>(`one of ${values.join(" | ")}`, (v) => values.includes(v as T));

/** The formats a table's cell template may name (`{path:format}`; see `lib/eval/tables.ts`). */
export const CELL_FORMATS = [
  "text",
  "pct",
  "pct2",
  "f0",
  "f1",
  "f2",
  "f3",
  "ms",
  "ms0",
  "s1",
  "s2",
  "en",
  "len",
  "label",
  "code",
  "label_code",
  "mb_by_count",
  "basename",
] as const;

/** A cell template: text with `{path}` or `{path:format}` parts, every format one of {@linkcode CELL_FORMATS}. */
const template = schema<string>(
  `a template whose {path:format} formats are ${CELL_FORMATS.join(" | ")}`,
  (v) =>
    typeof v === "string" &&
    [...v.matchAll(/\{([^{}]*)\}/g)].every((m) => {
      const format = m[1]!.split(":")[1];
      return format === undefined || (CELL_FORMATS as readonly string[]).includes(format);
    }),
);

/** A target's verdict in a table's cell: the figure at `path` (or `reduce` of several) against `target`. */
const goalSpec = object({
  target: template,
  path: array(template),
  reduce: optional(oneOf(["max", "off_by_one"] as const)),
  per_detector: optional(bool),
  prefix: optional(str),
});

/** A column: its heading, its cell (a template), one column per detector or one cell for all, its targets. */
const columnSpec = object({
  heading: str,
  cell: optional(template),
  per_detector: optional(oneOf(["each", "same"] as const)),
  align: optional(oneOf(["left", "right"] as const)),
  if: optional(str),
  else: optional(template),
  missing: optional(str),
  goal: optional(array(goalSpec)),
  join: optional(str),
});

/**
 * A group of rows: one per match of `each` (a path with `$name` parts that run over keys), where
 * `if` holds, with `vars` set; with `rows`, each match gives those groups' rows instead.
 */
export interface RowSpec {
  readonly each?: string;
  readonly if?: string;
  readonly vars?: Readonly<Record<string, string>>;
  readonly rows?: readonly RowSpec[];
}
const rowSpec: Schema<RowSpec> = schema<RowSpec>("an object", isObj, (v: never, at) => rowShape.check(v, at));
const rowShape = object({
  each: optional(str),
  if: optional(str),
  vars: optional(record(template)),
  rows: optional(array(rowSpec)),
});

/** A table of the figures page and of the console: where its rows come from and how each column shows them. */
const tableSpec = object({
  title: template,
  file: oneOf(["report", "bench"] as const),
  plot: optional(str),
  console: optional(bool),
  rows: array(rowSpec),
  columns: array(columnSpec),
});

/** `docs/figure_notes.json`: names; the issues' targets (`min` or `max` of one figure, as `text`); reference figures; the tables. */
const notes = object({
  labels: record(str),
  targets: record(object({ min: optional(finite), max: optional(finite), text: str })),
  reference: object({ accuracy: array(array(str)), speed: array(array(str)) }),
  tables: array(tableSpec),
});

/** `bench.json`. */
export type BenchJson = Infer<typeof bench>;
/** Median and 90th percentile of one stage, ms, over `n` photos (or faces). */
export type StageTimes = Infer<typeof stageTimes>;
/** Photos per second of one detector's pipeline on one set. */
export type Throughput = Infer<typeof throughput>;
/** `report.json`. */
export type ReportJson = Infer<typeof report>;
/** One dataset of `report.json`. */
export type DatasetReport = Infer<typeof dataset>;
/** One detector's detection figures on one dataset. */
export type DetectionFigures = Infer<typeof detection>;
/** Landmark NME behind one detector's boxes. */
export type DetectorNmeFigures = Infer<typeof detectorNme>;
/** Landmark NME from the annotated points. */
export type CeilingNmeFigures = Infer<typeof ceilingNme>;
/** The landmark options in force. */
export type LandmarkOptionsJson = Infer<typeof landmarkOptions>;
/** Identification accuracy of one feature set. */
export type AccuracyFigures = Infer<typeof accuracy>;
/** Landmark NME of one network, with its halves. */
export type NmeFigures = Infer<typeof nme>;
/** The open set of one dataset. */
export type OpenSetFigures = Infer<typeof openSet>;
/** The network's open set of one feature set. */
export type NetworkOpenSet = Infer<typeof networkOpenSet>;
/** Verification of one dataset. */
export type VerificationFigures = Infer<typeof verification>;
/** The LFW-style protocol's figures on one set of people. */
export type ProtocolFiguresJson = Infer<typeof protocolFigures>;
/** One embedding network's figures on one dataset. */
export type EmbedderFiguresJson = Infer<typeof embedderFigures>;
/** The rule's verdict on the default network. */
export type EmbedderRuleJson = Infer<typeof embedderRule>;
/** One clustering algorithm's figures on one dataset. */
export type ClusteringFigures = Infer<typeof clustering>;
/** `docs/figure_notes.json`. */
export type NotesJson = Infer<typeof notes>;
/** One table of `figure_notes.json`. */
export type TableSpec = Infer<typeof tableSpec>;
/** One column of a table. */
export type ColumnSpec = Infer<typeof columnSpec>;
/** One target verdict of a column. */
export type GoalSpec = Infer<typeof goalSpec>;

/**
 * Checks a parsed `bench.json`.
 *
 * @param json The parsed file.
 * @returns One problem per wrong or missing field (`path: expected …, got …`); empty when valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateBench } from "./schema.ts";
 *
 * assert.ok(validateBench({ cores: 1.5 }).includes("cores: expected an integer ≥ 1, got 1.5"));
 * ```
 */
export const validateBench = (json: unknown): string[] => bench.check(json, "");

/**
 * Checks a parsed `report.json`.
 *
 * @param json The parsed file.
 * @returns One problem per wrong or missing field (`path: expected …, got …`); empty when valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateReport } from "./schema.ts";
 *
 * const problems = validateReport({ datasets: { a: { photos: 10, detection: { haar: { hit_rate: 90 } } } } });
 * assert.ok(problems.includes("datasets.a.detection.haar.hit_rate: expected a number 0–1, got 90"));
 * assert.ok(problems.includes("datasets.a.detection.haar.errors: missing (expected an integer ≥ 0)"));
 * assert.ok(problems.includes("datasets.a.detection.blazeface: missing (expected an object)"));
 * ```
 */
export const validateReport = (json: unknown): string[] => report.check(json, "");

/**
 * Checks a parsed `docs/figure_notes.json`.
 *
 * @param json The parsed file.
 * @returns One problem per wrong or missing field; empty when valid.
 */
export const validateNotes = (json: unknown): string[] => notes.check(json, "");
