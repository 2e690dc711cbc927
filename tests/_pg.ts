/**
 * Test helpers for a real PostgreSQL + pgvector server (started by `.ci/run` through
 * `scripts/pg_server.sh`): the environment it is announced in, a database of its own per
 * test, clusters a test starts (and kills) itself, real face embeddings to enrol, and the
 * writer processes of `_pg_writer.ts`.
 *
 * - `FACE2VEC_PG_URL`: a server with pgvector; each test makes its own database there.
 * - `FACE2VEC_PG_BIN`: that server's bin folder, for tests that run clusters of their own.
 * - `FACE2VEC_PG_MISSING`: set by `.ci/run` where pgvector could not be built (its own step
 *   fails then): the tests are skipped with that reason.
 *
 * Without the server the tests are skipped with a printed reason, unless
 * `FACE2VEC_REQUIRE_DATASETS=1`, where they run and fail.
 *
 * @module
 */

import postgres from "postgres";
import type { GalleryEntry } from "../lib/gallery/entry.ts";
import { newGalleryModel } from "../lib/model/model.ts";
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { modelPipelineOptions } from "../lib/model/model.ts";
import { cropImage } from "../lib/image/crop_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

/** The server's URL, or why there is none. */
function realServer(): { url: string } | { missing: string } {
  const url = Deno.env.get("FACE2VEC_PG_URL");
  if (url) return { url };
  return {
    missing: Deno.env.get("FACE2VEC_PG_MISSING") ??
      "FACE2VEC_PG_URL is not set (.ci/run starts PostgreSQL with pgvector through scripts/pg_server.sh)",
  };
}

/** A SQL client for tests (notices dropped). */
export function sqlClient(url: string, max = 1): postgres.Sql {
  return postgres(url, { onnotice: () => {}, max });
}

/** `url` with another database. */
function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.href;
}

/**
 * Registers a test against the real server, given a new empty database of its own (dropped
 * afterwards). Skipped with a printed reason without the server, unless
 * `FACE2VEC_REQUIRE_DATASETS=1` (and `.ci/run` has not said why it is missing), where it fails.
 */
