import { sha256Hex } from "../_asset.ts";
import { listImages } from "../image/list_images.ts";
import { ImageError } from "../image/image_error.ts";
import { readPhotoBytes } from "../image/read_image.ts";
import { DEFAULT_FEATURE_SET, featureSet } from "../features/feature_sets.ts";
import {
  type CachedFaces,
  cachedFaces,
  CacheError,
  type CacheRecord,
  CacheWriter,
  compactCache,
  readCache,
} from "./cache.ts";
import { DEFAULT_EMBEDDER, recordedEmbedder } from "../embed/embed_faces.ts";
import { configDifference } from "../_config.ts";
import { withCacheLock } from "./cache_lock.ts";
import { detectLabelRule, labelOf, type LabelRule } from "./labels.ts";
import {
  createPipeline,
  detectorOf,
  type PipelineOptions,
  pipelineOptionsFrom,
  pipelineSettings,
} from "../pipeline/pipeline.ts";
import type { PipelineParts } from "../pipeline/parts.ts";
import { type PhotoTask, processPhoto } from "./photo_record.ts";
import { folderIdentity, type Shard, shardOf, shardText } from "./shard.ts";

/** Options of {@linkcode preprocessFolder}. */
export interface PreprocessOptions extends PipelineOptions {
  /** The cache file. Default: {@linkcode defaultCachePath}, `./.face2vec/<folder name>-<hash>.<feature set>.cache`. */
  readonly cache?: string;
  /** Label rule; default: `"folder"` when photos sit in person folders, else `"filename"`. */
  readonly labels?: LabelRule;
  /**
   * Which faces of each photo are cached: the largest (what training uses) or every one (the
   * every-face cache that clustering reads, format version 2). Default `"largest"`.
   */
  readonly faces?: CachedFaces;
  /** Parallel Deno workers; 1 = in this thread. Default: the number of cores. */
  readonly workers?: number;
  /**
   * Only this shard of the photos (see `shard.ts`), into a cache of its own that records it;
   * `mergeCaches` combines every shard's. Default: every photo.
   */
  readonly shard?: Shard;
  /** Called once per photo as it is done (processed or found in the cache), in completion order. */
  readonly onPhoto?: (event: { record: CacheRecord; cached: boolean; total: number }) => void | Promise<void>;
  /** Called before any photo with the number of photos found. */
  readonly onStart?: (total: number) => void;
  /** Drop the old cache's damaged lines (their photos are processed again) instead of refusing it. Default false. */
  readonly dropDamaged?: boolean;
  /** How long to wait for another writer of the same cache, in ms. Default 60 000. */
  readonly lockTimeoutMs?: number;
  /** Called once when another process is writing the cache, before waiting for it. */
  readonly onWait?: (holder: string, cache: string) => void;
  /**
   * The registries the pipeline's parts come from, and in which the old cache's network is
   * looked up. Default the library's, `PIPELINE_PARTS`. Entries given here live in this
   * thread only: with them, photos are processed here (one worker).
   */
  readonly parts?: PipelineParts;
}

/** What a run did. */
export interface PreprocessSummary {
  /** The cache file written. */
  readonly cache: string;
  readonly labelRule: LabelRule;
  /** Photos processed in this run. */
  readonly processed: number;
  /** Photos whose record was reused (unchanged since the last run). */
  readonly cached: number;
  /** Photos with no face (this run or cached). */
  readonly noFace: number;
  /** Photos that could not be used, with the reason (this run or cached). */
  readonly errors: readonly { readonly path: string; readonly reason: string }[];
  /** Photos with several faces (the largest was used). */
  readonly multiFace: readonly string[];
  /** Records dropped because their photo is gone. */
  readonly removed: readonly string[];
  /** Usable photos (status "ok") per label. */
  readonly labels: Readonly<Record<string, number>>;
  /** True when the previous run was interrupted mid-write (its last partial line was dropped). */
  readonly recoveredPartialLine: boolean;
  /** Damaged lines of the old cache dropped with `dropDamaged` (1-based line numbers); their photos were processed again. */
  readonly droppedLines: readonly number[];
}

/**
 * The default cache for a folder and feature set: `./.face2vec/<name>-<hash>.<features>.cache`,
 * where the hash (8 hex digits of the sha256 of the folder's real path) keeps two folders
 * with the same name apart. A cache made before the hash was added
 * (`./.face2vec/<name>.<features>.cache`) is still used when it is the only one there is.
 *
 * @param folder The photo folder.
 * @param features The feature set's name.
 * @returns The cache path.
 */
