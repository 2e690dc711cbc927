/**
 * A saved model: `model.json` (what the model is and how its photos were processed, and the
 * files that hold its network's float32 weights and its embedding gallery). Saving it as one
 * unit, loading it with every field checked, and the typed error a caller acts on.
 *
 * @module
 */

import { sha256Hex } from "../_asset.ts";
import { EMBEDDING_NORM, EMBEDDING_SIZE } from "../embed/embed_faces.ts";
import { canonicalJson } from "../_config.ts";
import { FileKindError, readRegularFile, readRegularTextFile, writeFileAtomic } from "../_fs.ts";
import { DEFAULT_FEATURE_SET, FEATURE_SETS, featureSet, type PredictMethod } from "../features/feature_sets.ts";
import { type GalleryEntry, parseGallery } from "../gallery/gallery.ts";
import { Gallery, INDEX_MIN_FACES } from "../gallery/store.ts";
import { type NormRange, readSegment, SegmentError } from "../gallery/segment.ts";
import type { FeatureSetRecord, PipelineSettings } from "../pipeline/pipeline.ts";
import { type NetworkOptions, PARAM_NAMES, STAT_NAMES } from "./network.ts";
import type { TrainResult, Weights } from "./train.ts";

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

/** A model folder that cannot be used; `message` is one line naming the file and the reason. */
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

/**
 * The format's name and version, in every `model.json`. Version 2 keeps the gallery in
 * binary segments (`gallery: [files]`); version 1 (a `gallery.json`) is still read, and
 * written as version 2 on the next save.
 */
export const MODEL_FORMAT = { format: "face2vec-model", version: 2 } as const;

/** The versions of `model.json` this Face2Vec reads. */
const READS = [1, 2];

/** Everything a saved model holds besides its weights and gallery. */
export interface ModelInfo {
  /** Class index → person (the network's classes; empty for a gallery-only model). */
  readonly labels: readonly string[];
  /** The network's architecture; null for a gallery-only model (made by enrolment alone). */
  readonly network: Required<NetworkOptions> | null;
  /** Rows of one feature sample (3 for geometry). */
  readonly rows: number;
  /** The feature set's name and version. */
  readonly features: FeatureSetRecord;
  /** The pipeline configuration of the cache it was trained on (detector, landmarks, assets). */
  readonly pipeline: PipelineSettings;
  /** Faces whose top probability is below this are "unknown" (`label: null`). */
  readonly minProb: number;
  /** The default way to name a face (the feature set's method when trained; "nearest" for a gallery-only model). */
  readonly method: PredictMethod;
  /** For "nearest": faces farther than this from every enrolled face are unknown; null without embeddings. */
  readonly maxDistance: number | null;
  /** How it was trained and how it scored in cross-validation. */
  readonly training: Readonly<Record<string, unknown>>;
}

/** A model: its information, its network's weights and its embedding gallery. */
export interface Model {
  readonly info: ModelInfo;
  /** Empty for a gallery-only model. */
  readonly weights: Weights;
  /** Enrolled faces (empty for geometry models). */
  readonly gallery: Gallery;
}

/** What a saved `model.json` holds besides the model's information. */
interface ModelFile {
  readonly format: string;
  readonly version: number;
  /** sha256 of the feature set and pipeline settings (absent in models saved before it existed). */
  readonly pipeline_sha256?: string;
  /**
   * The gallery's segment files in the folder (version 1: one JSON file; absent: `gallery.json`,
   * or none, as older models).
   */
  readonly gallery?: string | readonly string[] | null;
  /** The gallery's inverted file (its cells' centres), when it has one. */
  readonly galleryIndex?: string;
  readonly weightsManifest?: readonly {
    readonly paths: readonly string[];
    readonly weights: readonly { readonly name: string; readonly shape: readonly number[] }[];
  }[];
}

/** A file name inside a model folder: no path, nothing hidden. */
const MEMBER = /^[A-Za-z0-9_-][A-Za-z0-9_.-]*$/;

/** The first 16 hex digits of the sha256 of `bytes` (hashed where they are: a large gallery is not copied). */
async function contentHash(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>), 0, 8);
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `name-<first 16 hex digits of the content's sha256>.ext`: the same content gets the same name. */
async function contentName(name: string, ext: string, bytes: Uint8Array): Promise<string> {
  return `${name}-${await contentHash(bytes)}.${ext}`;
}

