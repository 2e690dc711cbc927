/**
 * `deno task readme [REPORT_JSON] [BENCH_JSON] [--out DIR] [--check]`: writes `docs/figures.md`
 * and its plots (`scripts/_svg.ts`) from `docs/report.json` and `docs/bench.json` (the defaults),
 * with the names, targets and reference figures of `docs/figure_notes.json`, all three validated
 * first (`scripts/_schema.ts`; a problem exits 1), and `docs/cli.md` from the command definitions.
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
import type {
  BenchJson,
  DatasetReport,
  DetectorNmeFigures,
  LandmarkOptionsJson,
  NmeFigures,
  NotesJson,
  OpenSetFigures,
  ReportJson,
  StageTimes,
  Throughput,
} from "./_schema.ts";
import { validateBench, validateNotes, validateReport } from "./_schema.ts";
import { DETECTOR_COLUMNS, perDetector } from "./_meta.ts";
import { DEFAULT_CLUSTER_ALGORITHM } from "../lib/cluster/cluster_faces.ts";
import { identificationPlot, stagesPlot, verificationPlot } from "./_svg.ts";

type Cell = string | number | undefined;
type Rows = readonly (readonly Cell[])[];

const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);
const ms = (v: number) => `${v.toFixed(1)} ms`;
const and = (...parts: string[]) => parts.filter((p) => p).join("; ");

/** Column heads, one per detector (`head, haar:|head, blazeface:`); `:` right-aligns them. */
const pairHead = (head: string, align = ":") => DETECTOR_COLUMNS.map((d) => `${head}, ${d}${align}`).join("|");
/** One cell per detector, in {@linkcode DETECTOR_COLUMNS} order. */
const pair = <T>(by: Readonly<Record<DetectorName, T>>, cell: (v: T, d: DetectorName) => Cell): Cell[] =>
  DETECTOR_COLUMNS.map((d) => cell(by[d], d));
/** The one value when every detector gives it, else each detector's, separated by ` / `. */
const same = <T>(by: Readonly<Record<DetectorName, T>>, cell: (v: T) => string): string => {
  const all = DETECTOR_COLUMNS.map((d) => cell(by[d]));
  return all.every((c) => c === all[0]) ? all[0]! : all.join(" / ");
};
/** How many passes the landmark network makes with `o`. */
const passes = (o: LandmarkOptionsJson) =>
  `${o.refine ? "two passes (refined)" : "one pass"}${o.mirror ? ", mirrored" : ""}`;

/**
 * A markdown table (`deno fmt` pads it). `head` names the columns, separated by `|`; a trailing
 * `:` right-aligns one. A column empty in every row is left out (the targets of a `--quick` run).
 */
function table(head: string, rows: Rows): string {
  const cols = head.split("|");
  const keep = cols.flatMap((_, i) => (rows.some((r) => (r[i] ?? "") !== "") ? [i] : []));
  const line = (cells: readonly Cell[]) =>
    `| ${keep.map((i) => `${cells[i] ?? ""}`.replaceAll("|", "\\|")).join(" | ")} |`;
  const rule = `| ${keep.map((i) => (cols[i]!.endsWith(":") ? "--:" : "---")).join(" | ")} |`;
  return [line(cols.map((c) => c.replace(/:$/, ""))), rule, ...rows.map(line)].join("\n");
}

/** A `###` section: its heading, a plot (its markdown) and the table; nothing without rows. */
const section = (title: string, head: string, rows: Rows, plot = "") =>
  rows.length === 0 ? [] : [`### ${title}`, ...(plot ? [plot] : []), table(head, rows)];

/** A `##` part: which file, command, commit, date, cores and Deno produced its figures, its sections, the reference. */
function part(title: string, file: string, json: ReportJson | BenchJson, sections: string[], reference: Rows) {
  const date = new Date(json.date).toISOString().slice(0, 16).replace("T", " ");
  const made = table("figures from|written by|commit|date (UTC)|cores:|Deno", [
    [`\`${file}\``, `\`${json.command}\``, `\`${json.commit}\``, date, json.cores, json.deno],
  ]);
  const quick = json.quick ? ["A `--quick` run (fixed subsets): the targets do not apply."] : [];
  const head = "reference (measured before this port and quoted by the project's issues)|figure:";
  return [`## ${title}`, made, ...quick, ...sections, ...section("Reference figures", head, reference)];
}

