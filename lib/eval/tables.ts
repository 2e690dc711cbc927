/**
 * The tables of measured figures, drawn from their specs (`tables` of `docs/figure_notes.json`)
 * and the JSON they lay out (`report.json`, `bench.json`): one renderer for the figures page
 * (markdown) and for the console of `deno task report` and `deno task bench` (plain text).
 *
 * A spec's rows come from paths with `$name` parts: `datasets.$dataset.accuracy.$default.$set`
 * gives one row per dataset and feature set (`$default` is the default detector, `$d` the
 * detector of a per-detector column). A cell is a template: text with `{path}` or
 * `{path:format}` parts (formats: {@linkcode CELL_FORMATS}); a part whose value is missing
 * leaves the cell empty, and a column empty in every row is left out.
 *
 * @module
 */

import { DETECTOR_COLUMNS } from "./per_detector.ts";
import type { CELL_FORMATS, ColumnSpec, GoalSpec, NotesJson, RowSpec, TableSpec } from "./schema.ts";

/** A table drawn from its spec: its title, plot, column heads and cells. */
export interface RenderedTable {
  readonly title: string;
  readonly plot?: string;
  readonly head: readonly { readonly text: string; readonly right: boolean }[];
  readonly rows: readonly (readonly string[])[];
}

/** What a table is drawn with besides its JSON. */
export interface TableContext {
  /** The names (`labels`) and targets of `figure_notes.json`. */
  readonly notes: Pick<NotesJson, "labels" | "targets">;
  /** A `--quick` run: no verdicts. */
  readonly quick: boolean;
  /** Variables the paths may name (`default`: the default detector; others the caller's). */
  readonly vars: Readonly<Record<string, string>>;
}

type Vars = Readonly<Record<string, string>>;

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const FORMATS: Record<(typeof CELL_FORMATS)[number], (v: unknown, labels: Vars) => string> = {
  text: (v) => String(v),
  pct: (v) => (v === null ? "—" : pct(Number(v))),
  pct2: (v) => (v === null ? "—" : `${(Number(v) * 100).toFixed(2)}%`),
  f0: (v) => Number(v).toFixed(0),
  f1: (v) => Number(v).toFixed(1),
  f2: (v) => Number(v).toFixed(2),
  f3: (v) => Number(v).toFixed(3),
  ms: (v) => `${Number(v).toFixed(1)} ms`,
  ms0: (v) => `${Number(v).toFixed(0)} ms`,
  s1: (v) => `${(Number(v) / 1000).toFixed(1)} s`,
  s2: (v) => `${(Number(v) / 1000).toFixed(2)} s`,
  en: (v) => Number(v).toLocaleString("en"),
  len: (v) => String((v as unknown[]).length),
  label: (v, labels) => labels[String(v)] ?? String(v),
  code: (v) => `\`${v}\``,
  label_code: (v, labels) => labels[String(v)] ?? `\`${v}\``,
  basename: (v) => String(v).split("/").at(-1)!,
  mb_by_count: (v) =>
    Object.entries(v as Record<string, number>).map(([n, mb]) => `${Number(n).toLocaleString("en")}: ${mb} MB`)
      .join(", "),
};

/** `$name` parts of `text` replaced by their values (unknown names are kept). */
const substitute = (text: string, vars: Vars) => text.replace(/\$([a-z_0-9]+)/g, (m, n) => vars[n] ?? m);

