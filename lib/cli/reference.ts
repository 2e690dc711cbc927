/**
 * The command-line reference (`docs/cli.md`), generated from the command definitions
 * themselves, so that it cannot drift from `--help`.
 *
 * @module
 */

import type { CliIo } from "./_io.ts";
import { createProgram } from "./program.ts";

/** Output that goes nowhere, off a terminal: help is laid out as `--help` prints it to a file or pipe. */
const SILENT: CliIo = { stdout: () => {}, stderr: () => {}, stderrIsTerminal: false, stdoutIsTerminal: false };

/**
 * The `--help` text of the program or one command, as `face2vec … --help` prints it to a
 * stream that is not a terminal.
 *
 * @param command A subcommand's name; the program itself when absent.
 * @returns The help text, without a trailing newline.
 * @throws {RangeError} For an unknown command.
 */
export function helpText(command?: string): string {
  const program = createProgram(SILENT, () => {});
  const target = command === undefined ? program : program.commands.find((c) => c.name() === command);
  if (!target) throw new RangeError(`unknown command ${JSON.stringify(command)}`);
  return target.helpInformation().replace(/\n$/, "");
}

/**
 * The whole reference as Markdown: the program's help, then each command's.
 *
 * @returns The text of `docs/cli.md`.
 */
export function cliReference(): string {
  const program = createProgram(SILENT, () => {});
  const names = program.commands.map((c) => c.name());
  const block = (text: string) => ["```text", text, "```"].join("\n");
  return [
    "# Command-line reference",
    "",
    "Generated from the command definitions by `deno task readme`; the tests check it against every command's `--help`.",
    "",
    block(helpText()),
    ...names.flatMap((n) => ["", `## \`${n}\``, "", block(helpText(n))]),
    "",
  ].join("\n");
}