/** A content-named member file: its name's hash. */
const CONTENT_NAMED = /^(?:weights|gallery|cells)-([0-9a-f]{16})\.(?:bin|f2vg|json)$/;

/**
 * Checks that a content-named file's bytes are the ones its name gives (a file of another
 * model copied under the name, or changed in place, is refused). Costs one sha256 of the
 * file: about 45 ms for a gallery of 100,000 faces (52 MB) on this project's machine.
 */
async function checkContentName(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const named = CONTENT_NAMED.exec(name)?.[1];
  if (named === undefined) return;
  const actual = await contentHash(bytes);
  if (actual !== named) {
    throw new ModelError(
      "invalid",
      `${dir}/${name}`,
      `its content does not match its name (sha256 ${actual}…): a file of another model, or changed after saving`,
    );
  }
}

/** Writes `bytes` as `dir/name` unless that file already holds them (content-named files never change). */
async function writeMember(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const had = await Deno.stat(`${dir}/${name}`).catch(() => undefined);
  if (had?.isFile && had.size === bytes.length) return;
  await writeFileAtomic(`${dir}/${name}`, bytes);
}

/** The member files a `model.json` text refers to (its weights and gallery), for cleaning up. */
function membersOf(text: string | undefined): string[] {
  if (text === undefined) return [];
  try {
    const json = JSON.parse(text) as ModelFile;
    const gallery = json.gallery === undefined ? "gallery.json" : json.gallery;
    return [
      ...(json.weightsManifest?.[0]?.paths ?? ["weights.bin"]),
      ...(gallery ? [gallery].flat() : []),
      ...(typeof json.galleryIndex === "string" ? [json.galleryIndex] : []),
    ];
  } catch {
    return [];
  }
}

/**
 * Saves a model to a folder so that it changes as one unit: the weights (float32,
 * little-endian, in manifest order) and the gallery's segments go to files named by their
 * content (`weights-<sha>.bin`, `gallery-<sha>.f2vg`; a segment already in the folder is not
 * written again, so enrolling appends a segment instead of rewriting the gallery), then
 * `model.json`, which names them, replaces the old one in one rename. A reader, or a crash at
 * any moment, sees the old model or the new one, whole. The files of the model before the
 * previous one are then removed (the previous one's stay, for readers that opened it just
 * before the switch). A gallery of {@linkcode INDEX_MIN_FACES} faces or more is saved with an
 * inverted file (built again when it has grown fourfold).
 *
 * @param dir The model folder (created when missing).
 * @param model The model.
 * @returns The model as saved (its gallery's segments named by their files).
 * @throws {RangeError} When a weight is not finite (a model that cannot answer is never saved).
 */
