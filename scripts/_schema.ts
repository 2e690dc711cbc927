/**
 * The schema of `bench.json` (`deno task bench --json-out FILE`) and `report.json`
 * (`deno task report --json-out FILE`), documented in the README's "Measuring" section.
 * Rates and accuracies are fractions 0–1, times ms, memory MB; landmark NME is in percent of
 * the outer-eye-corner distance.
 *
 * Each validator returns the list of problems, one per field, naming its JSON path and what
 * is wrong; an empty list means the file is valid. Fields not listed here may be present and
 * are not checked.
 *
 * @module
 */

/** Provenance fields of both files. */
export interface MeasureMeta {
  readonly commit: string;
  readonly deno: string;
  readonly cores: number;
  /** ISO 8601 date and time. */
  readonly date: string;
  /** Whether the run took the fixed `--quick` subsets. */
  readonly quick: boolean;
  /** Optional: the command line that produced the file. */
  readonly command?: string;
}

/** Median and 90th percentile of one stage, ms, over `n` photos (or faces). */
export interface StageTimes {
  readonly median_ms: number;
  readonly p90_ms: number;
  readonly n: number;
}

/** Photos per second with 1 worker and with `n` workers. */
export interface Throughput {
  readonly workers_1: number;
  readonly workers_n: number;
  readonly n: number;
}

/** `bench.json`. */
export interface BenchJson extends MeasureMeta {
  /** Per photo set (optional): its stage times and throughput. */
  readonly sets?: Readonly<
    Record<string, { readonly stages: Readonly<Record<string, StageTimes>>; readonly throughput: Throughput }>
  >;
  /** Stage times of the first photo set. */
  readonly stages: Readonly<Record<string, StageTimes>>;
  /** Throughput of the first photo set. */
  readonly throughput: Throughput;
  /** Cold starts, ms, by what starts. */
  readonly cold_start_ms: Readonly<Record<string, number>>;
  /** Optional: `preprocess` with a cold cache, then again over the unchanged folder. */
  readonly preprocess?: {
    readonly folder: string;
    readonly workers: number;
    readonly photos: number;
    readonly cold_seconds: number;
    readonly cold_photos_per_s: number;
    readonly second_run_seconds: number;
    readonly second_run_processed: number;
    readonly peak_rss_mb: number;
  } | null;
  /** Training time of the default model, or null when no cache was available. */
  readonly train: {
    readonly seconds: number;
    readonly ms_per_epoch: number;
    readonly faces: number;
    readonly folds: number;
    readonly epochs: number;
    readonly workers: number;
    readonly people?: number;
  } | null;
  /** Peak RSS, MB, of a process detecting over every set. */
  readonly peak_rss_mb: number;
}

/** Detection figures of a photo set (or of one half of it). */
export interface DetectionFigures {
  readonly hit_rate: number;
  readonly fallback_rate: number;
  readonly padded_rate?: number;
  readonly photos?: number;
  readonly errors?: number;
  readonly false_boxes?: number;
  readonly listed_faces?: number;
}

/** Identification accuracy of one feature set. */
export interface AccuracyFigures {
  readonly kfold_mean: number;
  readonly kfold_std: number;
  readonly k: number;
  readonly train_test: number | null;
  readonly method: "network" | "nearest";
  readonly kfold_mean_all?: number;
  readonly train_test_std?: number | null;
  readonly faces?: number;
  readonly no_face?: number;
  readonly people?: number;
  readonly epochs?: number;
}

/** Landmark NME (percent of the outer-eye-corner distance) and the share of photos scored. */
export interface NmeFigures {
  readonly median: number;
  readonly mean: number;
  readonly found_rate: number;
  readonly n?: number;
  readonly even?: NmeFigures;
  readonly odd?: NmeFigures;
}

/** Open-set error rates at one threshold. */
export interface OpenSetRates {
  readonly strangers_named: number;
  readonly known_unknown: number;
  readonly known_wrong: number;
}

/** The network's open set: the stored `minProb`, the one chosen on the even half, and the rates. */
export interface NetworkOpenSet {
  readonly min_prob_default: number;
  readonly min_prob_chosen_on_even: number;
  readonly odd_at_default: OpenSetRates;
  readonly odd_at_chosen: OpenSetRates;
  readonly even_at_chosen: OpenSetRates;
}

/** Verification error rates at one threshold. */
export interface VerificationRates {
  readonly false_accept: number;
  readonly false_reject: number;
}

