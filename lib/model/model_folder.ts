/**
 * THE model folder: `model.json` (what the model is and how its photos were processed, and the
 * files that hold its network's float32 weights and its embedding gallery), read with every
 * field checked, saved as one unit, changed under the folder's own writers' lock, and the one
 * answer to "has it changed since I read it?" ({@linkcode ModelFolder.revision}). No other
 * module reads or writes these files.
 *
 * @module
 */

import { sha256Hex } from "../_asset.ts";
import { canonicalJson } from "../_config.ts";
import { FileKindError, readRegularFile, readRegularTextFile, writeFileAtomic } from "../_fs.ts";
import { withLock } from "../_lock.ts";
import type { SomeEmbedderEntry } from "../embed/embed_faces.ts";
import { Gallery, INDEX_MIN_FACES } from "../gallery/gallery.ts";
import { type NormRange, SegmentError } from "../gallery/segment.ts";
import { PIPELINE_PARTS, type PipelineParts } from "../pipeline/parts.ts";
import { recordedEmbedderOf, settingsDifference } from "../pipeline/pipeline.ts";
import { checkInfo, checkWeights } from "./check_model.ts";
import { nameSegment, parseGallery, readSegment, segmentFile } from "./gallery_files.ts";
import { ModelError } from "./model_error.ts";
import { type Model, MODEL_FORMAT, type ModelInfo, PARAM_NAMES, STAT_NAMES } from "./model.ts";

/** The versions of `model.json` this Face2Vec reads. */
const READS = [1, 2];

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

/** A model as read from (or saved to) its folder, and the revision of `model.json` it is. */
export interface Loaded {
  readonly model: Model;
  /** The revision of the `model.json` it was read from or saved as (see {@linkcode ModelFolder.revision}). */
  readonly revision: string;
}

/** Options of a read. */
export interface LoadOptions {
  /**
   * `false` reads the gallery's segments without their embeddings (people, paths and cells:
   * what appending to the gallery needs, fast for a large one; the gallery cannot then be
   * searched). Default true.
   */
  readonly embeddings?: boolean;
}

/** Options of a {@linkcode ModelFolder}. */
export interface FolderOptions {
  /**
   * The registries the model's pipeline parts are looked up in: its embedding network's entry
   * gives the length and norms of its gallery's embeddings (and the length of its features),
   * and a checked read compares its settings with them. Default the library's, `PIPELINE_PARTS`.
   */
  readonly parts?: PipelineParts;
}

/** Options of {@linkcode ModelFolder.update}: the folder's writers' lock. */
export interface UpdateOptions {
  /** How long to wait for another writer of the folder, in ms. Default 60 000. */
  readonly timeoutMs?: number;
  /** Called once when another process is writing the folder, before waiting. */
  readonly onWait?: (holder: string) => void;
}

/** The folder as an update finds it, under its lock. */
export interface FolderNow {
  /** The revision of `model.json` now; undefined when the folder holds no model. */
  readonly revision: string | undefined;
  /** Reads the model now (see {@linkcode ModelFolder.read}). */
  read(options?: LoadOptions): Promise<Loaded>;
  /** Reads the model now and checks its pipeline (see {@linkcode ModelFolder.readChecked}). */
  readChecked(options?: LoadOptions): Promise<Loaded>;
}

/** The revision of a `model.json` text: the first 16 hex digits of its sha256. */
async function revisionOf(text: string): Promise<string> {
  return (await sha256Hex(new TextEncoder().encode(text))).slice(0, 16);
}