export async function saveModel(dir: string, model: Model): Promise<Model> {
  const names = model.info.network ? [...PARAM_NAMES, ...STAT_NAMES] : [];
  const total = names.reduce((n, k) => n + model.weights[k]!.values.length, 0);
  const bin = new Float32Array(total);
  let o = 0;
  for (const k of names) {
    bin.set(model.weights[k]!.values, o);
    o += model.weights[k]!.values.length;
  }
  const bad = bin.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new RangeError(`${dir}: not saved: weight ${bad} is ${bin[bad]} (training diverged)`);
  await Deno.mkdir(dir, { recursive: true });
  const weightBytes = new Uint8Array(bin.buffer);
  const weightsFile = await contentName("weights", "bin", weightBytes);
  let gallery = model.gallery;
  // Indexed from INDEX_MIN_FACES, again when it has grown fourfold (by a save with every
  // embedding read: an enrolment that reads only what it rewrites leaves that to the next).
  const complete = gallery.segments.every((s) => s.complete);
  if (complete && gallery.size >= INDEX_MIN_FACES && gallery.cells ** 2 * 4 < gallery.size) {
    gallery = await gallery.indexed();
  }
  const segmentFiles: string[] = [];
  for (const [k, s] of gallery.segments.entries()) {
    if (!s.complete && gallery.files[k] === undefined) {
      throw new Error(`${dir}: a segment without embeddings has no file`);
    }
    segmentFiles.push(gallery.files[k] ?? await contentName("gallery", "f2vg", s.bytes));
  }
  const index = gallery.index;
  const indexFile = index ? index.file ?? await contentName("cells", "f2vg", index.centres.bytes) : undefined;
  const json = {
    ...MODEL_FORMAT,
    ...model.info,
    pipeline_sha256: await pipelineDigest(model.info),
    gallery: segmentFiles,
    ...(indexFile ? { galleryIndex: indexFile } : {}),
    weightsManifest: [{
      paths: [weightsFile],
      weights: names.map((k) => ({ name: k, shape: model.weights[k]!.shape, dtype: "float32" })),
    }],
  };
  const previous = await Deno.readTextFile(`${dir}/model.json`).catch(() => undefined);
  await writeMember(dir, weightsFile, weightBytes);
  for (const [k, s] of gallery.segments.entries()) {
    // A segment read without its embeddings is already in the folder (it was read from it).
    if (s.complete) await writeMember(dir, segmentFiles[k]!, s.bytes);
  }
  if (index) await writeMember(dir, indexFile!, index.centres.bytes);
  await writeFileAtomic(`${dir}/model.json`, JSON.stringify(json, null, 2) + "\n");
  const keep = new Set([weightsFile, ...segmentFiles, ...(indexFile ? [indexFile] : []), ...membersOf(previous)]);
  for await (const e of Deno.readDir(dir)) {
    const ours =
      /^(weights-[0-9a-f]{16}\.bin|gallery-[0-9a-f]{16}\.(json|f2vg)|cells-[0-9a-f]{16}\.f2vg|weights\.bin|gallery\.json)$/
        .test(
          e.name,
        );
    if (e.isFile && ours && !keep.has(e.name)) await Deno.remove(`${dir}/${e.name}`).catch(() => {});
  }
  const named = index ? { centres: index.centres, file: indexFile } : undefined;
  return { ...model, gallery: new Gallery(gallery.segments, segmentFiles, named) };
}

/** The sha256 of a model's feature set and pipeline settings, as `model.json` records it. */
function pipelineDigest(info: Pick<ModelInfo, "features" | "pipeline">): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson({ features: info.features, pipeline: info.pipeline })));
}

/**
 * Loads a model saved by {@linkcode saveModel} (or by an earlier version, with `weights.bin`
 * and `gallery.json`), checking every field: the information's types and ranges, the
 * weights' count and finiteness against the manifest and the network, the labels against
 * the network's outputs, and the gallery's entries against the feature set's length.
 *
 * @param dir The model folder.
 * @param options `embeddings: false` reads the gallery's segments without their embeddings
 * (people, paths and cells: what appending to the gallery needs, fast for a large one; the
 * gallery cannot then be searched). Default true.
 * @returns The model.
 * @throws {ModelError} When the folder holds no Face2Vec model (kind "missing"), or a file is
 * not one or a field is wrong (kind "invalid"; the message names the file and the field).
 */
export async function loadModel(dir: string, options: { readonly embeddings?: boolean } = {}): Promise<Model> {
  // A writer may switch model.json between our reading it and reading the files it names:
  // then read it again (the files of the model it replaced are kept for one generation).
  for (let attempt = 1;; attempt++) {
    try {
      return await loadOnce(dir, options.embeddings !== false);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound) || attempt === 3) {
        if (e instanceof Deno.errors.NotFound) throw new ModelError("invalid", dir, `a file is missing (${e.message})`);
        // A FIFO, device or directory where a model file should be.
        if (e instanceof FileKindError) throw new ModelError("invalid", e.file, e.reason);
        throw e;
      }
    }
  }
}