/** One dataset of `report.json`. */
export interface DatasetReport {
  readonly photos: number;
  readonly detection: DetectionFigures & { readonly even?: DetectionFigures; readonly odd?: DetectionFigures };
  readonly accuracy?: Readonly<Record<string, AccuracyFigures>>;
  readonly nme?: NmeFigures & { readonly models?: Readonly<Record<string, NmeFigures>> };
  readonly open_set?: {
    readonly threshold_default: number;
    readonly threshold_chosen_on_even: number;
    readonly odd_at_default: OpenSetRates;
    readonly even_at_default: OpenSetRates;
    readonly odd_at_chosen: OpenSetRates;
    /** The trained network's open set (its probability threshold), by feature set. */
    readonly network?: Readonly<Record<string, NetworkOpenSet>>;
  };
  readonly verification?: {
    readonly eer: number;
    readonly eer_threshold: number;
    readonly eer_odd: number;
    readonly at_default: VerificationRates;
    readonly odd_at_default?: VerificationRates;
    readonly pairs?: { readonly genuine: number; readonly impostor: number };
  };
}

/** `report.json`. */
export interface ReportJson extends MeasureMeta {
  readonly datasets: Readonly<Record<string, DatasetReport>>;
}

type Obj = Record<string, unknown>;

/** What a value is, for a message: its JSON text, or its kind for objects and arrays. */
function show(v: unknown): string {
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object" && v !== null) return "an object";
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v);
}

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);
const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** A check of one value: a description of what is expected and a test. */
interface Rule {
  readonly expected: string;
  readonly ok: (v: unknown) => boolean;
}

const STRING: Rule = { expected: "a string", ok: (v) => typeof v === "string" };
const BOOLEAN: Rule = { expected: "a boolean", ok: (v) => typeof v === "boolean" };
const ISO: Rule = {
  expected: "an ISO 8601 date string",
  ok: (v) => typeof v === "string" && ISO_DATE.test(v) && !Number.isNaN(Date.parse(v)),
};
const NUMBER: Rule = { expected: "a number", ok: isNum };
const NON_NEGATIVE: Rule = { expected: "a number ≥ 0", ok: (v) => isNum(v) && v >= 0 };
const POSITIVE: Rule = { expected: "a number > 0", ok: (v) => isNum(v) && v > 0 };
const FRACTION: Rule = { expected: "a number 0–1", ok: (v) => isNum(v) && v >= 0 && v <= 1 };
const int = (min: number): Rule => ({
  expected: min === 0 ? "an integer ≥ 0" : `an integer ≥ ${min}`,
  ok: (v) => Number.isInteger(v) && (v as number) >= min,
});
const orNull = (r: Rule): Rule => ({ expected: `${r.expected} or null`, ok: (v) => v === null || r.ok(v) });
const oneOf = (...values: string[]): Rule => ({
  expected: values.map((v) => JSON.stringify(v)).join(" or "),
  ok: (v) => typeof v === "string" && values.includes(v),
});

/** Collects problems while walking one file. */
class Checker {
  readonly problems: string[] = [];

  /** Checks a required field. */
  field(parent: Obj, path: string, key: string, rule: Rule): void {
    const at = `${path}${path ? "." : ""}${key}`;
    if (!(key in parent)) this.problems.push(`${at}: missing (expected ${rule.expected})`);
    else if (!rule.ok(parent[key])) this.problems.push(`${at}: expected ${rule.expected}, got ${show(parent[key])}`);
  }

  /** Checks a field only when it is present. */
  optional(parent: Obj, path: string, key: string, rule: Rule): void {
    if (key in parent) this.field(parent, path, key, rule);
  }

  /**
   * Checks that a field is an object (or, with `nullable`, null) and returns it for its
   * fields' checks, or undefined when it is missing, null or wrong.
   */
  object(parent: Obj, path: string, key: string, required: boolean, nullable = false): Obj | undefined {
    const at = `${path}${path ? "." : ""}${key}`;
    const what = nullable ? "an object or null" : "an object";
    if (!(key in parent)) {
      if (required) this.problems.push(`${at}: missing (expected ${what})`);
      return undefined;
    }
    const v = parent[key];
    if (nullable && v === null) return undefined;
    if (!isObj(v)) {
      this.problems.push(`${at}: expected ${what}, got ${show(v)}`);
      return undefined;
    }
    return v;
  }

  /** Runs `each` on every entry of an object field, with the entry's path. */
  entries(parent: Obj, path: string, key: string, required: boolean, each: (v: unknown, at: string) => void): void {
    const o = this.object(parent, path, key, required);
    if (o === undefined) return;
    for (const [k, v] of Object.entries(o)) each(v, `${path}${path ? "." : ""}${key}.${k}`);
  }

  /** Checks that a value is an object and returns it, or undefined after noting the problem. */
  asObject(v: unknown, at: string): Obj | undefined {
    if (isObj(v)) return v;
    this.problems.push(`${at}: expected an object, got ${show(v)}`);
    return undefined;
  }
}

