/**
 * The gallery in PostgreSQL with pgvector: many processes on many machines enrol into and
 * search one database. Imported (with its client, `postgres` from npm) only when a
 * `postgres://` gallery is asked for; see `openStore` (`open_store.ts`).
 *
 * Schema (version {@linkcode SCHEMA_VERSION}), created on first use under an advisory lock so
 * that processes starting at once against an empty database create it once:
 * - `face2vec_schema`: one row recording the schema version, the feature set, its vector
 *   length, the pipeline's settings (detector included) and the open-set distance; a
 *   database made by another pipeline is refused as a model folder would be.
 * - `face2vec_faces`: one row per enrolled face (label, path, `vector(N)`, N the size of the
 *   gallery's embedding network, 128 for the default one); enrolment only
 *   inserts (a photo enrolled again under the same name replaces its own row), never reads and
 *   rewrites the gallery.
 * - `face2vec_people`: one row per person with their face count and centroid (the mean of
 *   their faces), recomputed in the enrolling transaction under that row's lock, so writers
 *   at the same time never lose a face; an HNSW index on the centroids answers queries.
 *
 * pgvector's own type refuses a vector of the wrong length or with a non-finite value; what
 * is read back (labels, counts, distances) is checked before use.
 *
 * Time limits ({@linkcode OpenStoreOptions.timeoutMs}, `serve --timeout`): every transaction,
 * reads included, first sets `lock_timeout` and `statement_timeout` for itself (`SET LOCAL`);
 * when either fires (SQLSTATE 55P03, 57014) the call throws GalleryError "busy". The client
 * gives up {@linkcode CLIENT_GRACE_MS} later on a server that does not answer at all (stopped,
 * or cut off): GalleryError "unreachable", and the transaction rolls back whenever it gets to
 * run. Readiness (`check()`) has its own deadline ({@linkcode READY_TIMEOUT_MS}) on a client of
 * its own, dropped when it fails. Writers take at most half the connections, so that reads are
 * served while writers wait for a locked person; a pool whose every connection is held by a
 * call given up on is replaced.
 *
 * No message holds the password: the URL is read by `database_url.ts` and named by its
 * location (`postgres://user@host:port/database`), and the client's own texts are searched for
 * the password before they are passed on.
 *
 * @module
 */

import type postgresClient from "npm:postgres@3.4.9";
import { galleryOnlyInfo, type ModelInfo, newGalleryModel } from "../model/model.ts";
import { EMBEDDING_SIZE } from "../embed/embed_faces.ts";
import { PIPELINE_PARTS, type PipelineParts } from "../pipeline/parts.ts";
import {
  type FeatureSetRecord,
  type PipelineSettings,
  recordedEmbedderOf,
  settingsDifference,
} from "../pipeline/pipeline.ts";
import { type DatabaseUrl, DatabaseUrlError, parseDatabaseUrl } from "./database_url.ts";
import { EmptyGalleryError, type MatchOptions, type NearestAnswer } from "../gallery/matcher.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import {
  GalleryError,
  type GalleryStore,
  lastOfRepeats,
  type OpenStoreOptions,
  type PersonFaces,
  type StoreWriteOptions,
} from "./gallery_store.ts";

type Sql = ReturnType<typeof postgresClient>;

/** The schema's version, in `face2vec_schema.version`. */
export const SCHEMA_VERSION = 1;

/** The advisory lock that serialises creating the schema ("F2VG"). */
const SCHEMA_LOCK = 0x46325647;

/**
 * Candidates HNSW keeps while searching (`hnsw.ef_search`; pgvector's default is 40). 100
 * kept recall@1 on person labels at 100% against exact search in `deno task bench`.
 */
export const EF_SEARCH = 100;

/** How the client connects: from the URL, then the `PG*` variables, then the defaults. */
export interface ConnectionSettings {
  /** The host name or address (an IPv6 address bare). */
  readonly host: string;
  /** The port. */
  readonly port: number;
  /** The user name. */
  readonly user: string;
  /** The database's name. */
  readonly database: string;
  /** The password, if any (never in a message). */
  readonly password: string | undefined;
  /** `sslmode`, if given. */
  readonly ssl: string | undefined;
  /** The URL without a password, for messages. */
  readonly location: string;
}

