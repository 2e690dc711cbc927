/**
 * What each command needs from Deno's permissions, checked before anything else runs (never
 * prompting), so that `deno run cli.ts predict photo.jpg` without flags says the exact
 * command to type instead of failing half-way.
 *
 * @module
 */

/** The environment variables the CLI reads: commander's colour switches, and `INIT_CWD` (see {@linkcode userDirectory}). */
export const CLI_ENV = ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "INIT_CWD"] as const;

/** Commands that write files (caches, models, drawings, JSON). */
const WRITERS = new Set(["detect", "preprocess", "train", "evaluate", "enrol", "cluster", "serve"]);

/** Commands that listen on the network. */
const LISTENERS = new Set(["serve"]);

/**
 * The permission flags a command needs, narrowest first: `--allow-read` (photos, models and
 * the bundled assets), `--allow-write` for the commands that write, `--allow-net` for
 * `serve` (the address it binds is its option), and `--allow-env` for the variables in
 * {@linkcode CLI_ENV}.
 *
 * @param command The subcommand (undefined for the program's own help or version).
 * @returns The flags, in the order `deno run` takes them.
 * @example
 * ```ts
 * import { neededFlags } from "./_permissions.ts";
 * if (neededFlags("predict").includes("--allow-write")) throw new Error("predict only reads");
 * if (!neededFlags("train").includes("--allow-write")) throw new Error("train saves a model");
 * ```
 */
export function neededFlags(command: string | undefined): string[] {
  return [
    "--allow-read",
    ...(command !== undefined && WRITERS.has(command) ? ["--allow-write"] : []),
    ...(command !== undefined && LISTENERS.has(command) ? ["--allow-net"] : []),
    `--allow-env=${CLI_ENV.join(",")}`,
  ];
}

/**
 * The flags of {@linkcode neededFlags} that this process has not been granted (asked with
 * `querySync`, which never prompts).
 *
 * @param command The subcommand.
 * @returns The missing flags (empty when everything is granted).
 */
export function missingFlags(command: string | undefined): string[] {
  const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  return neededFlags(command).filter((flag) => {
    if (flag === "--allow-read") return !granted({ name: "read" });
    if (flag === "--allow-write") return !granted({ name: "write" });
    if (flag === "--allow-net") return !granted({ name: "net" });
    return !CLI_ENV.every((variable) => granted({ name: "env", variable }));
  });
}

/**
 * The line to print when permissions are missing: the exact command to type.
 *
 * @param args The arguments the CLI was given.
 * @param script How to name `cli.ts` in the command (a path relative to the user's directory).
 * @returns One line.
 * @example
 * ```ts
 * import { permissionHint } from "./_permissions.ts";
 * const line = permissionHint(["predict", "photo.jpg"], "cli.ts");
 * if (!line.endsWith("deno run --allow-read --allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,INIT_CWD cli.ts predict photo.jpg")) {
 *   throw new Error(line);
 * }
 * ```
 */
export function permissionHint(args: readonly string[], script: string): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  const command = args.find((a) => !a.startsWith("-"));
  const words = ["deno", "run", ...neededFlags(command), script, ...args].map(quote);
  return `error: face2vec ${command ?? ""} needs permissions it was not given; run: ${words.join(" ")}`.replace(
    "face2vec  ",
    "face2vec ",
  );
}

/**
 * The directory relative paths are read from: where the user ran the command. Under
 * `deno task` (which runs in the folder that holds `deno.json`) and npm scripts that is
 * `INIT_CWD`, the directory the outermost task or script was started from; otherwise the
 * process's own.
 *
 * @returns An absolute path.
 */
export function userDirectory(): string {
  return Deno.env.get("INIT_CWD") || Deno.cwd();
}
