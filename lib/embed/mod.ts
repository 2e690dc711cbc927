/**
 * The embedding in detail: the alignment of a face onto dlib's mean face (a similarity
 * transform from its landmarks), the aligned chip, and the embedder's options.
 *
 * ```ts
 * import { applyAffine, fitSimilarity } from "./mod.ts";
 * // Points scaled by 2 and shifted by (1, 1): the fitted transform maps one set onto the other.
 * const from = [{ x: 0, y: 0 }, { x: 1, y: 0 }, { x: 0, y: 1 }];
 * const to = from.map((p) => ({ x: 2 * p.x + 1, y: 2 * p.y + 1 }));
 * const p = applyAffine(fitSimilarity(from, to), { x: 1, y: 1 });
 * if (Math.abs(p.x - 3) > 1e-9 || Math.abs(p.y - 3) > 1e-9) throw new Error(JSON.stringify(p));
 * ```
 *
 * @module
 */

export {
  type Affine,
  alignmentTransform,
  type AlignMethod,
  type AlignOptions,
  applyAffine,
  DEFAULT_ALIGN_OPTIONS,
  extractChip,
  fitSimilarity,
} from "./align_face.ts";
export { type EmbedderOptions, EMBEDDING_SIZE, type FaceEmbedder } from "./embed_faces.ts";
