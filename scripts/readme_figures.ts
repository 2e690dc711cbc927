/**
 * `deno task readme [REPORT_JSON] [BENCH_JSON] [--readme PATH] [--check]`: rewrites the
 * README's generated figures from `docs/report.json` and `docs/bench.json` (the defaults),
 * the files `deno task report --json-out FILE` and `deno task bench --json-out FILE` write.
 *
 * Both files are validated first (`scripts/_schema.ts`); any problem is listed and the
 * command exits 1. The README text between `<!-- figures:accuracy:start -->` and
 * `<!-- figures:accuracy:end -->` (detection, landmarks, identification, open set and
 * verification) and between `<!-- figures:speed:start -->` and `<!-- figures:speed:end -->`
 * is replaced by tables generated from the JSON, each headed by the command, commit, date,
 * cores and Deno version that produced its file, beside the reference figures the issues
 * quote. The generated markdown goes through `deno fmt` (the project's settings), so the
 * README stays `deno fmt --check` clean. The README is written atomically, and only when it
 * changes.
 *
 * `--check` writes nothing and exits 1 when the README's sections differ from what the JSON
 * gives (for CI). Usage mistakes exit 2.
 *
 * @module
 */

import { writeFileAtomic } from "../lib/_fs.ts";
import { ROOT } from "../lib/eval/npm.ts";
import {
  type BenchJson,
  type DatasetReport,
  type NmeFigures,
  type OpenSetRates,
  type ReportJson,
  type StageTimes,
  validateBench,
  validateReport,
  type VerificationRates,
} from "./_schema.ts";

/** The generated sections of the README, by marker name. */
export interface FigureSections {
  /** Detection, landmarks, identification, open set and verification (from report.json). */
  readonly accuracy: string;
  /** Stage times, throughput, cold starts, memory and training time (from bench.json). */
  readonly speed: string;
}

/** Where the two files were read from, as the README should name them. */
export interface FigureSources {
  readonly report: string;
  readonly bench: string;
}

/**
 * Figures measured before this port and quoted by the project's issues: the original
 * pipeline run natively (OpenCV Haar cascade + dlib's 68-point shape predictor + its own
 * network), the original README's claim, dlib's 128-d embedding through face-api.js,
 * face-api.js's own pipeline, and the prototype of the aligned-chip embedding. They are
 * fixed: nothing here re-measures them.
 */
const REFERENCE_SOURCE = "measured before this port and quoted by the project's issues";

const ACCURACY_REFERENCE: readonly (readonly [string, string])[] = [
  ["original pipeline, native (OpenCV Haar + dlib 68 points + its network): face2vec train→test", "37%"],
  ["the same, face2vec 4-fold cross-validation", "20 ± 10%"],
  ["the original README's claim", "100%"],
  ["landmark geometry alone, other classifiers: LFW people", "29–56%"],
  ["landmark geometry alone, other classifiers: ORL", "54–79%"],
  ["dlib's 128-d embedding (face-api port), nearest neighbour: ORL, Yale, bbt, face2vec photos", "99.7–100%"],
  ["face-api's own pipeline: lfw_min10 faces found", "90.5%"],
  ["face-api's own pipeline: lfw_min10 identification end to end", "~88%"],
  ["the prototype's aligned chip: lfw_min10 identification end to end", "96.5%"],
  ["the prototype's aligned chip: lfw_min10 verification EER", "3.5%"],
  ["dlib's shape predictor behind the original's Haar crop: HELEN NME median", "3.1%"],
  ["face-api's own pipeline (its SSD detector + this landmark network): HELEN NME median", "5.5%"],
];

const SPEED_REFERENCE: readonly (readonly [string, string])[] = [
  ["face-api's tfjs-WASM embedding, per face", "26–34 ms"],
  ["original pipeline, native (dlib and OpenCV), LFW photos", "~37 photos/s per core"],
];

