/**
 * What `evaluate`, `predict` and `enrol` share: loading a model for a command, turning a
 * missing or mismatched model into a one-line message.
 *
 * @module
 */

import type { Model } from "../classify/model.ts";
import { loadCheckedModel } from "../recognize/recognize.ts";
import type { CliIo } from "./_io.ts";

/**
 * Loads the model in `dir`, or prints why it cannot be used (no model, or photos would now
 * be processed differently than its photos were) and returns undefined.
 */
export async function loadModelFor(dir: string, io: CliIo): Promise<Model | undefined> {
  try {
    return await loadCheckedModel(dir);
  } catch (e) {
    io.stderr(e instanceof Error ? e.message : String(e));
    return undefined;
  }
}
