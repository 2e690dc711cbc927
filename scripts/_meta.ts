/**
 * What every bench.json / report.json carries: the commit, Deno version, cores and date.
 *
 * @module
 */

import { DEFAULT_EMBEDDER } from "../lib/embed/embed_faces.ts";
import { DEFAULT_DETECTOR } from "../lib/detect/detect_faces.ts";
import { DEFAULT_CLUSTER_ALGORITHM } from "../lib/cluster/cluster_faces.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { type BenchJson, type NotesJson, type ReportJson, type TableSpec, validateNotes } from "../lib/eval/schema.ts";
import { renderTable, textTable } from "../lib/eval/tables.ts";

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

/** The path of `docs/figure_notes.json`. */
export const NOTES_FILE = `${ROOT}/docs/figure_notes.json`;

/**
 * Reads `docs/figure_notes.json` and checks it field by field.
 *
 * @returns The notes.
 * @throws {TypeError} Naming each wrong field (`tables.3.columns.2.cell: expected …`).
 */
export async function readNotes(): Promise<NotesJson> {
  const json = JSON.parse(await Deno.readTextFile(NOTES_FILE));
  const problems = validateNotes(json);
  if (problems.length > 0) throw new TypeError(`docs/figure_notes.json: ${problems.join("; ")}`);
  return json;
}

/** The variables a table's paths may name besides the JSON's: the default detector and clustering algorithm. */
export const TABLE_VARS = {
  default: DEFAULT_DETECTOR,
  default_cluster: DEFAULT_CLUSTER_ALGORITHM,
  default_embedder: DEFAULT_EMBEDDER,
} as const;

/** Prints the tables `figure_notes.json` marks `console` for one file, as the figures page draws them. */
export async function printTables(
  file: "report" | "bench",
  json: ReportJson | BenchJson,
  only: (spec: TableSpec) => boolean = () => true,
): Promise<void> {
  const notes = await readNotes();
  for (const spec of notes.tables.filter((t) => t.file === file && t.console && only(t))) {
    const table = renderTable(spec, json, { notes, quick: json.quick, vars: TABLE_VARS });
    if (table.rows.length > 0) console.log(`\n${table.title}\n${textTable(table)}`);
  }
}
