/**
 * A progress bar (count, rate, ETA) on standard error when it is a terminal; plain lines
 * otherwise. Lines logged while the bar runs are printed above it.
 *
 * @module
 */

import cliProgress from "npm:cli-progress@3.12.0";
import type { CliIo } from "./_io.ts";

/** The handle a long-running command reports through. */
export interface Progress {
  /** A result line for standard output. */
  out(line: string): void;
  /** An informational line for standard error. */
  log(line: string): void;
  /** A one-line error for standard error. */
  error(line: string): void;
  /** One item done. */
  tick(): void;
  /** Removes the bar. */
  stop(): void;
}

/**
 * Starts a bar over `total` items when standard error is a terminal, `total` > 1 and
 * `wanted`; otherwise every call passes straight through to `io`.
 */
export function startProgress(io: CliIo, total: number, wanted: boolean): Progress {
  if (!io.stderrIsTerminal || total < 2 || !wanted) {
    return { out: io.stdout, log: io.stderr, error: io.stderr, tick() {}, stop() {} };
  }
  const bar = new cliProgress.SingleBar({
    format: "{bar} {value}/{total} photos | {rate}/s | ETA {eta_formatted}",
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  }, cliProgress.Presets.shades_classic);
  const t0 = performance.now();
  let done = 0;
  bar.start(total, 0, { rate: "0.0" });
  const above = (write: (l: string) => void) => (line: string) => {
    bar.stop();
    write(line);
    bar.start(total, done, { rate: (done / ((performance.now() - t0) / 1000)).toFixed(1) });
  };
  return {
    out: above(io.stdout),
    log: above(io.stderr),
    error: above(io.stderr),
    tick() {
      done++;
      bar.update(done, { rate: (done / ((performance.now() - t0) / 1000)).toFixed(1) });
    },
    stop: () => bar.stop(),
  };
}
