/**
 * `deno task readme [REPORT_JSON] [BENCH_JSON] [--out DIR] [--check]`: writes `docs/figures.md`
 * and its plots (`scripts/_svg.ts`) from `docs/report.json` and `docs/bench.json` (the defaults),
 * with the names, targets, reference figures and table specs of `docs/figure_notes.json`, all three
 * validated first (`lib/eval/schema.ts`; a problem exits 1; the tables are drawn by
 * `lib/eval/tables.ts`, as the report's and bench's console draw them), and `docs/cli.md` from the
 * command definitions.
 * Files go through `deno fmt` and are written atomically when they change. `--check` writes
 * nothing and exits 1 when a file differs from what they give. Usage mistakes exit 2.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { writeFileAtomic } from "../lib/_fs.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { cliReference } from "../lib/cli/reference.ts";
import type { DetectorName } from "../lib/detect/detect_faces.ts";
import { markdownTable, renderTable } from "../lib/eval/tables.ts";
import type { BenchJson, LandmarkOptionsJson, NotesJson, ReportJson, StageTimes } from "../lib/eval/schema.ts";
import { validateBench, validateNotes, validateReport } from "../lib/eval/schema.ts";
import { DETECTOR_COLUMNS, perDetector } from "../lib/eval/per_detector.ts";
import { TABLE_VARS } from "./_meta.ts";
import { identificationPlot, stagesPlot, verificationPlot } from "./_svg.ts";

type Rows = readonly (readonly (string | number)[])[];

const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

/** How many passes the landmark network makes with `o`. */
const passes = (o: LandmarkOptionsJson) =>
  `${o.refine ? "two passes (refined)" : "one pass"}${o.mirror ? ", mirrored" : ""}`;

/** A markdown table of fixed rows: `head` names the columns, separated by `|`; a trailing `:` right-aligns one. */
function table(head: string, rows: Rows): string {
  const cols = head.split("|").map((c) => ({ text: c.replace(/:$/, ""), right: c.endsWith(":") }));
  return markdownTable({ title: "", head: cols, rows: rows.map((r) => r.map(String)) });
}

/** A `###` section: its heading, a plot (its markdown) and the table; nothing without rows. */
const section = (title: string, table: string, rows: number, plot?: string) =>
  rows === 0 ? [] : [`### ${title}`, ...(plot ? [plot] : []), table];

/** A `##` part: which file, command, commit, date, cores and Deno produced its figures, its sections, the reference. */
function part(title: string, file: string, json: ReportJson | BenchJson, sections: string[], reference: Rows) {
  const date = new Date(json.date).toISOString().slice(0, 16).replace("T", " ");
  const made = table("figures from|written by|commit|date (UTC)|cores:|Deno", [
    [`\`${file}\``, `\`${json.command}\``, `\`${json.commit}\``, date, json.cores, json.deno],
  ]);
  const quick = json.quick ? ["A `--quick` run (fixed subsets): the targets do not apply."] : [];
  const head = "reference (measured before this port and quoted by the project's issues)|figure:";
  return [
    `## ${title}`,
    made,
    ...quick,
    ...sections,
    ...section("Reference figures", table(head, reference), reference.length),
  ];
}

/** The detectors the report compares: each one's landmark options, and which is the default. */
function detectorsSection(report: ReportJson): string[] {
  const rows = DETECTOR_COLUMNS.map((d) => {
    const l = report.settings[d].landmarks;
    return [
      `\`${d}\`${d === report.default_detector ? " (the default)" : ""}`,
      l.model,
      `${l.scale} × the box, shifted ${l.shiftY} × its height`,
      passes(l),
    ];
  });
  const head = "detector|landmark network|landmark crop|landmark passes";
  return section("Detectors (each figure below is given behind each)", table(head, rows), rows.length);
}

/** The sections of the tables `notes` specifies for one file, drawn from its JSON. */
function specSections(notes: NotesJson, file: "report" | "bench", json: ReportJson | BenchJson): string[] {
  return notes.tables.filter((t) => t.file === file).flatMap((spec) => {
    const t = renderTable(spec, json, { notes, quick: json.quick, vars: TABLE_VARS });
    return section(t.title, markdownTable(t), t.rows.length, t.plot);
  });
}

/**
 * Stage times by set and detector (`[set, detector, stages]`, each set's detectors side by
 * side); the `recognize_*` stages, measured once through the library, as the set `library`.
 */
function stageSets(bench: BenchJson) {
  const sets: (readonly [string, Readonly<Record<DetectorName, Readonly<Record<string, StageTimes>>>>])[] = Object
    .entries(bench.sets).map(([name, s]) => [name, s.stages] as const);
  const library = perDetector((d) =>
    Object.fromEntries(Object.entries(bench.stages[d]).filter(([k]) => k.startsWith("recognize_")))
  );
  if (DETECTOR_COLUMNS.some((d) => Object.keys(library[d]).length > 0)) sets.push(["library", library]);
  return sets;
}