function checkMeta(c: Checker, json: Obj): void {
  c.field(json, "", "commit", STRING);
  c.field(json, "", "deno", STRING);
  c.field(json, "", "cores", int(1));
  c.field(json, "", "date", ISO);
  c.field(json, "", "quick", BOOLEAN);
  c.optional(json, "", "command", STRING);
}

function checkStages(c: Checker, parent: Obj, path: string): void {
  c.entries(parent, path, "stages", true, (v, at) => {
    const s = c.asObject(v, at);
    if (s === undefined) return;
    c.field(s, at, "median_ms", NON_NEGATIVE);
    c.field(s, at, "p90_ms", NON_NEGATIVE);
    c.field(s, at, "n", int(0));
  });
  const t = c.object(parent, path, "throughput", true);
  if (t === undefined) return;
  const at = `${path}${path ? "." : ""}throughput`;
  c.field(t, at, "workers_1", NON_NEGATIVE);
  c.field(t, at, "workers_n", NON_NEGATIVE);
  c.field(t, at, "n", int(1));
}

/**
 * Checks a parsed `bench.json` against the documented schema.
 *
 * @param json The parsed file.
 * @returns One problem per wrong or missing field (`path: expected …, got …`); empty when valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateBench } from "./_schema.ts";
 *
 * const problems = validateBench({ commit: "abc", deno: "2.9.6", cores: 2, date: "2026-11-28T03:35:33Z" });
 * assert.ok(problems.includes("quick: missing (expected a boolean)"));
 * assert.ok(problems.includes("peak_rss_mb: missing (expected a number > 0)"));
 * ```
 */
export function validateBench(json: unknown): string[] {
  const c = new Checker();
  if (!isObj(json)) return [`(top level): expected an object, got ${show(json)}`];
  checkMeta(c, json);
  checkStages(c, json, "");
  c.entries(json, "", "cold_start_ms", true, (v, at) => {
    if (!NON_NEGATIVE.ok(v)) c.problems.push(`${at}: expected ${NON_NEGATIVE.expected}, got ${show(v)}`);
  });
  const train = c.object(json, "", "train", true, true);
  if (train !== undefined) {
    c.field(train, "train", "seconds", NON_NEGATIVE);
    c.field(train, "train", "ms_per_epoch", NON_NEGATIVE);
    c.field(train, "train", "faces", int(0));
    c.field(train, "train", "folds", int(0));
    c.field(train, "train", "epochs", int(1));
    c.field(train, "train", "workers", int(1));
    c.optional(train, "train", "people", int(0));
  }
  c.field(json, "", "peak_rss_mb", POSITIVE);
  c.entries(json, "", "sets", false, (v, at) => {
    const s = c.asObject(v, at);
    if (s !== undefined) checkStages(c, s, at);
  });
  const pp = c.object(json, "", "preprocess", false, true);
  if (pp !== undefined) {
    c.field(pp, "preprocess", "folder", STRING);
    c.field(pp, "preprocess", "workers", int(1));
    c.field(pp, "preprocess", "photos", int(0));
    c.field(pp, "preprocess", "cold_seconds", NON_NEGATIVE);
    c.field(pp, "preprocess", "cold_photos_per_s", NON_NEGATIVE);
    c.field(pp, "preprocess", "second_run_seconds", NON_NEGATIVE);
    c.field(pp, "preprocess", "second_run_processed", int(0));
    c.field(pp, "preprocess", "peak_rss_mb", POSITIVE);
  }
  return c.problems;
}

function checkDetection(c: Checker, d: Obj, at: string, halves: boolean): void {
  c.field(d, at, "hit_rate", FRACTION);
  c.field(d, at, "fallback_rate", FRACTION);
  c.optional(d, at, "padded_rate", FRACTION);
  c.optional(d, at, "photos", int(0));
  c.optional(d, at, "errors", int(0));
  c.optional(d, at, "false_boxes", int(0));
  c.optional(d, at, "listed_faces", int(0));
  if (!halves) return;
  for (const half of ["even", "odd"]) {
    const h = c.object(d, at, half, false);
    if (h !== undefined) checkDetection(c, h, `${at}.${half}`, false);
  }
}

function checkNme(c: Checker, n: Obj, at: string, nested: boolean): void {
  c.field(n, at, "median", NON_NEGATIVE);
  c.field(n, at, "mean", NON_NEGATIVE);
  c.field(n, at, "found_rate", FRACTION);
  c.optional(n, at, "n", int(0));
  if (!nested) return;
  for (const half of ["even", "odd"]) {
    const h = c.object(n, at, half, false);
    if (h !== undefined) checkNme(c, h, `${at}.${half}`, false);
  }
}

