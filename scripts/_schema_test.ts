import assert from "node:assert/strict";
import type { BenchJson, NotesJson, ReportJson } from "../lib/eval/schema.ts";
import { validateBench, validateNotes, validateReport } from "../lib/eval/schema.ts";
import { figureFiles } from "./readme_figures.ts";

const read = async (path: string) => JSON.parse(await Deno.readTextFile(new URL(path, import.meta.url)));
const BENCH: BenchJson = await read("./testdata/bench.json");
const REPORT: ReportJson = await read("./testdata/report.json");
const NOTES: NotesJson = await read("../docs/figure_notes.json");
const LFW = "datasets.lfw_min10";
const HELEN = "datasets.helen_landmarks";

/** A deep copy of `json` with the value at `path` replaced (or, with `undefined`, removed). */
function edited(json: unknown, path: string, value: unknown): unknown {
  const copy = structuredClone(json) as Record<string, unknown>;
  const keys = path.split(".");
  const parent = keys.slice(0, -1).reduce((o, k) => o[k] as Record<string, unknown>, copy);
  if (value === undefined) delete parent[keys.at(-1)!];
  else parent[keys.at(-1)!] = value;
  return copy;
}

/** The figures of the fixtures, with their sources named as the committed ones. */
const figures = (report: ReportJson = REPORT) =>
  figureFiles(report, BENCH, NOTES, { report: "docs/report.json", bench: "docs/bench.json" });

/** Valid files by validator, and edits of them: `[path, value]`, the problem at `path` (`""`: still valid). */
const CASES: [(json: unknown) => string[], unknown, [string, unknown, string][]][] = [
  [validateReport, REPORT, [
    [`${LFW}.accuracy.haar.embedding.kfold_mean`, "x", 'expected a number 0–1, got "x"'],
    [`${LFW}.detection.blazeface.hit_rate`, undefined, "missing (expected a number 0–1)"],
    [`${LFW}.detection.blazeface`, undefined, "missing (expected an object)"],
    [`${LFW}.detection.haar.even.padded_rate`, 1.5, "expected a number 0–1, got 1.5"],
    [`${LFW}.detection.haar.misses.0`, 1, "expected a string, got 1"],
    [`${LFW}.accuracy.blazeface.geometry.k`, 1, "expected an integer ≥ 2, got 1"],
    [`${LFW}.accuracy.haar.geometry.faces`, 2.5, "expected an integer ≥ 0, got 2.5"],
    [`${LFW}.accuracy.blazeface.both.method`, "magic", 'expected "network" or "nearest", got "magic"'],
    [`${LFW}.accuracy.haar.both.train_test`, undefined, "missing (expected a number 0–1 or null)"],
    [`${LFW}.accuracy.haar.geometry.seeds.1`, -1, "expected an integer ≥ 0, got -1"],
    [`${LFW}.open_set.haar.odd_at_chosen`, [], "expected an object, got an array"],
    [`${LFW}.open_set.blazeface.even_at_default.known_wrong`, null, "expected a number 0–1, got null"],
    [`${LFW}.verification.blazeface.eer_threshold`, "0.5", 'expected a number, got "0.5"'],
    [`${LFW}.verification.haar.pairs.genuine`, -3, "expected an integer ≥ 0, got -3"],
    [`${HELEN}.nme.haar.models.tiny.odd.found_rate`, 2, "expected a number 0–1, got 2"],
    [`${HELEN}.nme.blazeface.median`, -1, "expected a number ≥ 0, got -1"],
    [`${HELEN}.nme.blazeface.refine.on`, undefined, "missing (expected an object)"],
    [`${HELEN}.nme.haar.options.refine`, "yes", 'expected a boolean, got "yes"'],
    [`${HELEN}.nme.ceiling.models.full.median`, -1, "expected a number ≥ 0, got -1"],
    [`${HELEN}.nme.ceiling`, undefined, "missing (expected an object)"],
    ["default_detector", "opencv", 'expected one of blazeface, haar, got "opencv"'],
    ["settings.haar.landmarks.scale", "1", 'expected a number, got "1"'],
    ["settings.blazeface", undefined, "missing (expected an object)"],
    ["date", "yesterday", 'expected an ISO 8601 date string, got "yesterday"'],
    ["date", "2026-13-01T00:00:00Z", 'expected an ISO 8601 date string, got "2026-13-01T00:00:00Z"'],
    ["date", "2026-01-01", 'expected an ISO 8601 date string, got "2026-01-01"'],
    ["cores", 0, "expected an integer ≥ 1, got 0"],
    ["commit", 42, "expected a string, got 42"],
    ["datasets", 5, "expected an object, got 5"],
    ["datasets.bbt", "x", 'expected an object, got "x"'],
    [`${LFW}.accuracy.haar.geometry.train_test`, null, ""],
    [`${LFW}.accuracy.blazeface.geometry.epochs`, undefined, ""],
    [`${LFW}.open_set`, undefined, ""],
    [`${HELEN}.nme`, undefined, ""],
    [`${LFW}.detection.haar.misses`, [], ""],
    [`${LFW}.detection.haar.extra`, ["undeclared"], ""],
  ]],
  [validateBench, BENCH, [
    ["quick", undefined, "missing (expected a boolean)"],
    ["quick", "yes", 'expected a boolean, got "yes"'],
    ["train", 3, "expected an object, got 3"],
    ["train", undefined, "missing (expected an object or null)"],
    ["train.epochs", 0, "expected an integer ≥ 1, got 0"],
    ["throughput.haar.n", 1.5, "expected an integer ≥ 1, got 1.5"],
    ["throughput.blazeface", undefined, "missing (expected an object)"],
    ["stages.blazeface.decode.median_ms", undefined, "missing (expected a number ≥ 0)"],
    ["sets.samples_1920.stages.haar.decode_detect.p90_ms", -1, "expected a number ≥ 0, got -1"],
    ["sets.samples_640.throughput.blazeface.workers_1", "fast", 'expected a number ≥ 0, got "fast"'],
    ["cold_start_ms.opencv", "fast", 'expected a number ≥ 0, got "fast"'],
    ["cold_start_by_detector_ms.blazeface.detector", -2, "expected a number ≥ 0, got -2"],
    ["cold_start_by_detector_ms.haar", undefined, "missing (expected an object)"],
    ["peak_rss_mb.haar", 0, "expected a number > 0, got 0"],
    ["peak_rss_mb", 300, "expected an object, got 300"],
    ["preprocess.blazeface.folder", 42, "expected a string, got 42"],
    ["preprocess", null, ""],
    ["train", null, ""],
    ["embedding", { median_ms: "later" }, ""],
  ]],
  [validateNotes, NOTES, [["targets.hit/bbt.min", "98%", 'expected a number, got "98%"']]],
  [validateReport, await read("../docs/report.json"), []],
  [validateBench, await read("../docs/bench.json"), []],
];