/**
 * The figures page and its plots, before `deno fmt` (which pads the tables and indents the SVG).
 *
 * @param report A `report.json` that {@linkcode validateReport} accepts.
 * @param bench A `bench.json` that {@linkcode validateBench} accepts.
 * @param notes A `figure_notes.json` that {@linkcode validateNotes} accepts.
 * @param sources The paths of `report.json` and `bench.json` as the page names them.
 * @returns `figures.md` and the SVG plots it shows, by file name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { figureFiles } from "./readme_figures.ts";
 *
 * const read = (file: string) => JSON.parse(Deno.readTextFileSync(new URL(`./testdata/${file}`, import.meta.url)));
 * const targets = { "hit/lfw_min10": { min: 0.995, text: "99.5%" } };
 * // The tables as docs/figure_notes.json specifies them; no names, one target.
 * const { tables } = JSON.parse(Deno.readTextFileSync(new URL("../docs/figure_notes.json", import.meta.url)));
 * const notes = { labels: {}, targets, reference: { accuracy: [], speed: [] }, tables };
 * const page = figureFiles(read("report.json"), read("bench.json"), notes, { report: "r", bench: "b" })["figures.md"];
 * const detection = "| lfw_min10 | 2159 | 99.4% | 99.8% | 99.5% / 99.3% | 99.9% / 99.7% | 0.4% | 0.1% | 0.5% | 0.1% |";
 * assert.ok(page?.includes(`${detection} 2 | 1 | 0 | 0 | ≥ 99.5%: haar **not met**, blazeface met |`));
 * assert.ok(page?.includes("| lfw_min10 | `decode` | 0.8 ms | 0.8 ms | 1.1 ms | 1.1 ms | 2159 |"));
 * ```
 */
export function figureFiles(
  report: ReportJson,
  bench: BenchJson,
  notes: NotesJson,
  sources: { readonly report: string; readonly bench: string },
): Record<string, string> {
  const md = [
    "# Measured figures",
    "Generated by `deno task readme` from the JSON that `deno task report` and `deno task bench` write, with the " +
    "names, targets and reference figures of `docs/figure_notes.json`: never edit this page or its plots; re-run " +
    "the commands, then `deno task readme`. `docs/measuring.md` says how each figure is measured.",
    ...part(
      "Accuracy",
      sources.report,
      report,
      [...detectorsSection(report), ...specSections(notes, "report", report)],
      notes.reference.accuracy,
    ),
    ...part("Speed", sources.bench, bench, specSections(notes, "bench", bench), notes.reference.speed),
  ];
  return {
    "figures.md": `${md.join("\n\n")}\n`,
    "identification.svg": identificationPlot(report),
    "verification.svg": verificationPlot(report),
    "stages.svg": stagesPlot(
      stageSets(bench).flatMap(([set, by]) => DETECTOR_COLUMNS.map((d, i) => [`${set}, ${d}`, by[d], i] as const)),
      (stage) => notes.labels[stage] ?? `\`${stage}\``,
      DETECTOR_COLUMNS,
    ),
  };
}

/** The README's headline figures (between its `figures:summary` markers), from report.json: the default detector's, the others' beside. */
export function headline({ datasets: d, default_detector: main }: ReportJson): string {
  const names = ["lfw_min10", "orl_att_faces", "bbt"];
  const others = DETECTOR_COLUMNS.filter((k) => k !== main);
  const acc = (set: string, k: DetectorName) =>
    names.map((n) => pct(d[n]?.accuracy?.[k][set]?.kfold_mean_all ?? null)).join(", ");
  const beside = (figure: (k: DetectorName) => string) =>
    others.length ? ` (behind ${others.map((k) => `${k}: ${figure(k)}`).join("; ")})` : "";
  const lfw = d.lfw_min10;
  const open = (k: DetectorName) => {
    const odd = lfw?.open_set?.[k].odd_at_default, v = lfw?.verification?.[k];
    return odd && v
      ? `${pct(odd.strangers_named)} of strangers named, ${pct(odd.known_unknown)} of known faces called unknown; ` +
        `1:1 equal error rate ${pct(v.eer)}`
      : "";
  };
  const found = (set: string, k: DetectorName) => {
    const x = d[set]?.detection[k];
    return x?.listed_faces ? `${Math.round(x.hit_rate * x.listed_faces)} with ${x.false_boxes} false boxes` : "";
  };
  const detection = (set: string, what: string) => {
    const x = d[set]?.detection[main];
    if (!x?.listed_faces) return "";
    const rest = others.map((k) => `${k} ${found(set, k)}`).join(", ");
    return `of the ${x.listed_faces} hand-boxed faces of ${what}, ${main} finds ${found(set, main)}` +
      (rest ? ` (${rest})` : "");
  };
  const detections = [detection("npm_samples", "the sample photos"), detection("scenes", "the scenes")]
    .filter((x) => x);
  return [
    `- **Identification**, k-fold by person, photos without a face counted as errors (${names.join(", ")}): the ` +
    `embedding's gallery ${acc("embedding", main)} behind ${main}, the default detector` +
    `${beside((k) => acc("embedding", k))}; the original's geometry ` +
    `${DETECTOR_COLUMNS.map((k) => `${acc("geometry", k)} behind ${k}`).join(", ")}.`,
    open(main)
      ? `- **Open set and verification** on LFW (thresholds chosen on the even half; the odd half), behind ${main}: ` +
        `${open(main)}${beside(open)}.`
      : "",
    detections.length ? `- **Detection**: ${detections.join("; ")}.` : "",
  ].filter((line) => line).join("\n");
}

