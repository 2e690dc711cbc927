/**
 * The gallery in PostgreSQL with pgvector: many processes on many machines enrol into and
 * search one database. Imported (with its client, `postgres` from npm) only when a
 * `postgres://` gallery is asked for; see {@linkcode openGallery}.
 *
 * Schema (version {@linkcode SCHEMA_VERSION}), created on first use under an advisory lock so
 * that processes starting at once against an empty database create it once:
 * - `face2vec_schema`: one row recording the schema version, the feature set, its vector
 *   length, the pipeline's settings (detector included) and the open-set distance; a
 *   database made by another pipeline is refused as a model folder would be.
 * - `face2vec_faces`: one row per enrolled face (label, path, `vector(128)`); enrolment only
 *   inserts (a photo enrolled again under the same name replaces its own row), never reads and
 *   rewrites the gallery.
 * - `face2vec_people`: one row per person with their face count and centroid (the mean of
 *   their faces), recomputed in the enrolling transaction under that row's lock, so writers
 *   at the same time never lose a face; an HNSW index on the centroids answers queries.
 *
 * pgvector's own type refuses a vector of the wrong length or with a non-finite value; what
 * is read back (labels, counts, distances) is checked before use.
 *
 * @module
 */

import type postgresClient from "npm:postgres@3.4.9";
import type { ModelInfo } from "../classify/model.ts";
import { EMBEDDING_SIZE } from "../embed/embed_faces.ts";
import type { FeatureSetRecord, PipelineSettings } from "../pipeline/pipeline.ts";
import { settingsDifference } from "../pipeline/pipeline.ts";
import { newGalleryModel } from "./enrol.ts";
import type { GalleryEntry, NearestAnswer } from "./gallery.ts";
import {
  type BackendEnrolOptions,
  type GalleryBackend,
  GalleryError,
  lastOfRepeats,
  type MatchOptions,
  type OpenGalleryOptions,
  type PersonFaces,
} from "./backend.ts";

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
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password: string | undefined;
  readonly ssl: string | undefined;
  /** The URL without a password, for messages. */
  readonly location: string;
}

/**
 * The connection a `postgres://` URL asks for. A part the URL leaves out comes from `PGHOST`,
 * `PGPORT`, `PGUSER`, `PGDATABASE`, `PGSSLMODE`; the password from `password` (a file's), else
 * the URL's, else `PGPASSWORD`.
 *
 * @param url `postgres://[user[:password]@]host[:port]/database[?sslmode=…]`.
 * @param env Reads an environment variable (undefined when unset or not permitted).
 * @param password The password read from a file, if one was given.
 * @returns The settings.
 * @throws {GalleryError} For a URL that cannot be parsed.
 * @example
 * ```ts
 * import { connectionSettings } from "./postgres.ts";
 * const env = (name: string) => ({ PGUSER: "face2vec", PGPASSWORD: "secret" } as Record<string, string>)[name];
 * const c = connectionSettings("postgres://db.internal/faces", env);
 * if (c.user !== "face2vec" || c.port !== 5432 || c.password !== "secret") throw new Error();
 * if (c.location !== "postgres://face2vec@db.internal:5432/faces") throw new Error(c.location);
 * ```
 */