/** A target from the issues: a bound on one figure. */
interface Target {
  readonly text: string;
  readonly met: (v: number) => boolean;
}

const atLeast = (bound: number, show: string): Target => ({ text: `≥ ${show}`, met: (v) => v >= bound });
const atMost = (bound: number, show: string): Target => ({ text: `≤ ${show}`, met: (v) => v <= bound });

/** Detection targets by dataset: the hit rate, and for the hand-boxed samples the false boxes. */
const DETECTION_TARGETS: Readonly<Record<string, { hit: Target; falseBoxes?: Target }>> = {
  lfw_min10: { hit: atLeast(0.985, "98.5%") },
  orl_att_faces: { hit: atLeast(0.99, "99%") },
  bbt: { hit: atLeast(0.98, "98%") },
  face2vec: { hit: atLeast(0.95, "95%") },
  npm_samples: { hit: atLeast(0.9, "90%"), falseBoxes: atMost(2, "2 false boxes") },
  npm_samples_rotate_always: { hit: atLeast(0.9, "90%"), falseBoxes: atMost(2, "2 false boxes") },
};

/** Landmark targets on HELEN with the default (full) network. */
const NME_TARGETS = { dataset: "helen_landmarks", median: atMost(5, "5.0"), found: atLeast(0.95, "95% found") };

/** Stage targets (median ms) by `set/stage`. */
const STAGE_TARGETS: Readonly<Record<string, Target>> = {
  "lfw_min10/decode_detect": atMost(15, "15 ms"),
  "samples_1920/decode_detect": atMost(200, "200 ms"),
  "lfw_min10/landmarks_full": atMost(10, "10 ms"),
  "lfw_min10/landmarks_tiny": atMost(6, "6 ms"),
  "lfw_min10/embedding": atMost(20, "20 ms"),
  "library/recognize_640_geometry": atMost(60, "60 ms"),
};

const COLD_START_TARGETS: Readonly<Record<string, Target>> = {
  onnx_session_create: atMost(50, "50 ms"),
  onnxruntime_landmark_stage: atMost(600, "600 ms"),
  embedding_model: atMost(400, "400 ms"),
  cli_predict_geometry: atMost(1500, "1.5 s"),
  cli_predict_embedding: atMost(1500, "1.5 s"),
};

/** Identification targets (k-fold or train→test mean) by `dataset/feature set/figure`. */
const ACCURACY_TARGETS: Readonly<Record<string, Target>> = {
  "orl_att_faces/embedding/kfold_mean_all": atLeast(0.99, "99%"),
  "bbt/embedding/kfold_mean_all": atLeast(0.97, "97%"),
  "face2vec/embedding/train_test": atLeast(1, "100%"),
  "lfw_min10/embedding/kfold_mean_all": atLeast(0.97, "97%"),
  "face2vec/geometry/train_test": atLeast(0.37, "37% (native)"),
};

const OTHER_TARGETS = {
  preprocessRate: atLeast(75, "75 photos/s"),
  preprocessAgain: atMost(3, "3 s"),
  preprocessRss: atMost(600, "600 MB"),
  detectRss: atMost(500, "500 MB"),
  train: atMost(60, "60 s"),
};

const DATASET_LABELS: Readonly<Record<string, string>> = {
  npm_samples: "npm samples (default)",
  npm_samples_rotate_always: "npm samples, `--rotate always`",
};

const STAGE_LABELS: Readonly<Record<string, string>> = {
  decode: "decode",
  detect: "detect",
  decode_detect: "decode + detect",
  landmarks_full: "landmarks per face, full network",
  landmarks_tiny: "landmarks per face, tiny network",
  features_geometry: "geometry features per face",
  embedding: "embedding per face (alignment + network)",
  recognize_640_geometry: "naming every face of a 640 px photo (decode → network), warm",
  recognize_640_geometry_per_face: "the same, per face",
  recognize_640_embedding: "naming every face of a 640 px photo (decode → gallery), warm",
  recognize_640_embedding_per_face: "the same, per face",
};

