/**
 * A `postgres://` URL taken apart by hand, so that a password holding characters a URL
 * reserves (`/`, `@`, `#`, `?`, `%`, spaces: common in generated secrets) is read whole, and
 * so that nothing built from a URL (a message, a log line, a printed command) carries its
 * password. Imported by the permission check, before anything heavy: it imports nothing.
 *
 * The grammar read, more lenient than RFC 3986 where only the password is concerned:
 *
 *     postgres[ql]://[user[:password]@][host][:port][/database][?parameters][#ignored]
 *
 * - The user information is everything between `//` and the **last** `@` of the URL; the user
 *   is its part before the first `:`, the password all after it (any character, `@` and `:`
 *   included). So an `@` in the database name or the parameters must be written `%40`.
 * - Percent-escapes are decoded in every part (`%40` is `@`); in the user and the password, a
 *   `%` not followed by two hexadecimal digits is itself.
 * - The host is a name, an IPv4 address, or an IPv6 address in brackets (given to the client
 *   bare); the port a number from 1 to 65535.
 *
 * @module
 */

/** What a `postgres://` URL says; a part it leaves out is undefined. */
export interface DatabaseUrl {
  /** The user name, decoded. */
  readonly user: string | undefined;
  /** The password, decoded (an empty one is ""). */
  readonly password: string | undefined;
  /** The host; an IPv6 address without its brackets. */
  readonly host: string | undefined;
  /** The port, 1–65535. */
  readonly port: number | undefined;
  /** The database's name, decoded. */
  readonly database: string | undefined;
  /** `?sslmode=…`. */
  readonly sslmode: string | undefined;
}

/** The URL's form, for messages that cannot quote the URL itself. */
export const DATABASE_URL_FORM = "postgres://[user[:password]@]host[:port]/database";

/** Why a URL cannot be read. Its message never quotes the URL. */
export class DatabaseUrlError extends Error {
  /** "DatabaseUrlError". */
  override name = "DatabaseUrlError";
}

const SCHEME = /^postgres(?:ql)?:\/\//i;

/** A host name or IPv4 address (percent-escapes allowed), or an IPv6 address in brackets. */
const HOST = /^(?:\[[0-9A-Fa-f:.]+(?:%[\w.%-]+)?\]|[\w.~%-]*)$/;

/**
 * Reads a `postgres://` or `postgresql://` URL (see the module's grammar).
 *
 * @param url The URL.
 * @returns Its parts.
 * @throws {DatabaseUrlError} When it is not such a URL; the message says why without
 * quoting any part of it.
 * @example
 * ```ts
 * import { parseDatabaseUrl } from "./database_url.ts";
 * const u = parseDatabaseUrl("postgres://face2vec:Zm9v/YmFy+cXV4@127.0.0.1:5432/faces");
 * if (u.user !== "face2vec" || u.password !== "Zm9v/YmFy+cXV4") throw new Error();
 * if (u.host !== "127.0.0.1" || u.port !== 5432 || u.database !== "faces") throw new Error();
 * if (parseDatabaseUrl("postgres://u:se@cret@host/db").password !== "se@cret") throw new Error();
 * ```
 */
export function parseDatabaseUrl(url: string): DatabaseUrl {
  const scheme = url.match(SCHEME);
  if (!scheme) throw new DatabaseUrlError(`not a postgres:// URL (${DATABASE_URL_FORM})`);
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf("@");
  const userinfo = at < 0 ? undefined : rest.slice(0, at);
  const after = rest.slice(at + 1);
  // The host ends at the first "/", "?" or "#" after the user information.
  const end = after.search(/[/?#]/);
  const authority = end < 0 ? after : after.slice(0, end);
  const tail = end < 0 ? "" : after.slice(end);
  const hash = tail.indexOf("#");
  const beforeHash = hash < 0 ? tail : tail.slice(0, hash);
  const question = beforeHash.indexOf("?");
  const path = question < 0 ? beforeHash : beforeHash.slice(0, question);
  const query = question < 0 ? "" : beforeHash.slice(question + 1);

  let user: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(":");
    user = lenientDecode(colon < 0 ? userinfo : userinfo.slice(0, colon), "user name");
    password = colon < 0 ? undefined : lenientDecode(userinfo.slice(colon + 1), "password");
  }

  const hostPort = authority.match(/^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/);
  if (!hostPort || !HOST.test(hostPort[1]!)) {
    throw new DatabaseUrlError(`not a postgres:// URL: the host is not a name or an address (${DATABASE_URL_FORM})`);
  }
  const host = strictDecode(hostPort[1]!, "host").replace(/^\[(.*)\]$/, "$1");
  const portText = hostPort[2];
  let port: number | undefined;
  if (portText) {
    port = Number(portText);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new DatabaseUrlError("the URL's port is not a number from 1 to 65535");
    }
  }
  const database = strictDecode(path.replace(/^\//, ""), "database name");
  let sslmode: string | undefined;
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    if (eq > 0 && strictDecode(pair.slice(0, eq), "parameters") === "sslmode") {
      sslmode = strictDecode(pair.slice(eq + 1).replaceAll("+", " "), "parameters");
    }
  }
  return {
    user: user || undefined,
    password,
    host: host || undefined,
    port,
    database: database || undefined,
    sslmode,
  };
}

/** Percent-escapes decoded; a failure names the part, never its text. */
function strictDecode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new DatabaseUrlError(`bad percent-encoding in the URL's ${what}`);
  }
}

/** Percent-escapes decoded, a `%` that starts none kept as itself. */
function lenientDecode(part: string, what: string): string {
  return strictDecode(part.replace(/%(?![0-9A-Fa-f]{2})/g, "%25"), what);
}

/**
 * A text with the password of every `postgres://` URL in it replaced by `****`: for echoing
 * arguments (the permission hint's command line). Each argument is one URL or none.
 *
 * @param arg One command-line argument (`postgres://…`, or `--gallery=postgres://…`).
 * @returns The argument, its password (if any) hidden; any other argument unchanged.
 * @example
 * ```ts
 * import { withoutPassword } from "./database_url.ts";
 * if (withoutPassword("postgres://u:p/w@d@h/db") !== "postgres://u:****@h/db") throw new Error();
 * if (withoutPassword("--gallery=postgres://h/db") !== "--gallery=postgres://h/db") throw new Error();
 * ```
 */
export function withoutPassword(arg: string): string {
  const m = arg.match(/^(--[\w-]+=)?([a-z][\w+.-]*:\/\/)(.*)$/is);
  if (!m) return arg;
  const [, flag = "", scheme, rest] = m;
  const at = rest!.lastIndexOf("@");
  if (at < 0) return arg;
  const userinfo = rest!.slice(0, at);
  const colon = userinfo.indexOf(":");
  if (colon < 0) return arg;
  return `${flag}${scheme}${userinfo.slice(0, colon)}:****@${rest!.slice(at + 1)}`;
}
