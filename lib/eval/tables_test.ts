import assert from "node:assert/strict";
import { markdownTable, renderTable, type TableContext, textTable } from "./tables.ts";
import { type TableSpec, validateNotes } from "./schema.ts";

const json = {
  quick: false,
  datasets: {
    lfw: {
      photos: 10,
      hit: { haar: 0.95, blazeface: 1 },
      k: { haar: 5, blazeface: 5 },
      tt: { haar: null, blazeface: 0.5 },
      sets: { a: { n: 1 }, b: { n: 2 } },
    },
    orl: { photos: 4, hit: { haar: 1, blazeface: 1 }, k: { haar: 2, blazeface: 3 }, tt: { haar: 1, blazeface: 1 } },
  },
};
const ctx: TableContext = {
  notes: { labels: { lfw: "LFW" }, targets: { "hit/lfw": { min: 0.99, text: "99%" } } },
  quick: false,
  vars: {},
};

Deno.test("renderTable(): per-detector columns, one cell for all, conditions and targets", () => {
  const spec: TableSpec = {
    title: "Hits ({datasets.lfw.photos} photos)",
    file: "report",
    rows: [{ each: "datasets.$set" }],
    columns: [
      { heading: "set", cell: "{$set:label}" },
      { heading: "hit", per_detector: "each", cell: "{datasets.$set.hit.$d:pct}" },
      { heading: "k", per_detector: "same", cell: "{datasets.$set.k.$d}" },
      {
        heading: "tt",
        per_detector: "each",
        if: "{datasets.$set.tt.$d}=null",
        cell: "—",
        else: "{datasets.$set.tt.$d:f2}",
      },
      { heading: "target", goal: [{ target: "hit/$set", path: ["datasets.$set.hit.$d"], per_detector: true }] },
      { heading: "never", cell: "{datasets.$set.nowhere}" },
    ],
  };
  const t = renderTable(spec, json, ctx);
  assert.equal(t.title, "Hits (10 photos)");
  // The empty column "never" is left out; per-detector columns are right-aligned.
  assert.deepEqual(t.head.map((h) => `${h.text}${h.right ? ":" : ""}`), [
    "set",
    "hit, haar:",
    "hit, blazeface:",
    "k",
    "tt, haar:",
    "tt, blazeface:",
    "target",
  ]);
  assert.deepEqual(t.rows, [
    ["LFW", "95.0%", "100.0%", "5", "—", "0.50", "≥ 99%: haar **not met**, blazeface met"],
    ["orl", "100.0%", "100.0%", "2 / 3", "1.00", "1.00", ""],
  ]);
  // A quick run gives no verdicts: the target column goes.
  assert.equal(renderTable(spec, json, { ...ctx, quick: true }).head.at(-1)!.text, "tt, blazeface");
  assert.equal(markdownTable(t).split("\n")[1], "| --- | --: | --: | --- | --: | --: | --- |");
  // Plain text: the first column left-aligned, the others right-aligned to their widest cell, two spaces apart.
  const [head, , orl] = textTable(t).split("\n");
  assert.ok(head!.startsWith("set  hit, haar  hit, blazeface      k  tt, haar  tt, blazeface"), head);
  assert.equal(orl!.trimEnd(), "orl     100.0%          100.0%  2 / 3      1.00           1.00");
});

Deno.test("renderTable(): nested row groups with variables, in the JSON's key order", () => {
  const spec: TableSpec = {
    title: "t",
    file: "report",
    rows: [{
      each: "datasets.$set.sets.$s",
      vars: { at: "datasets.$set.sets.$s" },
      rows: [{ vars: { what: "$s once" } }, { if: "$s=b", vars: { what: "$s twice" } }],
    }],
    columns: [{ heading: "what", cell: "$what" }, { heading: "n", cell: "{$at.n}", missing: "?" }],
  };
  assert.deepEqual(renderTable(spec, json, ctx).rows, [["a once", "1"], ["b once", "2"], ["b twice", "2"]]);
});

Deno.test("validateNotes() names each wrong field of a table spec", () => {
  const notes = {
    labels: {},
    targets: {},
    reference: { accuracy: [], speed: [] },
    tables: [{
      title: "t",
      file: "report",
      rows: [{ each: 3 }],
      columns: [{ heading: "a", cell: "{x:percent}" }, { cell: "{x}", per_detector: "all" }],
    }],
  };
  const problems = validateNotes(notes);
  assert.ok(problems.includes("tables.0.rows.0.each: expected a string, got 3"), problems.join("\n"));
  assert.ok(
    problems.some((p) => p.startsWith("tables.0.columns.0.cell: expected a template whose")),
    problems.join("\n"),
  );
  assert.ok(problems.includes("tables.0.columns.1.heading: missing (expected a string)"), problems.join("\n"));
  assert.ok(
    problems.includes('tables.0.columns.1.per_detector: expected one of each | same, got "all"'),
    problems.join("\n"),
  );
  assert.equal(problems.length, 4, problems.join("\n"));
});

Deno.test("docs/figure_notes.json's tables are valid", async () => {
  const notes = JSON.parse(await Deno.readTextFile(new URL("../../docs/figure_notes.json", import.meta.url)));
  assert.deepEqual(validateNotes(notes), []);
  assert.ok(notes.tables.length >= 10);
});

Deno.test("renderTable(): a goal on a number fails every bound it should (a service that died)", () => {
  const spec: TableSpec = {
    title: "t",
    file: "bench",
    rows: [{}],
    columns: [{ heading: "target", goal: [{ target: "slow", path: ["Infinity"] }] }],
  };
  const notes = { labels: {}, targets: { slow: { max: 2, text: "2×" } } };
  assert.deepEqual(renderTable(spec, {}, { notes, quick: false, vars: {} }).rows, [["≤ 2× **not met**"]]);
});
