/**
 * The checks of `model.json`'s fields, one by one, and of the weights against the network it
 * records: every message names the file and the field.
 *
 * @module
 */

import { featureSet } from "../features/feature_sets.ts";
import { ModelError } from "./model_error.ts";
import { type Activation, ACTIVATIONS, type ModelInfo, PARAM_NAMES, STAT_NAMES, type Weights } from "./model.ts";

/**
 * Checks the information fields of a `model.json`, one by one.
 *
 * @param json The fields (besides format, version, digest, gallery and weights' manifest).
 * @param file The `model.json`, for messages.
 * @returns The information.
 * @throws {ModelError} Kind "invalid", naming the file and the field.
 * @example
 * ```ts
 * import { checkInfo } from "./check_model.ts";
 * let refused = "";
 * try {
 *   checkInfo({ features: { name: "embedding", version: 1 }, labels: ["a", "a"] }, "m/model.json");
 * } catch (e) {
 *   refused = (e as Error).message;
 * }
 * if (refused !== "m/model.json: labels: a name appears twice") throw new Error(refused);
 * ```
 */
export function checkInfo(json: Record<string, unknown>, file: string): ModelInfo {
  const refuse = (field: string, why: string) => new ModelError("invalid", file, `${field}: ${why}`);
  const features = json.features as { name?: unknown; version?: unknown } | undefined;
  let set;
  try {
    set = featureSet(String(features?.name));
  } catch (e) {
    throw refuse("features.name", (e as Error).message);
  }
  // Another version of the set is reported by the pipeline check, naming both versions.
  if (!Number.isInteger(features?.version)) throw refuse("features.version", `${features?.version} is not a version`);
  const labels = json.labels;
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string" && l !== "")) {
    throw refuse("labels", "not a list of non-empty names");
  }
  if (new Set(labels).size !== labels.length) throw refuse("labels", "a name appears twice");
  if (json.rows !== set.shape[0]) throw refuse("rows", `${json.rows}, the feature set has ${set.shape[0]}`);
  if (typeof json.pipeline !== "object" || json.pipeline === null || Array.isArray(json.pipeline)) {
    throw refuse("pipeline", "not an object");
  }
  if (typeof json.minProb !== "number" || !(json.minProb >= 0 && json.minProb <= 1)) {
    throw refuse("minProb", `${JSON.stringify(json.minProb)} is not a probability 0–1`);
  }
  if (json.method !== "network" && json.method !== "nearest") {
    throw refuse("method", `${JSON.stringify(json.method)} is not "network" or "nearest"`);
  }
  const d = json.maxDistance;
  if (d !== null && (typeof d !== "number" || !Number.isFinite(d) || d < 0)) {
    throw refuse("maxDistance", `${JSON.stringify(d)} is not a distance ≥ 0 or null`);
  }
  const n = json.network as Record<string, unknown> | null;
  if (n !== null) {
    if (typeof n !== "object" || n === undefined) throw refuse("network", "not an object or null");
    for (const k of ["hidden1", "hidden2"]) {
      if (!Number.isInteger(n[k]) || (n[k] as number) < 1) throw refuse(`network.${k}`, `${n[k]} is not a width ≥ 1`);
    }
    for (const k of ["activation1", "activation2"]) {
      if (!ACTIVATIONS.includes(n[k] as Activation)) {
        throw refuse(`network.${k}`, `${JSON.stringify(n[k])} is unknown`);
      }
    }
    for (const k of ["dropout", "l2"]) {
      if (typeof n[k] !== "number" || !Number.isFinite(n[k]) || (n[k] as number) < 0) {
        throw refuse(`network.${k}`, `${n[k]} is not a number ≥ 0`);
      }
    }
  }
  if (typeof json.training !== "object" || json.training === null) throw refuse("training", "not an object");
  return json as unknown as ModelInfo;
}

/**
 * Checks that the weights are the network's: every parameter, of the shapes the network and
 * the labels give.
 *
 * @param info The model's information (checked).
 * @param weights The weights read.
 * @param file The `model.json`, for messages.
 * @param embeddingSize Numbers per embedding of the network that made its features (its
 * entry's `size`). Default the default network's.
 * @throws {ModelError} Kind "invalid", naming the weight.
 * @example
 * ```ts
 * import { checkWeights } from "./check_model.ts";
 * import { galleryOnlyInfo } from "./model.ts";
 * // A gallery-only model has no network, and needs no weights.
 * checkWeights(galleryOnlyInfo({ name: "embedding", version: 1 }, {}, 0.5), {}, "m/model.json");
 * ```
 */
export function checkWeights(info: ModelInfo, weights: Weights, file: string, embeddingSize?: number): void {
  const n = info.network;
  const names = n ? [...PARAM_NAMES, ...STAT_NAMES] : [];
  const missing = names.find((k) => !weights[k]);
  if (missing) throw new ModelError("invalid", file, `weightsManifest: no ${missing}`);
  if (!n) return;
  const classes = weights.b3!.shape.at(-1);
  if (classes !== info.labels.length) {
    throw new ModelError("invalid", file, `labels: ${info.labels.length} names for a network of ${classes} outputs`);
  }
  const cols = featureSet(info.features.name, embeddingSize).shape[1];
  const want: Record<string, number[]> = {
    w1: [cols, n.hidden1],
    w2: [n.hidden1, n.hidden2],
    w3: [info.rows * n.hidden2, info.labels.length],
  };
  for (const [k, shape] of Object.entries(want)) {
    if (weights[k]!.shape.join("x") !== shape.join("x")) {
      throw new ModelError(
        "invalid",
        file,
        `weightsManifest: ${k} is ${weights[k]!.shape.join("x")}, the network needs ${shape.join("x")}`,
      );
    }
  }
}