/**
 * The connection a `postgres://` URL asks for (read as {@linkcode parseDatabaseUrl} reads it:
 * the user information runs to the URL's last `@`, so a password may hold `/`, `@`, `#`, `?`
 * or spaces as they are). A part the URL leaves out comes from `PGHOST`, `PGPORT`, `PGUSER`,
 * `PGDATABASE`, `PGSSLMODE`; the password from `password` (a file's), else the URL's, else
 * `PGPASSWORD`. No message quotes the URL: they name `location`, which has no password.
 *
 * @param url `postgres://[user[:password]@]host[:port]/database[?sslmode=…]`.
 * @param env Reads an environment variable (undefined when unset or not permitted).
 * @param password The password read from a file, if one was given.
 * @returns The settings.
 * @throws {GalleryError} Of kind "url", for a URL that cannot be read (the message names
 * `--gallery` and the URL's form, never the URL).
 * @example
 * ```ts
 * import { connectionSettings } from "./postgres.ts";
 * const env = (name: string) => ({ PGUSER: "face2vec", PGPASSWORD: "secret" } as Record<string, string>)[name];
 * const c = connectionSettings("postgres://db.internal/faces", env);
 * if (c.user !== "face2vec" || c.port !== 5432 || c.password !== "secret") throw new Error();
 * if (c.location !== "postgres://face2vec@db.internal:5432/faces") throw new Error(c.location);
 * const s = connectionSettings("postgres://face2vec:Zm9v/YmFy+cXV4@127.0.0.1:5432/faces", env);
 * if (s.password !== "Zm9v/YmFy+cXV4" || s.location !== "postgres://face2vec@127.0.0.1:5432/faces") throw new Error();
 * ```
 */
export function connectionSettings(
  url: string,
  env: (name: string) => string | undefined,
  password?: string,
): ConnectionSettings {
  let u: DatabaseUrl;
  try {
    u = parseDatabaseUrl(url);
  } catch (e) {
    // The URL is never quoted: where it cannot be read, nothing tells its password apart.
    if (e instanceof DatabaseUrlError) throw new GalleryError("url", "--gallery", e.message);
    throw e;
  }
  const host = u.host || env("PGHOST") || "localhost";
  const port = u.port ?? Number(env("PGPORT") || 5432);
  const user = u.user || env("PGUSER") || "postgres";
  const database = u.database || env("PGDATABASE") || user;
  const location = `postgres://${user}@${host.includes(":") ? `[${host}]` : host}:${port}/${database}`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new GalleryError("url", location, "PGPORT is not a port number");
  }
  return {
    host,
    port,
    user,
    database,
    password: password ?? (u.password || env("PGPASSWORD") || undefined),
    ssl: u.sslmode ?? env("PGSSLMODE") ?? undefined,
    location,
  };
}

/** An environment variable, or undefined when unset or not permitted. */
function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/** A database gallery's time limit when none is given ({@linkcode OpenStoreOptions.timeoutMs}), in ms. */
export const DEFAULT_TIMEOUT_MS = 60_000;

/** Readiness's deadline when none is given ({@linkcode OpenStoreOptions.readyTimeoutMs}), in ms. */
export const READY_TIMEOUT_MS = 2_000;

/**
 * How long the client waits past the server's own limits before it gives up on the server
 * (one that stopped answering: stopped, or cut off), in ms.
 */
export const CLIENT_GRACE_MS = 1_000;

/** The time limits of one gallery, in ms. */
interface Limits {
  /** `statement_timeout`, and `lock_timeout` unless a call gives its own. */
  readonly timeoutMs: number;
  /** Readiness's deadline, client and server side. */
  readonly readyMs: number;
}

/** A positive whole number of ms, as a setting's text (PostgreSQL reads 0 as "no limit"). */
function ms(x: number): string {
  return String(Math.max(1, Math.min(2 ** 31 - 1, Math.round(x))));
}

/**
 * The statement that opens every transaction the gallery runs: `lock_timeout` and
 * `statement_timeout` for this transaction only (as `SET LOCAL`; it works through a
 * transaction-pooling proxy too).
 */
export const LIMITS_STATEMENT =
  "SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)";

/** Sets this transaction's limits (see {@linkcode LIMITS_STATEMENT}). */
async function setLimits(tx: postgresClient.TransactionSql, lockMs: number, statementMs: number): Promise<void> {
  await tx.unsafe(LIMITS_STATEMENT, [ms(lockMs), ms(statementMs)]);
}

