/**
 * The plots of `docs/figures.md` (`scripts/readme_figures.ts`), drawn from `report.json` and
 * `bench.json`, and the small SVG charts they are made of: grouped vertical bars with whiskers,
 * horizontal bars on a log scale, and panels of error rates against a distance threshold. Plain
 * SVG 1.1 with a white background (it reads the same in dark mode), no ids, no scripts,
 * coordinates rounded to 0.1 px: the same input gives the same bytes.
 *
 * @module
 */

import type { ReportJson, StageTimes } from "./_schema.ts";

/** Okabe–Ito colours, distinguishable with the common colour-vision deficiencies. */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

const FONT = 12;
const CHAR = FONT * 0.55; // a rough width of one character, for layout only

const esc = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
const r = (v: number) => String(Math.round(v * 10) / 10);
const attrs = (a: Readonly<Record<string, string | number>>) =>
  Object.entries(a).map(([k, v]) => ` ${k}="${typeof v === "number" ? r(v) : esc(v)}"`).join("");
const el = (name: string, a: Readonly<Record<string, string | number>>, body?: string) =>
  body === undefined ? `<${name}${attrs(a)}/>` : `<${name}${attrs(a)}>${body}</${name}>`;
const text = (x: number, y: number, s: string, a: Readonly<Record<string, string | number>> = {}) =>
  el("text", { x, y, ...a }, esc(s));
const line = (x1: number, y1: number, x2: number, y2: number, stroke: string, a = {}) =>
  el("line", { x1, y1, x2, y2, stroke, ...a });

/** The width a bold title needs, roughly. */
const titleWidth = (title: string) => Math.ceil(title.length * (FONT + 2) * 0.62) + 24;

function document(width: number, height: number, title: string, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${r(width)}" height="${r(height)}" viewBox="0 0 ${r(width)} ${
      r(height)
    }" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="${FONT}">`,
    `<title>${esc(title)}</title>`,
    el("rect", { width, height, fill: "#ffffff" }),
    text(12, 20, title, { "font-size": FONT + 2, "font-weight": "bold" }),
    ...body,
    "</svg>",
    "",
  ].join("\n");
}

/** A horizontal legend: a swatch (square or marker) and a name per entry, from `x` at baseline `y`. */
/** The width a legend of these names needs, roughly (as {@linkcode legend} lays them out from x = 12). */
const legendWidth = (names: readonly string[]) => names.reduce((w, name) => w + 30 + name.length * CHAR, 24);

function legend(x: number, y: number, entries: readonly { name: string; swatch: (x: number, y: number) => string }[]) {
  const out: string[] = [];
  for (const e of entries) {
    out.push(e.swatch(x + 5, y - 4), text(x + 14, y, e.name));
    x += 30 + e.name.length * CHAR;
  }
  return out;
}

const square = (fill: string) => (x: number, y: number) =>
  el("rect", { x: x - 5, y: y - 5, width: 10, height: 10, fill });
const diamond = (x: number, y: number, fill = "#ffffff") =>
  el("path", {
    d: `M${r(x)} ${r(y - 5)}L${r(x + 5)} ${r(y)}L${r(x)} ${r(y + 5)}L${r(x - 5)} ${r(y)}Z`,
    fill,
    stroke: "#000000",
  });
const triangle = (up: boolean, fill: string) => (x: number, y: number) =>
  el("path", {
    d: up
      ? `M${r(x)} ${r(y - 5)}L${r(x + 5)} ${r(y + 4)}L${r(x - 5)} ${r(y + 4)}Z`
      : `M${r(x)} ${r(y + 5)}L${r(x + 5)} ${r(y - 4)}L${r(x - 5)} ${r(y - 4)}Z`,
    fill,
  });
const circle = (fill: string) => (x: number, y: number) => el("circle", { cx: x, cy: y, r: 4.5, fill });