export function pgTest(name: string, fn: (url: string) => Promise<void>): void {
  const server = realServer();
  const required = Deno.env.get("FACE2VEC_REQUIRE_DATASETS") === "1" && !Deno.env.get("FACE2VEC_PG_MISSING");
  const skip = "missing" in server && !required;
  if ("missing" in server && !required) console.log(`skipping "${name}": ${server.missing}`);
  Deno.test({
    name,
    ignore: skip,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if ("missing" in server) throw new Error(`${server.missing}, and FACE2VEC_REQUIRE_DATASETS=1`);
      const database = `face2vec_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
      const admin = sqlClient(server.url);
      try {
        await admin.unsafe(`CREATE DATABASE ${database}`);
        try {
          await fn(withDatabase(server.url, database));
        } finally {
          await admin.unsafe(`DROP DATABASE ${database} WITH (FORCE)`);
        }
      } finally {
        await admin.end();
      }
    },
  });
}

/**
 * Registers a test that runs PostgreSQL clusters of its own (from `FACE2VEC_PG_BIN`), skipped
 * or failed as {@linkcode pgTest}'s.
 */
export function pgClusterTest(name: string, fn: (bin: string) => Promise<void>): void {
  const bin = Deno.env.get("FACE2VEC_PG_BIN");
  const missing = bin ? undefined : Deno.env.get("FACE2VEC_PG_MISSING") ??
    "FACE2VEC_PG_BIN is not set (.ci/run sets it to the bin folder of PostgreSQL with pgvector)";
  const required = Deno.env.get("FACE2VEC_REQUIRE_DATASETS") === "1" && !Deno.env.get("FACE2VEC_PG_MISSING");
  if (missing && !required) console.log(`skipping "${name}": ${missing}`);
  Deno.test({
    name,
    ignore: missing !== undefined && !required,
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      if (!bin) throw new Error(`${missing}, and FACE2VEC_REQUIRE_DATASETS=1`);
      await fn(bin);
    },
  });
}

/** Runs a command and returns its standard output (whatever its exit status). */
function output(command: string, args: string[]): string {
  return new TextDecoder().decode(
    new Deno.Command(command, { args, stdout: "piped", stderr: "null" }).outputSync().stdout,
  );
}

/** Whether this runs as root (asked of `id`: Deno.uid() needs --allow-sys, /proc/self --allow-all). */
let root: boolean | undefined;
function asRoot(): boolean {
  return root ??= output("id", ["-u"]).trim() === "0";
}

/** Runs a PostgreSQL program (as the postgres user when this runs as root); its output when it fails. */
async function pgProgram(bin: string, program: string, args: string[]): Promise<void> {
  const root = asRoot();
  const out = await new Deno.Command(root ? "runuser" : `${bin}/${program}`, {
    args: root ? ["-u", "postgres", "--", `${bin}/${program}`, ...args] : args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
    throw new Error(`${program} ${args.join(" ")} failed: ${text.trim()}`);
  }
}

/** A cluster of a test's own: its URL, a SIGKILL of the whole server, a start again, its end. */
export interface Cluster {
  readonly url: string;
  readonly dir: string;
  /** SIGKILLs the postmaster and every process of it at once (a crash); resolves when they are gone (reaped). */
  kill(): Promise<number[]>;
  /** Starts the server again on the same port (crash recovery runs first). */
  start(): Promise<void>;
  /** Stops the server (if up) and removes its folder. */
  remove(): Promise<void>;
}

/** A free loopback port. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return port;
}

/** The processes whose parent is `pid` (from `ps`). */
function childrenOf(pid: number): number[] {
  return output("ps", ["-o", "pid=", "--ppid", String(pid)]).split("\n").filter((l) => l.trim()).map(Number);
}

/** Whether process `pid` exists (a zombie not yet reaped still holds its pid, which PostgreSQL's lock file checks). */
function exists(pid: number): boolean {
  return output("ps", ["-o", "pid=", "-p", String(pid)]).trim() !== "";
}

/** Initialises and starts a new cluster (trust auth, a free loopback port) from `bin`. */
export async function startCluster(bin: string): Promise<Cluster> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_pg_" });
  const port = freePort();
  const data = `${dir}/data`;
  const start = () =>
    pgProgram(bin, "pg_ctl", [
      "-D",
      data,
      "-l",
      `${dir}/log`,
      "-w",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1`,
      "start",
    ]).catch(async (e) => {
      const log = await Deno.readTextFile(`${dir}/log`).catch(() => "");
      throw new Error(`${e.message}\n${log.trim().split("\n").slice(-5).join("\n")}`);
    });
  try {
    await Deno.chmod(dir, 0o755);
    if (asRoot()) {
      const owner = await new Deno.Command("chown", { args: ["postgres", dir] }).output();
      if (!owner.success) throw new Error(`cannot give ${dir} to postgres`);
    }
    await pgProgram(bin, "initdb", ["-D", data, "-U", "postgres", "--auth=trust"]);
    await start();
  } catch (e) {
    await Deno.remove(dir, { recursive: true });
    throw e;
  }
  let up = true;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    dir,
    async kill() {
      const postmaster = Number((await Deno.readTextFile(`${data}/postmaster.pid`)).split("\n")[0]);
      // Stopped first, so that it forks no backend between the listing of its children and the kill.
      Deno.kill(postmaster, "SIGSTOP");
      const all = [postmaster, ...childrenOf(postmaster)];
      for (const pid of all) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      up = false;
      const deadline = Date.now() + 10_000;
      while (all.some(exists)) {
        if (Date.now() > deadline) throw new Error(`processes ${all.filter(exists).join(", ")} outlived SIGKILL`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return all;
    },
    async start() {
      await start();
      up = true;
    },
    async remove() {
      if (up) await pgProgram(bin, "pg_ctl", ["-D", data, "-m", "immediate", "stop"]).catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Every boxed face of the npm sample photos (22), cropped with context, through the gallery's pipeline: real embeddings. */
export async function sampleEmbeddings(): Promise<Float32Array[]> {
  const truth = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sample_faces.json", import.meta.url))).faces;
  const model = await newGalleryModel();
  const pipeline = await createPipeline(modelPipelineOptions(model.info));
  const embeddings: Float32Array[] = [];
  try {
    for (const photo of samplePhotos()) {
      const image = await readImage(photo);
      for (const b of truth[photo.slice(photo.lastIndexOf("/") + 1)]) {
        const crop = cropImage(image, {
          x: b.x - b.width,
          y: b.y - b.height,
          width: 3 * b.width,
          height: 3 * b.height,
        });
        const found = await pipeline.processLargestFace(crop);
        if (!found) throw new Error(`no face in the crop of ${photo} at ${b.x},${b.y}`);
        embeddings.push(found.face.embedding!);
      }
    }
  } finally {
    await pipeline.dispose();
  }
  return embeddings;
}

/**
 * `n` faces for `labels` people: face i is person i mod `labels`, with the real embedding
 * i mod 22 (so that each person's faces differ, and a centroid missing one shows).
 */
export function labelledFaces(
  embeddings: readonly Float32Array[],
  n: number,
  labels: number,
  prefix = "f",
): GalleryEntry[] {
  return Array.from({ length: n }, (_, i) => ({
    label: `person ${i % labels}`,
    path: `${prefix}/${i}.jpg`,
    embedding: embeddings[i % embeddings.length]!,
  }));
}

/** A `_pg_writer.ts` process, its lines as they come, and its end. */
export interface Writer {
  readonly lines: string[];
  /** Called with each line as it comes. */
  onLine?: (line: string) => void;
  readonly done: Promise<Deno.CommandStatus>;
  readonly child: Deno.ChildProcess;
}

/** Writes faces for writer processes to a file (JSON: label, path, embedding). */
export async function facesFile(faces: readonly GalleryEntry[]): Promise<string> {
  const file = await Deno.makeTempFile({ prefix: "face2vec_faces_", suffix: ".json" });
  await Deno.writeTextFile(
    file,
    JSON.stringify(faces.map((f) => ({ label: f.label, path: f.path, embedding: Array.from(f.embedding) }))),
  );
  return file;
}

/** Starts `deno run tests/_pg_writer.ts args…` (see there). */
export function writer(args: readonly string[]): Writer {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", new URL("_pg_writer.ts", import.meta.url).pathname, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines: string[] = [];
  const w: { -readonly [K in keyof Writer]: Writer[K] } = { lines, child, done: Promise.resolve(child.status) };
  w.done = (async () => {
    const errors = new Response(child.stderr).text();
    let buffered = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffered += chunk;
      const parts = buffered.split("\n");
      buffered = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        w.onLine?.(line);
      }
    }
    const status = await child.status;
    const err = await errors;
    if (err.trim()) lines.push(...err.trim().split("\n").map((l) => `stderr: ${l}`));
    return status;
  })();
  return w;
}
