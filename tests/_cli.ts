/**
 * Runs the CLI in-process with captured output.
 *
 * @module
 */

import { main } from "../cli.ts";

/** What one CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string[];
  readonly stderr: string[];
}

/** Runs `face2vec <args>` in-process. */
export async function runCli(args: readonly string[]): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(args, {
    stdout: (l) => stdout.push(l),
    stderr: (l) => stderr.push(l),
    stderrIsTerminal: false,
    stdoutIsTerminal: false,
  });
  return { code, stdout, stderr };
}

/**
 * `face2vec preprocess FOLDER --features geometry --cache CACHE --workers 1 …more`: the tests'
 * usual preprocessing run (one worker, so the run is deterministic and light).
 */
export function preprocessCli(folder: string, cache: string, ...more: readonly string[]): Promise<CliRun> {
  return runCli(["preprocess", folder, "--features", "geometry", "--cache", cache, "--workers", "1", ...more]);
}
