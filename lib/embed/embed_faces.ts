/**
 * The learned face embedding: each face, aligned by its landmarks into a 150x150 chip, goes
 * through face-api.js's face recognition network (dlib's ResNet, converted to ONNX in
 * `lib/embed/models/`, run by onnxruntime-web) and comes out as 128 numbers. Faces of the
 * same person lie close together: distances are Euclidean on the vectors exactly as the
 * network outputs them (not normalised).
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import type { Point } from "../landmarks/point.ts";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import { readAsset } from "../_asset.ts";
import { alignmentTransform, type AlignOptions, extractChip, resolveAlignOptions } from "./align_face.ts";

/** Length of one embedding. */
export const EMBEDDING_SIZE = 128;

/**
 * The range of an embedding's Euclidean norm that stored embeddings (gallery segments,
 * caches) must lie in when loaded. The network's outputs are not unit-length: over 829 faces
 * (4 photos of each lfw_min10 person, all of orl_att_faces, the scene photos) their norms ran
 * from 1.22 to 1.68 (median 1.42). The range leaves a margin of more than 2× below and 1.7×
 * above that, and refuses what no photo gives: a zero vector, or 3e38 in every number.
 */
export const EMBEDDING_NORM = { min: 0.5, max: 3 } as const;

/** The network's input side in pixels. */
const INPUT = 150;

/** Load-time options of {@linkcode createEmbedder}. */
export interface EmbedderOptions {
  /** How faces are aligned into chips (the chip size is fixed at the network's 150). */
  readonly align?: Omit<AlignOptions, "size">;
}

/** A loaded embedding network. Free it with `dispose()`. */
export interface FaceEmbedder {
  /** The alignment in force, defaults filled in. */
  readonly align: Readonly<Required<AlignOptions>>;
  /**
   * One 128-d embedding per face (given by its 68 landmarks), in one batched run.
   * @throws {Error} After `dispose()`.
   */
  embed(image: Image, faces: readonly (readonly Point[])[]): Promise<Float32Array[]>;
  /** The aligned chips the network sees (150x150 RGB), one per face. */
  chips(image: Image, faces: readonly (readonly Point[])[]): Promise<Image[]>;
  /** Frees the ONNX session. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Where the bundled embedding model lives (beside this module, in a checkout or at a URL).
 *
 * @returns The asset's URL.
 */
export function embeddingModelUrl(): URL {
  return new URL("./models/face_recognition.onnx", import.meta.url);
}

/**
 * The alignment options in force for the embedder: defaults filled in, size fixed at 150.
 *
 * @throws {RangeError} For invalid options.
 */
export function resolveEmbedderOptions(options: EmbedderOptions = {}): Required<AlignOptions> {
  return resolveAlignOptions({ ...options.align, size: INPUT });
}

/**
 * Creates a face embedder.
 *
 * @param options Alignment (see {@linkcode AlignOptions}).
 * @returns The embedder; call `dispose()` when done.
 * @throws {RangeError} For invalid options.
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
export async function createEmbedder(options: EmbedderOptions = {}): Promise<FaceEmbedder> {
  const align = Object.freeze(resolveEmbedderOptions(options));
  const session: OnnxSession = await createOnnxSession(await readAsset(embeddingModelUrl()));
  let disposed = false;
  const chips = (image: Image, faces: readonly (readonly Point[])[]) =>
    Promise.all(faces.map((f) => extractChip(image, alignmentTransform(f, align), INPUT)));
  return {
    align,
    chips,
    async embed(image, faces) {
      if (disposed) throw new Error("FaceEmbedder.embed() called after dispose()");
      if (faces.length === 0) return [];
      const input = new Float32Array(faces.length * INPUT * INPUT * 3);
      (await chips(image, faces)).forEach((c, i) => input.set(c.data, i * INPUT * INPUT * 3));
      const out = await session.run({ input: { data: input, dims: [faces.length, INPUT, INPUT, 3] } });
      const v = out.embedding!.data;
      return faces.map((_, i) => v.slice(i * EMBEDDING_SIZE, (i + 1) * EMBEDDING_SIZE));
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}

/**
 * Euclidean distance between two vectors of equal length.
 *
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
