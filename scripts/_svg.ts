/**
 * The plots of `docs/figures.md` (`scripts/readme_figures.ts`), drawn from `report.json` and
 * `bench.json`: grouped vertical bars with whiskers, horizontal bars on a log scale, and panels
 * of error rates against a distance threshold, sharing their frame, legend, grid and markers.
 * Plain SVG 1.1 with a white background (it reads the same in dark mode), no ids, no scripts,
 * coordinates rounded to 0.1 px: the same input gives the same bytes.
 *
 * @module
 */

import type { ReportJson, StageTimes } from "../lib/eval/schema.ts";
import { DETECTOR_COLUMNS } from "../lib/eval/per_detector.ts";

/** Okabe–Ito colours, distinguishable with the common colour-vision deficiencies. */
const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
const colour = (i: number) => PALETTE[i % PALETTE.length]!;

const FONT = 12;
const CHAR = FONT * 0.55; // a rough width of one character, for layout only

type Attrs = Readonly<Record<string, string | number>>;
const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const r = (v: number) => String(Math.round(v * 10) / 10);
const attrs = (a: Attrs) =>
  Object.entries(a).map(([k, v]) => ` ${k}="${typeof v === "number" ? r(v) : esc(v)}"`).join("");
const el = (name: string, a: Attrs, body?: string) =>
  body === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${body}</${name}>`;
const text = (x: number, y: number, s: string, a: Attrs = {}) => el("text", { x, y, ...a }, esc(s));
const line = (x1: number, y1: number, x2: number, y2: number, stroke = "#000000", a = {}) =>
  el("line", { x1, y1, x2, y2, stroke, ...a });
const percent = (v: number, digits = 1) => (v * 100).toFixed(digits);
const middle = { "text-anchor": "middle" }, small = { "font-size": FONT - 2 };

/** A closed path through `points` relative to (x, y), as a marker drawn there. */
const marker = (points: readonly (readonly [number, number])[], a: Attrs) => (x: number, y: number) =>
  el("path", { d: `${points.map(([dx, dy], i) => `${i ? "L" : "M"}${r(x + dx)} ${r(y + dy)}`).join("")}Z`, ...a });
const diamond = marker([[0, -5], [5, 0], [0, 5], [-5, 0]], { fill: "#ffffff", stroke: "#000000" });
const triangle = (up: boolean, fill: string) =>
  marker(up ? [[0, -5], [5, 4], [-5, 4]] : [[0, 5], [5, -4], [-5, -4]], { fill });
const circle = (fill: string) => (x: number, y: number) => el("circle", { cx: x, cy: y, r: 4.5, fill });
const square = (fill: string) => (x: number, y: number) =>
  el("rect", { x: x - 5, y: y - 5, width: 10, height: 10, fill });

/** A legend entry: its name and its swatch, drawn centred at a point. */
type Entry = readonly [name: string, swatch: (x: number, y: number) => string];

/** The width a chart needs, roughly: its content's, or its bold title's or legend's when wider. */
const chartWidth = (content: number, title: string, entries: readonly Entry[]) =>
  Math.max(
    content,
    Math.ceil(title.length * (FONT + 2) * 0.62) + 24,
    entries.reduce((w, [name]) => w + 30 + name.length * CHAR, 24),
  );

/** The document: a white background, the bold title, the legend in a row below it, then `body`. */
function chart(title: string, width: number, height: number, entries: readonly Entry[], body: readonly string[]) {
  let x = 12;
  const legend = entries.flatMap(([name, swatch]) => {
    const drawn = [swatch(x + 5, 38), text(x + 14, 42, name)];
    x += 30 + name.length * CHAR;
    return drawn;
  });
  const [w, h] = [r(width), r(height)];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="${FONT}">`,
    `<title>${esc(title)}</title>`,
    el("rect", { width, height, fill: "#ffffff" }),
    text(12, 20, title, { "font-size": FONT + 2, "font-weight": "bold" }),
    ...legend,
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** Horizontal grid lines from 0 to `max` every `step`, between `x1` and `x2`, labelled in % left of `x1`. */
function grid(x1: number, x2: number, y: (v: number) => number, max: number, step: number, labels = true) {
  const out: string[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) {
    out.push(line(x1, y(v), x2, y(v), "#dddddd"));
    if (labels) out.push(text(x1 - 6, y(v) + 4, `${percent(v, 0)}%`, { "text-anchor": "end" }));
  }
  return out;
}

