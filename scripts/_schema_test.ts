import assert from "node:assert/strict";
import { validateBench, validateReport } from "./_schema.ts";
import { denoFmt, figureSections } from "./readme_figures.ts";

const BENCH: Record<string, unknown> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/bench.json", import.meta.url)),
);
const REPORT: Record<string, unknown> = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/report.json", import.meta.url)),
);

/** What a documented field holds; each kind has values it must refuse. */
type Kind =
  | "string"
  | "iso"
  | "boolean"
  | "integer≥0"
  | "integer≥1"
  | "integer≥2"
  | "number"
  | "number≥0"
  | "number>0"
  | "fraction"
  | "method"
  | "object";

/**
 * A documented field: its path in the fixture, its kind, whether it may be absent or null,
 * and for an optional field the fixture lacks, a valid value to put there.
 */
interface Field {
  readonly path: string;
  readonly kind: Kind;
  readonly optional?: boolean;
  readonly nullable?: boolean;
  readonly valid?: unknown;
}

const WRONG: Readonly<Record<Kind, readonly unknown[]>> = {
  "string": [42],
  "iso": ["yesterday", 42],
  "boolean": ["yes", 0],
  "integer≥0": ["x", 1.5, -1],
  "integer≥1": ["x", 1.5, 0],
  "integer≥2": ["x", 2.5, 1],
  "number": ["x"],
  "number≥0": ["x", -1],
  "number>0": ["x", 0],
  "fraction": ["x", 1.5, -0.1],
  "method": ["magic", 1],
  "object": [5, "x", []],
};

const f = (
  path: string,
  kind: Kind,
  extra: { optional?: boolean; nullable?: boolean; valid?: unknown } = {},
): Field => ({
  path,
  kind,
  ...extra,
});
const opt = (path: string, kind: Kind): Field => f(path, kind, { optional: true });

const META: Field[] = [
  f("commit", "string"),
  f("deno", "string"),
  f("cores", "integer≥1"),
  f("date", "iso"),
  f("quick", "boolean"),
  opt("command", "string"),
];

// Entries of objects keyed by name (a stage, a set, a dataset…) may be absent; their fields may not.
const stageFields = (at: string): Field[] => [
  opt(at, "object"),
  f(`${at}.median_ms`, "number≥0"),
  f(`${at}.p90_ms`, "number≥0"),
  f(`${at}.n`, "integer≥0"),
];
const throughputFields = (at: string): Field[] => [
  f(at, "object"),
  f(`${at}.workers_1`, "number≥0"),
  f(`${at}.workers_n`, "number≥0"),
  f(`${at}.n`, "integer≥1"),
];

/** Every documented field of bench.json, as found in the fixture. */
const BENCH_FIELDS: Field[] = [
  ...META,
  f("stages", "object"),
  ...["decode", "detect", "decode_detect", "landmarks_full", "landmarks_tiny"].flatMap((s) =>
    stageFields(`stages.${s}`)
  ),
  ...throughputFields("throughput"),
  f("cold_start_ms", "object"),
  ...["opencv", "onnxruntime_landmark_stage", "onnx_session_create", "cli_first_answer"].map((k) =>
    opt(`cold_start_ms.${k}`, "number≥0")
  ),
  f("train", "object", { nullable: true }),
  f("train.seconds", "number≥0"),
  f("train.ms_per_epoch", "number≥0"),
  f("train.faces", "integer≥0"),
  f("train.folds", "integer≥0"),
  f("train.epochs", "integer≥1"),
  f("train.workers", "integer≥1"),
  opt("train.people", "integer≥0"),
  f("peak_rss_mb", "number>0"),
  opt("sets", "object"),
  ...["lfw_min10", "samples_1920"].flatMap((s) => [
    opt(`sets.${s}`, "object"),
    f(`sets.${s}.stages`, "object"),
    ...stageFields(`sets.${s}.stages.decode_detect`),
    ...throughputFields(`sets.${s}.throughput`),
  ]),
  f("preprocess", "object", { optional: true, nullable: true }),
  f("preprocess.folder", "string"),
  f("preprocess.workers", "integer≥1"),
  f("preprocess.photos", "integer≥0"),
  f("preprocess.cold_seconds", "number≥0"),
  f("preprocess.cold_photos_per_s", "number≥0"),
  f("preprocess.second_run_seconds", "number≥0"),
  f("preprocess.second_run_processed", "integer≥0"),
  f("preprocess.peak_rss_mb", "number>0"),
];

