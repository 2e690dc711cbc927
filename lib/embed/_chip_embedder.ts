/**
 * What every aligned-chip embedding network's embedder does: align each face into a chip,
 * run the ONNX network on the batch (with each chip's mirror image too when `mirror` is set,
 * taking the mean of the two), and post-process each vector. The networks' entries
 * (`dlib_resnet.ts`, `mobilefacenet.ts`) differ only in what they pass here.
 *
 * @module
 */

import { readAsset } from "../_asset.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import { alignmentTransform, type AlignOptions, extractChip, mirrorChip } from "./align_face.ts";
import type { AlignedSettings, FaceEmbedder } from "./embedder_entry.ts";

/** One network's part of an embedder. */
export interface ChipNetwork {
  /** The ONNX model: input `input` [N, side, side, 3] RGB 0–255, output `embedding` [N, size]. */
  readonly model: URL;
  readonly side: number;
  readonly size: number;
  /** Applied to each output vector (and to the mean of a chip's and its mirror's), e.g. L2 normalisation. */
  readonly post?: (v: Float32Array) => Float32Array;
}

/** `v` scaled to unit length (a zero vector stays zero, and the norm check on load refuses it). */
export function unitLength(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return n > 0 ? v.map((x) => x / n) : v;
}

/** The alignment part of settings (without `mirror`): what `FaceEmbedder.align` reports and caches record as `align`. */
export function alignOf(settings: AlignedSettings): Required<AlignOptions> {
  const { mirror: _mirror, ...align } = settings;
  return { ...align, points: [...align.points] };
}

/**
 * Loads a chip network as a {@linkcode FaceEmbedder}.
 *
 * @param net The network.
 * @param settings The alignment in force (chip size = `net.side`) and `mirror`.
 * @returns The embedder; call `dispose()` when done.
 */
export async function createChipEmbedder(net: ChipNetwork, settings: AlignedSettings): Promise<FaceEmbedder> {
  const align = Object.freeze(alignOf(settings));
  const mirror = settings.mirror === true;
  const post = net.post ?? ((v: Float32Array) => v);
  const session: OnnxSession = await createOnnxSession(await readAsset(net.model));
  const pixels = net.side * net.side * 3;
  let disposed = false;
  const chips = (image: Image, faces: readonly (readonly Point[])[]) =>
    Promise.all(faces.map((f) => extractChip(image, alignmentTransform(f, align), net.side)));
  return {
    align,
    chips,
    async embed(image, faces) {
      if (disposed) throw new Error("FaceEmbedder.embed() called after dispose()");
      if (faces.length === 0) return [];
      const made = await chips(image, faces);
      const batch = mirror ? [...made, ...made.map(mirrorChip)] : made;
      const input = new Float32Array(batch.length * pixels);
      batch.forEach((c, i) => input.set(c.data, i * pixels));
      const out = await session.run({ input: { data: input, dims: [batch.length, net.side, net.side, 3] } });
      const v = out.embedding!.data;
      const one = (i: number) => post(v.slice(i * net.size, (i + 1) * net.size));
      return faces.map((_, i) => {
        if (!mirror) return one(i);
        const a = one(i), b = one(faces.length + i);
        return post(a.map((x, k) => (x + b[k]!) / 2));
      });
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}
