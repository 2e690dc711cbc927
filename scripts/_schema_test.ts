import assert from "node:assert/strict";
import {
  type BenchJson,
  type NotesJson,
  type ReportJson,
  validateBench,
  validateNotes,
  validateReport,
} from "./_schema.ts";
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

Deno.test("the validators accept the fixtures and the committed docs/*.json", async () => {
  assert.deepEqual(validateBench(BENCH), []);
  assert.deepEqual(validateReport(REPORT), []);
  assert.deepEqual(validateNotes(NOTES), []);
  assert.deepEqual(validateBench(await read("../docs/bench.json")), []);
  assert.deepEqual(validateReport(await read("../docs/report.json")), []);
});

Deno.test("validateReport() names each broken field by its path, with what it expected and what it got", () => {
  const cases: [string, unknown, string][] = [
    [`${LFW}.accuracy.embedding.kfold_mean`, "x", 'accuracy.embedding.kfold_mean: expected a number 0–1, got "x"'],
    [`${LFW}.detection.hit_rate`, undefined, "detection.hit_rate: missing (expected a number 0–1)"],
    [`${LFW}.detection.even.padded_rate`, 1.5, "detection.even.padded_rate: expected a number 0–1, got 1.5"],
    [`${LFW}.accuracy.geometry.k`, 1, "accuracy.geometry.k: expected an integer ≥ 2, got 1"],
    [`${LFW}.accuracy.geometry.faces`, 2.5, "accuracy.geometry.faces: expected an integer ≥ 0, got 2.5"],
    [`${LFW}.accuracy.both.method`, "magic", 'accuracy.both.method: expected "network" or "nearest", got "magic"'],
    [`${LFW}.accuracy.both.train_test`, undefined, "accuracy.both.train_test: missing (expected a number 0–1 or null)"],
    [`${LFW}.accuracy.geometry.seeds.1`, -1, "accuracy.geometry.seeds.1: expected an integer ≥ 0, got -1"],
    [`${LFW}.open_set.odd_at_chosen`, [], "open_set.odd_at_chosen: expected an object, got an array"],
    [
      `${LFW}.open_set.even_at_default.known_wrong`,
      null,
      "open_set.even_at_default.known_wrong: expected a number 0–1, got null",
    ],
    [`${LFW}.verification.eer_threshold`, "0.5", 'verification.eer_threshold: expected a number, got "0.5"'],
    [`${LFW}.verification.pairs.genuine`, -3, "verification.pairs.genuine: expected an integer ≥ 0, got -3"],
    [`${HELEN}.nme.models.tiny.odd.found_rate`, 2, "nme.models.tiny.odd.found_rate: expected a number 0–1, got 2"],
    [`${HELEN}.nme.median`, -1, "nme.median: expected a number ≥ 0, got -1"],
  ];
  for (const [path, value, problem] of cases) {
    const at = path.split(".").slice(0, 2).join(".");
    assert.deepEqual(validateReport(edited(REPORT, path, value)), [`${at}.${problem}`], path);
  }
  const top: [string, unknown, string][] = [
    ["date", "yesterday", 'date: expected an ISO 8601 date string, got "yesterday"'],
    ["date", "2026-13-01T00:00:00Z", 'date: expected an ISO 8601 date string, got "2026-13-01T00:00:00Z"'],
    ["cores", 0, "cores: expected an integer ≥ 1, got 0"],
    ["commit", 42, "commit: expected a string, got 42"],
    ["datasets", 5, "datasets: expected an object, got 5"],
    ["datasets.bbt", "x", 'datasets.bbt: expected an object, got "x"'],
  ];
  for (const [path, value, problem] of top) {
    assert.deepEqual(validateReport(edited(REPORT, path, value)), [problem], path);
  }
  assert.deepEqual(validateReport([]), ["(top level): expected an object, got an array"]);
});

Deno.test("validateBench() names each broken field by its path, with what it expected and what it got", () => {
  const cases: [string, unknown, string][] = [
    ["quick", undefined, "quick: missing (expected a boolean)"],
    ["quick", "yes", 'quick: expected a boolean, got "yes"'],
    ["train", 3, "train: expected an object, got 3"],
    ["train", undefined, "train: missing (expected an object or null)"],
    ["train.epochs", 0, "train.epochs: expected an integer ≥ 1, got 0"],
    ["throughput.n", 1.5, "throughput.n: expected an integer ≥ 1, got 1.5"],
    ["stages.decode.median_ms", undefined, "stages.decode.median_ms: missing (expected a number ≥ 0)"],
    [
      "sets.samples_1920.stages.decode_detect.p90_ms",
      -1,
      "sets.samples_1920.stages.decode_detect.p90_ms: expected a number ≥ 0, got -1",
    ],
    ["cold_start_ms.opencv", "fast", 'cold_start_ms.opencv: expected a number ≥ 0, got "fast"'],
    ["peak_rss_mb", 0, "peak_rss_mb: expected a number > 0, got 0"],
    ["preprocess.folder", 42, "preprocess.folder: expected a string, got 42"],
  ];
  for (const [path, value, problem] of cases) {
    assert.deepEqual(validateBench(edited(BENCH, path, value)), [problem], path);
  }
});