function checkRates(c: Checker, parent: Obj, at: string, key: string, fields: readonly string[]): void {
  const o = c.object(parent, at, key, true);
  if (o === undefined) return;
  for (const f of fields) c.field(o, `${at}.${key}`, f, FRACTION);
}

const OPEN_SET_RATES = ["strangers_named", "known_unknown", "known_wrong"];
const VERIFICATION_RATES = ["false_accept", "false_reject"];

function checkDataset(c: Checker, v: unknown, at: string): void {
  const d = c.asObject(v, at);
  if (d === undefined) return;
  c.field(d, at, "photos", int(0));
  const det = c.object(d, at, "detection", true);
  if (det !== undefined) checkDetection(c, det, `${at}.detection`, true);
  c.entries(d, at, "accuracy", false, (v, set) => {
    const a = c.asObject(v, set);
    if (a === undefined) return;
    c.field(a, set, "kfold_mean", FRACTION);
    c.field(a, set, "kfold_std", NON_NEGATIVE);
    c.field(a, set, "k", int(2));
    c.field(a, set, "train_test", orNull(FRACTION));
    c.field(a, set, "method", oneOf("network", "nearest"));
    c.optional(a, set, "kfold_mean_all", FRACTION);
    c.optional(a, set, "train_test_std", orNull(NON_NEGATIVE));
    c.optional(a, set, "faces", int(0));
    c.optional(a, set, "no_face", int(0));
    c.optional(a, set, "people", int(0));
    c.optional(a, set, "epochs", int(1));
  });
  const nme = c.object(d, at, "nme", false);
  if (nme !== undefined) {
    checkNme(c, nme, `${at}.nme`, true);
    c.entries(nme, `${at}.nme`, "models", false, (v, m) => {
      const o = c.asObject(v, m);
      if (o !== undefined) checkNme(c, o, m, true);
    });
  }
  const open = c.object(d, at, "open_set", false);
  if (open !== undefined) {
    const o = `${at}.open_set`;
    c.field(open, o, "threshold_default", NON_NEGATIVE);
    c.field(open, o, "threshold_chosen_on_even", NON_NEGATIVE);
    for (const k of ["odd_at_default", "even_at_default", "odd_at_chosen"]) checkRates(c, open, o, k, OPEN_SET_RATES);
    c.entries(open, o, "network", false, (v, n) => {
      const net = c.asObject(v, n);
      if (net === undefined) return;
      c.field(net, n, "min_prob_default", FRACTION);
      c.field(net, n, "min_prob_chosen_on_even", FRACTION);
      for (const k of ["odd_at_default", "odd_at_chosen", "even_at_chosen"]) checkRates(c, net, n, k, OPEN_SET_RATES);
    });
  }
  const ver = c.object(d, at, "verification", false);
  if (ver !== undefined) {
    const o = `${at}.verification`;
    c.field(ver, o, "eer", FRACTION);
    c.field(ver, o, "eer_threshold", NUMBER);
    c.field(ver, o, "eer_odd", FRACTION);
    checkRates(c, ver, o, "at_default", VERIFICATION_RATES);
    if ("odd_at_default" in ver) checkRates(c, ver, o, "odd_at_default", VERIFICATION_RATES);
    const pairs = c.object(ver, o, "pairs", false);
    if (pairs !== undefined) {
      c.field(pairs, `${o}.pairs`, "genuine", int(0));
      c.field(pairs, `${o}.pairs`, "impostor", int(0));
    }
  }
}

/**
 * Checks a parsed `report.json` against the documented schema.
 *
 * @param json The parsed file.
 * @returns One problem per wrong or missing field (`path: expected …, got …`); empty when valid.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { validateReport } from "./_schema.ts";
 *
 * const report = {
 *   commit: "861e8fa2ee58",
 *   deno: "2.9.6",
 *   cores: 2,
 *   date: "2026-11-28T03:39:40.327Z",
 *   quick: false,
 *   datasets: { bbt: { photos: 40, detection: { hit_rate: 0.975, fallback_rate: 0.025 } } },
 * };
 * assert.deepEqual(validateReport(report), []);
 *
 * report.datasets.bbt.detection.hit_rate = 97.5;
 * assert.deepEqual(validateReport(report), ["datasets.bbt.detection.hit_rate: expected a number 0–1, got 97.5"]);
 * ```
 */
export function validateReport(json: unknown): string[] {
  const c = new Checker();
  if (!isObj(json)) return [`(top level): expected an object, got ${show(json)}`];
  checkMeta(c, json);
  c.entries(json, "", "datasets", true, (v, at) => checkDataset(c, v, at));
  return c.problems;
}