/**
 * The verdict of target `key` on `v` (`≥ 95% met`, empty without one or when `quick`); `goals`
 * gives it for each detector's figure (`≥ 95%: haar met, blazeface **not met**`); and a name (or `code`).
 */
function page(notes: NotesJson, quick: boolean) {
  const verdict = (key: string, v: number | null | undefined) => {
    const t = notes.targets[key];
    if (quick || !t || v === undefined || v === null) return undefined;
    return (t.min === undefined || v >= t.min) && (t.max === undefined || v <= t.max) ? "met" : "**not met**";
  };
  const bound = (key: string) => {
    const t = notes.targets[key]!;
    return `${t.min === undefined ? "≤" : "≥"} ${t.text}`;
  };
  const goal = (key: string, v: number | null | undefined, prefix = "") => {
    const met = verdict(key, v);
    return met === undefined ? "" : `${prefix}${bound(key)} ${met}`;
  };
  const goals = (key: string, by: Readonly<Record<DetectorName, number | null | undefined>>, prefix = "") => {
    const each = DETECTOR_COLUMNS.flatMap((d) => {
      const met = verdict(key, by[d]);
      return met === undefined ? [] : [`${d} ${met}`];
    });
    return each.length === 0 ? "" : `${prefix}${bound(key)}: ${each.join(", ")}`;
  };
  const label = (name: string, code = false) => notes.labels[name] ?? (code ? `\`${name}\`` : name);
  return { goal, goals, label };
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
  return section("Detectors (each figure below is given behind each)", head, rows);
}