export function connectionSettings(
  url: string,
  env: (name: string) => string | undefined,
  password?: string,
): ConnectionSettings {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new GalleryError("unreachable", url.replace(/:[^:@/]*@/, "@"), "not a postgres:// URL");
  }
  const decode = (part: string) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw new GalleryError("unreachable", url.replace(/:[^:@/]*@/, "@"), "bad percent-encoding in the URL");
    }
  };
  // An IPv6 address comes bracketed in the URL; the client takes it bare.
  const host = decode(u.hostname).replace(/^\[(.*)\]$/, "$1") || env("PGHOST") || "localhost";
  const port = Number(u.port || env("PGPORT") || 5432);
  const user = decode(u.username) || env("PGUSER") || "postgres";
  const database = decode(u.pathname.replace(/^\//, "")) || env("PGDATABASE") || user;
  const location = `postgres://${user}@${host.includes(":") ? `[${host}]` : host}:${port}/${database}`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new GalleryError("unreachable", location, "bad port");
  return {
    host,
    port,
    user,
    database,
    password: password ?? (decode(u.password) || env("PGPASSWORD") || undefined),
    ssl: u.searchParams.get("sslmode") ?? env("PGSSLMODE") ?? undefined,
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

/**
 * Opens (and on first use creates) a PostgreSQL + pgvector gallery.
 *
 * @param url The database.
 * @param options A new gallery's detector, the password's file, the connection count.
 * @returns The backend.
 * @throws {GalleryError} When the server cannot be reached, has no pgvector, or holds
 * another schema version or pipeline.
 */
export async function openPostgresGallery(url: string, options: OpenGalleryOptions = {}): Promise<GalleryBackend> {
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
  const { default: postgres } = await import("npm:postgres@3.4.9");
  // Every setting the client would otherwise look up in a PG* variable of its own is given
  // here, so that it reads no variable beyond those of PG_ENV (the tasks' --allow-env list).
  const settings = {
    host: c.host,
    port: c.port,
    user: c.user,
    database: c.database,
    pass: c.password ?? "",
    ssl: c.ssl !== undefined && c.ssl !== "disable" ? c.ssl : false,
    sslnegotiation: null,
    max: options.connections ?? 4,
    idle_timeout: 30,
    connect_timeout: 10,
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
  };
  const sql = postgres(settings as unknown as Parameters<typeof postgres>[0]);
  try {
    const info = await ensureSchema(sql, c.location, options);
    return new PostgresGallery(sql, c.location, info);
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw e;
  }
}

/** A PostgreSQL error's SQLSTATE, or undefined for another error (a refused connection). */
function sqlState(e: unknown): string | undefined {
  return e instanceof Error && "severity" in e && typeof (e as { code?: unknown }).code === "string"
    ? (e as unknown as { code: string }).code
    : undefined;
}

/** A database failure as a one-line {@linkcode GalleryError}. */
function refusal(e: unknown, location: string): GalleryError {
  if (e instanceof GalleryError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new GalleryError(
    sqlState(e) === undefined ? "unreachable" : "invalid",
    location,
    sqlState(e) === undefined ? `cannot connect (${message})` : message,
  );
}

/** The schema row as stored. */
interface SchemaRow {
  readonly version: unknown;
  readonly features: unknown;
  readonly dim: unknown;
  readonly pipeline: unknown;
  readonly max_distance: unknown;
}

async function readSchema(sql: Sql): Promise<SchemaRow | undefined> {
  try {
    const rows = await sql<SchemaRow[]>`SELECT version, features, dim, pipeline, max_distance FROM face2vec_schema`;
    return rows[0];
  } catch (e) {
    if (sqlState(e) === "42P01") return undefined; // no such table: a new database
    throw e;
  }
}

/** Creates the schema when the database has none (once, whoever starts at the same time), and checks it. */
async function ensureSchema(sql: Sql, location: string, options: OpenGalleryOptions): Promise<ModelInfo> {
  let row: SchemaRow | undefined;
  try {
    row = await readSchema(sql);
    if (!row) {
      const available = await sql`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`;
      if (available.length === 0) {
        throw new GalleryError(
          "no_pgvector",
          location,
          "the server has no pgvector extension; install it on the database server " +
            "(Debian/Ubuntu: apt install postgresql-<major version>-pgvector; else see github.com/pgvector/pgvector) and run again",
        );
      }
      const fresh = (await newGalleryModel(options.detector)).info;
      await sql.begin(async (tx) => {
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
            embedding vector(${EMBEDDING_SIZE}) NOT NULL,
            enrolled_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (label, path)
          );
          CREATE TABLE IF NOT EXISTS face2vec_people (
            label text PRIMARY KEY,
            faces integer NOT NULL,
            centroid vector(${EMBEDDING_SIZE}) NOT NULL
          );
          CREATE INDEX IF NOT EXISTS face2vec_people_centroid ON face2vec_people USING hnsw (centroid vector_l2_ops);
        `);
        await tx`
          INSERT INTO face2vec_schema (version, features, dim, pipeline, max_distance)
          VALUES (${SCHEMA_VERSION}, ${tx.json(fresh.features as never)}, ${EMBEDDING_SIZE},
                  ${tx.json(fresh.pipeline as never)}, ${fresh.maxDistance!})
          ON CONFLICT DO NOTHING`;
      });
      row = await readSchema(sql);
    }
  } catch (e) {
    throw refusal(e, location);
  }
  return await checkedInfo(row, location);
}

/** The schema row, checked field by field and against this Face2Vec's pipeline, as model information. */
async function checkedInfo(row: SchemaRow | undefined, location: string): Promise<ModelInfo> {
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
  if (row.dim !== EMBEDDING_SIZE) throw bad(`dim is ${row.dim}, not ${EMBEDDING_SIZE}`);
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
    diff = await settingsDifference(pipeline, features);
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
  return {
    labels: [],
    network: null,
    rows: 1,
    features,
    pipeline,
    minProb: 0,
    method: "nearest",
    maxDistance,
    training: {},
  };
}

/**
 * A vector as pgvector's text form, refused unless of the gallery's length and finite.
 *
 * @param v The vector.
 * @param what What it is, for the message.
 * @returns `[x,y,…]`; each float32 value prints as the shortest decimal that reads back as itself.
 * @throws {RangeError} For a wrong length or a non-finite value.
 */
export function vectorText(v: ArrayLike<number>, what: string): string {
  if (v.length !== EMBEDDING_SIZE) throw new RangeError(`${what}: ${v.length} values, not ${EMBEDDING_SIZE}`);
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

class PostgresGallery implements GalleryBackend {
  readonly kind = "postgres";

  constructor(readonly sql: Sql, readonly location: string, readonly model: ModelInfo) {}

  info() {
    return Promise.resolve(this.model);
  }

  async check() {
    try {
      const [row] = await this.sql`SELECT coalesce(sum(faces), 0) AS faces FROM face2vec_people`;
      return { faces: finite(row?.faces, "the face count", this.location) };
    } catch (e) {
      throw refusal(e, this.location);
    }
  }

  async enrol(faces: readonly GalleryEntry[], _options?: BackendEnrolOptions) {
    // One row per (label, path), in (label, path) order: the last of repeats in one call,
    // as the file store keeps.
    const rows = lastOfRepeats(faces).sort((a, b) =>
      a.label < b.label ? -1 : a.label > b.label ? 1 : a.path < b.path ? -1 : a.path > b.path ? 1 : 0
    );
    const vectors = rows.map((f) => vectorText(f.embedding, `${f.path}'s embedding`));
    const labels = [...new Set(rows.map((f) => f.label))];
    const zero = vectorText(new Float32Array(EMBEDDING_SIZE), "zero");
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
    });
  }

  /**
   * Runs a transaction, again (up to 4 times in all) when PostgreSQL aborts it as a deadlock
   * or a serialization failure; any failure as a one-line {@linkcode GalleryError}.
   */
  async #transaction<T>(body: (tx: postgresClient.TransactionSql) => Promise<T>): Promise<T> {
    for (let attempt = 1;; attempt++) {
      try {
        return await this.sql.begin(body) as T;
      } catch (e) {
        const state = sqlState(e);
        if (attempt < 4 && (state === "40P01" || state === "40001")) {
          await new Promise((r) => setTimeout(r, 20 * attempt * Math.random()));
          continue;
        }
        throw refusal(e, this.location);
      }
    }
  }

  async people(): Promise<PersonFaces[]> {
    try {
      const rows = await this.sql`SELECT label, faces FROM face2vec_people ORDER BY label COLLATE "C"`;
      return rows.map((r) => ({
        label: text(r.label, "a label", this.location),
        faces: finite(r.faces, `${r.label}'s face count`, this.location),
      }));
    } catch (e) {
      throw refusal(e, this.location);
    }
  }

  async remove(label: string) {
    return await this.#transaction(async (tx) => {
      // The person's row first, as enrol() takes it.
      await tx`SELECT 1 FROM face2vec_people WHERE label = ${label} FOR UPDATE`;
      const removed = await tx`DELETE FROM face2vec_faces WHERE label = ${label}`;
      await tx`DELETE FROM face2vec_people WHERE label = ${label}`;
      return removed.count;
    });
  }

  async match(embeddings: readonly ArrayLike<number>[], options: MatchOptions = {}): Promise<NearestAnswer[]> {
    if (embeddings.length === 0) return [];
    const queries = embeddings.map((e, i) => vectorText(e, `query ${i}`));
    let rows;
    try {
      rows = await this.sql.begin(async (tx) => {
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
    } catch (e) {
      throw refusal(e, this.location);
    }
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
      if (!top) throw new RangeError("the gallery is empty: enrol someone first");
      return {
        label: top.distance <= maxDistance ? top.label : null,
        candidate: top.label,
        distance: top.distance,
        runnerUp: second ?? null,
      };
    });
  }

  async close() {
    await this.sql.end({ timeout: 5 });
  }
}
