/**
 * `cli.ts serve` as a child process, for the tests and the bench that talk to it over a real
 * socket: started with the `serve` task's permissions on a free port, optionally under an
 * open-file limit (bash's `ulimit -n`), and returned once it prints the line it listens on.
 * Its stderr keeps being read, so the child never blocks on a full pipe.
 *
 * @module
 */

import { neededFlags } from "../lib/cli/_permissions.ts";

/** A running `serve` child. */
export interface ServeProcess {
  /** `http://127.0.0.1:PORT` (no trailing slash; the API is under `/v1/`). */
  readonly base: string;
  readonly port: number;
  /** The connection cap it announced, or undefined if its line named none. */
  readonly cap: number | undefined;
  readonly child: Deno.ChildProcess;
  /** Its stderr lines so far; it keeps growing while the child runs. */
  readonly log: string[];
  /** Its whole stderr, once it has exited. */
  readonly stderr: Promise<string>;
}

/** Options of {@linkcode startServe}. */
export interface StartServeOptions {
  /** Open files at most (bash's `ulimit -n`); none: the inherited limit. */
  readonly fileLimit?: number;
  /** The `--allow-net` and `PG*` permissions of a `--gallery postgres://…` run. */
  readonly network?: boolean;
}

const LISTENING = / on (http:\/\/127\.0\.0\.1:(\d+))\/v1\/(?: \(at most (\d+) connections\))?(?: |$)/;

/**
 * Starts `cli.ts serve --port 0 …args` and waits until it listens.
 *
 * @param args The options after `serve` (`--model DIR` or `--gallery URL`, workers, limits).
 * @param options An open-file limit; the network permissions.
 * @returns The child, its base URL, port and announced cap, and its stderr.
 * @throws {Error} When it exits before listening (with what it printed).
 */
export async function startServe(args: readonly string[], options: StartServeOptions = {}): Promise<ServeProcess> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const argv = ["run", ...neededFlags("serve", options.network ?? false), cli, "serve", "--port", "0", ...args];
  const quoted = [Deno.execPath(), ...argv].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const child = new Deno.Command(options.fileLimit ? "bash" : Deno.execPath(), {
    args: options.fileLimit ? ["-c", `ulimit -n ${options.fileLimit} && exec ${quoted}`] : argv,
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const log: string[] = [];
  let partial = "";
  const readMore = async () => {
    const { value, done } = await reader.read();
    if (done) return false;
    const parts = (partial + value).split("\n");
    partial = parts.pop()!;
    log.push(...parts);
    return true;
  };
  while (true) {
    const before = log.length;
    if (!(await readMore())) throw new Error(`serve exited before listening:\n${log.join("\n")}${partial}`);
    const listening = log.slice(before).map((l) => l.match(LISTENING)).find(Boolean);
    if (listening) {
      const stderr = (async () => {
        while (await readMore());
        return log.join("\n") + (partial ? `\n${partial}` : "");
      })();
      return {
        base: listening[1]!,
        port: Number(listening[2]),
        cap: listening[3] === undefined ? undefined : Number(listening[3]),
        child,
        log,
        stderr,
      };
    }
  }
}