function accuracyPart(report: ReportJson, notes: NotesJson): string[] {
  const { goal, goals, label } = page(notes, report.quick);
  /** A table's rows: those of each dataset, after its name. */
  const each = (rows: (n: string, d: DatasetReport) => Cell[][]) =>
    Object.entries(report.datasets).flatMap(([n, d]) => rows(n, d).map((row) => [label(n), ...row]));
  const faFr = (r: { false_accept: number; false_reject: number }) => `${pct(r.false_accept)} / ${pct(r.false_reject)}`;
  const open = (n: string, by: Readonly<Record<DetectorName, OpenSetFigures>>) => {
    type Rates = OpenSetFigures["odd_at_default"];
    const rates = (r: Rates) => [r.strangers_named, r.known_unknown, r.known_wrong];
    const row = (set: string, at: string, r: (o: OpenSetFigures) => Rates, goal = "") => [
      set,
      at,
      ...[0, 1, 2].flatMap((i) => pair(by, (o) => pct(rates(r(o))[i]!))),
      goal,
    ];
    const worst = goals(`open_set/${n}`, perDetector((d) => Math.max(...rates(by[d].odd_at_default))), "each ");
    const chosen = (t: (o: OpenSetFigures) => number) => same(by, (o) => String(t(o)));
    const d0 = by[report.default_detector];
    return [
      row("embedding", `odd, default ${d0.threshold_default}`, (o) => o.odd_at_default, worst),
      row("embedding", `odd, ${chosen((o) => o.threshold_chosen_on_even)} (chosen on even)`, (o) => o.odd_at_chosen),
      row("embedding", `even, default ${d0.threshold_default}`, (o) => o.even_at_default),
      ...Object.keys(d0.network ?? {}).flatMap((set) => {
        const net = (o: OpenSetFigures) => o.network![set]!;
        return [
          row(
            `${set} (network)`,
            `odd, min-prob ${same(by, (o) => String(net(o).min_prob_default))} (default)`,
            (o) => net(o).odd_at_default,
          ),
          row(
            `${set} (network)`,
            `odd, min-prob ${chosen((o) => net(o).min_prob_chosen_on_even)} (chosen on even)`,
            (o) => net(o).odd_at_chosen,
          ),
        ];
      }),
    ];
  };
  /** The landmark table's rows of one dataset: each network with the defaults, then one pass and refined. */
  const landmarks = (n: string, by: Readonly<Record<DetectorName, DetectorNmeFigures>>) => {
    const defaults = by[report.default_detector];
    const model = defaults.options.model;
    const row = (what: string, get: (x: DetectorNmeFigures) => NmeFigures, target = false) => [
      what,
      ...pair(by, (x) => get(x).median.toFixed(2)),
      ...pair(by, (x) => get(x).mean.toFixed(2)),
      ...pair(by, (x) => `${get(x).even.median.toFixed(2)} / ${get(x).odd.median.toFixed(2)}`),
      ...pair(by, (x) => pct(get(x).found_rate)),
      target
        ? and(
          goals(`nme/${n}/median`, perDetector((d) => get(by[d]).median), "median "),
          goals(`nme/${n}/found`, perDetector((d) => get(by[d]).found_rate)),
        )
        : "",
    ];
    return [
      ...Object.keys(defaults.models).map((m) =>
        row(`${m}, each detector's defaults`, (x) => x.models[m]!, m === model)
      ),
      row(`${model}, one pass`, (x) => x.refine.off),
      row(`${model}, two passes (refined)`, (x) => x.refine.on),
    ];
  };
  const nmeHead = [
    "dataset|network, passes",
    pairHead("median"),
    pairHead("mean"),
    pairHead("even / odd half median"),
    pairHead("photos with such a face"),
    "target",
  ].join("|");
  const identificationHead = [
    "dataset|features|classifier|people:",
    pairHead("faces (+ no face)"),
    pairHead("k-fold mean ± std"),
    pairHead("no-face as errors"),
    pairHead("train→test"),
    "k:|target",
  ].join("|");
  const verificationHead = [
    "dataset",
    pairHead("pairs (same / different person)"),
    pairHead("EER (at distance)"),
    pairHead("EER, odd half"),
    "default threshold:",
    pairHead("false accept / reject at default"),
    pairHead("the same, odd half"),
    "target (EER)",
  ].join("|");
  return [
    ...detectorsSection(report),
    ...section(
      "Detection",
      [
        "dataset|photos:",
        pairHead("hit (all)"),
        pairHead("even / odd half"),
        pairHead("from the padded pass"),
        pairHead("no face (fallback)"),
        pairHead("false boxes"),
        pairHead("missed"),
        "target",
      ].join("|"),
      each((n, { photos, detection: d }) => [[
        photos,
        ...pair(d, (x) => pct(x.hit_rate)),
        ...pair(d, (x) => `${pct(x.even.hit_rate)} / ${pct(x.odd.hit_rate)}`),
        ...pair(d, (x) => pct(x.padded_rate)),
        ...pair(d, (x) => pct(x.fallback_rate)),
        ...pair(d, (x) => x.false_boxes),
        ...pair(d, (x) => x.misses.length),
        and(
          goals(`hit/${n}`, perDetector((k) => d[k].hit_rate)),
          goals(`false_boxes/${n}`, perDetector((k) => d[k].false_boxes)),
        ),
      ]]),
    ),
    ...section(
      "Landmarks (NME, % of the outer-eye-corner distance), behind each detector's boxes",
      nmeHead,
      each((n, d) => (d.nme ? landmarks(n, d.nme) : [])),
    ),
    ...section(
      "Landmarks from crops of the annotated points (no detector: each network's own ceiling)",
      "dataset|network|median:|mean:|even half median:|odd half median:",
      each((_, d) =>
        Object.entries(d.nme?.ceiling.models ?? {}).map(([model, x]) => [
          model,
          ...[x.median, x.mean, x.even.median, x.odd.median].map((v) => v.toFixed(2)),
        ])
      ),
    ),
    ...section(
      "Identification",
      identificationHead,
      each((n, d) => {
        if (!d.accuracy) return [];
        const by = d.accuracy;
        return Object.entries(by[report.default_detector]).map(([set, a]) => {
          const s = perDetector((k) => by[k][set]!);
          return [
            set,
            a.method === "nearest" ? "gallery (nearest person)" : `network, ${a.epochs} epochs`,
            same(s, (x) => String(x.people)),
            ...pair(s, (x) => `${x.faces} (+${x.no_face})`),
            ...pair(s, (x) => `${pct(x.kfold_mean)} ± ${pct(x.kfold_std)}`),
            ...pair(s, (x) => pct(x.kfold_mean_all)),
            ...pair(s, (x) => x.train_test === null ? "—" : `${pct(x.train_test)} ± ${pct(x.train_test_std)}`),
            same(s, (x) => String(x.k)),
            and(
              goals(`accuracy/${n}/${set}/kfold_mean_all`, perDetector((k) => s[k].kfold_mean_all), "k-fold "),
              goals(`accuracy/${n}/${set}/train_test`, perDetector((k) => s[k].train_test), "train→test "),
            ),
          ];
        });
      }),
      "![Identification accuracy by dataset, detector and feature set](identification.svg)",
    ),
    ...section(
      "Open set",
      [
        "dataset|features|half, threshold",
        pairHead("strangers named"),
        pairHead("known → unknown"),
        pairHead("known → wrong person"),
        "target",
      ].join("|"),
      each((n, d) => (d.open_set ? open(n, d.open_set) : [])),
    ),
    ...section(
      "Verification",
      verificationHead,
      each((n, { verification: by }) => {
        if (!by) return [];
        return [[
          ...pair(by, (v) => `${v.pairs.genuine} / ${v.pairs.impostor}`),
          ...pair(by, (v) => `${pct(v.eer)} (${v.eer_threshold})`),
          ...pair(by, (v) => pct(v.eer_odd)),
          same(by, (v) => String(v.threshold_default)),
          ...pair(by, (v) => faFr(v.at_default)),
          ...pair(by, (v) => faFr(v.odd_at_default)),
          goals(`eer/${n}`, perDetector((k) => by[k].eer)),
        ]];
      }),
      "![Verification error rates against the distance threshold](verification.svg)",
    ),
    ...section(
      `Clustering (every face of every photo, behind ${report.default_detector}; scored on each photo's centred face)`,
      "dataset|algorithm|options|half|BCubed F1|pairwise precision / recall|groups / people|unclustered|ms|target",
      each((n, { clustering }) =>
        Object.entries(clustering ?? {}).flatMap(([algorithm, c]) => {
          const o = c.options as { threshold?: number; minSize?: number; power?: number };
          const options = `distance ${o.threshold}, min size ${o.minSize}${o.power ? `, power ${o.power}` : ""}`;
          const chosen = algorithm === DEFAULT_CLUSTER_ALGORITHM;
          return (["even", "odd"] as const).map((h) => {
            const f = c[h];
            const aims = chosen
              ? [
                goal(`cluster/${n}/bcubed_f1`, f.bcubed_f1, "BCubed "),
                goal(`cluster/pairwise_precision`, f.pairwise_precision, "precision "),
                goal(`cluster/groups_over_people`, Math.abs(f.groups / f.people - 1), "groups off by "),
                goal(`cluster/unclustered`, f.unclustered_rate, "unclustered "),
              ].filter((g) => g !== "").join("; ")
              : "";
            return [
              `\`${algorithm}\`${chosen ? " (default)" : ""}`,
              options,
              h,
              f.bcubed_f1.toFixed(3),
              `${f.pairwise_precision.toFixed(3)} / ${f.pairwise_recall.toFixed(3)}`,
              `${f.groups} / ${f.people}`,
              pct(f.unclustered_rate),
              String(f.ms),
              aims,
            ];
          });
        })
      ),
    ),
  ];
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

function speedPart(bench: BenchJson, notes: NotesJson): string[] {
  const { goal, goals, label } = page(notes, bench.quick);
  const stages = stageSets(bench).flatMap(([set, by]) => {
    const keys = [...new Set(DETECTOR_COLUMNS.flatMap((d) => Object.keys(by[d])))];
    return keys.map((k) => {
      const s = perDetector((d) => by[d][k]);
      const cell = (f: (v: StageTimes) => Cell) => pair(s, (v) => (v ? f(v) : "—"));
      return [
        set,
        label(k, true),
        ...cell((v) => ms(v.median_ms)),
        ...cell((v) => ms(v.p90_ms)),
        same(s, (v) => (v ? String(v.n) : "—")),
        goals(`stage/${set}/${k}`, perDetector((d) => s[d]?.median_ms), "median "),
      ];
    });
  });
  const e2e = "end to end (decode → landmarks → geometry and embedding)";
  const rate = (a: number, b: number) => `${a} / ${b} photos/s`;
  const rows: Cell[][] = Object.entries(bench.sets).flatMap(([set, { throughput: by }]) => {
    const n = same(by, (t) => String(t.n));
    const most = (get: (t: Throughput) => number) => perDetector((d) => get(by[d]));
    return [
      [
        `${set}: ${e2e}, 1 / ${n} workers`,
        ...pair(by, (t) => rate(t.workers_1, t.workers_n)),
        goals(`throughput/${set}/workers_n`, most((t) => t.workers_n), `${n} workers `),
      ],
      [
        `${set}: decode + detect, 1 / ${n} workers`,
        ...pair(by, (t) => rate(t.detect_only_workers_1, t.detect_only_workers_n)),
        goals(`throughput/${set}/detect_only_workers_n`, most((t) => t.detect_only_workers_n), `${n} workers `),
      ],
    ];
  });
  const cold = bench.cold_start_by_detector_ms;
  for (const k of [...new Set(DETECTOR_COLUMNS.flatMap((d) => Object.keys(cold[d])))]) {
    const v = perDetector((d) => cold[d][k]);
    rows.push([
      `cold start: ${label(k, true)}`,
      ...pair(v, (x) => x === undefined ? "—" : `${x.toFixed(0)} ms`),
      goals(`cold/${k}`, v),
    ]);
  }
  const p = bench.preprocess;
  if (p) {
    const first = p[DETECTOR_COLUMNS[0]!], key = `preprocess/${first.folder.split("/").at(-1)}`;
    const figure = (get: (x: typeof first) => number) => perDetector((d) => get(p[d]));
    const what = `\`preprocess\` of ${first.folder} (${same(p, (x) => String(x.photos))} photos), cold cache, ` +
      `${first.workers} workers`;
    rows.push([
      what,
      ...pair(p, (x) => `${x.cold_photos_per_s} photos/s`),
      goals(`${key}/rate`, figure((x) => x.cold_photos_per_s)),
    ]);
    const again = `\`preprocess\` again over the unchanged folder (${
      same(p, (x) => String(x.second_run_processed))
    } processed)`;
    rows.push([
      again,
      ...pair(p, (x) => `${x.second_run_seconds} s`),
      goals(`${key}/again`, figure((x) => x.second_run_seconds)),
    ]);
    const rss = `peak RSS of \`preprocess\`, ${first.workers} workers`;
    rows.push([
      rss,
      ...pair(p, (x) => `${x.peak_rss_mb.toFixed(0)} MB`),
      goals(`${key}/rss`, figure((x) => x.peak_rss_mb)),
    ]);
  }
  const rss = bench.peak_rss_mb;
  rows.push([
    "peak RSS of a process detecting over every set",
    ...pair(rss, (x) => `${x.toFixed(0)} MB`),
    goals("detect_rss", rss),
  ]);
  const shared: Cell[][] = Object.entries(bench.cold_start_ms).map(([k, v]) => [
    `cold start: ${label(k, true)}`,
    `${v.toFixed(0)} ms`,
    goal(`cold/${k}`, v),
  ]);
  for (const [k, c] of Object.entries(bench.clustering?.sets ?? {})) {
    shared.push([
      `clustering ${c.faces} faces (${c.real_faces} of ${
        bench.clustering!.base
      }, the rest synthetic; ${c.graph} graph), from a cache`,
      `${(c.ms / 1000).toFixed(1)} s (${c.groups} groups, ${c.unclustered} unclustered)`,
      goal(`cluster_time/${k}`, c.ms),
    ]);
  }
  for (const [k, g] of Object.entries(bench.gallery?.sets ?? {})) {
    const n = `${g.faces.toLocaleString("en")} faces`;
    const index = `${g.cells} cells, ${g.probes} probes${
      g.saved_with_index ? ", saved with the gallery" : ", built for the bench"
    }`;
    shared.push(
      [
        `gallery of ${n}: load to a first answer (validation included)`,
        `${g.load_ms} ms`,
        goal(`gallery/${k}/load`, g.load_ms),
      ],
      [
        `gallery of ${n}: resident memory added by the load`,
        `${g.rss_growth_mb} MB`,
        goal(`gallery/${k}/rss`, g.rss_growth_mb),
      ],
      [
        `gallery of ${n}: nearest person, exact (median)`,
        `${g.person_exact_ms.toFixed(2)} ms`,
        goal(`gallery/${k}/person_exact`, g.person_exact_ms),
      ],
      [
        `gallery of ${n}: nearest person, inverted file (${index}; recall@1 against exact)`,
        `${g.person_index_ms.toFixed(2)} ms (${(100 * g.person_recall_at_1).toFixed(1)}%)`,
        [
          goal(`gallery/${k}/person_index`, g.person_index_ms),
          goal(`gallery/${k}/recall`, g.person_recall_at_1, "recall "),
        ]
          .filter((x) => x).join(", "),
      ],
      [
        `gallery of ${n}: nearest face, exact / inverted file (recall@1)`,
        `${g.face_exact_ms.toFixed(2)} / ${g.face_index_ms.toFixed(2)} ms (${(100 * g.face_recall_at_1).toFixed(1)}%)`,
        "",
      ],
      [
        `gallery of ${n}: add one face to the loaded gallery and save`,
        `${g.add_one_ms} ms`,
        goal(`gallery/${k}/add_one`, g.add_one_ms),
      ],
      [
        `gallery of ${n}: \`enrol\` of one photo from the command line`,
        `${(g.cli_enrol_ms / 1000).toFixed(2)} s`,
        goal(`gallery/${k}/cli_enrol`, g.cli_enrol_ms),
      ],
    );
  }
  for (const [k, g] of Object.entries(bench.pgvector?.sets ?? {})) {
    const n = `${g.faces.toLocaleString("en")} faces`;
    const file = bench.gallery?.sets[k];
    shared.push(
      [
        `pgvector gallery of ${n} (PGlite, WASM in-process): enrol them, 1,000 per call`,
        `${g.bulk_enrol_s} s`,
        "",
      ],
      [
        `pgvector gallery of ${n} (PGlite): enrol one face${file ? "; the file store: add one and save" : ""}`,
        `${g.enrol_one_ms} ms${file ? `; ${file.add_one_ms} ms` : ""}`,
        "",
      ],
      [
        `pgvector gallery of ${n} (PGlite): nearest person, exact / HNSW (ef_search ${
          bench.pgvector!.ef_search
        }; recall@1 against exact)${file ? "; the file store, exact" : ""}`,
        `${g.person_exact_ms.toFixed(2)} / ${g.person_hnsw_ms.toFixed(2)} ms (${
          (100 * g.person_recall_at_1).toFixed(1)
        }%)${file ? `; ${file.person_exact_ms.toFixed(2)} ms` : ""}`,
        goal("pgvector/recall", g.person_recall_at_1, "recall "),
      ],
    );
  }
  const sv = bench.service;
  if (sv) {
    for (const r of Object.values(sv.runs)) {
      shared.push([
        `service, ${r.workers} worker${
          r.workers === 1 ? "" : "s"
        }: ${sv.endpoint}, ${r.concurrency} in flight, ${r.requests} requests (${r.errors} errors)`,
        `${r.per_s} /s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`,
        "",
      ]);
    }
    shared.push([
      "service: answers per second, 2 workers over 1 (the load client on the same 2 cores)",
      `${sv.speedup_2_over_1}×`,
      goal("service/speedup", sv.speedup_2_over_1),
    ]);
    const counts = Object.keys(sv.runs.workers_2?.rss_mb ?? {}).map(Number).sort((a, b) => a - b);
    shared.push([
      "service, 2 workers: resident memory by answers served",
      counts.map((c) => `${c.toLocaleString("en")}: ${sv.runs.workers_2!.rss_mb[String(c)]} MB`).join(", "),
      sv.rss_growth_mb === null ? "" : goal("service/rss_growth", sv.rss_growth_mb),
    ]);
    for (const h of sv.hostile ?? []) {
      const limit = h.file_limit === null ? "" : `, ulimit -n ${h.file_limit}`;
      const who = `service, ${h.workers} workers, ${h.slow_clients.toLocaleString("en")} ${
        h.slow_kind.startsWith("uploads") ? "slow uploads" : "slow clients"
      }${limit} (cap ${h.max_connections.toLocaleString("en")})`;
      shared.push([
        `${who}: a prompt client's p50 latency, unloaded → under attack (${h.requests} requests, ${h.errors} errors${
          h.service_up ? "" : ", the service died"
        })`,
        `${h.unloaded_p50_ms} → ${h.loaded_p50_ms} ms (${h.latency_ratio}×)`,
        goal("service/slow_latency", h.service_up ? h.latency_ratio : Infinity),
      ]);
      shared.push([
        `${who}: resident memory idle → under attack → after they left`,
        `${h.rss_idle_mb} → ${h.rss_attack_mb} → ${h.rss_after_mb} MB`,
        goal("service/slow_rss_after", h.rss_after_growth_mb),
      ]);
    }
  }
  const t = bench.train;
  if (t) {
    const what = `\`train\`: ${t.faces} faces of ${t.people} people, ${t.folds} folds × ${t.epochs} epochs`;
    const figure = `${t.seconds} s (${t.ms_per_epoch} ms per epoch)`;
    shared.push([`${what}, ${t.workers} workers`, figure, goal("train", t.seconds)]);
  }
  const title = "Stages (ms per photo; landmarks and embedding per face, with each detector's landmark options)";
  return [
    ...section(
      title,
      `set|stage|${pairHead("median")}|${pairHead("p90")}|n:|target`,
      stages,
      "![Time per stage: median and p90, by set and detector](stages.svg)",
    ),
    ...section("Throughput, cold starts and memory, by detector", `what|${DETECTOR_COLUMNS.join(":|")}:|target`, rows),
    ...section("Cold starts and training (the same behind every detector)", "what|figure:|target", shared),
  ];
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
 * const notes = { labels: {}, targets, reference: { accuracy: [], speed: [] } };
 * const page = figureFiles(read("report.json"), read("bench.json"), notes, { report: "r", bench: "b" })["figures.md"];
 * const detection = "| lfw_min10 | 2159 | 99.4% | 99.8% | 99.5% / 99.3% | 99.9% / 99.7% | 0.4% | 0.1% | 0.5% | 0.1% |";
 * assert.ok(page?.includes(`${detection} 2 | 1 | ≥ 99.5%: haar **not met**, blazeface met |`));
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
    ...part("Accuracy", sources.report, report, accuracyPart(report, notes), notes.reference.accuracy),
    ...part("Speed", sources.bench, bench, speedPart(bench, notes), notes.reference.speed),
  ];
  return {
    "figures.md": `${md.join("\n\n")}\n`,
    "identification.svg": identificationPlot(report),
    "verification.svg": verificationPlot(report),
    "stages.svg": stagesPlot(
      stageSets(bench).flatMap(([set, by]) => DETECTOR_COLUMNS.map((d, i) => [`${set}, ${d}`, by[d], i] as const)),
      page(notes, bench.quick).label,
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