const COLD_START_LABELS: Readonly<Record<string, string>> = {
  opencv: "OpenCV.js (import to ready)",
  onnxruntime_landmark_stage: "landmark stage (import, WASM, session, one face)",
  onnx_session_create: "ONNX session creation (WASM already compiled)",
  cli_first_answer: "CLI to its first JSON line (one 1920 px photo, landmarks)",
  cli_predict_geometry: "`predict` to its first answer (640 px photo, geometry model)",
  cli_predict_embedding: "`predict` to its first answer (640 px photo, embedding model)",
  tfjs: "tfjs (import, WASM backend ready)",
  embedding_model: "embedding model (import, onnxruntime-web, session)",
};

const USAGE = "usage: deno task readme [REPORT_JSON] [BENCH_JSON] [--readme PATH] [--check]";

type Row = readonly string[];

/** A markdown table with columns padded as `deno fmt` pads them; `r` marks right-aligned columns. */
function table(head: Row, align: string, rows: readonly Row[]): string {
  const esc = (c: string) => c.replaceAll("|", "\\|");
  const all = [head, ...rows].map((r) => head.map((_, i) => esc(r[i] ?? "")));
  const right = (i: number) => align[i] === "r";
  const widths = head.map((_, i) => Math.max(right(i) ? 2 : 3, ...all.map((r) => r[i]!.length)));
  const line = (r: Row) =>
    `| ${r.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((w, i) => (right(i) ? `${"-".repeat(w - 1)}:` : "-".repeat(w))).join(" | ")} |`;
  return [line(all[0]!), rule, ...all.slice(1).map(line)].join("\n");
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? "—" : `${(v * 100).toFixed(1)}%`);
const fixed = (v: number | undefined, digits: number) => (v === undefined ? "—" : v.toFixed(digits));
const verdict = (t: Target, v: number) => `${t.text} ${t.met(v) ? "met" : "**not met**"}`;
const label = (name: string) => DATASET_LABELS[name] ?? name;

/**
 * Which file, command, commit, date, cores and Deno produced the figures: a one-row table,
 * so that no line wrap depends on the formatter's line width.
 */
function provenance(file: string, json: ReportJson | BenchJson, task: string): string {
  const command = json.command ?? `deno task ${task}${json.quick ? " --quick" : ""} --json-out ${file}`;
  const date = new Date(json.date).toISOString().slice(0, 16).replace("T", " ");
  const head = ["figures from", "written by", "commit", "date (UTC)", "cores", "Deno"];
  const t = table(head, "llllrl", [[
    `\`${file}\``,
    `\`${command}\``,
    `\`${json.commit}\``,
    date,
    String(json.cores),
    json.deno,
  ]]);
  return json.quick ? `${t}\n\nA \`--quick\` run (fixed subsets): the targets do not apply.` : t;
}

function detectionTable(report: ReportJson): string {
  const targets = !report.quick;
  const rows = Object.entries(report.datasets).map(([name, d]) => {
    const det = d.detection;
    const t = DETECTION_TARGETS[name];
    const target = !t ? "" : [
      verdict(t.hit, det.hit_rate),
      ...(t.falseBoxes && det.false_boxes !== undefined ? [verdict(t.falseBoxes, det.false_boxes)] : []),
    ].join("; ");
    return [
      label(name),
      String(d.photos),
      pct(det.hit_rate),
      pct(det.even?.hit_rate),
      pct(det.odd?.hit_rate),
      pct(det.padded_rate),
      pct(det.fallback_rate),
      det.false_boxes === undefined ? "" : String(det.false_boxes),
      ...(targets ? [target] : []),
    ];
  });
  const head = [
    "dataset",
    "photos",
    "hit (all)",
    "even half",
    "odd half",
    "from the padded pass",
    "no face (fallback)",
    "false boxes",
    ...(targets ? ["target"] : []),
  ];
  return table(head, "lrrrrrrrl", rows);
}