/** A whisker from (x, y) to `to` along x, or along y when `vertical`, with a cap at `to`. */
const whisker = (x: number, y: number, to: number, vertical = false) =>
  vertical ? [line(x, y, x, to), line(x - 4, to, x + 4, to)] : [line(x, y, to, y), line(to, y - 4, to, y + 4)];

/**
 * The identification plot of `report.json`: a group per dataset and detector (the detectors of
 * a dataset side by side), a bar per feature set (k-fold mean ± std over seeds), and
 * train→test as a diamond where the dataset has it.
 *
 * @param report A validated `report.json`.
 * @returns The SVG document.
 */
export function identificationPlot(report: ReportJson): string {
  const title = "Identification accuracy: k-fold mean by dataset, detector and feature set";
  const blocks = Object.entries(report.datasets).flatMap(([name, { accuracy: a }]) => (a ? [[name, a] as const] : []));
  const series = [...new Set(blocks.flatMap(([, by]) => DETECTOR_COLUMNS.flatMap((d) => Object.keys(by[d]))))];
  const barW = 24, gap = 36, inner = 14, left = 56, top = 64, plotH = 240;
  const groupW = series.length * barW, blockW = DETECTOR_COLUMNS.length * (groupW + inner) - inner + gap;
  const entries: Entry[] = [
    ...series.map((name, i) => [name, square(colour(i))] as const),
    ["± std over seeds", (x, y) => line(x, y - 6, x, y + 6)],
    ["train→test", diamond],
  ];
  const width = chartWidth(left + blocks.length * blockW + 12, title, entries);
  const y = (v: number) => top + plotH - Math.min(Math.max(v, 0), 1) * plotH;
  const body = grid(left, width - 12, y, 1, 0.2);
  blocks.forEach(([name, by], bi) => {
    const b0 = left + (width - 12 - left - blocks.length * blockW) / 2 + gap / 2 + bi * blockW;
    body.push(text(b0 + (blockW - gap) / 2, top + plotH + 34, name, middle));
    DETECTOR_COLUMNS.forEach((d, di) => {
      const x0 = b0 + di * (groupW + inner);
      body.push(text(x0 + groupW / 2, top + plotH + 17, d, { ...middle, ...small, fill: "#555555" }));
      for (const [set, { kfold_mean: mean, kfold_std: std, train_test }] of Object.entries(by[d])) {
        const i = series.indexOf(set), x = x0 + i * barW, cx = x + barW / 2;
        body.push(el("rect", { x: x + 2, y: y(mean), width: barW - 4, height: y(0) - y(mean), fill: colour(i) }));
        if (std) body.push(...whisker(cx, y(mean - std), y(mean + std), true));
        body.push(text(cx, y(mean + std) - 5, percent(mean), { ...middle, ...small }));
        if (train_test !== null) body.push(diamond(cx, y(train_test)));
      }
    });
  });
  body.push(line(left, y(0), width - 12, y(0)));
  return chart(title, width, top + plotH + 52, entries, body);
}