/**
 * Opens (and on first use creates) a PostgreSQL + pgvector gallery. Every transaction it runs
 * sets `lock_timeout` and `statement_timeout` from `options.timeoutMs`; see
 * {@linkcode OpenStoreOptions}.
 *
 * @param url The database.
 * @param options A new gallery's detector, the password's file, the connection count, the time limits.
 * @returns The backend.
 * @throws {GalleryError} When the URL cannot be read, the server cannot be reached, has no
 * pgvector, or holds another schema version or pipeline. No message holds the password.
 */
export async function openPostgresStore(url: string, options: OpenStoreOptions = {}): Promise<GalleryStore> {
  let password: string | undefined;
  if (options.passwordFile !== undefined) {
    try {
      password = (await Deno.readTextFile(options.passwordFile)).split("\n")[0]!.replace(/\r$/, "");
    } catch (e) {
      throw new GalleryError(
        "password",
        options.passwordFile,
        `cannot read the password (${e instanceof Error ? e.message : e})`,
      );
    }
  }
  const c = connectionSettings(url, envVar, password);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const limits: Limits = { timeoutMs, readyMs: Math.min(options.readyTimeoutMs ?? READY_TIMEOUT_MS, timeoutMs) };
  const { default: postgres } = await import("npm:postgres@3.4.9");
  // Every setting the client would otherwise look up in a PG* variable of its own is given
  // here, so that it reads no variable beyond those of PG_ENV (the tasks' --allow-env list).
  const client = (max: number, connectSeconds: number) =>
    postgres(
      {
        host: c.host,
        port: c.port,
        user: c.user,
        database: c.database,
        pass: c.password ?? "",
        ssl: c.ssl !== undefined && c.ssl !== "disable" ? c.ssl : false,
        sslnegotiation: null,
        max,
        idle_timeout: 30,
        connect_timeout: connectSeconds,
        max_lifetime: 30 * 60,
        max_pipeline: 100,
        backoff: (attempt: number) => Math.min(0.1 * 2 ** attempt, 5),
        keep_alive: 60,
        prepare: true,
        debug: false,
        fetch_types: true,
        publications: "alltables",
        target_session_attrs: null,
        onnotice: () => {},
        connection: { application_name: "face2vec" },
      } as unknown as Parameters<typeof postgres>[0],
    );
  const db: Db = { sql: client(options.connections ?? 4, 10), location: c.location, secret: c.password };
  try {
    const info = await withDeadline(
      Math.max(timeoutMs, 10_000) + CLIENT_GRACE_MS,
      db,
      () => ensureSchema(db, limits, options),
    );
    return new PostgresGallery(db, info.info, info.dim, limits, {
      pool: () => client(options.connections ?? 4, 10),
      ping: () => client(1, limits.readyMs / 1000),
    }, options.connections ?? 4);
  } catch (e) {
    await db.sql.end({ timeout: 0 }).catch(() => {});
    throw refusal(e, db);
  }
}

/** One database: its client, where it is (for messages), and the password no message may hold. */
interface Db {
  readonly sql: Sql;
  readonly location: string;
  readonly secret: string | undefined;
}

/** A PostgreSQL error's SQLSTATE, or undefined for another error (a refused connection). */
function sqlState(e: unknown): string | undefined {
  return e instanceof Error && "severity" in e && typeof (e as { code?: unknown }).code === "string"
    ? (e as unknown as { code: string }).code
    : undefined;
}

/**
 * The kind of {@linkcode GalleryError} a SQLSTATE is: "busy" when the transaction's own
 * limits fired (55P03 lock_not_available: `lock_timeout`; 57014 query_canceled:
 * `statement_timeout`), "unreachable" when no connection can be had or it went away (class 08
 * connection exceptions, class 28 authentication, 3D000 no such database, 57P01–57P05
 * shutdowns and crash recovery, class 53 resources such as too many connections), "invalid"
 * otherwise; undefined is no SQLSTATE (a socket's error).
 *
 * @param state The SQLSTATE.
 * @returns The kind.
 * @example
 * ```ts
 * import { kindOfState } from "./postgres.ts";
 * if (kindOfState("55P03") !== "busy" || kindOfState("57014") !== "busy") throw new Error();
 * if (kindOfState("57P01") !== "unreachable" || kindOfState("28P01") !== "unreachable") throw new Error();
 * if (kindOfState("23505") !== "invalid") throw new Error();
 * ```
 */
