/**
 * One gallery interface over two backends: the file store (a model folder's gallery, the
 * binary segments of `store.ts`) and PostgreSQL with pgvector (`postgres.ts`, imported only
 * when a `postgres://` gallery is asked for). `serve`, `enrol`, `predict` and `cluster` take
 * either: `--model DIR` names the file store, `--gallery postgres://…` the database. Both
 * answer with the same open-set rule (the nearest person's centroid, "unknown" beyond the
 * gallery's `maxDistance`) and refuse a gallery whose photos were processed differently.
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import {
  loadedFrom,
  loadModel,
  type Model,
  ModelError,
  type ModelInfo,
  readModelText,
  saveModel,
} from "../classify/model.ts";
import { loadCheckedModel } from "../recognize/recognize.ts";
import { withLock } from "../_lock.ts";
import { assertEnrollable, enrolInto, newGalleryModel } from "./enrol.ts";
import { createMatcher, type GalleryEntry, type NearestAnswer } from "./gallery.ts";

/** One enrolled person and how many faces they have. */
export interface PersonFaces {
  readonly label: string;
  readonly faces: number;
}

/** How a gallery is searched. */
export interface MatchOptions {
  /** Farther than this from every person's centroid → label null. Default: the gallery's `maxDistance`. */
  readonly maxDistance?: number;
  /** Exact search even where an index exists (the file store's inverted file, pgvector's HNSW). */
  readonly exact?: boolean;
}

/** Options of {@linkcode GalleryBackend.enrol}. */
export interface BackendEnrolOptions {
  /**
   * How long to wait for another writer, in ms: the file store's lock (default 60 000), a
   * database's `lock_timeout` (default its {@linkcode OpenGalleryOptions.timeoutMs}).
   */
  readonly lockTimeoutMs?: number;
  /** Called once when another process is writing the model, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/** What a gallery offers, whichever backend keeps it. Close it with `close()`. */
export interface GalleryBackend {
  /** "file" or "postgres". */
  readonly kind: "file" | "postgres";
  /** Where it is, for messages (a folder, or the database's URL without a password). */
  readonly location: string;
  /**
   * The model information its embeddings are made with (pipeline, feature set, `maxDistance`),
   * checked against this Face2Vec; undefined for a file store whose folder holds no model yet.
   * @throws {ModelError} When photos would now be processed differently (kind "mismatch") or it is damaged.
   */
  info(): Promise<ModelInfo | undefined>;
  /**
   * Checks that it can answer now (readiness), and how many faces it holds. A database answers
   * within {@linkcode OpenGalleryOptions.readyTimeoutMs} or throws GalleryError "unreachable".
   */
  check(): Promise<{ readonly faces: number }>;
  /**
   * Adds faces (embeddings made by the pipeline of {@linkcode info}). A photo enrolled again
   * under the same name replaces its face. Safe with writers in other processes: none is lost.
   */
  enrol(
    faces: readonly GalleryEntry[],
    options?: BackendEnrolOptions,
  ): Promise<{ readonly faces: number; readonly people: number }>;
  /** Every enrolled person with their count of faces, by label. */
  people(): Promise<PersonFaces[]>;
  /** Erases a person's faces; the count erased (0: not enrolled). */
  remove(label: string, options?: BackendEnrolOptions): Promise<number>;
  /**
   * The nearest person for each embedding.
   * @throws {RangeError} When no one is enrolled.
   */
  match(embeddings: readonly ArrayLike<number>[], options?: MatchOptions): Promise<NearestAnswer[]>;
  close(): Promise<void>;
}

/** Options of {@linkcode openGallery}. */
export interface OpenGalleryOptions {
  /** A new gallery's detector (a database without the schema, or a folder without a model). */
  readonly detector?: DetectorName;
  /** A file whose first line is the database password (else `PGPASSWORD`, or the URL's). */
  readonly passwordFile?: string;
  /** Connections to keep open to the database. Default 4. */
  readonly connections?: number;
  /**
   * A database's time limit, in ms: every transaction sets `lock_timeout` and
   * `statement_timeout` to it (an enrolment's or erasure's lock wait to its own
   * `lockTimeoutMs` when given), and the client gives up on the server a second later
   * (GalleryError "unreachable"); when the server's limits fire the gallery throws
   * GalleryError "busy". `serve` passes its `--timeout`. Default 60 000.
   */
  readonly timeoutMs?: number;
  /**
   * A database's readiness deadline (`check()`), in ms, client and server side; a check past it
   * throws GalleryError "unreachable". Default 2 000 (at most `timeoutMs`).
   */
  readonly readyTimeoutMs?: number;
}

/** True for a `postgres://` or `postgresql://` URL (a database gallery), false for a folder. */
export function isDatabaseUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
}

/**
 * Opens a gallery: the file store of a model folder, or a PostgreSQL + pgvector database
 * (its client is imported only then).
 *
 * @param spec A model folder, or `postgres://user@host:port/database`.
 * @param options A new gallery's detector, the password's file, the connection count.
 * @returns The backend.
 * @throws {GalleryError} When the database cannot be reached or used (no pgvector, another schema).
 * @example
 * ```ts
 * import { openGallery } from "./backend.ts";
 * const dir = await Deno.makeTempDir();
 * const gallery = await openGallery(dir);
 * try {
 *   // A folder without a model is an empty file store; enrolling would create the model.
 *   if (gallery.kind !== "file" || (await gallery.people()).length !== 0) throw new Error();
 * } finally {
 *   await gallery.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function openGallery(spec: string, options: OpenGalleryOptions = {}): Promise<GalleryBackend> {
  if (!isDatabaseUrl(spec)) return fileGallery(spec, options.detector);
  const { openPostgresGallery } = await import("./postgres.ts");
  return await openPostgresGallery(spec, options);
}

/**
 * Why a database gallery cannot be used, or cannot be used now:
 * - "url": the `postgres://` URL cannot be read;
 * - "password": the password's file cannot be read;
 * - "unreachable": no connection, or the server stopped answering (past the client's deadline);
 * - "no_pgvector": the server has no pgvector extension;
 * - "mismatch": another pipeline or schema version;
 * - "invalid": a row fails its checks, or the server refused a statement;
 * - "busy": a statement waited longer than `lock_timeout` for a lock (SQLSTATE 55P03) or ran
 *   longer than `statement_timeout` (57014), both {@linkcode OpenGalleryOptions.timeoutMs}:
 *   retry later (the service answers 503 with `Retry-After`).
 */