/**
 * The stage plot of `bench.json`: a section per photo set, a bar per stage to its median and a
 * whisker to its p90, on a log scale (times span decades, from µs to seconds).
 *
 * @param sets Stage times by photo set, each with the index of its colour (default: its own).
 * @param label A stage's name as the plot shows it.
 * @param legend The names of the colours by index (none: no legend).
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stagesPlot } from "./_svg.ts";
 *
 * const svg = stagesPlot([["set", { decode: { median_ms: 1, p90_ms: 2, n: 4 } }]], (stage) => `${stage}!`);
 * assert.match(svg, /<text[^>]*>decode!<\/text>/);
 * assert.match(svg, />1\.0 ms, p90 2\.0</);
 * ```
 */
export function stagesPlot(
  sets: readonly (readonly [string, Readonly<Record<string, StageTimes>>, number?])[],
  label: (stage: string) => string,
  legend: readonly string[] = [],
): string {
  const title = "Time per stage: median (bar) and p90 (whisker), log scale";
  const ms = (v: number) => v.toFixed(v < 1 ? 2 : 1);
  const note = (s: StageTimes) => `${ms(s.median_ms)} ms, p90 ${ms(s.p90_ms)}`;
  const all = sets.flatMap(([, stages]) => Object.entries(stages));
  const rowH = 18, plotW = 380, top = legend.length ? 64 : 44;
  const labelW = Math.ceil(Math.max(...all.map(([stage]) => label(stage).length), 10) * CHAR) + 24;
  const noteW = Math.ceil(Math.max(...all.map(([, s]) => note(s).length), 4) * CHAR) + 16;
  const lo = Math.floor(Math.log10(Math.max(Math.min(...all.map(([, s]) => s.median_ms)), 0.01)));
  const hi = Math.ceil(Math.log10(Math.max(...all.map(([, s]) => s.p90_ms), 1)));
  const left = 12 + labelW, height = top + (all.length + sets.length) * rowH + 36, bottom = height - 30;
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotW;
  const body: string[] = [];
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    body.push(line(x(v), top, x(v), bottom, "#dddddd"));
    body.push(text(x(v), bottom + 16, `${v >= 1 ? v.toFixed(0) : v.toFixed(-e)} ms`, middle));
  }
  let y = top;
  sets.forEach(([set, stages, c], si) => {
    body.push(text(12, y + 13, set, { "font-weight": "bold" }));
    y += rowH;
    for (const [stage, s] of Object.entries(stages)) {
      const cy = y + rowH / 2;
      body.push(text(24, cy + 4, label(stage)));
      body.push(el("rect", { x: left, y: cy - 6, width: x(s.median_ms) - left, height: 12, fill: colour(c ?? si) }));
      body.push(...whisker(x(s.median_ms), cy, x(s.p90_ms)), text(left + plotW + 10, cy + 4, note(s)));
      y += rowH;
    }
  });
  body.push(line(left, bottom, left + plotW, bottom));
  const entries: Entry[] = legend.map((name, i) => [name, square(colour(i))]);
  return chart(title, left + plotW + noteW + 12, height, entries, body);
}

/**
 * The verification plot of `report.json`: a panel per dataset (columns) and detector (rows),
 * error rates (y, %) against the distance threshold (x) on shared axes, with the equal error
 * rate where false accepts and false rejects meet and both rates at `compare`'s default
 * threshold (a dashed line), each rate's two known points joined by a dotted line.
 *
 * @param report A validated `report.json`.
 * @returns The SVG document.
 */
