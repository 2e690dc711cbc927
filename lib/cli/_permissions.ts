/**
 * What each command needs from Deno's permissions, checked before anything else runs (never
 * prompting), so that `deno run cli.ts predict photo.jpg` without flags says the exact
 * command to type instead of failing half-way.
 *
 * @module
 */

import { withoutPassword } from "../store/database_url.ts";

/** The environment variables the CLI reads: commander's colour switches, and `INIT_CWD` (see {@linkcode userDirectory}). */
export const CLI_ENV = ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "INIT_CWD"] as const;

/** Commands that write files (caches, models, drawings, JSON). */
const WRITERS = new Set(["detect", "preprocess", "train", "evaluate", "enrol", "cluster", "serve"]);

/** Commands that listen on the network. */
const LISTENERS = new Set(["serve"]);

/** Commands that take `--gallery postgres://…` (they connect to the database then). */
export const DATABASE_COMMANDS = new Set(["serve", "enrol", "predict", "cluster"]);

/**
 * The variables a database gallery reads: where and as whom to connect, and the password
 * (`PGPASSWORD`); the rest are those the PostgreSQL client looks at.
 */
export const PG_ENV = [
  "PGHOST",
  "PGPORT",
  "PGUSER",
  "PGUSERNAME",
  "PGDATABASE",
  "PGPASSWORD",
  "PGSSLMODE",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
] as const;

/** True when the arguments ask for a database gallery (`--gallery postgres://…`). */
export function wantsDatabase(args: readonly string[]): boolean {
  return args.some((a, i) =>
    /^--gallery=postgres(ql)?:\/\//i.test(a) || (a === "--gallery" && /^postgres(ql)?:\/\//i.test(args[i + 1] ?? ""))
  );
}

/**
 * The permission flags a command needs, narrowest first: `--allow-read` (photos, models and
 * the bundled assets), `--allow-write` for the commands that write, `--allow-net` for
 * `serve` (the address it binds is its option) and for a database gallery, and `--allow-env`
 * for the variables in {@linkcode CLI_ENV} (and {@linkcode PG_ENV} with a database).
 *
 * @param command The subcommand (undefined for the program's own help or version).
 * @param database Whether a `postgres://` gallery is asked for.
 * @returns The flags, in the order `deno run` takes them.
 * @example
 * ```ts
 * import { neededFlags } from "./_permissions.ts";
 * if (neededFlags("predict").includes("--allow-write")) throw new Error("predict only reads");
 * if (!neededFlags("train").includes("--allow-write")) throw new Error("train saves a model");
 * ```
 */
export function neededFlags(command: string | undefined, database = false): string[] {
  const db = database && command !== undefined && DATABASE_COMMANDS.has(command);
  return [
    "--allow-read",
    ...(command !== undefined && WRITERS.has(command) ? ["--allow-write"] : []),
    ...((command !== undefined && LISTENERS.has(command)) || db ? ["--allow-net"] : []),
    `--allow-env=${[...CLI_ENV, ...(db ? PG_ENV : [])].join(",")}`,
  ];
}

/**
 * The flags of {@linkcode neededFlags} that this process has not been granted (asked with
 * `querySync`, which never prompts).
 *
 * @param command The subcommand.
 * @returns The missing flags (empty when everything is granted).
 */
export function missingFlags(command: string | undefined, database = false): string[] {
  const granted = (d: Deno.PermissionDescriptor) => Deno.permissions.querySync(d).state === "granted";
  return neededFlags(command, database).filter((flag) => {
    if (flag === "--allow-read") return !granted({ name: "read" });
    if (flag === "--allow-write") return !granted({ name: "write" });
    if (flag === "--allow-net") return !granted({ name: "net" });
    return !flag.slice("--allow-env=".length).split(",").every((variable) => granted({ name: "env", variable }));
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
  // A database URL's password is hidden: the line is printed.
  const words = ["deno", "run", ...neededFlags(command, wantsDatabase(args)), script, ...args.map(withoutPassword)]
    .map(quote);
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
