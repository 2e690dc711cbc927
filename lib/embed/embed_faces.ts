/**
 * The learned face embedding: the embedding networks, one registry entry each
 * ({@linkcode EMBEDDER_REGISTRY}; today dlib's ResNet as face-api.js ported it). Each face,
 * aligned by its landmarks into a chip, goes through the network and comes out as a vector;
 * faces of the same person lie close together. Each entry owns its name, version, assets,
 * size, norm, recorded settings and factory (see {@linkcode EmbedderEntry}); nothing else
 * branches on a network's name. Adding a network is its entry (a module beside this one, and
 * its line in the registry) and its asset line in `scripts/make_assets.ts`.
 *
 * @module
 */

import { DLIB_RESNET_EMBEDDER } from "./dlib_resnet.ts";
import { MOBILEFACENET_EMBEDDER } from "./mobilefacenet.ts";
import type { EmbedderEntry, EmbedderOptionsOf, FaceEmbedder } from "./embedder_entry.ts";

export type { EmbedderEntry, FaceEmbedder } from "./embedder_entry.ts";

/**
 * Every embedding network by name, the default first: `dlib_resnet`, dlib's ResNet
 * (face-api.js's port), and `mobilefacenet`, sirius-ai's MobileFaceNet.
 */
export const EMBEDDER_REGISTRY = Object.freeze({
  dlib_resnet: DLIB_RESNET_EMBEDDER,
  mobilefacenet: MOBILEFACENET_EMBEDDER,
});

/** The names of the embedding networks (the keys of {@linkcode EMBEDDER_REGISTRY}). */
export type EmbedderName = keyof typeof EMBEDDER_REGISTRY;

/** The network used when none is named. */
export const DEFAULT_EMBEDDER: EmbedderName = "dlib_resnet";

/** An entry of any options or settings (what a registry holds). */
// deno-lint-ignore no-explicit-any
export type SomeEmbedderEntry = EmbedderEntry<string, any>;

/**
 * A set of embedding network entries by name: {@linkcode EMBEDDER_REGISTRY}, or another one
 * given to the functions here (a test's own network, injected without editing the registry).
 */
export type EmbedderRegistry = Readonly<Record<string, SomeEmbedderEntry>>;

/** Load-time options of {@linkcode createEmbedder}: the network and the alignment. */
export type EmbedderOptions = EmbedderOptionsOf<EmbedderName>;

/**
 * Length of one embedding of the default network (its entry's `size`). Data made by another
 * network is checked against its own entry (see {@linkcode recordedEmbedder}).
 */
export const EMBEDDING_SIZE: number = EMBEDDER_REGISTRY[DEFAULT_EMBEDDER].size;

/**
 * The range of an embedding's Euclidean norm that stored embeddings (gallery segments,
 * caches) must lie in when loaded: the default network's (see its entry's `norm`). Data made
 * by another network is checked against its own entry (see {@linkcode recordedEmbedder}).
 */
export const EMBEDDING_NORM: { readonly min: number; readonly max: number } = EMBEDDER_REGISTRY[DEFAULT_EMBEDDER].norm;

/**
 * An embedding network's entry by name.
 *
 * @param name A network's name.
 * @param registry The entries to look in. Default {@linkcode EMBEDDER_REGISTRY}.
 * @returns The entry.
 * @throws {RangeError} For an unknown name, listing the known ones.
 * @example
 * ```ts
 * import { embedderEntry } from "./embed_faces.ts";
 * if (embedderEntry("dlib_resnet").size !== 128) throw new Error();
 * ```
 */
export function embedderEntry(
  name: string,
  registry: EmbedderRegistry = EMBEDDER_REGISTRY,
): SomeEmbedderEntry {
  const entry = Object.hasOwn(registry, name) ? registry[name] : undefined;
  if (!entry) throw new RangeError(`embedding network must be ${Object.keys(registry).join(" | ")}, got ${name}`);
  return entry;
}

/**
 * The entry and the settings in force for `options`.
 *
 * @param options The network and the alignment.
 * @param registry The entries. Default {@linkcode EMBEDDER_REGISTRY}.
 * @returns The entry and its settings.
 * @throws {RangeError} For an unknown network or invalid options.
 */
export function resolveEmbedder(
  options: EmbedderOptionsOf<string> = {},
  registry: EmbedderRegistry = EMBEDDER_REGISTRY,
): { entry: SomeEmbedderEntry; settings: object } {
  const entry = embedderEntry(options.network ?? DEFAULT_EMBEDDER, registry);
  return { entry, settings: entry.resolve(options) };
}

