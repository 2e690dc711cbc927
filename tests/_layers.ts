/**
 * The import graph of lib/ as Deno resolves it (`deno info --json`), and the checks
 * tests/layers_test.ts runs on it against the layer order declared in lib/layers.json: cycles
 * between files, imports against the order, and the folders allowed to import the writers' lock.
 *
 * @module
 */

import { fileURLToPath, pathToFileURL } from "node:url";
import { join, relative, sep } from "node:path";

/** Files (paths relative to the root, with `/`) and the project files each imports. */
export interface ImportGraph {
  readonly files: readonly string[];
  readonly edges: ReadonlyMap<string, readonly string[]>;
}

/** lib/layers.json: folders of lib/, lowest layer first; the folders that may import lib/_lock.ts. */
export interface LayerOrder {
  readonly layers: readonly (readonly string[])[];
  readonly lock: readonly string[];
}

/** One import against the order: the importing file, the imported one, and why it is refused. */
export interface LayerViolation {
  readonly from: string;
  readonly to: string;
  readonly why: string;
}

/** Every non-test module of lib/ (no `*_test.ts`, `_test_util.ts` or `testdata/`), plus mod.ts and cli.ts. */
export async function libModules(root: string): Promise<string[]> {
  const out = ["mod.ts", "cli.ts"];
  const walk = async (dir: string): Promise<void> => {
    for await (const e of Deno.readDir(join(root, dir))) {
      const path = `${dir}/${e.name}`;
      if (e.isDirectory) {
        if (e.name !== "testdata" && e.name !== "models" && e.name !== "cascades") await walk(path);
      } else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts") && e.name !== "_test_util.ts") {
        out.push(path);
      }
    }
  };
  await walk("lib");
  return out.filter((f) => Deno.statSync(join(root, f)).isFile).sort();
}

/**
 * Reads the import graph of `files` with `deno info --json` (static and dynamic imports, type-only
 * ones included), keeping the edges between files under `root`.
 */
export async function importGraph(
  root: string,
  files: readonly string[],
  config = join(root, "deno.json"),
): Promise<ImportGraph> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec-layers-" });
  try {
    const entry = join(dir, "entry.ts");
    await Deno.writeTextFile(
      entry,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(join(root, f)).href)};\n`).join(""),
    );
    const args = ["info", "--json", "--config", config, entry];
    const run = await new Deno.Command(Deno.execPath(), { args, stdout: "piped", stderr: "piped" }).output();
    if (!run.success) throw new Error(`deno info failed: ${new TextDecoder().decode(run.stderr).trim()}`);
    const info = JSON.parse(new TextDecoder().decode(run.stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier?: string }; type?: { specifier?: string } }[];
      }[];
    };
    const project = (specifier: string | undefined): string | undefined => {
      if (!specifier?.startsWith("file:")) return undefined;
      const rel = relative(root, fileURLToPath(specifier)).split(sep).join("/");
      return rel.startsWith("..") ? undefined : rel;
    };
    const edges = new Map<string, string[]>();
    for (const m of info.modules) {
      const from = project(m.specifier);
      if (from === undefined) continue;
      const to = new Set<string>();
      for (const d of m.dependencies ?? []) {
        for (const s of [d.code?.specifier, d.type?.specifier]) {
          const t = project(s);
          if (t !== undefined && t !== from) to.add(t);
        }
      }
      edges.set(from, [...to].sort());
    }
    return { files: [...edges.keys()].sort(), edges };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The graph's cycles: each strongly connected set of two or more files, sorted (Tarjan's algorithm). */
export function cycles(graph: ImportGraph): string[][] {
  let next = 0;
  const index = new Map<string, number>(),
    low = new Map<string, number>(),
    stack: string[] = [],
    onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const set: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        set.push(w);
      } while (w !== v);
      if (set.length > 1) found.push(set.sort());
    }
  };
  for (const v of graph.files) if (!index.has(v)) visit(v);
  return found.sort((a, b) => a[0]!.localeCompare(b[0]!));
}

/** The stage a file belongs to: a folder of lib/, "base" for lib/_*.ts, "top" for mod.ts and cli.ts, else "outside". */
export function stageOf(file: string): string {
  if (file === "mod.ts" || file === "cli.ts") return "top";
  const parts = file.split("/");
  if (parts[0] !== "lib") return "outside";
  return parts.length === 2 ? "base" : parts[1]!;
}

/** Every import of a lib/ module (or mod.ts, cli.ts) that the order refuses. */
export function layerViolations(graph: ImportGraph, order: LayerOrder): LayerViolation[] {
  const rank = new Map<string, number>();
  order.layers.forEach((layer, i) => layer.forEach((folder) => rank.set(folder, i)));
  const out: LayerViolation[] = [];
  for (const from of graph.files) {
    const a = stageOf(from);
    if (a === "outside") continue;
    for (const to of graph.edges.get(from) ?? []) {
      if (!to.endsWith(".ts")) continue;
      const b = stageOf(to);
      let why: string | undefined;
      if (b === "outside") why = "lib/ imports a file outside lib/";
      else if (to === "lib/_lock.ts" && !order.lock.includes(a)) {
        why = `only ${order.lock.join(", ")} may take the lock`;
      } else if (a === "top" || b === "base" || a === b) why = undefined;
      else if (b === "top") why = "imports mod.ts or cli.ts";
      else if (a === "base") why = `a base module imports the stage ${b}`;
      else if (!rank.has(a)) why = `${a} is not in lib/layers.json`;
      else if (!rank.has(b)) why = `${b} is not in lib/layers.json`;
      else if (rank.get(b)! === rank.get(a)!) why = `${a} and ${b} are one layer`;
      else if (rank.get(b)! > rank.get(a)!) why = `${a} imports the higher stage ${b}`;
      if (why !== undefined) out.push({ from, to, why });
    }
  }
  return out;
}
