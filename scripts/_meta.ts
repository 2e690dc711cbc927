/**
 * What every bench.json / report.json carries: the commit, Deno version, cores and date.
 *
 * @module
 */

import { DEFAULT_DETECTOR, type DetectorName, DETECTORS } from "../lib/detect/detect_faces.ts";
import { ROOT } from "../lib/eval/npm.ts";
import type { ReportJson, StageTimes } from "./_schema.ts";

/**
 * The detectors in the order the figures show them side by side: the others (the original's
 * Haar cascade) first, the library's default last.
 */
export const DETECTOR_COLUMNS: readonly DetectorName[] = Object.freeze([
  ...DETECTORS.filter((d) => d !== DEFAULT_DETECTOR),
  DEFAULT_DETECTOR,
]);

/** An object with `f(d)` for each detector `d`, in {@linkcode DETECTOR_COLUMNS} order. */
export function perDetector<T>(f: (d: DetectorName) => T): Record<DetectorName, T> {
  return Object.fromEntries(DETECTOR_COLUMNS.map((d) => [d, f(d)])) as Record<DetectorName, T>;
}

/** {@linkcode perDetector} of an async `f`, one detector after the other (measurements never overlap). */
export async function perDetectorAsync<T>(f: (d: DetectorName) => Promise<T>): Promise<Record<DetectorName, T>> {
  const out: Partial<Record<DetectorName, T>> = {};
  for (const d of DETECTOR_COLUMNS) out[d] = await f(d);
  return out as Record<DetectorName, T>;
}

/** Provenance fields of a measurement file. */
export type Meta = Pick<ReportJson, "commit" | "deno" | "cores" | "date">;

/** The current commit (with `-dirty` when the tree has changes), Deno version, cores, ISO date. */
export async function meta(): Promise<Meta> {
  let commit = "unknown";
  try {
    const git = (args: string[]) =>
      new Deno.Command("git", { args, cwd: ROOT, stdout: "piped", stderr: "null" }).output();
    const head = await git(["rev-parse", "--short=12", "HEAD"]);
    if (head.success) {
      commit = new TextDecoder().decode(head.stdout).trim();
      const status = await git(["status", "--porcelain", "--untracked-files=no"]);
      if (new TextDecoder().decode(status.stdout).trim() !== "") commit += "-dirty";
    }
  } catch {
    // git missing or not a checkout: keep "unknown".
  }
  return { commit, deno: Deno.version.deno, cores: navigator.hardwareConcurrency, date: new Date().toISOString() };
}

/** Median and 90th percentile of a sample (nearest-rank), with its size. */
export function summarize(values: readonly number[]): StageTimes {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    median_ms: r(s.length % 2 === 1 || s.length === 0 ? q(0.5) : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2),
    p90_ms: r(q(0.9)),
    n: s.length,
  };
}

/**
 * Resident memory of this process now, in MB (`Deno.memoryUsage().rss`). Reading the kernel's
 * own peak (VmHWM in /proc/self/status) needs --allow-all in Deno 2, so callers sample this
 * after every photo and keep the maximum.
 */
export function rssMb(): number {
  return Math.round(Deno.memoryUsage().rss / 1e5) / 10;
}

/** The command line shared by `bench` and `report`: `[FOLDER…] [--quick] [--json-out FILE]`. */
export interface MeasureArgs {
  readonly quick: boolean;
  readonly jsonOut?: string;
  readonly folders: readonly string[];
}

/** Parses `[FOLDER…] [--quick] [--json-out FILE]`; prints the usage and exits 2 when it is off. */
export function parseMeasureArgs(args: readonly string[], task: string): MeasureArgs {
  const outIdx = args.indexOf("--json-out");
  const jsonOut = outIdx >= 0 ? args[outIdx + 1] : undefined;
  const unknown = args.filter((a) => a.startsWith("--") && a !== "--quick" && a !== "--json-out");
  if ((outIdx >= 0 && (jsonOut === undefined || jsonOut.startsWith("--"))) || unknown.length > 0) {
    console.error(`usage: deno task ${task} [FOLDER…] [--quick] [--json-out FILE]`);
    Deno.exit(2);
  }
  return {
    quick: args.includes("--quick"),
    jsonOut,
    folders: args.filter((a, i) => !a.startsWith("--") && !(outIdx >= 0 && i === outIdx + 1)),
  };
}

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return rows.map((r) => r.map((c, i) => i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)).join("  ")).join(
    "\n",
  );
}