export async function defaultCachePath(folder: string, features: string): Promise<string> {
  const name = folder.replace(/\/+$/, "").split("/").pop() || "photos";
  const real = await Deno.realPath(folder).catch(() => folder);
  const hashed = `./.face2vec/${name}-${
    (await sha256Hex(new TextEncoder().encode(real))).slice(0, 8)
  }.${features}.cache`;
  const before = `./.face2vec/${name}.${features}.cache`;
  const isFile = (p: string) => Deno.stat(p).then((s) => s.isFile, () => false);
  return !(await isFile(hashed)) && await isFile(before) ? before : hashed;
}

/**
 * The cache `evaluate` uses for a folder: the folder's default cache when `preprocess` made
 * one (it is brought up to date), otherwise one under `./.face2vec/evaluate/`, where `train`
 * does not look for caches (so an evaluation never leaves a second training cache behind).
 *
 * @param folder The folder evaluated.
 * @param features The model's feature set.
 * @returns The cache path.
 */
export async function evaluationCachePath(folder: string, features: string): Promise<string> {
  const trained = await defaultCachePath(folder, features);
  try {
    if ((await Deno.stat(trained)).isFile) return trained;
  } catch {
    // no preprocess cache for this folder
  }
  return trained.replace("./.face2vec/", "./.face2vec/evaluate/");
}

/**
 * Finds the cache to use: the one given, or the only one under `./.face2vec/`.
 *
 * @returns The path, or an error message naming the candidates.
 */
export async function findCache(given?: string): Promise<{ path: string } | { error: string }> {
  if (given !== undefined) return { path: given };
  const found = await cachesIn("./.face2vec");
  if (found.length === 1) return { path: found[0]! };
  if (found.length > 1) {
    return { error: `several caches under ./.face2vec/, choose one with --cache: ${found.join(", ")}` };
  }
  // Before paths were the user's, default caches were written into the project's own folder.
  const project = new URL("../../.face2vec", import.meta.url);
  const there = project.protocol === "file:" && decodeURIComponent(project.pathname) !== `${Deno.cwd()}/.face2vec`
    ? await cachesIn(decodeURIComponent(project.pathname))
    : [];
  const hint = there.length
    ? ` (the project's own folder has caches, where a run from there or an earlier version writes them: ${
      there.join(", ")
    }; pass one with --cache)`
    : "";
  return { error: `no cache under ./.face2vec/: run \`deno task preprocess <folder>\` first, or pass --cache${hint}` };
}

/** The `.cache` files directly in `dir` (none when it does not exist), sorted, named as `dir/name`. */
async function cachesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".cache")) found.push(`${dir}/${e.name}`);
    }
  } catch {
    // no folder: no cache
  }
  return found.sort();
}

/**
 * Preprocesses a folder of photos named by person into a cache of features: incremental
 * (only new or changed photos are processed; vanished ones are dropped), resumable (records
 * are appended as photos finish), and atomic (the cache is compacted into a temporary file
 * renamed over the old one at the end).
 *
 * @param folder The dataset folder.
 * @param options Cache, labels, workers, pipeline options, progress callbacks.
 * @returns What the run did.
 * @throws {CacheError} When the cache is corrupt or was made with another configuration
 * (the message names the setting that differs).
 * @throws {LockError} When another process writes the cache for longer than `lockTimeoutMs`.
 */
export async function preprocessFolder(folder: string, options: PreprocessOptions = {}): Promise<PreprocessSummary> {
  const features = featureSet(options.features ?? DEFAULT_FEATURE_SET).name;
  const cachePath = options.cache ?? await defaultCachePath(folder, features);
  // One writer at a time per cache: a second run waits, then finds the first's records cached.
  return await withCacheLock(cachePath, () => preprocessLocked(folder, cachePath, options), {
    timeoutMs: options.lockTimeoutMs,
    onWait: (holder) => options.onWait?.(holder, cachePath),
  });
}