/**
 * A model folder: the one owner of its files (`model.json`, the content-named weights and
 * gallery segments, the gallery's inverted file, the `gallery.json` of earlier versions, the
 * writers' lock `.lock`).
 *
 * @example
 * ```ts
 * import { ModelFolder } from "./model_folder.ts";
 * import { newGalleryModel } from "./model.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const folder = new ModelFolder(dir);
 *   if ((await folder.revision()) !== undefined) throw new Error("an empty folder has no model");
 *   const saved = await folder.save(await newGalleryModel());
 *   if ((await folder.revision()) !== saved.revision) throw new Error("unchanged since it was saved");
 *   // One read-modify-write under the folder's lock: the same model, saved again.
 *   const again = await folder.update(async (now) => (await now.read()).model);
 *   if (again?.revision !== saved.revision) throw new Error("the same content is the same revision");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export class ModelFolder {
  /** The registries its model's parts are looked up in. */
  readonly parts: PipelineParts;

  /**
   * @param dir The folder (created by the first save).
   * @param options The registries its model's parts are looked up in.
   */
  constructor(readonly dir: string, options: FolderOptions = {}) {
    this.parts = options.parts ?? PIPELINE_PARTS;
  }

  /**
   * The one answer to "has `model.json` changed since I read it?": an opaque revision that
   * changes whenever `model.json` does (a save of another model, an enrolment), equal to the
   * one {@linkcode ModelFolder.read} and {@linkcode ModelFolder.save} give when it has not.
   *
   * @returns The revision, or undefined when the folder holds no `model.json`.
   * @throws {ModelError} Kind "invalid" when `model.json` is a directory, FIFO, device or socket.
   */
  async revision(): Promise<string | undefined> {
    const text = await readModelText(this.dir);
    return text === undefined ? undefined : await revisionOf(text);
  }

  /**
   * Reads the model (saved by {@linkcode ModelFolder.save}, or by an earlier version, with
   * `weights.bin` and `gallery.json`), checking every field: the information's types and
   * ranges, the weights' count and finiteness against the manifest and the network, the labels
   * against the network's outputs, and the gallery's entries against the length and norms of
   * the embedding network the model records (its entry in the folder's `parts`).
   *
   * @param options Whether to read the gallery's embeddings.
   * @returns The model and its revision.
   * @throws {ModelError} When the folder holds no Face2Vec model (kind "missing"), or a file is
   * not one or a field is wrong (kind "invalid"; the message names the file and the field), or
   * it was made with an embedding network not in the folder's `parts` (kind "mismatch").
   */
  read(options: LoadOptions = {}): Promise<Loaded> {
    return readFrom(this.dir, options, this.parts);
  }

  /**
   * Reads the model and refuses it when photos would now be processed differently.
   *
   * @param options Whether to read the gallery's embeddings.
   * @returns The model and its revision.
   * @throws {ModelError} As {@linkcode ModelFolder.read}, and kind "mismatch" when photos
   * would now be processed differently (the message names the setting).
   */
  async readChecked(options: LoadOptions = {}): Promise<Loaded> {
    const loaded = await this.read(options);
    const { info } = loaded.model;
    const diff = await settingsDifference(info.pipeline, info.features, this.parts);
    if (diff) {
      throw new ModelError(
        "mismatch",
        this.dir,
        `the model was trained on photos processed differently (${diff}); train it again`,
      );
    }
    return loaded;
  }

  /**
   * Saves a model so that the folder changes as one unit (see {@linkcode saveModel}). Without
   * the lock: a writer that may race another uses {@linkcode ModelFolder.update}.
   *
   * @param model The model.
   * @returns The model as saved and its revision.
   * @throws {RangeError} When a weight is not finite (a model that cannot answer is never saved).
   */
  save(model: Model): Promise<Loaded> {
    return saveTo(this.dir, model);
  }

  /**
   * The folder's one read-modify-write: under its writers' lock (`.lock`, held by one process
   * at a time, released however the holder ends), `change` sees the folder as it is now and
   * gives the model to save, or undefined to leave it as it is. Writers at the same time each
   * see the others' changes; none is lost.
   *
   * @param change Reads the folder now and gives the new model (or undefined: no change).
   * @param options How long to wait for another writer, and a note when waiting.
   * @returns The model as saved and its revision; undefined when nothing was saved.
   * @throws {LockError} When another writer holds the folder for longer than the timeout.
   */
  async update(
    change: (now: FolderNow) => Promise<Model | undefined>,
    options: UpdateOptions = {},
  ): Promise<Loaded | undefined> {
    return await withLock(`${this.dir}/.lock`, async () => {
      const now: FolderNow = {
        revision: await this.revision(),
        read: (o) => this.read(o),
        readChecked: (o) => this.readChecked(o),
      };
      const next = await change(now);
      return next === undefined ? undefined : await this.save(next);
    }, { timeoutMs: options.timeoutMs, onWait: options.onWait });
  }
}

/**
 * Loads the model in a folder (see {@linkcode ModelFolder.read}).
 *
 * @param dir The model folder.
 * @param options `embeddings: false` reads the gallery's segments without their embeddings;
 * the registries (see {@linkcode FolderOptions}).
 * @returns The model.
 * @throws {ModelError} When the folder holds no Face2Vec model (kind "missing"), or a file is
 * not one or a field is wrong (kind "invalid"; the message names the file and the field).
 */
export async function loadModel(dir: string, options: LoadOptions & FolderOptions = {}): Promise<Model> {
  return (await new ModelFolder(dir, options).read(options)).model;
}

/**
 * Loads a model and refuses it when photos would now be processed differently (see
 * {@linkcode ModelFolder.readChecked}).
 *
 * @param dir The model folder.
 * @param options Whether to read the gallery's embeddings, and the registries (see {@linkcode FolderOptions}).
 * @returns The model.
 * @throws {ModelError} When there is no model (kind "missing"), it is not one ("invalid"), or
 * photos would now be processed differently ("mismatch"; the message names the setting).
 */