Deno.test("the validators accept the fixtures and docs/*.json, and name each broken field by its path", () => {
  for (const [validate, json, cases] of CASES) {
    assert.deepEqual(validate(json), []);
    for (const [path, value, problem] of cases) {
      assert.deepEqual(validate(edited(json, path, value)), problem ? [`${path}: ${problem}`] : [], path);
    }
  }
  assert.deepEqual(validateReport([]), ["(top level): expected an object, got an array"]);
});

Deno.test("figureFiles() renders every table and plot of the fixtures, with their targets, the same each time", () => {
  const files = figures(), page = files["figures.md"]!;
  const sections = [
    "Detectors (each figure below is given behind each)",
    "Detection",
    "Landmarks (NME, % of the outer-eye-corner distance), behind each detector's boxes",
    "Landmarks from crops of the annotated points (no detector: each network's own ceiling)",
    "Identification",
    "Open set",
    "Verification",
    "Clustering (every face of every photo, behind blazeface; scored on each photo's centred face)",
    "Stages (ms per photo; landmarks and embedding per face, with each detector's landmark options)",
    "Throughput, cold starts and memory, by detector",
    "Cold starts and training (the same behind every detector)",
  ];
  const parts = [
    "\n| lfw_min10 | embedding | gallery (nearest person) | 106 | 2148 (+11) | 2156 (+3) | 96.5% ± 0.1% | 97.3% ± 0.1% |",
    "\n| lfw_min10 | 2159 | 99.4% | 99.8% | 99.5% / 99.3% | 99.9% / 99.7% | 0.4% | 0.1% | 0.5% | 0.1% | 2 | 1 | 0 | 0 | " +
    "≥ 99.5%: haar **not met**, blazeface met |",
    "\n| helen_landmarks | full, each detector's defaults | 4.87 | 4.51 | 5.09 | 4.71 | 4.99 / 4.75 | 4.60 / 4.43 |",
    "\n| helen_landmarks | full, two passes (refined) | 4.71 | 4.51 |",
    "\n| helen_landmarks | full | 4.30 | 4.47 | 4.35 | 4.25 |",
    "\n| `blazeface` (the default) | full | 1.3 × the box, shifted 0.1 × its height | two passes (refined) |",
    "| 3.5% (0.5123) | 3.0% (0.5201) | 3.6% | 3.0% | 0.55 | 1.2% / 6.3% | 1.0% / 5.7% |",
    "\n| lfw_min10 | decode + detect | 9.0 ms | 4.5 ms | 10.8 ms | 5.4 ms | 2159 | median ≤ 15 ms: haar met, blazeface met |",
    "\n| samples_640 | detect | 21.3 ms | 12.8 ms | 25.2 ms | 15.1 ms | 30 |",
    "\n| library | naming every face of a 640 px photo (decode → network), warm | 170.4 ms | 120.2 ms |",
    "\n| samples_640: decode + detect, 1 / 2 workers | 41 / 80.3 photos/s | 60.2 / 115.7 photos/s |",
    "\n| lfw_min10: decode + detect, 1 / 2 workers | ",
    "photos/s | 2 workers ≥ 327 photos/s (1.5 × 218): haar",
    "\n| lfw_min10 | `chinese-whispers` (default) | distance 0.55, min size 2, power 1 | even | 0.972 | 0.944 / 0.990 | " +
    "106 / 106 | 0.3% | 150 | BCubed ≥ 0.98 **not met**; precision ≥ 0.99 **not met**; groups off by ≤ 10% met; " +
    "unclustered ≤ 3% met |",
    "\n| lfw_min10 | `dbscan` | distance 0.475, min size 2 | odd | 0.930 | 0.810 / 0.950 | 101 / 106 | 4.0% | 150 |  |",
    "\n| clustering 100000 faces (2407 of lfw_min10, the rest synthetic; inverted file graph), from a cache | " +
    "41.0 s (9800 groups, 300 unclustered) | ≤ 60 s met |",
    "\n| cold start: the face detector (import, its runtime and model) | 302 ms | 120 ms |",
    "\n| peak RSS of a process detecting over every set | 304 MB | 288 MB | ≤ 500 MB: haar met, blazeface met |",
    "\n| cold start: ONNX session creation (WASM already compiled) | 9 ms | ≤ 50 ms met |",
    "\n| `docs/report.json` | `deno task report --json-out docs/report.json` | `861e8fa2ee58` |",
    ...sections.map((title) => `\n### ${title}`),
    ...["identification.svg", "verification.svg", "stages.svg"].map((svg) => `](${svg})`),
  ];
  for (const part of parts) assert.ok(page.includes(part), part);
  const quick = figures({ ...REPORT, quick: true })["figures.md"]!;
  assert.doesNotMatch(quick.split("## Speed")[0]!, / met\b|\| target/);
  assert.deepEqual(Object.keys(files), ["figures.md", "identification.svg", "verification.svg", "stages.svg"]);
  assert.match(files["identification.svg"]!, />96\.5</); // lfw_min10 embedding k-fold mean behind haar
  assert.match(files["identification.svg"]!, />97\.3</); // and behind blazeface
  assert.match(files["identification.svg"]!, />blazeface</);
  assert.match(files["verification.svg"]!, />lfw_min10, haar</);
  assert.match(files["verification.svg"]!, />EER 3\.5% at 0\.5123</);
  assert.match(files["verification.svg"]!, />EER 3\.0% at 0\.5201</);
  assert.match(files["verification.svg"]!, />FA 1\.2%</);
  assert.match(files["stages.svg"]!, />9\.0 ms, p90 10\.8</);
  assert.match(files["stages.svg"]!, />lfw_min10, blazeface</);
  assert.match(files["stages.svg"]!, />4\.5 ms, p90 5\.4</);
  for (const [name, svg] of Object.entries(files).slice(1)) {
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^]*<\/svg>\n$/, name);
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/, name);
  }
  assert.deepEqual(figures(), files);
});