function nmeTable(report: ReportJson): string | undefined {
  const rows: Row[] = [];
  const targets = !report.quick;
  for (const [name, d] of Object.entries(report.datasets)) {
    if (!d.nme) continue;
    const models: [string, NmeFigures][] = d.nme.models ? Object.entries(d.nme.models) : [["default", d.nme]];
    for (const [model, n] of models) {
      const t = name === NME_TARGETS.dataset && (model === "full" || model === "default") && targets
        ? `median ${verdict(NME_TARGETS.median, n.median)}; ${verdict(NME_TARGETS.found, n.found_rate)}`
        : "";
      rows.push([
        label(name),
        model,
        fixed(n.median, 2),
        fixed(n.mean, 2),
        fixed(n.even?.median, 2),
        fixed(n.odd?.median, 2),
        pct(n.found_rate),
        ...(targets ? [t] : []),
      ]);
    }
  }
  if (rows.length === 0) return undefined;
  const head = [
    "dataset",
    "network",
    "median",
    "mean",
    "even half median",
    "odd half median",
    "photos with such a face",
    ...(targets ? ["target"] : []),
  ];
  return table(head, "llrrrrrl", rows);
}

function accuracyTable(report: ReportJson): string | undefined {
  const rows: Row[] = [];
  for (const [name, d] of Object.entries(report.datasets)) {
    for (const [set, a] of Object.entries(d.accuracy ?? {})) {
      const classifier = a.method === "nearest"
        ? "gallery (nearest person)"
        : `network${a.epochs === undefined ? "" : `, ${a.epochs} epochs`}`;
      const faces = a.faces === undefined ? "" : `${a.faces}${a.no_face === undefined ? "" : ` (+${a.no_face})`}`;
      const trainTest = a.train_test === null
        ? "—"
        : `${pct(a.train_test)}${a.train_test_std == null ? "" : ` ± ${pct(a.train_test_std)}`}`;
      const verdicts = (["kfold_mean_all", "train_test"] as const).flatMap((f) => {
        const t = ACCURACY_TARGETS[`${name}/${set}/${f}`];
        const v = a[f];
        return t && typeof v === "number" ? [`${f === "train_test" ? "train→test" : "k-fold"} ${verdict(t, v)}`] : [];
      });
      rows.push([
        label(name),
        set,
        classifier,
        a.people === undefined ? "" : String(a.people),
        faces,
        `${pct(a.kfold_mean)} ± ${pct(a.kfold_std)}`,
        a.kfold_mean_all === undefined ? "" : pct(a.kfold_mean_all),
        String(a.k),
        trainTest,
        ...(report.quick ? [] : [verdicts.join("; ")]),
      ]);
    }
  }
  if (rows.length === 0) return undefined;
  const head = [
    "dataset",
    "features",
    "classifier",
    "people",
    "faces (+ no face)",
    "k-fold mean ± std",
    "no-face as errors",
    "k",
    "train→test",
    ...(report.quick ? [] : ["target"]),
  ];
  return table(head, "lllrrrrrrl", rows);
}

