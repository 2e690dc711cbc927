/**
 * What an embedding network is to the rest of Face2Vec: the loaded embedder
 * ({@linkcode FaceEmbedder}) and the shape of its registry entry ({@linkcode EmbedderEntry}),
 * which owns everything about one network: its name, version, assets, output size and norm,
 * the settings it records in caches and models, and its factory. The registry itself is in
 * `embed_faces.ts`.
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import type { AlignOptions } from "./align_face.ts";
import type { PartAssets } from "../_asset.ts";

/** A loaded embedding network. Free it with `dispose()`. */
export interface FaceEmbedder {
  /** The alignment in force, defaults filled in. */
  readonly align: Readonly<Required<AlignOptions>>;
  /**
   * One embedding per face (given by its 68 landmarks), in one batched run.
   * @throws {Error} After `dispose()`.
   */
  embed(image: Image, faces: readonly (readonly Point[])[]): Promise<Float32Array[]>;
  /** The aligned chips the network sees (RGB), one per face. */
  chips(image: Image, faces: readonly (readonly Point[])[]): Promise<Image[]>;
  /** Frees its runtime memory. Idempotent. */
  dispose(): Promise<void>;
}

/** The options every embedding network takes: which network, and how faces are aligned. */
export interface EmbedderOptionsOf<Name extends string> {
  /** Which network. Default: the registry's default. */
  readonly network?: Name;
  /** How faces are aligned into chips (the chip size is fixed by the network's input). */
  readonly align?: Omit<AlignOptions, "size">;
  /**
   * Also embed each chip mirrored left to right, and take the mean of the two embeddings
   * (twice the network's time). Default false. Recorded as `embedder.mirror` when true.
   */
  readonly mirror?: boolean;
}

/** The settings of a network aligned by {@linkcode AlignOptions}: the alignment in force, and `mirror` when asked for. */
export type AlignedSettings = Required<AlignOptions> & { readonly mirror?: true };

/** One embedding network's registry entry; `Settings` are its options in force. */
export interface EmbedderEntry<Name extends string = string, Settings extends object = object> {
  /** The name `embedder.network` takes. */
  readonly name: Name;
  /**
   * Bumped when its embeddings change for the same options and assets; its `record` then
   * carries it (the entries that record their name, from 2 on).
   */
  readonly version: number;
  /** One line for the docs. */
  readonly description: string;
  readonly assets: PartAssets;
  /**
   * Numbers per embedding: the length every cache, model gallery and database made with this
   * network is checked against on load (found by `recordedEmbedder` from their recorded
   * settings), the length of the feature sets that use the embedding, and a database's
   * `vector(size)`.
   */
  readonly size: number;
  /** The range of an embedding's Euclidean norm that stored embeddings of this network must lie in when loaded. */
  readonly norm: { readonly min: number; readonly max: number };
  /**
   * Its default distances (Euclidean, on its embeddings as `embed` returns them), chosen on
   * lfw_min10's even-position people: `open`, beyond which a face is a stranger to a gallery
   * (the open-set threshold that minimises the largest error rate), and `verify`, beyond
   * which two faces are taken for different people (`compare`; the equal-error point).
   */
  readonly distances: { readonly open: number; readonly verify: number };
  /** Where its weights come from and whether their licence allows commercial use (a default must). */
  readonly licence: { readonly weights: string; readonly commercial: boolean };
  /**
   * Whether its recorded settings carry its name (an `embedder` field). Exactly one entry,
   * the network of every cache and model made before there was a choice, records none.
   */
  readonly recordsName: boolean;
  /**
   * The settings in force for `options`, defaults filled in, validated.
   * @throws {RangeError} For invalid options.
   */
  resolve(options: EmbedderOptionsOf<string>): Settings;
  /** The fields it adds to the recorded pipeline settings (plain, JSON-ready), before `assets`. */
  record(settings: Settings): Record<string, unknown>;
  /** The options that recorded pipeline settings describe (the inverse of `record`), or undefined when they record none. */
  optionsFrom(recorded: Readonly<Record<string, unknown>>): EmbedderOptionsOf<string> | undefined;
  /** The assets the settings load, by the key under which their sha256 is recorded in `assets`. */
  assetsInUse(settings: Settings): Readonly<Record<string, URL>>;
  /**
   * Loads the network.
   * @throws {Error} When its asset or the runtime cannot be loaded.
   */
  create(settings: Settings): Promise<FaceEmbedder>;
}