Deno.test("optional fields may be absent, nullable ones null, and undeclared fields are not checked", () => {
  const bench: [string, unknown][] = [["preprocess", null], ["train", null], ["embedding", { median_ms: "later" }]];
  for (const [path, value] of bench) assert.deepEqual(validateBench(edited(BENCH, path, value)), [], path);
  const report: [string, unknown][] = [
    [`${LFW}.accuracy.geometry.train_test`, null],
    [`${LFW}.accuracy.geometry.epochs`, undefined],
    [`${LFW}.open_set`, undefined],
    [`${HELEN}.nme`, undefined],
    [`${LFW}.detection.misses`, ["a.jpg"]],
  ];
  for (const [path, value] of report) assert.deepEqual(validateReport(edited(REPORT, path, value)), [], path);
  assert.deepEqual(validateNotes(edited(NOTES, "targets.hit/bbt", { min: "98%", text: "98%" })), [
    'targets.hit/bbt.min: expected a number, got "98%"',
  ]);
});

Deno.test("figureFiles() renders every section of the fixtures, with their targets", () => {
  const page = figureFiles(REPORT, BENCH, NOTES, {
    report: "docs/report.json",
    bench: "docs/bench.json",
  })["figures.md"]!;
  const row = (...cells: string[]) => new RegExp(`^\\| ${cells.join(" \\| ")} \\|`, "m");
  assert.match(
    page,
    row("lfw_min10", "embedding", "gallery \\(nearest person\\)", "106", "2148 \\(\\+11\\)", "96\\.5% ± 0\\.1%"),
  );
  assert.match(page, row("lfw_min10", "decode \\+ detect", "9\\.0 ms", "10\\.8 ms", "2159", "median ≤ 15 ms met"));
  assert.match(
    page,
    row("lfw_min10", "2159", "99\\.4%", "99\\.5%", "99\\.3%", "0\\.4%", "0\\.5%", "≥ 98\\.5% met"),
  );
  assert.match(page, row("`docs/report\\.json`", "`deno task report --json-out docs/report\\.json`", "`861e8fa2ee58`"));
  for (const h of ["Detection", "Landmarks", "Identification", "Open set", "Verification", "Stages", "Throughput"]) {
    assert.match(page, new RegExp(`^### ${h}`, "m"));
  }
  for (const name of ["identification.svg", "verification.svg", "stages.svg"]) {
    assert.ok(page.includes(`](${name})`), name);
  }
  const quick = figureFiles({ ...REPORT, quick: true }, BENCH, NOTES, { report: "r", bench: "b" })["figures.md"]!;
  assert.doesNotMatch(quick.split("## Speed")[0]!, / met\b|\| target/);
});

Deno.test("figureFiles() draws the plots from the figures of the tables, the same bytes every time", () => {
  const files = figureFiles(REPORT, BENCH, NOTES, { report: "r", bench: "b" });
  assert.deepEqual(Object.keys(files), ["figures.md", "identification.svg", "verification.svg", "stages.svg"]);
  assert.match(files["identification.svg"]!, />96\.5</); // lfw_min10 embedding k-fold mean
  assert.match(files["verification.svg"]!, />EER 3\.5% at 0\.5123</);
  assert.match(files["verification.svg"]!, />FA 1\.2%</);
  assert.match(files["stages.svg"]!, />9\.0 ms, p90 10\.8</);
  for (const [name, svg] of Object.entries(files).slice(1)) {
    assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^]*<\/svg>\n$/, name);
    assert.doesNotMatch(svg, /NaN|undefined|Infinity/, name);
  }
  assert.deepEqual(figureFiles(REPORT, BENCH, NOTES, { report: "r", bench: "b" }), files);
});

Deno.test("deno task readme --check exits 1 on drift and 2 on a usage mistake; without it writes the files", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_readme_" });
  const here = new URL(".", import.meta.url);
  const readme = (...args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read", "--allow-write", "--allow-run", "--allow-env", "readme_figures.ts", ...args],
      cwd: here,
      stdout: "piped",
      stderr: "piped",
    }).output();
  try {
    const files = ["testdata/report.json", "testdata/bench.json", "--out", dir];
    assert.equal((await readme(...files, "--check")).code, 1);
    assert.equal((await readme(...files)).code, 0);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "cli.md",
      "figures.md",
      "identification.svg",
      "stages.svg",
      "verification.svg",
    ]);
    assert.equal((await readme(...files, "--check")).code, 0);
    const fmt = await new Deno.Command(Deno.execPath(), {
      args: ["fmt", "--check", "--config", "../deno.json", `${dir}/figures.md`],
      cwd: here,
    }).output();
    assert.ok(fmt.success, "figures.md is deno fmt clean");
    await Deno.writeTextFile(`${dir}/stages.svg`, "<svg/>\n");
    const drift = await readme(...files, "--check");
    assert.equal(drift.code, 1);
    assert.match(new TextDecoder().decode(drift.stderr), /stages\.svg: out of date with testdata\/report\.json/);
    assert.equal((await readme(...files, "--nope")).code, 2);
    assert.equal((await readme("a.json", "b.json", "c.json")).code, 2);
    assert.equal((await readme(`${dir}/missing.json`, "testdata/bench.json", "--out", dir, "--check")).code, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