/** One bar of a group: its value, an optional ± whisker and an optional marker (a second figure). */
export interface Bar {
  readonly series: string;
  readonly value: number;
  readonly spread?: number;
  readonly marker?: number | null;
}

/** Options of {@linkcode groupedBars}. */
export interface GroupedBarsOptions {
  readonly title: string;
  /** The series in legend order; each group draws its bars in this order. */
  readonly series: readonly string[];
  readonly groups: readonly { readonly label: string; readonly bars: readonly Bar[] }[];
  /** What the whisker and the marker stand for, for the legend. */
  readonly spreadName: string;
  readonly markerName: string;
  /** The y axis runs 0–`max`, ticks every `step` labelled by `tick`; `format` labels the values. */
  readonly max: number;
  readonly step: number;
  readonly tick: (v: number) => string;
  readonly format: (v: number) => string;
}

/**
 * Vertical bars grouped (a group per dataset, a bar per series), each with its value above it,
 * a ± whisker and an optional hollow-diamond marker.
 *
 * @param o The chart.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupedBars } from "./_svg.ts";
 *
 * const svg = groupedBars({
 *   title: "Accuracy", series: ["a", "b"], spreadName: "± std", markerName: "other", max: 1, step: 0.5,
 *   tick: (v) => `${v * 100}%`, format: String, groups: [{ label: "set", bars: [{ series: "a", value: 0.5, spread: 0.1 }] }],
 * });
 * assert.equal((svg.match(/<rect /g) ?? []).length, 1 + 2 + 1); // background, legend swatches, one bar
 * ```
 */
export function groupedBars(o: GroupedBarsOptions): string {
  const barW = 24, gap = 36, left = 56, top = 64, plotH = 240;
  const groupW = o.series.length * barW + gap;
  const width = Math.max(
    left + o.groups.length * groupW + 12,
    titleWidth(o.title),
    legendWidth([...o.series, o.spreadName, o.markerName]),
  );
  const height = top + plotH + 40;
  const y = (v: number) => top + plotH - (Math.min(Math.max(v, 0), o.max) / o.max) * plotH;
  const body: string[] = legend(12, 42, [
    ...o.series.map((name, i) => ({ name, swatch: square(PALETTE[i % PALETTE.length]!) })),
    { name: o.spreadName, swatch: (x: number, yy: number) => line(x, yy - 6, x, yy + 6, "#000000") },
    { name: o.markerName, swatch: (x: number, yy: number) => diamond(x, yy) },
  ]);
  for (let v = 0; v <= o.max + 1e-9; v += o.step) {
    body.push(
      line(left, y(v), width - 12, y(v), "#dddddd"),
      text(left - 6, y(v) + 4, o.tick(v), { "text-anchor": "end" }),
    );
  }
  o.groups.forEach((g, gi) => {
    const x0 = left + (width - 12 - left - o.groups.length * groupW) / 2 + gap / 2 + gi * groupW;
    body.push(text(x0 + (o.series.length * barW) / 2, top + plotH + 18, g.label, { "text-anchor": "middle" }));
    for (const b of g.bars) {
      const i = o.series.indexOf(b.series);
      const x = x0 + i * barW, cx = x + barW / 2;
      body.push(
        el("rect", {
          x: x + 2,
          y: y(b.value),
          width: barW - 4,
          height: y(0) - y(b.value),
          fill: PALETTE[i % PALETTE.length]!,
        }),
      );
      const hi = b.value + (b.spread ?? 0);
      if (b.spread) {
        body.push(line(cx, y(b.value - b.spread), cx, y(hi), "#000000"), line(cx - 4, y(hi), cx + 4, y(hi), "#000000"));
      }
      body.push(text(cx, y(hi) - 5, o.format(b.value), { "text-anchor": "middle", "font-size": FONT - 2 }));
      if (b.marker !== undefined && b.marker !== null) body.push(diamond(cx, y(b.marker)));
    }
  });
  body.push(line(left, y(0), width - 12, y(0), "#000000"));
  return document(width, height, o.title, body);
}