async function loadOnce(dir: string, embeddings: boolean): Promise<Model> {
  const file = `${dir}/model.json`;
  let text: string;
  let json: ModelFile & Record<string, unknown>;
  try {
    text = await readRegularTextFile(file);
    json = JSON.parse(text);
  } catch (e) {
    if (e instanceof FileKindError) throw e;
    if (e instanceof Deno.errors.NotFound) throw new ModelError("missing", file, "no model here (run train first)");
    throw new ModelError("invalid", file, e instanceof SyntaxError ? "not JSON" : String(e));
  }
  if (
    typeof json !== "object" || json === null || json.format !== MODEL_FORMAT.format ||
    !READS.includes(json.version)
  ) {
    throw new ModelError("invalid", file, `not a Face2Vec model (version ${READS.join(" or ")})`);
  }
  const {
    format: _f,
    version: _v,
    weightsManifest,
    pipeline_sha256: digest,
    gallery: galleryName,
    galleryIndex,
    ...rest
  } = json;
  const info = checkInfo(rest, file);
  // A model.json whose processing settings were edited by hand would be applied with the new
  // settings to a network trained with the old ones: refused (models saved before the digest
  // existed have none, and load as they did).
  if (digest !== undefined && digest !== await pipelineDigest(info)) {
    throw new ModelError(
      "invalid",
      file,
      "its features or pipeline settings were changed after training (pipeline_sha256 differs); train it again",
    );
  }
  if (weightsManifest !== undefined && (!Array.isArray(weightsManifest) || weightsManifest.length > 1)) {
    throw new ModelError("invalid", file, "weightsManifest: not a list of one group");
  }
  const manifest = weightsManifest?.[0];
  if (manifest !== undefined && (!Array.isArray(manifest.paths) || !Array.isArray(manifest.weights))) {
    throw new ModelError("invalid", file, "weightsManifest[0]: paths and weights must be lists");
  }
  const weightsFile = manifest?.paths?.[0] ?? "weights.bin";
  if (typeof weightsFile !== "string" || !MEMBER.test(weightsFile)) {
    throw new ModelError(
      "invalid",
      file,
      `weightsManifest.paths: ${JSON.stringify(weightsFile)} is not a file of the folder`,
    );
  }
  const bytes = await readRegularFile(`${dir}/${weightsFile}`);
  if (bytes.byteLength % 4 !== 0) {
    throw new ModelError("invalid", `${dir}/${weightsFile}`, `${bytes.byteLength} bytes, not whole float32 values`);
  }
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  const weights: Record<string, { shape: number[]; values: Float32Array }> = {};
  let o = 0;
  for (const [i, w] of (manifest?.weights ?? []).entries()) {
    const shape = w?.shape;
    if (typeof w?.name !== "string" || !Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ModelError(
        "invalid",
        file,
        `weightsManifest.weights[${i}]: not a name and a shape of positive integers`,
      );
    }
    if (weights[w.name]) throw new ModelError("invalid", file, `weightsManifest.weights: ${w.name} appears twice`);
    const n = shape.reduce((a, b) => a * b, 1);
    weights[w.name] = { shape: [...shape], values: all.slice(o, o + n) };
    o += n;
  }
  if (o !== all.length) {
    throw new ModelError("invalid", `${dir}/${weightsFile}`, `${all.length} values, the manifest lists ${o}`);
  }
  const bad = all.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) {
    throw new ModelError("invalid", `${dir}/${weightsFile}`, `value ${bad} is ${all[bad]}, not a finite number`);
  }
  checkWeights(info, weights, file);
  await checkContentName(dir, weightsFile, bytes);
  const model = { info, weights, gallery: await readGallery(dir, file, galleryName, galleryIndex, embeddings) };
  LOADED_FROM.set(model, text);
  return model;
}

/**
 * The text of a folder's `model.json` as it is now (what a writer under its lock compares
 * with {@linkcode loadedFrom} to know whether the folder changed), checked to be a regular file.
 *
 * @param dir The model folder.
 * @returns The text, or undefined when the folder holds no `model.json`.
 * @throws {ModelError} Kind "invalid" when `model.json` is a directory, FIFO, device or socket.
 */
