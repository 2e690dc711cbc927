/**
 * Storage behind one interface, {@linkcode GalleryStore}, with one implementation per
 * back-end: the file store (a model folder, `file_store.ts`, through lib/model) and PostgreSQL
 * with pgvector (`postgres.ts`, imported only when a `postgres://` gallery is asked for; see
 * `open_store.ts`). `serve`, `enrol`, `predict` and `cluster` take either: `--model DIR` names
 * the file store, `--gallery postgres://…` the database. Both answer with the same open-set
 * rule (the nearest person's centroid, "unknown" beyond the gallery's `maxDistance`) and refuse
 * a gallery whose photos were processed differently. Their typed error, {@linkcode GalleryError}.
 *
 * @module
 */

import type { DetectorName } from "../detect/detect_faces.ts";
import type { EmbedderOptions } from "../embed/embed_faces.ts";
import type { PipelineParts } from "../pipeline/parts.ts";
import type { ModelInfo } from "../model/model.ts";
import { ModelError } from "../model/model_error.ts";
import type { Matcher, MatchOptions, NearestAnswer } from "../gallery/matcher.ts";
import type { GalleryEntry } from "../gallery/entry.ts";

export type { MatchOptions };

/** One enrolled person and how many faces they have. */
export interface PersonFaces {
  readonly label: string;
  readonly faces: number;
}

/** Options of {@linkcode GalleryStore.enrol} and {@linkcode GalleryStore.remove}. */
export interface StoreWriteOptions {
  /**
   * How long to wait for another writer, in ms: the file store's lock (default 60 000), a
   * database's `lock_timeout` (default its {@linkcode OpenStoreOptions.timeoutMs}).
   */
  readonly lockTimeoutMs?: number;
  /** Called once when another process is writing the model, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/**
 * What a gallery offers, whichever back-end keeps it (a {@linkcode Matcher} for a classifier,
 * and more). Close it with `close()`.
 */
export interface GalleryStore extends Matcher {
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
   * within {@linkcode OpenStoreOptions.readyTimeoutMs} or throws GalleryError "unreachable".
   */
  check(): Promise<{ readonly faces: number }>;
  /**
   * Adds faces (embeddings made by the pipeline of {@linkcode info}). A photo enrolled again
   * under the same name replaces its face. Safe with writers in other processes: none is lost.
   */
  enrol(
    faces: readonly GalleryEntry[],
    options?: StoreWriteOptions,
  ): Promise<{ readonly faces: number; readonly people: number }>;
  /** Every enrolled person with their count of faces, by label. */
  people(): Promise<PersonFaces[]>;
  /** Erases a person's faces; the count erased (0: not enrolled). */
  remove(label: string, options?: StoreWriteOptions): Promise<number>;
  /**
   * The nearest person for each embedding.
   * @throws {EmptyGalleryError} When no one is enrolled (a RangeError).
   */
  match(embeddings: readonly ArrayLike<number>[], options?: MatchOptions): Promise<NearestAnswer[]>;
  close(): Promise<void>;
}

/** Options of `openStore` (`open_store.ts`). */
export interface OpenStoreOptions {
  /** A new gallery's detector (a database without the schema, or a folder without a model). */
  readonly detector?: DetectorName;
  /**
   * A new gallery's embedding network (default: the library's); a database is made with
   * vectors of its size. An existing gallery keeps the network it records.
   */
  readonly embedder?: Pick<EmbedderOptions, "network">;
  /**
   * The registries the gallery's network is looked up in (its entry gives the embeddings'
   * length). Default the library's, `PIPELINE_PARTS`.
   */
  readonly parts?: PipelineParts;
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

/**
 * True for a `postgres://` or `postgresql://` URL (a database gallery), false for a folder.
 *
 * @param spec A `--gallery` or `--model` value.
 * @returns Whether it names a database.
 * @example
 * ```ts
 * import { isDatabaseUrl } from "./gallery_store.ts";
 * if (!isDatabaseUrl("postgresql://u@h/db") || isDatabaseUrl("./model")) throw new Error();
 * ```
 */
export function isDatabaseUrl(spec: string): boolean {
  return /^postgres(ql)?:\/\//i.test(spec);
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
 *   longer than `statement_timeout` (57014), both {@linkcode OpenStoreOptions.timeoutMs}:
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

/**
 * Whether a refusal is the model's or the database's (a one-line message either way).
 *
 * @param e What was thrown.
 * @returns True for a {@linkcode GalleryError} or a `ModelError`.
 * @example
 * ```ts
 * import { GalleryError, isGalleryRefusal } from "./gallery_store.ts";
 * if (!isGalleryRefusal(new GalleryError("busy", "postgres://u@h:5432/db", "busy; retry"))) throw new Error();
 * if (isGalleryRefusal(new Error("other"))) throw new Error();
 * ```
 */
export function isGalleryRefusal(e: unknown): e is Error {
  return e instanceof GalleryError || e instanceof ModelError;
}

/**
 * One face per (label, path): the last of repeats, at the place of the first
 * (both backends enrol a photo given twice in one call once).
 *
 * @param faces The faces.
 * @returns Them without repeats.
 * @example
 * ```ts
 * import { lastOfRepeats } from "./gallery_store.ts";
 * const e = (x: number) => ({ label: "ada", path: "a.jpg", embedding: new Float32Array([x]) });
 * const kept = lastOfRepeats([e(1), e(2)]);
 * if (kept.length !== 1 || kept[0]!.embedding[0] !== 2) throw new Error();
 * ```
 */
export function lastOfRepeats(faces: readonly GalleryEntry[]): GalleryEntry[] {
  return [...new Map(faces.map((f) => [JSON.stringify([f.label, f.path]), f])).values()];
}