/** The value at a dotted path (after substitution), undefined where a part is missing. */
function at(json: unknown, path: string, vars: Vars): unknown {
  let v: unknown = json;
  // A variable's text may name others (`$fig` = `models.$model`): substitute until none is left.
  let full = path;
  for (let i = 0; i < 4 && /\$[a-z_]/.test(full); i++) full = substitute(full, vars);
  for (const key of full.split(".")) {
    if (key === "") continue;
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Every binding of the unbound `$name` parts of `pattern`, in the JSON's key order. */
function matches(json: unknown, pattern: string, vars: Vars): Vars[] {
  const parts = pattern.split(".");
  const walk = (v: unknown, i: number, bound: Vars): Vars[] => {
    if (i === parts.length) return [bound];
    if (typeof v !== "object" || v === null) return [];
    const o = v as Record<string, unknown>, part = parts[i]!;
    const name = part.startsWith("$") ? part.slice(1) : undefined;
    if (name === undefined || bound[name] !== undefined) {
      const key = name === undefined ? part : bound[name]!;
      return key in o ? walk(o[key], i + 1, bound) : [];
    }
    return Object.keys(o).flatMap((key) => walk(o[key], i + 1, { ...bound, [name]: key }));
  };
  return walk(json, 0, vars);
}

/**
 * A template with its variables put in: `{$name:format}` parts by the variable's value
 * formatted, other `$name`s by their text (which may hold `{path}` parts of its own). Unbound
 * names (`$d` outside a per-detector column) are kept.
 */
function expand(template: string, vars: Vars, labels: Vars): string {
  const own = template.replace(/\{\$([a-z_]+)(?::([a-z_0-9]+))?\}/g, (m, name: string, format = "text") => {
    const v = vars[name];
    return v === undefined ? m : FORMATS[format as (typeof CELL_FORMATS)[number]](v, labels);
  });
  return substitute(own, vars);
}

/**
 * A template filled in ({@linkcode expand}, then each `{path:format}` part by its value); a part
 * naming `$d` outside a per-detector column gives the value every detector gives, else each
 * one's (`a / b`). Undefined when a part's value is missing.
 */
function fill(json: unknown, template: string, vars: Vars, labels: Vars): string | undefined {
  let missing = false;
  const text = expand(template, vars, labels).replace(/\{([^{}]*)\}/g, (_, part: string) => {
    const [path, format = "text"] = part.split(":") as [string, (typeof CELL_FORMATS)[number]?];
    const one = (vars: Vars) => {
      const v = at(json, path, vars);
      if (v === undefined) missing = true;
      return v === undefined ? "" : FORMATS[format](v, labels);
    };
    if (!/\$d(?![a-z_])/.test(path) || vars.d !== undefined) return one(vars);
    const all = DETECTOR_COLUMNS.map((d) => one({ ...vars, d }));
    return all.every((x) => x === all[0]) ? all[0]! : all.join(" / ");
  });
  return missing ? undefined : text;
}

/**
 * Whether a condition holds: `path` (its value is truthy), `!path`, `a=b` (two templates, equal
 * as text) or `a^=b` (`a` starts with `b`).
 */
function holds(json: unknown, condition: string | undefined, vars: Vars, labels: Vars): boolean {
  if (condition === undefined) return true;
  if (condition.startsWith("!")) return !holds(json, condition.slice(1), vars, labels);
  if (condition.includes("=")) {
    const [a, b] = condition.split(/\^?=/) as [string, string];
    const [x, y] = [fill(json, a, vars, labels), fill(json, b, vars, labels) ?? ""];
    return condition.includes("^=") ? x?.startsWith(y) === true : x === y;
  }
  return Boolean(at(json, condition, vars));
}

/** The verdict of one target on one figure: `met`, `**not met**`, or undefined (no target, no figure, quick). */
function verdict(ctx: TableContext, key: string, v: unknown): string | undefined {
  const t = ctx.notes.targets[key];
  if (ctx.quick || !t || typeof v !== "number") return undefined;
  return (t.min === undefined || v >= t.min) && (t.max === undefined || v <= t.max) ? "met" : "**not met**";
}

/** One goal's text: `prefix≥ 99.5% met`, or per detector `prefix≥ 99.5%: haar met, blazeface **not met**`. */
function goalText(json: unknown, goal: GoalSpec, vars: Vars, ctx: TableContext): string {
  const key = fill(json, goal.target, vars, ctx.notes.labels) ?? "";
  const t = ctx.notes.targets[key];
  if (!t) return "";
  const value = (v: Vars) => {
    // A path may be a number itself (`Infinity`: a figure that fails every bound, as a service that died).
    const xs = goal.path.map((p) => (Number.isNaN(Number(p)) ? at(json, p, v) : Number(p)));
    if (xs.some((x) => x === undefined || x === null)) return undefined;
    const n = xs as number[];
    if (goal.reduce === "max") return Math.max(...n);
    if (goal.reduce === "off_by_one") return Math.abs(n[0]! / n[1]! - 1);
    return n[0];
  };
  const bound = `${t.min === undefined ? "≤" : "≥"} ${t.text}`;
  const prefix = fill(json, goal.prefix ?? "", vars, ctx.notes.labels) ?? "";
  if (!goal.per_detector) {
    const met = verdict(ctx, key, value(vars));
    return met === undefined ? "" : `${prefix}${bound} ${met}`;
  }
  const each = DETECTOR_COLUMNS.flatMap((d) => {
    const met = verdict(ctx, key, value({ ...vars, d }));
    return met === undefined ? [] : [`${d} ${met}`];
  });
  return each.length === 0 ? "" : `${prefix}${bound}: ${each.join(", ")}`;
}

/** A column's cells in one row (one per detector for `each`). */
function cells(json: unknown, c: ColumnSpec, vars: Vars, ctx: TableContext): string[] {
  const labels = ctx.notes.labels;
  const one = (v: Vars) => {
    const yes = holds(json, c.if, v, labels);
    if (c.goal && yes) return c.goal.map((g) => goalText(json, g, v, ctx)).filter((g) => g !== "").join(c.join ?? "; ");
    const cell = yes ? c.cell : c.else;
    return cell === undefined ? "" : fill(json, cell, v, labels) ?? c.missing ?? "";
  };
  if (c.per_detector === "each") return DETECTOR_COLUMNS.map((d) => one({ ...vars, d }));
  if (c.per_detector === "same") {
    const all = DETECTOR_COLUMNS.map((d) => one({ ...vars, d }));
    return [all.every((x) => x === all[0]) ? all[0]! : all.join(" / ")];
  }
  return [one(vars)];
}

/**
 * Draws one table from its spec.
 *
 * @param spec The table's spec (from `figure_notes.json`, checked by `validateNotes`).
 * @param json The JSON it lays out.
 * @param ctx Names, targets, whether the run was `--quick`, and the variables.
 * @returns The table's title, heads and cells (columns empty in every row left out).
 * @example
 * ```ts
 * import { renderTable, textTable } from "./tables.ts";
 * const spec = {
 *   title: "Hits",
 *   file: "report",
 *   rows: [{ each: "datasets.$dataset" }],
 *   columns: [
 *     { heading: "dataset", cell: "{$dataset:label}" },
 *     { heading: "hit", per_detector: "each", cell: "{datasets.$dataset.hit.$d:pct}" },
 *     { heading: "target", goal: [{ target: "hit/$dataset", path: ["datasets.$dataset.hit.$d"], per_detector: true }] },
 *   ],
 * } as const;
 * const json = { datasets: { lfw: { hit: { haar: 0.99, blazeface: 1 } } } };
 * const notes = { labels: {}, targets: { "hit/lfw": { min: 0.995, text: "99.5%" } } };
 * const table = renderTable(spec, json, { notes, quick: false, vars: {} });
 * if (table.rows[0]!.join("|") !== "lfw|99.0%|100.0%|≥ 99.5%: haar **not met**, blazeface met") {
 *   throw new Error(table.rows[0]!.join("|"));
 * }
 * if (!textTable(table).startsWith("dataset  hit, haar")) throw new Error(textTable(table));
 * ```
 */
export function renderTable(spec: TableSpec, json: unknown, ctx: TableContext): RenderedTable {
  const labels = ctx.notes.labels;
  const group = (g: RowSpec, bound: Vars): string[][] => {
    const found = g.each === undefined ? [bound] : matches(json, g.each, bound);
    return found.filter((v) => holds(json, g.if, v, labels)).flatMap((v) => {
      // Kept as templates: a per-detector column fills their `$d` parts for each detector.
      const extra = Object.entries(g.vars ?? {}).map(([k, t]) => [k, expand(t, v, labels)]);
      const vars = { ...v, ...Object.fromEntries(extra) };
      if (g.rows) return g.rows.flatMap((inner) => group(inner, vars));
      return [spec.columns.flatMap((c) => cells(json, c, vars, ctx))];
    });
  };
  const rows = spec.rows.flatMap((g) => group(g, ctx.vars));
  const head = spec.columns.flatMap((c) => {
    const right = c.align === "right" || (c.align === undefined && c.per_detector === "each");
    const each = (d: string) => (c.heading === "" ? d : `${c.heading}, ${d}`);
    const names = c.per_detector === "each" ? DETECTOR_COLUMNS.map(each) : [c.heading];
    return names.map((text) => ({ text, right }));
  });
  const keep = head.flatMap((_, i) => (rows.some((r) => r[i] !== "") ? [i] : []));
  return {
    title: fill(json, spec.title, ctx.vars, labels) ?? spec.title,
    ...(spec.plot ? { plot: spec.plot } : {}),
    head: keep.map((i) => head[i]!),
    rows: rows.map((r) => keep.map((i) => r[i]!)),
  };
}

/**
 * A table in markdown (`deno fmt` pads it): `|` in cells escaped, right-aligned columns marked.
 *
 * @param table A drawn table.
 * @returns Its markdown.
 * @example
 * ```ts
 * import { markdownTable } from "./tables.ts";
 * const md = markdownTable({ title: "t", head: [{ text: "a", right: false }, { text: "b", right: true }], rows: [["x|y", "1"]] });
 * if (md !== "| a | b |\n| --- | --: |\n| x\\|y | 1 |") throw new Error(md);
 * ```
 */
export function markdownTable(table: RenderedTable): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll("|", "\\|")).join(" | ")} |`;
  const rule = `| ${table.head.map((h) => (h.right ? "--:" : "---")).join(" | ")} |`;
  return [line(table.head.map((h) => h.text)), rule, ...table.rows.map(line)].join("\n");
}

/**
 * A table as plain text for a console: the first column left-aligned, the others right-aligned.
 *
 * @param table A drawn table.
 * @returns Its lines, joined.
 * @example
 * ```ts
 * import { textTable } from "./tables.ts";
 * const text = textTable({ title: "t", head: [{ text: "set", right: false }, { text: "n", right: true }], rows: [["lfw", "10"]] });
 * if (text !== "set   n\nlfw  10") throw new Error(JSON.stringify(text));
 * ```
 */
export function textTable(table: RenderedTable): string {
  return formatTable([table.head.map((h) => h.text), ...table.rows]);
}

/**
 * Rows of text as a table: the first column left-aligned, the others right-aligned, two spaces apart.
 *
 * @param rows The rows, the heads first.
 * @returns The table's lines, joined.
 * @example
 * ```ts
 * import { formatTable } from "./tables.ts";
 * if (formatTable([["a", "b"], ["ccc", "1"]]) !== "a    b\nccc  1") throw new Error("layout");
 * ```
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  "))
    .join("\n");
}
