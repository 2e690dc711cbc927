/**
 * The typed error of a model folder, {@linkcode ModelError}, with the kinds a caller acts on
 * (its lock's is `LockError` of `lib/_lock_error.ts`, which names it without the lock).
 *
 * @module
 */

/** Why a model folder cannot be used, for callers that act on it. */
export type ModelErrorKind =
  /** The folder holds no `model.json`. */
  | "missing"
  /** A file is not a Face2Vec model, or its parts disagree. */
  | "invalid"
  /** Photos would now be processed differently than the model's photos were. */
  | "mismatch"
  /** The model cannot serve the request (no network, no embedding, no gallery, cannot resume). */
  | "unsuitable";

/**
 * A model folder that cannot be used; `message` is one line naming the file and the reason.
 *
 * @example
 * ```ts
 * import { ModelError } from "./model_error.ts";
 * const e = new ModelError("missing", "model/model.json", "no model here (run train first)");
 * if (e.kind !== "missing" || e.message !== "model/model.json: no model here (run train first)") throw new Error();
 * ```
 */
export class ModelError extends Error {
  override name = "ModelError";
  /**
   * @param kind What is wrong, for callers that act on it.
   * @param file The folder or file at fault.
   * @param reason Why, in a few words.
   */
  constructor(readonly kind: ModelErrorKind, readonly file: string, readonly reason: string) {
    super(`${file}: ${reason}`);
  }
}