export function kindOfState(state: string | undefined): "busy" | "unreachable" | "invalid" {
  if (state === undefined) return "unreachable";
  if (state === "55P03" || state === "57014") return "busy";
  if (CANNOT_CONNECT.test(state) || /^(53|57P0)/.test(state)) return "unreachable";
  return "invalid";
}

/** SQLSTATEs of a connection refused: class 08, 28 (authentication), 3D000 (no such database). */
const CANNOT_CONNECT = /^(08|28|3D000)/;

/**
 * A database failure as a one-line {@linkcode GalleryError}, typed by its SQLSTATE
 * ({@linkcode kindOfState}). The password never appears: the client's text is searched for it
 * (as given and percent-encoded) and each occurrence hidden, whatever built the text.
 *
 * @param e What was thrown.
 * @param db The database (its location and password).
 * @returns The error.
 * @example
 * ```ts
 * import { refusal } from "./postgres.ts";
 * const e = refusal(
 *   Object.assign(new Error("canceling statement due to lock timeout"), { severity: "ERROR", code: "55P03" }),
 *   { location: "postgres://u@h:5432/db", secret: "p/w" },
 * );
 * if (e.kind !== "busy" || !e.message.startsWith("postgres://u@h:5432/db: busy: ")) throw new Error(e.message);
 * if (refusal(new Error("cannot reach p/w"), { location: "x", secret: "p/w" }).message.includes("p/w")) throw new Error();
 * ```
 */
export function refusal(
  e: unknown,
  db: { readonly location: string; readonly secret: string | undefined },
): GalleryError {
  if (e instanceof GalleryError) return e;
  const state = sqlState(e);
  const kind = kindOfState(state);
  let message = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ");
  for (const secret of db.secret ? [db.secret, encodeURIComponent(db.secret)] : []) {
    message = message.replaceAll(secret, "****");
  }
  const reason = kind === "busy"
    ? `busy: ${message}; retry`
    : state === undefined || CANNOT_CONNECT.test(state)
    ? `cannot connect (${message})`
    : message;
  return new GalleryError(kind, db.location, reason);
}

/** Seconds as the messages write them. */
function seconds(x: number): string {
  return `${Math.round(x / 100) / 10} s`;
}

/**
 * `run` raced against a timer: past `deadlineMs` the signal it was given aborts and this
 * throws `late()`, by default GalleryError "unreachable" (what `run` does later is dropped,
 * its failure included).
 */
async function withDeadline<T>(
  deadlineMs: number,
  db: Pick<Db, "location">,
  run: (signal: AbortSignal) => Promise<T>,
  late: () => GalleryError = () =>
    new GalleryError("unreachable", db.location, `the database did not answer within ${seconds(deadlineMs)}`),
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(late());
    }, deadlineMs);
  });
  const work = run(controller.signal);
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
    work.catch(() => {});
  }
}

/** Thrown inside a transaction whose caller has been answered already: it rolls back. */
class Abandoned extends Error {}

/** A count of slots taken in turn (the writers' share of the connections). */
class Slots {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(count: number) {
    this.#free = count;
  }

  /** Takes a slot (the caller's signal aborting gives up its turn); returns its release. */
  async take(signal: AbortSignal): Promise<() => void> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    };
    if (signal.aborted) {
      release();
      throw new Abandoned();
    }
    return release;
  }
}

/** The schema row as stored. */
interface SchemaRow {
  readonly version: unknown;
  readonly features: unknown;
  readonly dim: unknown;
  readonly pipeline: unknown;
  readonly max_distance: unknown;
}

async function readSchema(sql: Sql, limits: Limits): Promise<SchemaRow | undefined> {
  try {
    const rows = await sql.begin(async (tx) => {
      await setLimits(tx, limits.timeoutMs, limits.timeoutMs);
      return await tx<SchemaRow[]>`SELECT version, features, dim, pipeline, max_distance FROM face2vec_schema`;
    });
    return rows[0];
  } catch (e) {
    if (sqlState(e) === "42P01") return undefined; // no such table: a new database
    throw e;
  }
}