export function verificationPlot(report: ReportJson): string {
  const title = "Verification: error rates against the distance threshold, by dataset and detector";
  const names = Object.entries(report.datasets).flatMap((
    [name, { verification: v }],
  ) => (v ? [[name, v] as const] : []));
  const panels = DETECTOR_COLUMNS.flatMap((d, row) =>
    names.map(([name, v], col) => ({ name: `${name}, ${d}`, row, col, ...v[d] }))
  );
  const panelW = 230, plotH = 200, top = 108, left = 48, gap = 28, rowH = plotH + 76;
  const FA = PALETTE[5]!, FR = PALETTE[0]!;
  const xs = panels.flatMap((v) => [v.eer_threshold, v.threshold_default]);
  const ys = panels.flatMap((v) => [v.eer, v.at_default.false_accept, v.at_default.false_reject]);
  const x0 = Math.floor((Math.min(...xs) - 0.02) * 20) / 20, x1 = Math.ceil((Math.max(...xs) + 0.02) * 20) / 20;
  const yMax = Math.max(0.05, Math.ceil((Math.max(...ys) * 1.15) * 20) / 20);
  const entries: Entry[] = [
    ["equal error rate (false accept = false reject)", circle("#000000")],
    ["false accept at the default", triangle(true, FA)],
    ["false reject at the default", triangle(false, FR)],
  ];
  const rows = Math.max(1, Math.ceil(panels.length / Math.max(1, names.length)));
  const width = chartWidth(left + names.length * (panelW + gap), title, entries);
  const height = top + rows * rowH - rowH + plotH + 44;
  const caption = "Dotted lines join each rate's two measured points; report.json holds no curve between them.";
  const body = [text(12, 62, caption, { fill: "#555555", "font-size": FONT - 1 })];
  panels.forEach((v) => {
    const l = left + v.col * (panelW + gap), t = top + v.row * rowH;
    const X = (x: number) => l + ((x - x0) / (x1 - x0)) * panelW, Y = (p: number) => t + plotH - (p / yMax) * plotH;
    body.push(text(l + panelW / 2, t - 22, v.name, { ...middle, "font-weight": "bold" }));
    body.push(text(l + panelW / 2, t - 7, `EER ${percent(v.eer)}% at ${v.eer_threshold}`, middle));
    body.push(...grid(l, l + panelW, Y, yMax, yMax > 0.2 ? 0.1 : 0.05, v.col === 0));
    for (let x = x0; x <= x1 + 1e-9; x += 0.05) {
      body.push(text(X(x), t + plotH + 16, x.toFixed(2), { ...middle, ...small }));
    }
    body.push(el("rect", { x: l, y: t, width: panelW, height: plotH, fill: "none", stroke: "#000000" }));
    const ex = X(v.eer_threshold), ey = Y(v.eer), { false_accept: fa, false_reject: fr } = v.at_default;
    const tx = X(v.threshold_default), faY = Y(fa), frY = Y(fr);
    const room = tx + 64 <= l + panelW, dx = room ? 8 : -8, anchor = { "text-anchor": room ? "start" : "end" };
    body.push(line(tx, t, tx, t + plotH, "#555555", { "stroke-dasharray": "4 3" }));
    body.push(text(tx + dx / 2, t + 12, `default ${v.threshold_default}`, { ...anchor, ...small, fill: "#555555" }));
    const dotted = { "stroke-dasharray": "1 3" };
    body.push(line(ex, ey, tx, faY, FA, dotted), line(ex, ey, tx, frY, FR, dotted));
    body.push(triangle(true, FA)(tx, faY), triangle(false, FR)(tx, frY));
    // Each label beside its marker, pushed apart when the two would overlap, and kept inside the plot.
    const [upper, lower] = [Math.min(faY, frY), Math.max(faY, frY)];
    const push = Math.max(0, 14 - (lower - upper)) / 2;
    const lowY = Math.min(lower + 4 + push, t + plotH - 3);
    const highY = Math.max(Math.min(upper + 4 - push, lowY - 14), t + 26);
    const [faText, frText] = faY <= frY ? [highY, lowY] : [lowY, highY];
    body.push(text(tx + dx, faText, `FA ${percent(fa)}%`, { ...anchor, fill: FA }));
    body.push(text(tx + dx, frText, `FR ${percent(fr)}%`, { ...anchor, fill: FR }));
    body.push(circle("#000000")(ex, ey));
  });
  body.push(text(left + (names.length * (panelW + gap) - gap) / 2, height - 6, "distance threshold", middle));
  return chart(title, width, height, entries, body);
}
