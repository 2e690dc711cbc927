/**
 * Test helpers for code that throws {@linkcode ModelError}.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ModelError } from "../model/model_error.ts";

/** Asserts that `promise` rejects with a ModelError of `kind` whose message matches `message`. */
export async function rejectsModelError(
  promise: Promise<unknown>,
  kind: ModelError["kind"],
  message: RegExp,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof ModelError, String(e));
    assert.equal(e.kind, kind, e.message);
    assert.match(e.message, message);
    return true;
  });
}