/** Creates the schema when the database has none (once, whoever starts at the same time), and checks it. */
async function ensureSchema(
  db: Db,
  limits: Limits,
  options: OpenStoreOptions,
): Promise<{ info: ModelInfo; dim: number }> {
  const parts = options.parts ?? PIPELINE_PARTS;
  const { sql, location } = db;
  let row: SchemaRow | undefined;
  try {
    row = await readSchema(sql, limits);
    if (!row) {
      const available = await sql.begin(async (tx) => {
        await setLimits(tx, limits.timeoutMs, limits.timeoutMs);
        return await tx`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`;
      });
      if (available.length === 0) {
        throw new GalleryError(
          "no_pgvector",
          location,
          "the server has no pgvector extension; install it on the database server " +
            "(Debian/Ubuntu: apt install postgresql-<major version>-pgvector; else see github.com/pgvector/pgvector) and run again",
        );
      }
      const fresh = (await newGalleryModel(options.detector, { embedder: options.embedder, parts })).info;
      // Vectors of the size of the network its faces are embedded by.
      const dim = recordedEmbedderOf(fresh.pipeline, parts).size;
      await sql.begin(async (tx) => {
        await setLimits(tx, limits.timeoutMs, limits.timeoutMs);
        await tx`SELECT pg_advisory_xact_lock(${SCHEMA_LOCK})`;
        await tx.unsafe(`
          CREATE EXTENSION IF NOT EXISTS vector;
          CREATE TABLE IF NOT EXISTS face2vec_schema (
            one boolean PRIMARY KEY DEFAULT true CHECK (one),
            version integer NOT NULL,
            features jsonb NOT NULL,
            dim integer NOT NULL,
            pipeline jsonb NOT NULL,
            max_distance double precision NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
          );
          CREATE TABLE IF NOT EXISTS face2vec_faces (
            id bigserial PRIMARY KEY,
            label text NOT NULL CHECK (label <> ''),
            path text NOT NULL,
            embedding vector(${dim}) NOT NULL,
            enrolled_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (label, path)
          );
          CREATE TABLE IF NOT EXISTS face2vec_people (
            label text PRIMARY KEY,
            faces integer NOT NULL,
            centroid vector(${dim}) NOT NULL
          );
          CREATE INDEX IF NOT EXISTS face2vec_people_centroid ON face2vec_people USING hnsw (centroid vector_l2_ops);
        `);
        await tx`
          INSERT INTO face2vec_schema (version, features, dim, pipeline, max_distance)
          VALUES (${SCHEMA_VERSION}, ${tx.json(fresh.features as never)}, ${dim},
                  ${tx.json(fresh.pipeline as never)}, ${fresh.maxDistance!})
          ON CONFLICT DO NOTHING`;
      });
      row = await readSchema(sql, limits);
    }
  } catch (e) {
    throw refusal(e, db);
  }
  return await checkedInfo(row, location, parts);
}

/**
 * The schema row, checked field by field and against this Face2Vec's pipeline, as model
 * information, and its vectors' length (its network's size).
 */
async function checkedInfo(
  row: SchemaRow | undefined,
  location: string,
  parts: PipelineParts,
): Promise<{ info: ModelInfo; dim: number }> {
  const bad = (what: string) => new GalleryError("invalid", location, `face2vec_schema: ${what}`);
  if (!row) throw bad("no row");
  if (typeof row.version !== "number" || !Number.isInteger(row.version)) throw bad("version is not an integer");
  if (row.version !== SCHEMA_VERSION) {
    throw new GalleryError(
      "mismatch",
      location,
      `schema version ${row.version}, this Face2Vec reads version ${SCHEMA_VERSION}` +
        (row.version > SCHEMA_VERSION ? " (made by a newer Face2Vec: upgrade)" : ""),
    );
  }
  const features = row.features as FeatureSetRecord | null;
  if (
    typeof features !== "object" || features === null || typeof features.name !== "string" ||
    typeof features.version !== "number"
  ) throw bad("features is not {name, version}");
  // Its vectors are as long as the embeddings of the network its pipeline records (the default
  // when it names none, or when the pipeline is no object: refused below).
  const recorded = typeof row.pipeline === "object" && row.pipeline !== null && !Array.isArray(row.pipeline)
    ? row.pipeline as PipelineSettings
    : {};
  let dim: number;
  try {
    dim = recordedEmbedderOf(recorded, parts).size;
  } catch (e) {
    throw new GalleryError(
      "mismatch",
      location,
      `its faces were embedded by a network this Face2Vec lacks (${
        e instanceof Error ? e.message : e
      }); enrol them into a new database`,
    );
  }
  if (row.dim !== dim) throw bad(`dim is ${row.dim}, not ${dim}`);
  if (typeof row.pipeline !== "object" || row.pipeline === null || Array.isArray(row.pipeline)) {
    throw bad("pipeline is not an object");
  }
  const maxDistance = row.max_distance;
  if (typeof maxDistance !== "number" || !Number.isFinite(maxDistance) || maxDistance <= 0) {
    throw bad("max_distance is not a positive number");
  }
  const pipeline = row.pipeline as PipelineSettings;
  let diff: string | undefined;
  try {
    diff = await settingsDifference(pipeline, features, parts);
  } catch (e) {
    throw bad(`unusable pipeline settings (${e instanceof Error ? e.message : e})`);
  }
  if (diff) {
    throw new GalleryError(
      "mismatch",
      location,
      `its faces were processed differently (${diff}); enrol them into a new database`,
    );
  }
  return { info: galleryOnlyInfo(features, pipeline, maxDistance), dim };
}