function openSetTables(report: ReportJson): string | undefined {
  const open: Row[] = [];
  const verification: Row[] = [];
  const rates = (r: OpenSetRates) => [pct(r.strangers_named), pct(r.known_unknown), pct(r.known_wrong)];
  const faFr = (r: VerificationRates | undefined) => (r ? `${pct(r.false_accept)} / ${pct(r.false_reject)}` : "—");
  for (const [name, d] of Object.entries(report.datasets) as [string, DatasetReport][]) {
    const o = d.open_set;
    if (o) {
      const goal = (r: OpenSetRates) =>
        report.quick || name !== "lfw_min10" ? [] : [
          Math.max(r.strangers_named, r.known_unknown, r.known_wrong) <= 0.05
            ? "each ≤ 5% met"
            : "each ≤ 5% **not met**",
        ];
      const blank = report.quick || name !== "lfw_min10" ? [] : [""];
      open.push([
        label(name),
        "embedding",
        `odd, default ${o.threshold_default}`,
        ...rates(o.odd_at_default),
        ...goal(o.odd_at_default),
      ]);
      open.push([
        label(name),
        "embedding",
        `odd, ${o.threshold_chosen_on_even} (chosen on even)`,
        ...rates(o.odd_at_chosen),
        ...blank,
      ]);
      open.push([
        label(name),
        "embedding",
        `even, default ${o.threshold_default}`,
        ...rates(o.even_at_default),
        ...blank,
      ]);
      for (const [set, n] of Object.entries(o.network ?? {})) {
        open.push([
          label(name),
          `${set} (network)`,
          `odd, min-prob ${n.min_prob_default} (default)`,
          ...rates(n.odd_at_default),
          ...blank,
        ]);
        open.push([
          label(name),
          `${set} (network)`,
          `odd, min-prob ${n.min_prob_chosen_on_even} (chosen on even)`,
          ...rates(n.odd_at_chosen),
          ...blank,
        ]);
      }
    }
    const v = d.verification;
    if (v) {
      verification.push([
        label(name),
        v.pairs ? `${v.pairs.genuine} / ${v.pairs.impostor}` : "",
        pct(v.eer),
        String(v.eer_threshold),
        pct(v.eer_odd),
        faFr(v.at_default),
        faFr(v.odd_at_default),
        ...(report.quick ? [] : [name === "lfw_min10" ? verdict(atMost(0.035, "3.5%"), v.eer) : ""]),
      ]);
    }
  }
  const parts: string[] = [];
  if (open.length > 0) {
    const withTarget = open.some((r) => r.length > 6);
    const head = [
      "dataset",
      "features",
      "half, threshold",
      "strangers named",
      "known → unknown",
      "known → wrong person",
      ...(withTarget ? ["target"] : []),
    ];
    parts.push(table(head, "lllrrrl", withTarget ? open.map((r) => (r.length > 6 ? r : [...r, ""])) : open));
  }
  if (verification.length > 0) {
    const head = [
      "dataset",
      "pairs (same / different person)",
      "EER",
      "at distance",
      "EER, odd half",
      "false accept / reject at default",
      "the same, odd half",
      ...(report.quick ? [] : ["target (EER)"]),
    ];
    parts.push(table(head, "lrrrrrrl", verification));
  }
  return parts.length > 0 ? parts.join("\n\n") : undefined;
}

function referenceTable(rows: readonly (readonly [string, string])[]): string {
  return table([`reference (${REFERENCE_SOURCE})`, "figure"], "lr", rows);
}

function stageTable(bench: BenchJson): string {
  const sets: [string, Readonly<Record<string, StageTimes>>][] = bench.sets
    ? Object.entries(bench.sets).map(([name, s]) => [name, s.stages])
    : [["first set", bench.stages]];
  // The recognition stages are measured once, through the library, not per set.
  const library = Object.fromEntries(Object.entries(bench.stages).filter(([k]) => k.startsWith("recognize_")));
  if (bench.sets && Object.keys(library).length) sets.push(["library", library]);
  const targets = !bench.quick;
  const rows: Row[] = [];
  for (const [set, stages] of sets) {
    for (const [stage, s] of Object.entries(stages)) {
      const t = STAGE_TARGETS[`${set}/${stage}`];
      rows.push([
        set,
        STAGE_LABELS[stage] ?? `\`${stage}\``,
        `${s.median_ms.toFixed(1)} ms`,
        `${s.p90_ms.toFixed(1)} ms`,
        String(s.n),
        ...(targets ? [t ? `median ${verdict(t, s.median_ms)}` : ""] : []),
      ]);
    }
  }
  return table(["set", "stage", "median", "p90", "n", ...(targets ? ["target"] : [])], "llrrrl", rows);
}