const detectionFields = (at: string): Field[] => [
  f(`${at}.hit_rate`, "fraction"),
  f(`${at}.fallback_rate`, "fraction"),
  opt(`${at}.padded_rate`, "fraction"),
  opt(`${at}.photos`, "integer≥0"),
  opt(`${at}.errors`, "integer≥0"),
];
const nmeFields = (at: string, halves: boolean): Field[] => [
  f(`${at}.median`, "number≥0"),
  f(`${at}.mean`, "number≥0"),
  f(`${at}.found_rate`, "fraction"),
  opt(`${at}.n`, "integer≥0"),
  ...(halves ? ["even", "odd"].flatMap((h) => [opt(`${at}.${h}`, "object"), ...nmeFields(`${at}.${h}`, false)]) : []),
];
const accuracyFields = (at: string): Field[] => [
  opt(at, "object"),
  f(`${at}.kfold_mean`, "fraction"),
  f(`${at}.kfold_std`, "number≥0"),
  f(`${at}.k`, "integer≥2"),
  f(`${at}.train_test`, "fraction", { nullable: true }),
  f(`${at}.method`, "method"),
  opt(`${at}.kfold_mean_all`, "fraction"),
  f(`${at}.train_test_std`, "number≥0", { optional: true, nullable: true }),
  opt(`${at}.faces`, "integer≥0"),
  opt(`${at}.no_face`, "integer≥0"),
  opt(`${at}.people`, "integer≥0"),
];
const openSetRates = (at: string): Field[] => [
  f(at, "object"),
  f(`${at}.strangers_named`, "fraction"),
  f(`${at}.known_unknown`, "fraction"),
  f(`${at}.known_wrong`, "fraction"),
];

const LFW = "datasets.lfw_min10";
const HELEN = "datasets.helen_landmarks";

/** Every documented field of report.json, as found in the fixture. */
const REPORT_FIELDS: Field[] = [
  ...META,
  f("datasets", "object"),
  ...[LFW, HELEN].flatMap((d) => [
    opt(d, "object"),
    f(`${d}.photos`, "integer≥0"),
    f(`${d}.detection`, "object"),
    ...detectionFields(`${d}.detection`),
    opt(`${d}.detection.even`, "object"),
    ...detectionFields(`${d}.detection.even`),
    opt(`${d}.detection.odd`, "object"),
    ...detectionFields(`${d}.detection.odd`),
  ]),
  f(`${LFW}.detection.false_boxes`, "integer≥0", { optional: true, valid: 5 }),
  f(`${LFW}.detection.listed_faces`, "integer≥0", { optional: true, valid: 22 }),
  f(`${LFW}.accuracy.embedding.epochs`, "integer≥1", { optional: true, valid: 100 }),
  opt(`${LFW}.accuracy`, "object"),
  ...accuracyFields(`${LFW}.accuracy.geometry`),
  opt(`${LFW}.accuracy.geometry.epochs`, "integer≥1"),
  ...accuracyFields(`${LFW}.accuracy.embedding`),
  ...accuracyFields(`${LFW}.accuracy.both`),
  opt(`${LFW}.open_set`, "object"),
  f(`${LFW}.open_set.threshold_default`, "number≥0"),
  f(`${LFW}.open_set.threshold_chosen_on_even`, "number≥0"),
  ...openSetRates(`${LFW}.open_set.odd_at_default`),
  ...openSetRates(`${LFW}.open_set.even_at_default`),
  ...openSetRates(`${LFW}.open_set.odd_at_chosen`),
  opt(`${LFW}.verification`, "object"),
  f(`${LFW}.verification.eer`, "fraction"),
  f(`${LFW}.verification.eer_threshold`, "number"),
  f(`${LFW}.verification.eer_odd`, "fraction"),
  f(`${LFW}.verification.at_default`, "object"),
  f(`${LFW}.verification.at_default.false_accept`, "fraction"),
  f(`${LFW}.verification.at_default.false_reject`, "fraction"),
  opt(`${LFW}.verification.odd_at_default`, "object"),
  f(`${LFW}.verification.odd_at_default.false_accept`, "fraction"),
  f(`${LFW}.verification.odd_at_default.false_reject`, "fraction"),
  opt(`${LFW}.verification.pairs`, "object"),
  f(`${LFW}.verification.pairs.genuine`, "integer≥0"),
  f(`${LFW}.verification.pairs.impostor`, "integer≥0"),
  opt(`${HELEN}.nme`, "object"),
  ...nmeFields(`${HELEN}.nme`, true),
  opt(`${HELEN}.nme.models`, "object"),
  opt(`${HELEN}.nme.models.full`, "object"),
  ...nmeFields(`${HELEN}.nme.models.full`, true),
  ...nmeFields(`${HELEN}.nme.models.tiny`, true),
];

/** A deep copy of `json` with the value at `path` replaced (or, with `undefined`, removed). */
function edited(json: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(json) as Record<string, unknown>;
  const keys = path.split(".");
  let o = copy;
  for (const k of keys.slice(0, -1)) o = o[k] as Record<string, unknown>;
  const last = keys.at(-1)!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy;
}

function valueAt(json: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], json);
}

const show = (v: unknown) => (v === undefined ? "removed" : JSON.stringify(v));