/**
 * A vector as pgvector's text form, refused unless of the gallery's length and finite.
 *
 * @param v The vector.
 * @param what What it is, for the message.
 * @param dim The gallery's length. Default {@linkcode EMBEDDING_SIZE}, the default network's.
 * @returns `[x,y,…]`; each float32 value prints as the shortest decimal that reads back as itself.
 * @throws {RangeError} For a wrong length or a non-finite value.
 */
export function vectorText(v: ArrayLike<number>, what: string, dim: number = EMBEDDING_SIZE): string {
  if (v.length !== dim) throw new RangeError(`${what}: ${v.length} values, not ${dim}`);
  const parts = new Array<string>(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = Math.fround(v[i]!);
    if (!Number.isFinite(x)) throw new RangeError(`${what}: value ${i} is not finite`);
    parts[i] = String(x);
  }
  return `[${parts.join(",")}]`;
}

/** A row's count or distance, checked. */
function finite(x: unknown, what: string, location: string): number {
  const n = typeof x === "string" ? Number(x) : x;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
    throw new GalleryError("invalid", location, `${what} is ${String(x)}, not a non-negative number`);
  }
  return n;
}

function text(x: unknown, what: string, location: string): string {
  if (typeof x !== "string" || x === "") throw new GalleryError("invalid", location, `${what} is not a label`);
  return x;
}

class PostgresGallery implements GalleryStore {
  readonly kind = "postgres";
  readonly location: string;
  readonly #db: Db;
  readonly #limits: Limits;
  readonly #clients: { readonly pool: () => Sql; readonly ping: () => Sql };
  readonly #connections: number;
  /**
   * The client transactions run on, and how many transactions given up on (past the client's
   * deadline) it still runs. When they are as many as its connections, every connection is
   * held by a server that stopped answering (one cut off keeps a socket open for many minutes):
   * the client is destroyed and a new one takes its place.
   */
  #pool: { readonly sql: Sql; stuck: number };
  /** Readiness's client of one connection, made when first asked and dropped when it fails. */
  #ping: Sql | undefined;
  /**
   * Writers (enrol, remove) hold at most half the connections: a writer may wait for a
   * person's row lock (up to `lock_timeout`), and reads (people, match, readiness) never
   * wait for row locks, so they keep connections while one label is locked.
   */
  readonly #writers: Slots;

  constructor(
    db: Db,
    readonly model: ModelInfo,
    /** Its vectors' length: the size of its embedding network. */
    readonly dim: number,
    limits: Limits,
    clients: { readonly pool: () => Sql; readonly ping: () => Sql },
    connections: number,
  ) {
    this.#db = db;
    this.location = db.location;
    this.#limits = limits;
    this.#clients = clients;
    this.#connections = connections;
    this.#pool = { sql: db.sql, stuck: 0 };
    this.#writers = new Slots(Math.max(1, Math.floor(connections / 2)));
  }

  /** Counts a transaction given up on while `pool` still runs it; replaces `pool` once all its connections are. */
  #stuck(pool: { readonly sql: Sql; stuck: number }, settled: Promise<unknown>): void {
    pool.stuck++;
    settled.finally(() => pool.stuck--).catch(() => {});
    if (pool !== this.#pool || pool.stuck < this.#connections) return;
    this.#pool = { sql: this.#clients.pool(), stuck: 0 };
    pool.sql.end({ timeout: 0 }).catch(() => {});
  }