function otherTable(bench: BenchJson): string {
  const targets = !bench.quick;
  const rows: Row[] = [];
  const add = (what: string, figure: string, t?: Target, v?: number) =>
    rows.push([what, figure, ...(targets ? [t && v !== undefined ? verdict(t, v) : ""] : [])]);
  const sets = bench.sets ? Object.entries(bench.sets) : [["first set", bench] as const];
  for (const [set, s] of sets) {
    const tp = s.throughput as typeof s.throughput & { detect_only_workers_1?: number; detect_only_workers_n?: number };
    const what = tp.detect_only_workers_1 === undefined
      ? "decode + detect"
      : "end to end (decode → landmarks → geometry and embedding)";
    add(`${set}: ${what}, 1 / ${tp.n} workers`, `${tp.workers_1} / ${tp.workers_n} photos/s`);
    if (tp.detect_only_workers_1 !== undefined) {
      add(
        `${set}: decode + detect, 1 / ${tp.n} workers`,
        `${tp.detect_only_workers_1} / ${tp.detect_only_workers_n} photos/s`,
      );
    }
  }
  for (const [k, v] of Object.entries(bench.cold_start_ms)) {
    add(`cold start: ${COLD_START_LABELS[k] ?? `\`${k}\``}`, `${v.toFixed(0)} ms`, COLD_START_TARGETS[k], v);
  }
  const p = bench.preprocess;
  if (p) {
    const lfw = p.folder.endsWith("lfw_min10");
    add(
      `\`preprocess\` of ${p.folder} (${p.photos} photos), cold cache, ${p.workers} workers`,
      `${p.cold_photos_per_s} photos/s`,
      lfw ? OTHER_TARGETS.preprocessRate : undefined,
      p.cold_photos_per_s,
    );
    add(
      `\`preprocess\` again over the unchanged folder (${p.second_run_processed} processed)`,
      `${p.second_run_seconds} s`,
      lfw ? OTHER_TARGETS.preprocessAgain : undefined,
      p.second_run_seconds,
    );
    add(
      `peak RSS of \`preprocess\`, ${p.workers} workers`,
      `${p.peak_rss_mb.toFixed(0)} MB`,
      lfw ? OTHER_TARGETS.preprocessRss : undefined,
      p.peak_rss_mb,
    );
  }
  add(
    "peak RSS of a process detecting over every set",
    `${bench.peak_rss_mb.toFixed(0)} MB`,
    OTHER_TARGETS.detectRss,
    bench.peak_rss_mb,
  );
  const t = bench.train;
  if (t) {
    const people = t.people === undefined ? "" : ` of ${t.people} people`;
    add(
      `\`train\`: ${t.faces} faces${people}, ${t.folds} folds × ${t.epochs} epochs, ${t.workers} workers`,
      `${t.seconds} s (${t.ms_per_epoch} ms per epoch)`,
      OTHER_TARGETS.train,
      t.seconds,
    );
  }
  return table(["what", "figure", ...(targets ? ["target"] : [])], "lrl", rows);
}

/**
 * The README's generated sections for a validated report and bench. Tables are padded as
 * `deno fmt` pads them; pass the result through `deno fmt` to be sure (as the CLI does).
 *
 * @param report A `report.json` that {@linkcode validateReport} accepts.
 * @param bench A `bench.json` that {@linkcode validateBench} accepts.
 * @param sources The two files' paths as the README should name them.
 * @returns The markdown of the accuracy and speed sections, without their markers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureSections } from "./readme_figures.ts";
 *
 * const meta = { commit: "861e8fa2ee58", deno: "2.9.6", cores: 2, date: "2026-11-28T03:39:40Z", quick: false };
 * const report = { ...meta, datasets: { bbt: { photos: 40, detection: { hit_rate: 0.975, fallback_rate: 0.025 } } } };
 * const bench = {
 *   ...meta,
 *   stages: { decode: { median_ms: 0.8, p90_ms: 1.1, n: 40 } },
 *   throughput: { workers_1: 106.7, workers_n: 215.7, n: 2 },
 *   cold_start_ms: { opencv: 258.3 },
 *   train: null,
 *   peak_rss_mb: 304.4,
 * };
 * const { accuracy, speed } = figureSections(report, bench, { report: "report.json", bench: "bench.json" });
 * assert.match(accuracy, /\| bbt +\| +40 \| +97\.5% \|/);
 * assert.match(speed, /\| first set \| decode +\| +0\.8 ms \|/);
 * ```
 */
