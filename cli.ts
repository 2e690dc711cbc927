/**
 * The `face2vec` command line. Run `deno task detect …` (the task carries the permissions),
 * or `deno run --allow-read --allow-write --allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,INIT_CWD
 * cli.ts <command> --help`; started without what a command needs, it says the exact command to
 * type. Relative paths are read from where the user ran it (`INIT_CWD` under `deno task`).
 *
 * Exit codes: 0 ok, 1 some input failed (each named on its own stderr line), 2 bad arguments.
 *
 * @module
 */

import { runAsProcess } from "./lib/cli/program.ts";

export { createProgram, main, runAsProcess, VERSION } from "./lib/cli/program.ts";

if (import.meta.main) {
  Deno.exit(await runAsProcess(Deno.args));
}
