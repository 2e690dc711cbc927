/**
 * The `face2vec` program: every subcommand, and `main()`, which runs it on an argument list
 * and returns the exit code.
 *
 * @module
 */

import { Command, CommanderError } from "npm:@commander-js/extra-typings@15.1.0";
import { detectCommand } from "./detect_command.ts";
import { preprocessCommand } from "./preprocess_command.ts";
import { trainCommand } from "./train_command.ts";
import { evaluateCommand } from "./evaluate_command.ts";
import { predictCommand } from "./predict_command.ts";
import { compareCommand } from "./compare_command.ts";
import { enrolCommand } from "./enrol_command.ts";
import { clusterCommand } from "./cluster_command.ts";
import { serveCommand } from "./serve_command.ts";
import { type CliIo, EXIT, HELP_COLUMNS, processIo } from "./_io.ts";
import { missingFlags, permissionHint, userDirectory, wantsDatabase } from "./_permissions.ts";

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
    .version(VERSION)
    // Each command as its usage says (preprocess's folder is required, except with --merge).
    .configureHelp({ subcommandTerm: (cmd) => `${cmd.name()} ${cmd.usage().split(" | ")[0]}` });
  program.addCommand(detectCommand(io, setExit));
  program.addCommand(preprocessCommand(io, setExit));
  program.addCommand(trainCommand(io, setExit));
  program.addCommand(evaluateCommand(io, setExit));
  program.addCommand(predictCommand(io, setExit));
  program.addCommand(compareCommand(io, setExit));
  program.addCommand(enrolCommand(io, setExit));
  program.addCommand(clusterCommand(io, setExit));
  program.addCommand(serveCommand(io, setExit));
  // A model folder given with a trailing slash (`--model nosuch/`) is named without it in every message.
  program.hook("preAction", (_, action) => {
    const model = action.getOptionValue("model");
    if (typeof model === "string" && /.\/+$/.test(model)) action.setOptionValue("model", model.replace(/\/+$/, ""));
  });
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride().configureOutput({
      writeOut: (s) => io.stdout(s.replace(/\n$/, "")),
      writeErr: (s) => io.stderr(s.replace(/\n$/, "")),
      getOutHelpWidth: () => io.columns ?? HELP_COLUMNS,
      getErrHelpWidth: () => io.columns ?? HELP_COLUMNS,
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

/**
 * Runs the CLI as a process does: first checks, without prompting, that the command was
 * given the permissions it needs (otherwise prints the exact command to type and returns
 * 2), then reads relative paths from the user's directory ({@linkcode userDirectory}) and
 * runs {@linkcode main}.
 *
 * @param args `Deno.args`.
 * @param io Output streams; the process's own by default.
 * @returns The exit code.
 */
export async function runAsProcess(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const missing = missingFlags(args.find((a) => !a.startsWith("-")), wantsDatabase(args));
  if (missing.length > 0) {
    const cli = new URL("../../cli.ts", import.meta.url);
    io.stderr(permissionHint(args, cli.protocol === "file:" ? decodeURIComponent(cli.pathname) : cli.href));
    return EXIT.badArguments;
  }
  const dir = userDirectory();
  try {
    Deno.chdir(dir);
  } catch {
    io.stderr(
      `error: ${dir} (INIT_CWD, where the task was started): not a folder any more; run from a folder that exists`,
    );
    return EXIT.badArguments;
  }
  return await main(args, io);
}