export function figureSections(report: ReportJson, bench: BenchJson, sources: FigureSources): FigureSections {
  const accuracy = [
    provenance(sources.report, report, "report"),
    "#### Detection",
    detectionTable(report),
  ];
  const nme = nmeTable(report);
  if (nme) accuracy.push("#### Landmarks (NME, % of the outer-eye-corner distance)", nme);
  const acc = accuracyTable(report);
  if (acc) accuracy.push("#### Identification", acc);
  const open = openSetTables(report);
  if (open) accuracy.push("#### Open set and verification", open);
  accuracy.push("#### Reference figures", referenceTable(ACCURACY_REFERENCE));
  const speed = [
    provenance(sources.bench, bench, "bench"),
    "#### Stages (ms per photo; landmarks per face)",
    stageTable(bench),
    "#### Throughput, cold starts, memory, training",
    otherTable(bench),
    "#### Reference figures",
    referenceTable(SPEED_REFERENCE),
  ];
  return { accuracy: accuracy.join("\n\n"), speed: speed.join("\n\n") };
}

/**
 * Replaces the text between each section's `<!-- figures:NAME:start -->` and
 * `<!-- figures:NAME:end -->` markers by the section, with a blank line on each side.
 *
 * @param readme The README's text.
 * @param sections The new sections.
 * @returns The README with the sections replaced.
 * @throws {SyntaxError} When a section's markers are missing, repeated or out of order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spliceSections } from "./readme_figures.ts";
 *
 * const readme = [
 *   "# Title",
 *   "<!-- figures:accuracy:start -->",
 *   "old",
 *   "<!-- figures:accuracy:end -->",
 *   "<!-- figures:speed:start --><!-- figures:speed:end -->",
 * ].join("\n");
 * assert.equal(
 *   spliceSections(readme, { accuracy: "A", speed: "S" }),
 *   "# Title\n<!-- figures:accuracy:start -->\n\nA\n\n<!-- figures:accuracy:end -->\n" +
 *     "<!-- figures:speed:start -->\n\nS\n\n<!-- figures:speed:end -->",
 * );
 * ```
 */
export function spliceSections(readme: string, sections: FigureSections): string {
  let out = readme;
  for (const [name, body] of Object.entries(sections)) {
    const [i, j] = sectionRange(out, name);
    out = `${out.slice(0, i)}\n\n${body.trim()}\n\n${out.slice(j)}`;
  }
  return out;
}

/** Where a section's text lies: just after its start marker, and its end marker. */
function sectionRange(readme: string, name: string): [number, number] {
  const start = `<!-- figures:${name}:start -->`, end = `<!-- figures:${name}:end -->`;
  const i = readme.indexOf(start), j = readme.indexOf(end);
  if (i < 0 || j < 0) throw new SyntaxError(`no ${i < 0 ? start : end} marker`);
  if (readme.indexOf(start, i + 1) >= 0 || readme.indexOf(end, j + 1) >= 0) {
    throw new SyntaxError(`the figures:${name} markers appear more than once`);
  }
  if (j < i) throw new SyntaxError(`${end} comes before ${start}`);
  return [i + start.length, j];
}

/** Formats markdown with `deno fmt` and the project's settings (deno.json's `fmt`). */
export async function denoFmt(markdown: string): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext", "md", "-"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(markdown));
  await writer.close();
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  return new TextDecoder().decode(out.stdout);
}