async function preprocessLocked(
  folder: string,
  cachePath: string,
  options: PreprocessOptions,
): Promise<PreprocessSummary> {
  const root = folder.replace(/\/+$/, "");
  const listed = await listImages([root]);
  // The label rule is the whole folder's, whichever shard is processed.
  const labelRule = options.labels ?? detectLabelRule(listed.map((p) => p.relative));
  const shard = options.shard;
  const photos = shard ? listed.filter((p) => shardOf(p.relative, shard.count) === shard.index) : listed;
  const parts = options.parts;
  const old = await readCache(cachePath, { dropDamaged: options.dropDamaged, parts });
  // The detector: the one asked for, else the one the cache records (Haar's when it records
  // none), else the default; its landmark crop comes with it.
  // The embedding network likewise: the one asked for, else the one the cache records.
  if (old && (options.detector === undefined || options.embedder?.network === undefined)) {
    const stored = pipelineOptionsFrom(old.config, options.features ?? DEFAULT_FEATURE_SET, parts);
    if (options.detector === undefined) {
      options = { ...options, detector: stored.detector, landmarks: options.landmarks ?? stored.landmarks };
    }
    if (options.embedder?.network === undefined && stored.embedder) {
      options = { ...options, embedder: { ...stored.embedder, ...options.embedder } };
    }
  }
  const { settings, features: recorded } = await pipelineSettings(options, parts);
  const faces = options.faces ?? "largest";
  // A largest-face cache's configuration stays as it has been since version 1.
  const config = { ...settings, features: recorded, labels: labelRule, ...(faces === "all" ? { faces } : {}) };
  if (old) {
    if ((old.shard && shardText(old.shard)) !== (shard && shardText(shard))) {
      throw new CacheError(
        `${cachePath}: ${old.shard ? `the cache of shard ${shardText(old.shard)}` : "not the cache of a shard"}, ` +
          `not of ${shard ? `shard ${shardText(shard)}` : "the whole folder"}; use another --cache${
            old.shard && !shard ? " (or merge the shards' caches with --merge)" : ""
          }`,
      );
    }
    if (cachedFaces(old.config) !== faces) {
      throw new CacheError(
        `${cachePath}: a cache of ${
          cachedFaces(old.config) === "all" ? "every face" : "the largest face"
        } of each photo, ` +
          `not of ${faces === "all" ? "every face" : "the largest face"}; use another --cache or delete it`,
      );
    }
    const was = detectorOf(pipelineOptionsFrom(old.config, recorded.name, parts)), now = detectorOf(options);
    if (was !== now) {
      throw new CacheError(
        `${cachePath}: made with the ${was} detector, not ${now}; use another --cache (or --detector ${was}) or delete it`,
      );
    }
    const wasNet = recordedEmbedder(old.config, parts?.embedders).name;
    const nowNet = options.embedder?.network ?? DEFAULT_EMBEDDER;
    if (featureSet(recorded.name).needsEmbedding && wasNet !== nowNet) {
      throw new CacheError(
        `${cachePath}: made with the ${wasNet} embedding network, not ${nowNet}; use another --cache (or --embedder ${wasNet}) or delete it`,
      );
    }
    // The feature set first: a cache of another set differs in many settings, and its name says why.
    const diff = configDifference(old.config.features, config.features, "features") ??
      configDifference(old.config, config);
    if (diff) {
      throw new CacheError(
        `${cachePath}: made with another configuration (${diff}); use another --cache or delete it`,
      );
    }
  }
  const records = new Map(old?.records ?? []);
  // A shard's cache records the whole folder it is a part of, and is marked unfinished until
  // the run's last rewrite (a run stopped half-way is then seen by --merge).
  const run = shard && { shard, folder: await folderIdentity(listed.map((p) => p.relative)), complete: false };
  if (old && run) await compactCache(cachePath, config, records.values(), run);
  const writer = await CacheWriter.open(cachePath, config, old === undefined, run);
  const present = new Set(photos.map((p) => p.relative));
  const removed = [...records.keys()].filter((p) => !present.has(p));
  for (const p of removed) {
    records.delete(p);
    await writer.append({ path: p, removed: true });
  }
  options.onStart?.(photos.length);
  let processed = 0, cached = 0;
  try {
    // Photos are read and hashed one at a time as workers ask for them (never all in memory).
    const tasks = async function* (): AsyncGenerator<PhotoTask> {
      for (const p of photos) {
        let bytes: Uint8Array;
        try {
          bytes = await readPhotoBytes(p.path, { name: p.relative });
        } catch (e) {
          // A link to nowhere, a FIFO, a device: that photo's error; the run goes on.
          if (!(e instanceof ImageError)) throw e;
          await done({ path: p.relative, hash: "", label: "", status: "error", reason: e.reason });
          continue;
        }
        const hash = await sha256Hex(bytes);
        const known = records.get(p.relative);
        if (known && known.hash === hash) {
          cached++;
          await options.onPhoto?.({ record: known, cached: true, total: photos.length });
          continue;
        }
        let label: PhotoTask["label"];
        try {
          label = { value: labelOf(p.relative, labelRule) };
          // A name of spaces alone is no name: the cache would be refused on reading.
          if (labelRule !== "none" && label.value.trim() === "") {
            throw new RangeError(`blank label by ${labelRule} rule`);
          }
        } catch (e) {
          label = { error: e instanceof Error ? e.message : String(e) };
        }
        yield { relative: p.relative, bytes, hash, label };
      }
    };
    const done = async (record: CacheRecord) => {
      records.set(record.path, record);
      await writer.append(record);
      processed++;
      await options.onPhoto?.({ record, cached: false, total: photos.length });
    };
    // Only as many workers as there are photos not yet in the cache (at most).
    const changed = photos.filter((p) => records.get(p.relative) === undefined).length;
    const workers = parts
      ? 1
      : Math.max(1, Math.min(options.workers ?? navigator.hardwareConcurrency, Math.max(1, changed)));
    if (workers === 1) await runHere(tasks(), options, faces, done, parts);
    else await runInWorkers(tasks(), options, faces, workers, done);
  } finally {
    writer.close();
  }
  await compactCache(cachePath, config, records.values(), run && { ...run, complete: true });
  const all = [...records.values()];
  const labels: Record<string, number> = {};
  for (const r of all) if (r.status === "ok" && labelRule !== "none") labels[r.label] = (labels[r.label] ?? 0) + 1;
  return {
    cache: cachePath,
    labelRule,
    processed,
    cached,
    noFace: all.filter((r) => r.status === "no_face").length,
    errors: all.filter((r) => r.status === "error").map((r) => ({ path: r.path, reason: r.reason ?? "" })),
    multiFace: all.filter((r) => (r.faces ?? 0) > 1).map((r) => r.path),
    removed,
    labels: Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1))),
    recoveredPartialLine: old?.droppedPartialLine ?? false,
    droppedLines: old?.droppedLines ?? [],
  };
}