export async function loadCheckedModel(dir: string, options: LoadOptions & FolderOptions = {}): Promise<Model> {
  return (await new ModelFolder(dir, options).readChecked(options)).model;
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
 * @returns The model as saved.
 * @throws {RangeError} When a weight is not finite (a model that cannot answer is never saved).
 */
export async function saveModel(dir: string, model: Model): Promise<Model> {
  return (await new ModelFolder(dir).save(model)).model;
}

/** Saves as {@linkcode saveModel} describes; the model as saved and its revision. */
async function saveTo(dir: string, model: Model): Promise<Loaded> {
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
  for (const s of gallery.segments) {
    const file = segmentFile(s);
    if (!s.complete && file === undefined) throw new Error(`${dir}: a segment without embeddings has no file`);
    segmentFiles.push(file ?? await contentName("gallery", "f2vg", s.bytes));
  }
  const index = gallery.index;
  const indexFile = index
    ? segmentFile(index.centres) ?? await contentName("cells", "f2vg", index.centres.bytes)
    : undefined;
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
  const text = JSON.stringify(json, null, 2) + "\n";
  await writeFileAtomic(`${dir}/model.json`, text);
  const keep = new Set([weightsFile, ...segmentFiles, ...(indexFile ? [indexFile] : []), ...membersOf(previous)]);
  for await (const e of Deno.readDir(dir)) {
    const ours =
      /^(weights-[0-9a-f]{16}\.bin|gallery-[0-9a-f]{16}\.(json|f2vg)|cells-[0-9a-f]{16}\.f2vg|weights\.bin|gallery\.json)$/
        .test(
          e.name,
        );
    if (e.isFile && ours && !keep.has(e.name)) await Deno.remove(`${dir}/${e.name}`).catch(() => {});
  }
  gallery.segments.forEach((s, k) => nameSegment(s, segmentFiles[k]!));
  if (index) nameSegment(index.centres, indexFile!);
  return { model: { ...model, gallery }, revision: await revisionOf(text) };
}

/** The sha256 of a model's feature set and pipeline settings, as `model.json` records it. */
function pipelineDigest(info: Pick<ModelInfo, "features" | "pipeline">): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalJson({ features: info.features, pipeline: info.pipeline })));
}

/** Reads as {@linkcode ModelFolder.read} describes, again when a writer switched `model.json` meanwhile. */
async function readFrom(dir: string, options: LoadOptions, parts: PipelineParts): Promise<Loaded> {
  // A writer may switch model.json between our reading it and reading the files it names:
  // then read it again (the files of the model it replaced are kept for one generation).
  for (let attempt = 1;; attempt++) {
    try {
      return await loadOnce(dir, options.embeddings !== false, parts);
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

async function loadOnce(dir: string, embeddings: boolean, parts: PipelineParts): Promise<Loaded> {
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
  // The network that made its gallery's embeddings (the default when it names none).
  let network: SomeEmbedderEntry;
  try {
    network = recordedEmbedderOf(info.pipeline, parts);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw new ModelError(
      "mismatch",
      file,
      `pipeline: made with an embedding network this Face2Vec lacks (${e.message})`,
    );
  }
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
  checkWeights(info, weights, file, network.size);
  await checkContentName(dir, weightsFile, bytes);
  const model = {
    info,
    weights,
    gallery: await readGallery(dir, file, galleryName, galleryIndex, embeddings, network),
  };
  return { model, revision: await revisionOf(text) };
}

/** The text of a folder's `model.json` as it is now (checked to be a regular file), or undefined for none. */
async function readModelText(dir: string): Promise<string | undefined> {
  try {
    return await readRegularTextFile(`${dir}/model.json`);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    if (e instanceof FileKindError) throw new ModelError("invalid", e.file, e.reason);
    throw e;
  }
}

/**
 * The gallery a `model.json` names: segment files, or (version 1) one JSON file, or none; its
 * embeddings of the length and norms of the network that made them.
 */
async function readGallery(
  dir: string,
  file: string,
  named: unknown,
  indexName: unknown,
  embeddings: boolean,
  network: Pick<SomeEmbedderEntry, "size" | "norm">,
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
        text === undefined ? [] : parseGallery(text, `${dir}/${listed}`, network.size, network.norm),
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
      segment = await readSegment(path, network.size, { embeddings: whole, norm });
    } catch (e) {
      if (e instanceof SegmentError) throw new ModelError("invalid", path, e.message.slice(path.length + 2));
      throw e;
    }
    // Read without its embeddings (to append to the gallery), its name is checked by the next full load.
    if (segment.complete) await checkContentName(dir, name, segment.bytes);
    nameSegment(segment, name);
    return segment;
  };
  const segments = [];
  for (const name of names as string[]) segments.push(await read(name, embeddings, network.norm));
  const index = typeof indexName === "string"
    ? { centres: await read(indexName, true, { min: 0, max: network.norm.max }) }
    : undefined;
  try {
    return new Gallery(segments, index, names as string[]);
  } catch (e) {
    if (e instanceof RangeError) throw new ModelError("invalid", file, `gallery: ${e.message}`);
    throw e;
  }
}