/** `readme` with the text between its `<!-- figures:summary:start/end -->` markers replaced. */
function spliceSummary(readme: string, summary: string): string {
  const markers = /(<!-- figures:summary:start -->)[^]*?(<!-- figures:summary:end -->)/;
  if (!markers.test(readme)) throw new Error("README.md: the markers <!-- figures:summary:start/end --> are missing");
  return readme.replace(markers, (_, start, end) => `${start}\n\n${summary}\n\n${end}`);
}

/** Formats a file's text (`md`, `svg`) with `deno fmt` and the project's settings (deno.json's `fmt`). */
async function denoFmt(text: string, ext: string): Promise<string> {
  const args = ["fmt", "--ext", ext, "-"];
  const child = new Deno.Command(Deno.execPath(), { args, cwd: ROOT, stdin: "piped", stdout: "piped" }).spawn();
  await ReadableStream.from([new TextEncoder().encode(text)]).pipeTo(child.stdin);
  const out = await child.output();
  if (!out.success) throw new Error(`deno fmt failed on the generated ${ext}`);
  return new TextDecoder().decode(out.stdout);
}

/** A path as the page names it: relative to the project when inside it. */
const shown = (path: string) => (path.startsWith(`${ROOT}/`) ? path.slice(ROOT.length + 1) : path);

/** Reads and validates one file; prints its problems and exits 1 when it is wrong. */
async function load<T>(path: string, validate: (json: unknown) => string[], task?: string): Promise<T> {
  const json = await Deno.readTextFile(path).then(JSON.parse).catch((e) => {
    const hint = task ? ` (write it with \`deno task ${task} --json-out ${shown(path)}\`)` : "";
    console.error(`${shown(path)}: ${e instanceof Deno.errors.NotFound ? `not found${hint}` : (e as Error).message}`);
    Deno.exit(1);
  });
  const problems = validate(json);
  for (const p of problems) console.error(`${shown(path)}: ${p}`);
  if (problems.length > 0) Deno.exit(1);
  return json;
}

if (import.meta.main) {
  const USAGE = "usage: deno task readme [REPORT_JSON] [BENCH_JSON] [--out DIR] [--check]";
  const options = { out: { type: "string" }, check: { type: "boolean" } } as const;
  let args;
  try {
    args = parseArgs({ args: Deno.args, options, allowPositionals: true });
    if (args.positionals.length > 2) throw new TypeError(`at most two files, got ${args.positionals.length}`);
  } catch (e) {
    console.error(`readme: ${(e as Error).message}\n${USAGE}`);
    Deno.exit(2);
  }
  const { out = `${ROOT}/docs`, check = false } = args.values;
  const [reportPath = `${ROOT}/docs/report.json`, benchPath = `${ROOT}/docs/bench.json`] = args.positionals;
  const report = await load<ReportJson>(reportPath, validateReport, "report");
  const bench = await load<BenchJson>(benchPath, validateBench, "bench");
  const notes = await load<NotesJson>(`${ROOT}/docs/figure_notes.json`, validateNotes);
  const sources = { report: shown(reportPath), bench: shown(benchPath) };
  const files = figureFiles(report, bench, notes, sources);
  for (const [name, raw] of Object.entries(files)) files[name] = await denoFmt(raw, name.split(".").at(-1)!);
  files["cli.md"] = cliReference(); // from the command definitions, exactly (tests/cli_reference_test.ts)
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  files["README.md"] = await denoFmt(spliceSummary(readme, headline(report)), "md");
  const where = (name: string) => (name === "README.md" ? `${ROOT}/README.md` : `${out}/${name}`);
  const stale: string[] = [];
  for (const [name, text] of Object.entries(files)) {
    if (await Deno.readTextFile(where(name)).catch(() => undefined) === text) continue;
    stale.push(shown(where(name)));
    if (!check) await writeFileAtomic(where(name), text);
  }
  const why = `out of date with ${sources.report}, ${sources.bench} or the CLI; run \`deno task readme\``;
  if (stale.length === 0) console.log(`${Object.keys(files).map((name) => shown(where(name))).join(", ")}: up to date`);
  else if (!check) console.log(`${stale.join(", ")}: written`);
  else console.error(`${stale.join(", ")}: ${why}`);
  if (check && stale.length > 0) Deno.exit(1);
}
