/**
 * The `face2vec` command line. Run `deno task detect …` (the task carries the permissions),
 * or `deno run -R -W cli.ts <command> --help`.
 *
 * Exit codes: 0 ok, 1 some input failed (each named on its own stderr line), 2 bad arguments.
 *
 * @module
 */

import { Command, CommanderError } from "npm:@commander-js/extra-typings@15.1.0";
import { detectCommand } from "./lib/cli/detect_command.ts";
import { preprocessCommand } from "./lib/cli/preprocess_command.ts";
import { trainCommand } from "./lib/cli/train_command.ts";
import { evaluateCommand } from "./lib/cli/evaluate_command.ts";
import { predictCommand } from "./lib/cli/predict_command.ts";
import { compareCommand } from "./lib/cli/compare_command.ts";
import { enrolCommand } from "./lib/cli/enrol_command.ts";
import { type CliIo, EXIT, processIo } from "./lib/cli/_io.ts";

/** The version printed by `--version`. */
export const VERSION = "0.1.0";

/**
 * Builds the program with all subcommands, writing through `io`.
 *
 * @param io Output streams (tests pass their own).
 * @param setExit Receives the exit code a subcommand decides.
 */
export function createProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command("face2vec")
    .description("Face recognition you train on your own photos: decode, detect, landmarks, features, classify.")
    .version(VERSION);
  program.addCommand(detectCommand(io, setExit));
  program.addCommand(preprocessCommand(io, setExit));
  program.addCommand(trainCommand(io, setExit));
  program.addCommand(evaluateCommand(io, setExit));
  program.addCommand(predictCommand(io, setExit));
  program.addCommand(compareCommand(io, setExit));
  program.addCommand(enrolCommand(io, setExit));
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout(s.replace(/\n$/, "")),
      writeErr: (s) => io.stderr(s.replace(/\n$/, "")),
    });
  }
  return program;
}

/**
 * Runs the CLI on an argument list and returns the exit code (never calls `Deno.exit`).
 *
 * @param args Arguments after the program name, e.g. `["detect", "photos/", "--json"]`.
 * @param io Output streams; the process's own by default.
 * @returns 0 ok, 1 some input failed, 2 bad arguments.
 */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  let code: number = EXIT.ok;
  const program = createProgram(io, (c) => (code = c));
  if (args.length === 0) {
    program.outputHelp({ error: true });
    return EXIT.badArguments;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      const shown = e.code === "commander.helpDisplayed" || e.code === "commander.version" ||
        e.code === "commander.help";
      return shown ? EXIT.ok : EXIT.badArguments;
    }
    if (e instanceof RangeError) {
      io.stderr(`error: ${e.message}`);
      return EXIT.badArguments;
    }
    io.stderr(`error: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.inputFailed;
  }
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