async function runHere(
  tasks: AsyncGenerator<PhotoTask>,
  options: PipelineOptions,
  faces: CachedFaces,
  done: (r: CacheRecord) => Promise<void>,
  parts?: PipelineParts,
) {
  let pipeline: Awaited<ReturnType<typeof createPipeline>> | undefined;
  try {
    for await (const task of tasks) {
      pipeline ??= await createPipeline(options, { parts });
      await done(await processPhoto(pipeline, task, faces));
    }
  } finally {
    await pipeline?.dispose();
  }
}

async function runInWorkers(
  tasks: AsyncGenerator<PhotoTask>,
  options: PipelineOptions,
  faces: CachedFaces,
  n: number,
  done: (r: CacheRecord) => Promise<void>,
) {
  const init: PipelineOptions = {
    detector: options.detector,
    landmarks: options.landmarks,
    features: options.features,
    embedder: options.embedder,
  };
  const url = new URL("./_preprocess_worker.ts", import.meta.url);
  const pool = Array.from({ length: n }, () => new Worker(url, { type: "module" }));
  let failure: Error | undefined;
  let id = 0;
  const inFlight = new Map<number, string>();
  // Results are written one at a time, in the order they arrive.
  let writing = Promise.resolve();
  try {
    await Promise.all(pool.map((w) =>
      new Promise<void>((resolve, reject) => {
        const feed = async () => {
          const t = failure ? undefined : await tasks.next();
          if (!t || t.done) {
            resolve();
            return;
          }
          inFlight.set(++id, t.value.relative);
          w.postMessage({ id, task: t.value });
        };
        w.onmessage = (e: MessageEvent<{ ready?: true; id?: number; record?: CacheRecord; error?: string }>) => {
          if (e.data.ready) return void feed().catch(reject);
          if (e.data.error !== undefined) {
            failure = new Error(`${inFlight.get(e.data.id!)}: ${e.data.error}`);
            return reject(failure);
          }
          inFlight.delete(e.data.id!);
          const record = e.data.record!;
          writing = writing.then(() => done(record));
          writing.then(feed, reject).catch(reject);
        };
        w.onerror = (e) => {
          e.preventDefault();
          failure = new Error(`preprocess worker failed: ${e.message}`);
          reject(failure);
        };
        w.postMessage({ init, faces });
      })
    ));
    await writing;
  } finally {
    for (const w of pool) w.terminate();
  }
}