export async function readModelText(dir: string): Promise<string | undefined> {
  try {
    return await readRegularTextFile(`${dir}/model.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof FileKindError) throw new ModelError("invalid", e.file, e.reason);
    throw e;
  }
}

/** The `model.json` text each loaded model was read from. */
const LOADED_FROM = new WeakMap<Model, string>();

/**
 * The text of the `model.json` a model was loaded from (by {@linkcode loadModel}): a writer
 * that finds the same text under its lock knows the folder has not changed since, and need
 * not read it again (its other files are named by their content and never change).
 *
 * @param model A model.
 * @returns The text, or undefined for a model not loaded from a folder.
 */
export function loadedFrom(model: Model): string | undefined {
  return LOADED_FROM.get(model);
}

/** The gallery a `model.json` names: segment files, or (version 1) one JSON file, or none. */
async function readGallery(
  dir: string,
  file: string,
  named: unknown,
  indexName: unknown,
  embeddings: boolean,
): Promise<Gallery> {
  const listed = named === undefined ? "gallery.json" : named;
  if (listed === null) return Gallery.from([]);
  const names = typeof listed === "string" ? [listed] : listed;
  if (!Array.isArray(names) || !names.every((n) => typeof n === "string" && MEMBER.test(n))) {
    throw new ModelError("invalid", file, `gallery: ${JSON.stringify(listed)} is not a list of files of the folder`);
  }
  if (typeof listed === "string") {
    const text = await readRegularTextFile(`${dir}/${listed}`).catch((e) => {
      // Older models wrote no gallery.json when they had none.
      if (e instanceof Deno.errors.NotFound && named === undefined) return undefined;
      throw e;
    });
    try {
      return Gallery.from(
        text === undefined ? [] : parseGallery(text, `${dir}/${listed}`, EMBEDDING_SIZE, EMBEDDING_NORM),
      );
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      const [at, ...why] = e.message.split(": ");
      throw new ModelError("invalid", at!, why.join(": "));
    }
  }
  if (indexName !== undefined && (typeof indexName !== "string" || !MEMBER.test(indexName))) {
    throw new ModelError("invalid", file, `galleryIndex: ${JSON.stringify(indexName)} is not a file of the folder`);
  }
  // Faces' embeddings have the network's norms; a cell's centre, a mean of faces, is no longer
  // than the longest of them (and may be short: faces on opposite sides).
  const read = async (name: string, whole: boolean, norm: NormRange) => {
    const path = `${dir}/${name}`;
    let segment;
    try {
      segment = await readSegment(path, EMBEDDING_SIZE, { embeddings: whole, norm });
    } catch (e) {
      if (e instanceof SegmentError) throw new ModelError("invalid", path, e.message.slice(path.length + 2));
      throw e;
    }
    // Read without its embeddings (to append to the gallery), its name is checked by the next full load.
    if (segment.complete) await checkContentName(dir, name, segment.bytes);
    return segment;
  };
  const segments = [];
  for (const name of names as string[]) segments.push(await read(name, embeddings, EMBEDDING_NORM));
  const index = typeof indexName === "string"
    ? { centres: await read(indexName, true, { min: 0, max: EMBEDDING_NORM.max }), file: indexName }
    : undefined;
  try {
    return new Gallery(segments, names as string[], index);
  } catch (e) {
    if (e instanceof RangeError) throw new ModelError("invalid", file, `gallery: ${e.message}`);
    throw e;
  }
}

/** Checks the information fields of a `model.json`, one by one. */
function checkInfo(json: Record<string, unknown>, file: string): ModelInfo {
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
      if (!["tanh", "sigmoid", "relu", "linear"].includes(n[k] as string)) {
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

/** Checks that the weights are the network's: every parameter, of the shapes the network and the labels give. */
function checkWeights(info: ModelInfo, weights: Weights, file: string): void {
  const n = info.network;
  const names = n ? [...PARAM_NAMES, ...STAT_NAMES] : [];
  const missing = names.find((k) => !weights[k]);
  if (missing) throw new ModelError("invalid", file, `weightsManifest: no ${missing}`);
  if (!n) return;
  const classes = weights.b3!.shape.at(-1);
  if (classes !== info.labels.length) {
    throw new ModelError("invalid", file, `labels: ${info.labels.length} names for a network of ${classes} outputs`);
  }
  const cols = featureSet(info.features.name).shape[1];
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

/**
 * A model from a training result: its final weights and the information to apply them.
 *
 * @param result What {@linkcode trainClassifier} returned.
 * @param labels Class index → person.
 * @param rows Rows of one feature sample.
 * @param info The rest of the model's information (feature set, pipeline, minProb, training).
 */
export function modelFromTraining(
  result: TrainResult,
  labels: readonly string[],
  rows: number,
  info: Partial<Omit<ModelInfo, "labels" | "network" | "rows">> = {},
  gallery: readonly GalleryEntry[] | Gallery = [],
): Model {
  const faces = gallery instanceof Gallery ? gallery : Gallery.from(gallery);
  return {
    info: {
      labels,
      network: result.network,
      rows,
      features: info.features ?? { name: DEFAULT_FEATURE_SET, version: FEATURE_SETS[DEFAULT_FEATURE_SET].version },
      pipeline: info.pipeline ?? {},
      minProb: info.minProb ?? 0,
      method: info.method ?? (faces.size ? "nearest" : "network"),
      maxDistance: info.maxDistance ?? null,
      training: info.training ?? {},
    },
    weights: result.weights,
    gallery: faces,
  };
}
