/**
 * Today's embedding network: dlib's ResNet face recognition model as face-api.js ported it,
 * converted to ONNX (`lib/embed/models/face_recognition.onnx`, run by onnxruntime-web). Each
 * face, aligned by its landmarks into a 150x150 chip, comes out as 128 numbers; faces of the
 * same person lie close together (Euclidean distances on the vectors exactly as the network
 * outputs them, not normalised). Its registry entry is {@linkcode DLIB_RESNET_EMBEDDER}.
 *
 * @module
 */

import { type AlignOptions, resolveAlignOptions } from "./align_face.ts";
import type { AlignedSettings, EmbedderEntry, EmbedderOptionsOf, FaceEmbedder } from "./embedder_entry.ts";
import { alignOf, createChipEmbedder } from "./_chip_embedder.ts";

/** The network's input side in pixels. */
const INPUT = 150;
/** Numbers per embedding. */
const SIZE = 128;

/** Where the converted model lives (beside this module, in a checkout or at a URL). */
const MODEL = new URL("./models/face_recognition.onnx", import.meta.url);

/**
 * The registry entry of dlib's ResNet (the default embedding network). Its settings are
 * recorded as before there was a choice of network: the alignment as `align` (chip size 150
 * included) and the model's sha256 as `assets.embedding_model`, without its name.
 */
export const DLIB_RESNET_EMBEDDER: EmbedderEntry<"dlib_resnet", AlignedSettings> = Object.freeze({
  name: "dlib_resnet",
  version: 1,
  description: "dlib's ResNet face recognition network (face-api.js's port) as ONNX: 150x150 chips, 128 numbers",
  assets: Object.freeze({
    files: Object.freeze([MODEL]),
    provenance: new URL("./models/PROVENANCE.md", import.meta.url),
  }),
  size: SIZE,
  // The network's outputs are not unit-length: over 829 faces (4 photos of each lfw_min10
  // person, all of orl_att_faces, the scene photos) their norms ran from 1.22 to 1.68 (median
  // 1.42). The range leaves a margin of more than 2× below and 1.7× above that, and refuses
  // what no photo gives: a zero vector, or 3e38 in every number.
  norm: Object.freeze({ min: 0.5, max: 3 }),
  // Chosen with `deno task tune embed` on lfw_min10's even-position people (their even-position
  // photos; half of the people enrolled with half of their photos): `open` minimises the
  // largest of the open-set error rates; `verify` is the equal-error point of every
  // same/different pair, rounded. `verify` is larger because a gallery compares a stranger with
  // many people at once (the nearest of many is closer than a typical one), a 1:1 check with one.
  distances: Object.freeze({ open: 0.455, verify: 0.63 }),
  licence: Object.freeze({
    weights: "dlib's model by Davis King, released to the public domain (CC0); face-api.js's port, MIT",
    commercial: true,
  }),
  recordsName: false,
  resolve: (options: EmbedderOptionsOf<string>) => ({
    ...resolveAlignOptions({ ...options.align, size: INPUT }),
    ...(options.mirror ? { mirror: true as const } : {}),
  }),
  // Without `mirror`, exactly what caches and models recorded before there was a choice.
  record: (settings: AlignedSettings) => ({
    ...(settings.mirror ? { embedder: { mirror: true } } : {}),
    align: alignOf(settings),
  }),
  optionsFrom(recorded: Readonly<Record<string, unknown>>): EmbedderOptionsOf<string> | undefined {
    const stored = recorded.align as AlignOptions | undefined;
    if (!stored) return undefined;
    const { size: _size, ...align } = stored;
    const mirror = (recorded.embedder as { mirror?: unknown } | undefined)?.mirror === true;
    return { align, ...(mirror ? { mirror } : {}) };
  },
  assetsInUse: () => ({ embedding_model: MODEL }),
  create: createDlibResnetEmbedder,
});

/** Loads the network (chip size 150). */
function createDlibResnetEmbedder(settings: AlignedSettings): Promise<FaceEmbedder> {
  return createChipEmbedder({ model: MODEL, side: INPUT, size: SIZE }, settings);
}