/** One row of {@linkcode logBars}: a bar to `value` and a whisker on to `whisker`. */
export interface LogBar {
  readonly label: string;
  readonly value: number;
  readonly whisker: number;
  /** The text right of the plot. */
  readonly note: string;
}

/**
 * Horizontal bars on a log scale in sections (a heading and its rows, a colour per section),
 * each bar with a whisker, for figures that span decades (times from µs to seconds).
 *
 * @param title The chart's title.
 * @param unit The unit of the axis labels (`ms`).
 * @param sections The sections, top to bottom.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { logBars } from "./_svg.ts";
 *
 * const svg = logBars("Times", "ms", [{ label: "set", rows: [{ label: "decode", value: 1, whisker: 2, note: "1 ms" }] }]);
 * assert.match(svg, /<text[^>]*>decode<\/text>/);
 * ```
 */
export function logBars(
  title: string,
  unit: string,
  sections: readonly { readonly label: string; readonly rows: readonly LogBar[] }[],
): string {
  const rowH = 18, plotW = 380, top = 44;
  const all = sections.flatMap((s) => s.rows);
  const labelW = Math.ceil(Math.max(...all.map((b) => b.label.length), 10) * CHAR) + 24;
  const noteW = Math.ceil(Math.max(...all.map((b) => b.note.length), 4) * CHAR) + 16;
  const lo = Math.floor(Math.log10(Math.max(Math.min(...all.map((b) => b.value)), 0.01)));
  const hi = Math.ceil(Math.log10(Math.max(...all.map((b) => b.whisker), 1)));
  const left = 12 + labelW, width = left + plotW + noteW + 12;
  const x = (v: number) => left + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * plotW;
  const height = top + (all.length + sections.length) * rowH + 36;
  const body: string[] = [];
  const bottom = height - 30;
  for (let e = lo; e <= hi; e++) {
    const v = 10 ** e;
    body.push(line(x(v), top, x(v), bottom, "#dddddd"));
    body.push(text(x(v), bottom + 16, `${v >= 1 ? v.toFixed(0) : v.toFixed(-e)} ${unit}`, { "text-anchor": "middle" }));
  }
  let yy = top;
  sections.forEach((s, si) => {
    const colour = PALETTE[si % PALETTE.length]!;
    body.push(text(12, yy + 13, s.label, { "font-weight": "bold" }));
    yy += rowH;
    for (const b of s.rows) {
      const cy = yy + rowH / 2;
      body.push(text(24, cy + 4, b.label));
      body.push(el("rect", { x: left, y: cy - 6, width: x(b.value) - left, height: 12, fill: colour }));
      body.push(
        line(x(b.value), cy, x(b.whisker), cy, "#000000"),
        line(x(b.whisker), cy - 4, x(b.whisker), cy + 4, "#000000"),
      );
      body.push(text(left + plotW + 10, cy + 4, b.note));
      yy += rowH;
    }
  });
  body.push(line(left, bottom, left + plotW, bottom, "#000000"));
  return document(width, height, title, body);
}

/** One panel of {@linkcode thresholdPanels}: the equal error rate and the two rates at one threshold. */
export interface ThresholdPanel {
  readonly label: string;
  readonly eer: number;
  readonly eerThreshold: number;
  /** The rates at `threshold`, when known. */
  readonly at?: { readonly threshold: number; readonly falseAccept: number; readonly falseReject: number };
}

/**
 * Error rates (y, %) against the distance threshold (x), a panel per dataset on shared axes: the
 * equal error rate where false accepts and false rejects meet, and both rates at the default
 * threshold (a dashed line), each curve's two known points joined by a dotted line.
 *
 * @param title The chart's title.
 * @param panels The panels, left to right.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { thresholdPanels } from "./_svg.ts";
 *
 * const svg = thresholdPanels("Verification", [{ label: "set", eer: 0.02, eerThreshold: 0.6,
 *   at: { threshold: 0.63, falseAccept: 0.03, falseReject: 0.01 } }]);
 * assert.match(svg, />EER 2\.0% at 0\.6</);
 * ```
 */