/**
 * The embedder options that recorded pipeline settings describe: the network their
 * `embedder.network` names, else the one that records no name (every cache and model made
 * before there was a choice); undefined when they record no embedder.
 *
 * @param recorded Pipeline settings from a cache or model.
 * @param registry The entries. Default {@linkcode EMBEDDER_REGISTRY}.
 * @returns The options, or undefined. A network not in the registry is named as recorded,
 * so that resolving the options (creating the pipeline, comparing settings) refuses it.
 * @example
 * ```ts
 * import { embedderOptionsFrom } from "./embed_faces.ts";
 * const o = embedderOptionsFrom({ align: { method: "box", size: 150, padding: 0.25, points: [36, 45] } });
 * if (o?.align?.method !== "box" || "size" in (o.align ?? {})) throw new Error(JSON.stringify(o));
 * if (embedderOptionsFrom({}) !== undefined) throw new Error();
 * ```
 */
export function embedderOptionsFrom(
  recorded: Readonly<Record<string, unknown>>,
  registry: EmbedderRegistry = EMBEDDER_REGISTRY,
): EmbedderOptionsOf<string> | undefined {
  const named = (recorded.embedder as { network?: unknown } | undefined)?.network;
  if (named === undefined) return Object.values(registry).find((e) => !e.recordsName)?.optionsFrom(recorded);
  // A network not in the registry is named as recorded: resolving it then says it is unknown.
  return Object.hasOwn(registry, String(named))
    ? embedderEntry(String(named), registry).optionsFrom(recorded)
    : { network: String(named) };
}

/**
 * The entry of the network that made the embeddings of a cache or model, from its recorded
 * pipeline settings: the one their `embedder.network` names, else the one that records no
 * name (the default network, of every cache and model made before there was a choice). What
 * a stored embedding's length and norm must be is that entry's `size` and `norm`.
 *
 * @param recorded Pipeline settings from a cache or model (or a cache's whole configuration).
 * @param registry The entries. Default {@linkcode EMBEDDER_REGISTRY}.
 * @returns The entry.
 * @throws {RangeError} When they name a network not in `registry` (the message names it and
 * the known ones).
 * @example
 * ```ts
 * import { recordedEmbedder } from "./embed_faces.ts";
 * if (recordedEmbedder({}).name !== "dlib_resnet") throw new Error("no name: the default network");
 * let refused = "";
 * try {
 *   recordedEmbedder({ embedder: { network: "other" } });
 * } catch (e) {
 *   refused = (e as Error).message;
 * }
 * if (refused !== "embedding network must be dlib_resnet | mobilefacenet, got other") throw new Error(refused);
 * ```
 */
export function recordedEmbedder(
  recorded: Readonly<Record<string, unknown>>,
  registry: EmbedderRegistry = EMBEDDER_REGISTRY,
): SomeEmbedderEntry {
  const named = (recorded.embedder as { network?: unknown } | undefined)?.network;
  if (named !== undefined) return embedderEntry(String(named), registry);
  const unnamed = Object.values(registry).find((e) => !e.recordsName);
  if (!unnamed) throw new RangeError("no embedding network records no name: the default is missing");
  return unnamed;
}

/**
 * Creates a face embedder.
 *
 * @param options The network (default {@linkcode DEFAULT_EMBEDDER}) and the alignment (see `AlignOptions` in align_face.ts).
 * @param registry The entries. Default {@linkcode EMBEDDER_REGISTRY}.
 * @returns The embedder; call `dispose()` when done.
 * @throws {RangeError} For an unknown network or invalid options.
 * @example
 * ```ts
 * import { createEmbedder, euclidean } from "./embed_faces.ts";
 * import { templatePoint } from "./align_face.ts";
 * const embedder = await createEmbedder();
 * try {
 *   // A gray image whose landmarks are the template's: the chip is the image itself.
 *   const img = { width: 150, height: 150, channels: 1 as const, data: new Uint8Array(150 * 150).fill(90) };
 *   const face = Array.from({ length: 68 }, (_, i) => (i >= 17 ? templatePoint(i) : { x: 75, y: 75 }));
 *   const [a, b] = await embedder.embed(img, [face, face]);
 *   if (a?.length !== 128 || euclidean(a, b!) > 1e-5) throw new Error("expected two equal 128-d vectors");
 * } finally {
 *   await embedder.dispose();
 * }
 * ```
 */
export function createEmbedder(
  options: EmbedderOptions = {},
  registry: EmbedderRegistry = EMBEDDER_REGISTRY,
): Promise<FaceEmbedder> {
  const { entry, settings } = resolveEmbedder(options, registry);
  return entry.create(settings);
}

/**
 * Euclidean distance between two vectors of equal length.
 *
 * @param a A vector.
 * @param b Another, as long.
 * @returns The distance.
 * @throws {RangeError} For vectors of different lengths.
 * @example
 * ```ts
 * import { euclidean } from "./embed_faces.ts";
 * if (euclidean([0, 3], [4, 0]) !== 5) throw new Error();
 * ```
 */
export function euclidean(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`vectors of different lengths (${a.length} and ${b.length})`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