Deno.test("deno task readme --check exits 1 on drift and 2 on a usage mistake; without it writes the files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_readme_" });
  const here = new URL(".", import.meta.url), readmeFile = new URL("../README.md", import.meta.url);
  const deno = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), { args, cwd: here, stdout: "piped", stderr: "piped" }).output();
  const readme = (...args: string[]) =>
    deno("run", "--allow-read", "--allow-write", "--allow-run", "--allow-env", "readme_figures.ts", ...args);
  const before = await Deno.readTextFile(readmeFile); // the run without --check splices the fixtures' headline into it
  try {
    const files = ["testdata/report.json", "testdata/bench.json", "--out", dir];
    assert.equal((await readme(...files, "--check")).code, 1);
    assert.equal((await readme(...files)).code, 0);
    const written = ["cli.md", "figures.md", "identification.svg", "stages.svg", "verification.svg"];
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), written);
    assert.equal((await readme(...files, "--check")).code, 0);
    assert.ok((await deno("fmt", "--check", "--config", "../deno.json", `${dir}/figures.md`)).success, "fmt clean");
    await Deno.writeTextFile(`${dir}/stages.svg`, "<svg/>\n");
    const drift = await readme(...files, "--check");
    assert.equal(drift.code, 1);
    assert.match(new TextDecoder().decode(drift.stderr), /stages\.svg: out of date with testdata\/report\.json/);
    assert.equal((await readme(...files, "--nope")).code, 2);
    assert.equal((await readme("a.json", "b.json", "c.json")).code, 2);
    assert.equal((await readme(`${dir}/missing.json`, "testdata/bench.json", "--out", dir, "--check")).code, 1);
  } finally {
    if (await Deno.readTextFile(readmeFile) !== before) await Deno.writeTextFile(readmeFile, before);
    await Deno.remove(dir, { recursive: true });
  }
});