export function thresholdPanels(title: string, panels: readonly ThresholdPanel[]): string {
  const panelW = 230, plotH = 200, top = 108, left = 48, gap = 28;
  const FA = PALETTE[5]!, FR = PALETTE[0]!;
  const xs = panels.flatMap((p) => [p.eerThreshold, ...(p.at ? [p.at.threshold] : [])]);
  const ys = panels.flatMap((p) => [p.eer, ...(p.at ? [p.at.falseAccept, p.at.falseReject] : [])]);
  const x0 = Math.floor((Math.min(...xs) - 0.02) * 20) / 20, x1 = Math.ceil((Math.max(...xs) + 0.02) * 20) / 20;
  const yMax = Math.max(0.05, Math.ceil((Math.max(...ys) * 1.15) * 20) / 20);
  const entries = [
    { name: "equal error rate (false accept = false reject)", swatch: circle("#000000") },
    { name: "false accept at the default", swatch: triangle(true, FA) },
    { name: "false reject at the default", swatch: triangle(false, FR) },
  ];
  const caption = "Dotted lines join each rate's two measured points; report.json holds no curve between them.";
  const width = Math.max(
    left + panels.length * (panelW + gap),
    legendWidth(entries.map((e) => e.name)),
    titleWidth(title),
  );
  const height = top + plotH + 44;
  const body: string[] = legend(12, 42, entries);
  body.push(text(12, 62, caption, { fill: "#555555", "font-size": FONT - 1 }));
  panels.forEach((p, i) => {
    const l = left + i * (panelW + gap);
    const X = (v: number) => l + ((v - x0) / (x1 - x0)) * panelW, Y = (v: number) => top + plotH - (v / yMax) * plotH;
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    body.push(text(l + panelW / 2, top - 22, p.label, { "text-anchor": "middle", "font-weight": "bold" }));
    body.push(text(l + panelW / 2, top - 7, `EER ${pct(p.eer)} at ${p.eerThreshold}`, { "text-anchor": "middle" }));
    for (let v = 0; v <= yMax + 1e-9; v += yMax > 0.2 ? 0.1 : 0.05) {
      body.push(line(l, Y(v), l + panelW, Y(v), "#dddddd"));
      if (i === 0) body.push(text(l - 6, Y(v) + 4, `${(v * 100).toFixed(0)}%`, { "text-anchor": "end" }));
    }
    for (let v = x0; v <= x1 + 1e-9; v += 0.05) {
      body.push(text(X(v), top + plotH + 16, v.toFixed(2), { "text-anchor": "middle", "font-size": FONT - 2 }));
    }
    body.push(el("rect", { x: l, y: top, width: panelW, height: plotH, fill: "none", stroke: "#000000" }));
    const ex = X(p.eerThreshold), ey = Y(p.eer);
    if (p.at) {
      const tx = X(p.at.threshold), fa = Y(p.at.falseAccept), fr = Y(p.at.falseReject);
      const room = tx + 64 <= l + panelW, dx = room ? 8 : -8, anchor = { "text-anchor": room ? "start" : "end" };
      body.push(line(tx, top, tx, top + plotH, "#555555", { "stroke-dasharray": "4 3" }));
      body.push(
        text(tx + dx / 2, top + 12, `default ${p.at.threshold}`, { ...anchor, "font-size": FONT - 2, fill: "#555555" }),
      );
      body.push(
        line(ex, ey, tx, fa, FA, { "stroke-dasharray": "1 3" }),
        line(ex, ey, tx, fr, FR, { "stroke-dasharray": "1 3" }),
      );
      body.push(triangle(true, FA)(tx, fa), triangle(false, FR)(tx, fr));
      // Each label beside its marker, pushed apart when the two would overlap, and kept inside the plot.
      const [hi, lo] = [Math.min(fa, fr), Math.max(fa, fr)];
      const push = Math.max(0, 14 - (lo - hi)) / 2;
      const loY = Math.min(lo + 4 + push, top + plotH - 3);
      const hiY = Math.max(Math.min(hi + 4 - push, loY - 14), top + 26);
      const [faY, frY] = fa <= fr ? [hiY, loY] : [loY, hiY];
      body.push(text(tx + dx, faY, `FA ${pct(p.at.falseAccept)}`, { ...anchor, fill: FA }));
      body.push(text(tx + dx, frY, `FR ${pct(p.at.falseReject)}`, { ...anchor, fill: FR }));
    }
    body.push(circle("#000000")(ex, ey));
  });
  body.push(text(left + (panels.length * (panelW + gap) - gap) / 2, height - 6, "distance threshold", {
    "text-anchor": "middle",
  }));
  return document(width, height, title, body);
}