  info() {
    return Promise.resolve(this.model);
  }

  async check() {
    const readyMs = this.#limits.readyMs;
    const ping = this.#ping ??= this.#clients.ping();
    try {
      return await withDeadline(readyMs, this.#db, async () => {
        const [row] = await ping.begin(async (tx) => {
          await setLimits(tx, readyMs, readyMs);
          return await tx`SELECT coalesce(sum(faces), 0) AS faces FROM face2vec_people`;
        });
        return { faces: finite(row?.faces, "the face count", this.location) };
      });
    } catch (e) {
      // A connection that did not answer may never answer: the next check makes another.
      if (this.#ping === ping) this.#ping = undefined;
      ping.end({ timeout: 0 }).catch(() => {});
      throw refusal(e, this.#db);
    }
  }

  async enrol(faces: readonly GalleryEntry[], options: StoreWriteOptions = {}) {
    // One row per (label, path), in (label, path) order: the last of repeats in one call,
    // as the file store keeps.
    const rows = lastOfRepeats(faces).sort((a, b) =>
      a.label < b.label ? -1 : a.label > b.label ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0
    );
    const vectors = rows.map((f) => vectorText(f.embedding, `${f.path}'s embedding`, this.dim));
    const labels = [...new Set(rows.map((f) => f.label))];
    const zero = vectorText(new Float32Array(this.dim), "zero", this.dim);
    return await this.#transaction(async (tx) => {
      // First each person's row, locked (in label order, as every writer and remove() take
      // them): the upsert either locks the live row or makes it again if a remove() deleted it
      // meanwhile. Then the faces, then each centroid recomputed under that lock: a writer
      // that committed meanwhile was waited for, and its faces are counted.
      for (const label of labels) {
        await tx`
          INSERT INTO face2vec_people (label, faces, centroid) VALUES (${label}, 0, ${zero}::vector)
          ON CONFLICT (label) DO UPDATE SET faces = face2vec_people.faces`;
      }
      await tx`
        INSERT INTO face2vec_faces (label, path, embedding)
        SELECT l, p, v::vector FROM unnest(${rows.map((f) => f.label)}::text[], ${rows.map((f) => f.path)}::text[],
                                          ${vectors}::text[]) AS t(l, p, v)
        ON CONFLICT (label, path) DO UPDATE SET embedding = EXCLUDED.embedding, enrolled_at = now()`;
      for (const label of labels) {
        await tx`
          UPDATE face2vec_people AS p SET faces = s.n, centroid = s.c
          FROM (SELECT count(*)::integer AS n, avg(embedding) AS c FROM face2vec_faces WHERE label = ${label}) AS s
          WHERE p.label = ${label}`;
      }
      const [total] = await tx`SELECT count(*) AS people, coalesce(sum(faces), 0) AS faces FROM face2vec_people`;
      return {
        faces: finite(total?.faces, "the face count", this.location),
        people: finite(total?.people, "the people count", this.location),
      };
    }, { write: true, lockMs: options.lockTimeoutMs });
  }

  /**
   * Runs a transaction under the gallery's limits, counted from the call: it starts with
   * {@linkcode LIMITS_STATEMENT} (`lock_timeout`: what is left of `lockMs`, else of the
   * gallery's `timeoutMs`, at least 1 ms; `statement_timeout`: what is left of `timeoutMs`), and the client
   * gives up {@linkcode CLIENT_GRACE_MS} past the longer of the two: GalleryError "busy" when
   * it was still waiting for a writer's slot, "unreachable" when the server had not answered.
   * A transaction given up on rolls back whenever it gets to run (never committing after that
   * answer). Again (up to 4 times in all, within the same limits) when PostgreSQL aborts it as
   * a deadlock or a serialization failure; any failure as a one-line {@linkcode GalleryError}
   * ("busy" when a limit fired).
   */
  async #transaction<T>(
    body: (tx: postgresClient.TransactionSql) => Promise<T>,
    options: { readonly write?: boolean; readonly lockMs?: number } = {},
  ): Promise<T> {
    const { timeoutMs } = this.#limits;
    const lockMs = options.lockMs ?? timeoutMs;
    const start = performance.now();
    const waited = () =>
      new GalleryError(
        "busy",
        this.location,
        `busy: other writers held the connections for ${seconds(performance.now() - start)}; retry`,
      );
    let queued = false;
    const run = async (signal: AbortSignal) => {
      queued = options.write === true;
      const release = options.write ? await this.#writers.take(signal) : undefined;
      queued = false;
      try {
        for (let attempt = 1;; attempt++) {
          // What is left of the limits (a lock tried once, without waiting, when none is).
          const spent = performance.now() - start;
          if (spent >= timeoutMs) throw waited();
          const pool = this.#pool;
          const running = pool.sql.begin(async (tx) => {
            if (signal.aborted) throw new Abandoned();
            await setLimits(tx, lockMs - spent, timeoutMs - spent);
            const result = await body(tx);
            if (signal.aborted) throw new Abandoned();
            return result;
          }) as Promise<T>;
          const givenUp = () => this.#stuck(pool, running);
          signal.addEventListener("abort", givenUp, { once: true });
          try {
            return await running;
          } catch (e) {
            const state = sqlState(e);
            if (!signal.aborted && attempt < 4 && (state === "40P01" || state === "40001")) {
              await new Promise((r) => setTimeout(r, 20 * attempt * Math.random()));
              continue;
            }
            throw refusal(e, this.#db);
          } finally {
            signal.removeEventListener("abort", givenUp);
          }
        }
      } finally {
        release?.();
      }
    };
    const deadlineMs = Math.max(lockMs, timeoutMs) + CLIENT_GRACE_MS;
    return await withDeadline(
      deadlineMs,
      this.#db,
      run,
      () =>
        queued
          ? waited()
          : new GalleryError("unreachable", this.location, `the database did not answer within ${seconds(deadlineMs)}`),
    );
  }

  async people(): Promise<PersonFaces[]> {
    const rows = await this.#transaction((tx) =>
      tx`SELECT label, faces FROM face2vec_people ORDER BY label COLLATE "C"`
    );
    return rows.map((r) => ({
      label: text(r.label, "a label", this.location),
      faces: finite(r.faces, `${r.label}'s face count`, this.location),
    }));
  }

  async remove(label: string, options: StoreWriteOptions = {}) {
    return await this.#transaction(async (tx) => {
      // The person's row first, as enrol() takes it.
      await tx`SELECT 1 FROM face2vec_people WHERE label = ${label} FOR UPDATE`;
      const removed = await tx`DELETE FROM face2vec_faces WHERE label = ${label}`;
      await tx`DELETE FROM face2vec_people WHERE label = ${label}`;
      return removed.count;
    }, { write: true, lockMs: options.lockTimeoutMs });
  }

  async match(embeddings: readonly ArrayLike<number>[], options: MatchOptions = {}): Promise<NearestAnswer[]> {
    if (embeddings.length === 0) return [];
    const queries = embeddings.map((e, i) => vectorText(e, `query ${i}`, this.dim));
    const rows = await this.#transaction(async (tx) => {
      // Exact: a scan of every centroid; else the HNSW index, with EF_SEARCH candidates.
      await tx.unsafe(options.exact ? "SET LOCAL enable_indexscan = off" : `SET LOCAL hnsw.ef_search = ${EF_SEARCH}`);
      return await tx`
        SELECT q.i AS i, p.label, p.distance
        FROM unnest(${queries}::text[]::vector[]) WITH ORDINALITY AS q(v, i)
        CROSS JOIN LATERAL (
          SELECT label, centroid <-> q.v AS distance FROM face2vec_people ORDER BY centroid <-> q.v LIMIT 2
        ) AS p
        ORDER BY q.i, p.distance`;
    });
    const found: { label: string; distance: number }[][] = embeddings.map(() => []);
    for (const r of rows) {
      const i = finite(r.i, "a query's number", this.location) - 1;
      found[i]?.push({
        label: text(r.label, "a label", this.location),
        distance: finite(r.distance, "a distance", this.location),
      });
    }
    const maxDistance = options.maxDistance ?? this.model.maxDistance ?? Infinity;
    return found.map((near) => {
      const [top, second] = near;
      if (!top) throw new EmptyGalleryError();
      return {
        label: top.distance <= maxDistance ? top.label : null,
        candidate: top.label,
        distance: top.distance,
        runnerUp: second ?? null,
      };
    });
  }

  async close() {
    const ping = this.#ping;
    this.#ping = undefined;
    await Promise.all([this.#pool.sql.end({ timeout: 5 }), ping?.end({ timeout: 1 })]);
  }
}