/** Checks every field's removal and wrong values against `validate`. */
function checkFields(validate: (json: unknown) => string[], json: unknown, fields: readonly Field[]): void {
  for (const field of fields) {
    const fixture = field.valid === undefined ? json : edited(json, field.path, field.valid);
    assert.deepEqual(validate(fixture), [], `${field.path} = ${show(field.valid)} is valid`);
    assert.notEqual(valueAt(fixture, field.path), undefined, `the fixture has ${field.path}`);
    const removed = validate(edited(fixture, field.path, undefined));
    if (field.optional) assert.deepEqual(removed, [], `${field.path} may be absent`);
    else {
      assert.ok(
        removed.some((p) => p.startsWith(`${field.path}: missing`)),
        `removing ${field.path} is reported; got ${JSON.stringify(removed)}`,
      );
    }
    const wrongs = [...WRONG[field.kind], ...(field.nullable ? [] : [null])];
    for (const wrong of wrongs) {
      const problems = validate(edited(fixture, field.path, wrong));
      assert.ok(
        problems.some((p) => p.startsWith(`${field.path}: expected `)),
        `${field.path} = ${show(wrong)} is reported; got ${JSON.stringify(problems)}`,
      );
    }
    if (field.nullable) assert.deepEqual(validate(edited(fixture, field.path, null)), [], `${field.path} may be null`);
  }
}

Deno.test("validateBench() accepts the bench.json fixture", () => {
  assert.deepEqual(validateBench(BENCH), []);
});

Deno.test("validateReport() accepts the report.json fixture", () => {
  assert.deepEqual(validateReport(REPORT), []);
});

Deno.test("validateBench() names each documented field that is missing or of the wrong type", () => {
  checkFields(validateBench, BENCH, BENCH_FIELDS);
});

Deno.test("validateReport() names each documented field that is missing or of the wrong type", () => {
  checkFields(validateReport, REPORT, REPORT_FIELDS);
});

Deno.test("validateReport() says what it expected and what it got", () => {
  const json = edited(REPORT, `${LFW}.accuracy.embedding.kfold_mean`, "x");
  assert.deepEqual(validateReport(json), [
    'datasets.lfw_min10.accuracy.embedding.kfold_mean: expected a number 0–1, got "x"',
  ]);
  assert.deepEqual(validateReport(edited(REPORT, `${LFW}.detection.hit_rate`, undefined)), [
    "datasets.lfw_min10.detection.hit_rate: missing (expected a number 0–1)",
  ]);
  assert.deepEqual(validateBench(edited(BENCH, "train", 3)), ["train: expected an object or null, got 3"]);
  assert.deepEqual(validateBench([]), ["(top level): expected an object, got an array"]);
});

Deno.test("validators accept fields they do not document", () => {
  assert.deepEqual(validateBench(edited(BENCH, "embedding", { median_ms: "later" })), []);
  assert.deepEqual(validateReport(edited(REPORT, `${LFW}.detection.misses`, ["a.jpg"])), []);
  assert.deepEqual(validateReport(edited(REPORT, `${LFW}.accuracy.geometry.seeds`, [0, 1])), []);
});

Deno.test("every field the validators check is listed in the README's schema", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const start = readme.indexOf("### The JSON files");
  assert.ok(start >= 0, "README.md has a '### The JSON files' section");
  const end = readme.indexOf("\n#", start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const concrete = new Set([
    "decode",
    "detect",
    "decode_detect",
    "landmarks_full",
    "landmarks_tiny",
    "opencv",
    "onnxruntime_landmark_stage",
    "onnx_session_create",
    "cli_first_answer",
    "lfw_min10",
    "samples_1920",
    "helen_landmarks",
    "geometry",
    "embedding",
    "both",
    "full",
    "tiny",
  ]);
  const names = new Set([...BENCH_FIELDS, ...REPORT_FIELDS].map((x) => x.path.split(".").at(-1)!));
  const missing = [...names].filter((n) => !concrete.has(n) && !section.includes(`\`${n}\``));
  assert.deepEqual(missing, []);
});

Deno.test("figureSections() renders the fixtures as deno-fmt-clean markdown", async () => {
  const s = figureSections(REPORT as never, BENCH as never, { report: "docs/report.json", bench: "docs/bench.json" });
  for (const text of [s.accuracy, s.speed]) assert.equal(await denoFmt(text), `${text}\n`);
  assert.match(
    s.accuracy,
    /\| lfw_min10 +\| embedding +\| gallery \(nearest person\) +\| +106 \| +2148 \(\+11\) \| +96\.5% ± 0\.1% \|/,
  );
  assert.match(
    s.speed,
    /\| lfw_min10 +\| decode \+ detect +\| +9\.0 ms \| +10\.8 ms \| 2159 \| median ≤ 15 ms met +\|/,
  );
});