export type GalleryErrorKind = "url" | "password" | "unreachable" | "no_pgvector" | "mismatch" | "invalid" | "busy";

/**
 * Why a database gallery cannot be used. The message is `location: reason`; neither ever
 * holds the database's password.
 */
export class GalleryError extends Error {
  override name = "GalleryError";
  /**
   * @param kind See {@linkcode GalleryErrorKind}.
   * @param location The database, without a password (`postgres://user@host:port/db`), or
   * the password's file, or `--gallery` for a URL that cannot be read.
   * @param reason Why, in a few words.
   */
  constructor(
    readonly kind: GalleryErrorKind,
    readonly location: string,
    readonly reason: string,
  ) {
    super(`${location}: ${reason}`);
  }
}

/** Whether a refusal is the model's or the database's (a one-line message either way). */
export function isGalleryRefusal(e: unknown): e is Error {
  return e instanceof GalleryError || e instanceof ModelError;
}

/**
 * The file store of a model folder (nothing is read until asked).
 *
 * @param dir The model folder.
 * @param detector A new model's detector, when the folder has none yet.
 * @returns The backend.
 */
export function fileGallery(dir: string, detector?: DetectorName): GalleryBackend {
  return new FileGallery(dir, detector);
}

/**
 * One face per (label, path): the last of repeats, at the place of the first
 * (both backends enrol a photo given twice in one call once).
 */
export function lastOfRepeats(faces: readonly GalleryEntry[]): GalleryEntry[] {
  return [...new Map(faces.map((f) => [JSON.stringify([f.label, f.path]), f])).values()];
}

/** A folder without a model as undefined; any other failure thrown on. */
function noModel(e: unknown): undefined {
  if (e instanceof ModelError && e.kind === "missing") return undefined;
  throw e;
}

/** The file store: the gallery of a model folder (`model.json` and its segments). */
class FileGallery implements GalleryBackend {
  readonly kind = "file";
  /** The last model read whole, for {@linkcode match}, while `model.json` is unchanged. */
  #searched: { text: string; model: Model; match: ReturnType<typeof createMatcher> } | undefined;

  constructor(readonly location: string, readonly detector?: DetectorName) {}

  /** The model as last read without its embeddings (enrolment's basis: it checks it is still current). */
  #basis: Model | undefined;

  async #light(): Promise<Model | undefined> {
    return this.#basis = await loadCheckedModel(this.location, { embeddings: false }).catch(noModel);
  }

  async info() {
    return (await this.#light())?.info;
  }

  async check() {
    return { faces: (await this.#light())?.gallery.size ?? 0 };
  }

  async enrol(faces: readonly GalleryEntry[], options: BackendEnrolOptions = {}) {
    const basis = this.#basis ?? (await this.#light()) ?? (await newGalleryModel(this.detector));
    assertEnrollable(basis, this.location);
    let saved: Model;
    try {
      saved = this.#basis = await enrolInto(this.location, lastOfRepeats(faces), basis, options);
    } catch (e) {
      // The folder now holds another model (retrained meanwhile): the next enrolment reads it afresh.
      this.#basis = undefined;
      throw e;
    }
    return { faces: saved.gallery.size, people: saved.gallery.labels.length };
  }

  async people() {
    const model = await this.#light();
    const counts = new Map<string, number>();
    for (const p of model?.gallery.person ?? []) {
      const label = model!.gallery.labels[p]!;
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    return [...counts].map(([label, faces]) => ({ label, faces })).sort((x, y) => (x.label < y.label ? -1 : 1));
  }

  async remove(label: string, options: BackendEnrolOptions = {}) {
    return await withLock(`${this.location}/.lock`, async () => {
      const model = await loadModel(this.location).catch(noModel);
      if (!model || !model.gallery.labels.includes(label)) return 0;
      const gallery = model.gallery.without(new Set([label]));
      await saveModel(this.location, { ...model, gallery });
      return model.gallery.size - gallery.size;
    }, { timeoutMs: options.lockTimeoutMs, onWait: options.onWait });
  }

  async match(embeddings: readonly ArrayLike<number>[], options: MatchOptions = {}) {
    const text = await readModelText(this.location);
    if (text === undefined) throw new RangeError("the gallery is empty: enrol someone first");
    if (this.#searched?.text !== text) {
      const model = await loadCheckedModel(this.location);
      // The text the model was read from, which another writer may have replaced since.
      this.#searched = { text: loadedFrom(model) ?? text, model, match: createMatcher(model.gallery) };
    }
    const { model } = this.#searched;
    const match = options.exact ? createMatcher(model.gallery, { exact: true }) : this.#searched.match;
    const maxDistance = options.maxDistance ?? model.info.maxDistance ?? Infinity;
    return embeddings.map((e) => match(e, maxDistance));
  }

  close() {
    this.#searched = undefined;
    return Promise.resolve();
  }
}