/** A path as the README names it: relative to the project when inside it. */
function shown(path: string): string {
  const abs = path.startsWith("/") ? path : `${Deno.cwd()}/${path}`;
  const normal = abs.split("/").reduce<string[]>((acc, part) => {
    if (part === "..") acc.pop();
    else if (part !== "." && part !== "") acc.push(part);
    return acc;
  }, []).join("/");
  return `/${normal}`.startsWith(`${ROOT}/`) ? `/${normal}`.slice(ROOT.length + 1) : path;
}

/** Reads and validates one file; prints its problems and exits 1 when it is wrong. */
async function load<T>(path: string, validate: (json: unknown) => string[], task: string): Promise<T> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? `not found (write it with \`deno task ${task} --json-out ${shown(path)}\`)`
      : (e as Error).message;
    console.error(`${shown(path)}: ${why}`);
    Deno.exit(1);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    console.error(`${shown(path)}: not JSON (${(e as Error).message})`);
    Deno.exit(1);
  }
  const problems = validate(json);
  if (problems.length > 0) {
    for (const p of problems) console.error(`${shown(path)}: ${p}`);
    Deno.exit(1);
  }
  return json as T;
}

/** The command line: `[REPORT_JSON] [BENCH_JSON] [--readme PATH] [--check]`. */
interface Args {
  readonly report: string;
  readonly bench: string;
  readonly readme: string;
  readonly check: boolean;
}

function parseArgs(args: readonly string[]): Args | string {
  const files: string[] = [];
  let readme = `${ROOT}/README.md`, check = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "--check") check = true;
    else if (a === "--readme") {
      const v = args[++i];
      if (v === undefined || v.startsWith("--")) return "--readme needs a path";
      readme = v;
    } else if (a.startsWith("--readme=")) readme = a.slice("--readme=".length);
    else if (a.startsWith("-")) return `unknown option ${a}`;
    else files.push(a);
  }
  if (files.length > 2) return `at most two files, got ${files.length}`;
  return {
    report: files[0] ?? `${ROOT}/docs/report.json`,
    bench: files[1] ?? `${ROOT}/docs/bench.json`,
    readme,
    check,
  };
}

if (import.meta.main) {
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const args = parseArgs(Deno.args);
  if (typeof args === "string") {
    console.error(`readme: ${args}\n${USAGE}`);
    Deno.exit(2);
  }
  const report = await load<ReportJson>(args.report, validateReport, "report");
  const bench = await load<BenchJson>(args.bench, validateBench, "bench");
  const raw = figureSections(report, bench, { report: shown(args.report), bench: shown(args.bench) });
  const sections = { accuracy: await denoFmt(raw.accuracy), speed: await denoFmt(raw.speed) };
  const name = shown(args.readme);
  let before: string;
  try {
    before = await Deno.readTextFile(args.readme);
  } catch (e) {
    console.error(`${name}: ${e instanceof Deno.errors.NotFound ? "not found" : (e as Error).message}`);
    Deno.exit(1);
  }
  let after: string;
  try {
    after = spliceSections(before, sections);
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    console.error(`${name}: ${e.message}`);
    Deno.exit(1);
  }
  if (args.check) {
    if (after !== before) {
      const section = (text: string, k: string) => text.slice(...sectionRange(text, k));
      const stale = Object.keys(sections).filter((k) => section(before, k) !== section(after, k));
      console.error(
        `${name}: ${stale.map((k) => `figures:${k}`).join(" and ")} ${stale.length > 1 ? "differ" : "differs"} ` +
          `from ${shown(args.report)} and ${shown(args.bench)}; run \`deno task readme\``,
      );
      Deno.exit(1);
    }
    console.log(`${name}: figures up to date`);
  } else if (after === before) {
    console.log(`${name}: figures already up to date`);
  } else {
    await writeFileAtomic(args.readme, after);
    console.log(`${name}: figures rewritten from ${shown(args.report)} and ${shown(args.bench)}`);
  }
}
