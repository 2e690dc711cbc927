/**
 * What a command reads and writes, injected so tests can run commands in-process.
 *
 * @module
 */

import { DEFAULT_DETECTOR, DETECTORS } from "../detect/detect_faces.ts";
import { DEFAULT_EMBEDDER, EMBEDDER_REGISTRY, type EmbedderName } from "../embed/embed_faces.ts";
import { InvalidArgumentError, Option } from "npm:@commander-js/extra-typings@15.1.0";
import { ImageError } from "../image/image_error.ts";
import { CacheError } from "../dataset/cache.ts";
import { LockError } from "../_lock_error.ts";
import { GalleryError } from "../store/gallery_store.ts";
import { type ListedImage, listImages } from "../image/list_images.ts";

/** Output streams and terminal facts of one CLI run. */
export interface CliIo {
  /** Writes one line (no newline) to standard output. */
  stdout(line: string): void;
  /** Writes one line (no newline) to standard error. */
  stderr(line: string): void;
  /** Whether standard error is a terminal (progress bars only then). */
  readonly stderrIsTerminal: boolean;
  /** Whether standard output is a terminal. */
  readonly stdoutIsTerminal: boolean;
  /** The terminal's width, for laying out help; {@linkcode HELP_COLUMNS} when absent (not a terminal). */
  readonly columns?: number;
}

/** The width help is laid out for off a terminal (and in `docs/cli.md`). */
export const HELP_COLUMNS = 100;

/** The process's real streams. */
export function processIo(): CliIo {
  const enc = new TextEncoder();
  return {
    stdout: (line) => Deno.stdout.writeSync(enc.encode(line + "\n")),
    stderr: (line) => Deno.stderr.writeSync(enc.encode(line + "\n")),
    stderrIsTerminal: Deno.stderr.isTerminal(),
    stdoutIsTerminal: Deno.stdout.isTerminal(),
    columns: Deno.stdout.isTerminal() ? Deno.consoleSize().columns : undefined,
  };
}

/**
 * Expands the command line's files and folders into photos; an input that does not exist is
 * named on stderr (one line) and counted, and the others go on.
 */
export async function listInputs(
  inputs: readonly string[],
  io: CliIo,
): Promise<{ listed: ListedImage[]; failed: number }> {
  const listed: ListedImage[] = [];
  let failed = 0;
  for (const input of inputs) {
    try {
      listed.push(...await listImages([input]));
    } catch (e) {
      failed++;
      io.stderr(new ImageError(input, e instanceof Deno.errors.NotFound ? "file not found" : String(e)).message);
    }
  }
  return { listed, failed };
}

/** Exit codes: 0 ok, 1 some input failed, 2 bad arguments. */
export const EXIT = { ok: 0, inputFailed: 1, badArguments: 2 } as const;

/** A commander argument parser for a number within bounds. */
export function numberIn(name: string, min: number, max: number, integer = false): (v: string) => number {
  return (v: string) => {
    const n = Number(v);
    if (v.trim() === "" || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}.`,
      );
    }
    return n;
  };
}

/** Rounds milliseconds for output. */
export function ms(v: number): number {
  return Math.round(v * 10) / 10;
}

/** `--workers <n>`: 1–64, default the machine's cores (shown as such in the help, not as a number). */
export function workersOption(description: string) {
  return new Option("--workers <n>", description).argParser(numberIn("--workers", 1, 64, true)).default(
    navigator.hardwareConcurrency,
    "the number of cores",
  );
}

/**
 * `--gallery <url>` and `--password-file <file>`: a PostgreSQL + pgvector gallery instead of
 * the model folder's (the password from the file, else `PGPASSWORD`; never needed in the URL).
 */
export function galleryOptions(what: string) {
  return [
    // Checked where it is opened (openGalleryFor), not here: commander's refusal would quote
    // the value, and a URL may hold a password.
    new Option(
      "--gallery <url>",
      `${what} a PostgreSQL + pgvector gallery (postgres://user@host:port/db) instead of --model's`,
    ),
    new Option("--password-file <file>", "the database password: this file's first line (else PGPASSWORD)"),
  ] as const;
}

/** `--lock-timeout <s>`: how long a writer waits for another writer of the same model or cache. */
export function lockTimeoutOption() {
  return new Option("--lock-timeout <s>", "wait this long for another writer of the same file, then exit 2 naming it")
    .argParser(numberIn("--lock-timeout", 0, 86400)).default(60);
}

/** The line printed when a writer has to wait for another. */
export function waitingLine(what: string, holder: string): string {
  return `${what}: another process is writing it (${holder || "holder unknown"}); waiting`;
}

/**
 * `--detector <name>`: which face detector. With `recorded`, no default is set here: the
 * caller takes the one a cache or model records, else the library's default.
 */
export function detectorOption(recorded: boolean) {
  const o = new Option(
    "--detector <name>",
    recorded
      ? `face detector (default: the one the cache or model records, else ${DEFAULT_DETECTOR})`
      : "face detector (blazeface: learned, haar: the original's cascade)",
  ).choices(DETECTORS);
  return recorded ? o : o.default(DEFAULT_DETECTOR);
}

/**
 * `--embedder <name>`: which embedding network makes a new cache's embeddings (no default is
 * set here: a cache's recorded network, else the library's default).
 */
export function embedderOption() {
  return new Option(
    "--embedder <name>",
    `embedding network of a new cache (default: the one the cache records, else ${DEFAULT_EMBEDDER})`,
  ).choices(Object.keys(EMBEDDER_REGISTRY) as EmbedderName[]);
}

/**
 * The exit code for an error thrown by a run over a cache: a corrupt or mismatched cache, one
 * another process holds too long, or a database gallery that stopped answering, is the
 * user's to fix (its one-line message printed, exit 2); anything else is thrown on.
 */
export function cacheFailure(e: unknown, io: CliIo): number {
  if (e instanceof CacheError || e instanceof LockError || e instanceof GalleryError) {
    io.stderr(e.message);
    return EXIT.badArguments;
  }
  throw e;
}

/**
 * A value as one line of JSON whose DEL, C1 and bidirectional control characters are written as
 * `\uNNNN` escapes (JSON.stringify escapes only C0), so that names from an old gallery or a file
 * name never reach a terminal raw; the value read back is the same.
 */
export function jsonText(value: unknown): string {
  return JSON.stringify(value).replace(
    /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