/**
 * The identification plot of `report.json`: a group per dataset, a bar per feature set (k-fold
 * mean ± std over seeds), and train→test as a diamond where the dataset has it.
 *
 * @param report A validated `report.json`.
 * @returns The SVG document.
 */
export function identificationPlot(report: ReportJson): string {
  const sets = Object.entries(report.datasets).filter(([, d]) => d.accuracy);
  return groupedBars({
    title: "Identification accuracy: k-fold mean by dataset and feature set",
    series: [...new Set(sets.flatMap(([, d]) => Object.keys(d.accuracy!)))],
    groups: sets.map(([label, d]) => ({
      label,
      bars: Object.entries(d.accuracy!).map(([series, a]) => ({
        series,
        value: a.kfold_mean,
        spread: a.kfold_std,
        marker: a.train_test,
      })),
    })),
    spreadName: "± std over seeds",
    markerName: "train→test",
    max: 1,
    step: 0.2,
    tick: (v) => `${(v * 100).toFixed(0)}%`,
    format: (v) => (v * 100).toFixed(1),
  });
}

/**
 * The verification plot of `report.json`: a panel per dataset with its equal error rate and the
 * false accept and false reject rates at `compare`'s default threshold.
 *
 * @param report A validated `report.json`.
 * @returns The SVG document.
 */
export function verificationPlot(report: ReportJson): string {
  return thresholdPanels(
    "Verification: error rates against the distance threshold",
    Object.entries(report.datasets).flatMap(([label, { verification: v }]) => {
      if (!v) return [];
      const t = v.threshold_default;
      const at = t === undefined
        ? undefined
        : { threshold: t, falseAccept: v.at_default.false_accept, falseReject: v.at_default.false_reject };
      return [{ label, eer: v.eer, eerThreshold: v.eer_threshold, at }];
    }),
  );
}

/**
 * The stage plot of `bench.json`: a section per photo set, a bar per stage to its median and a
 * whisker to its p90.
 *
 * @param sets Stage times by photo set.
 * @param label A stage's name as the plot shows it.
 * @returns The SVG document.
 */
export function stagesPlot(
  sets: readonly (readonly [string, Readonly<Record<string, StageTimes>>])[],
  label: (stage: string) => string,
): string {
  const ms = (v: number) => v.toFixed(v < 1 ? 2 : 1);
  return logBars(
    "Time per stage: median (bar) and p90 (whisker), log scale",
    "ms",
    sets.map(([set, stages]) => ({
      label: set,
      rows: Object.entries(stages).map(([stage, s]) => ({
        label: label(stage),
        value: s.median_ms,
        whisker: s.p90_ms,
        note: `${ms(s.median_ms)} ms, p90 ${ms(s.p90_ms)}`,
      })),
    })),
  );
}
