/**
 * Makes the project's model assets from pinned npm packages, reproducibly.
 *
 * - `lib/detect/cascades/haarcascade_*.xml`: OpenCV's Haar face cascades, copied byte for
 *   byte (licence header kept) from `opencv4nodejs@5.6.0` (MIT; the files carry Intel's
 *   OpenCV licence), plus `PROVENANCE.md` with each file's sha256.
 *
 * - `lib/landmarks/models/face_landmark_68{,_tiny}.onnx`: face-api.js's 68-point landmark
 *   networks (`@vladmandic/face-api@1.7.15`, MIT), converted to standard opset-13 ONNX with
 *   float32 weights dequantised as face-api does (see `scripts/_faceapi.ts`).
 *
 * - `lib/embed/models/face_recognition.onnx`: face-api.js's face recognition network (the
 *   128-d descriptor; same package), converted to standard opset-13 ONNX with its uint8
 *   weights kept quantised behind DequantizeLinear nodes (see `scripts/_faceapi.ts`).
 *
 * Usage: `deno task assets` writes them. `deno task assets --check [--json]` compares the
 * committed assets with a fresh build and runs each model (committed, and with its other
 * weight storage) against face-api's own forward pass (`scripts/_verify_assets.ts`); it
 * prints the figures (as JSON with `--json`) and exits 1 when anything differs or is off.
 *
 * @module
 */

import { sha256Hex } from "../lib/_asset.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { FACE_API, npmFile, ROOT } from "../lib/eval/npm.ts";
import { NETWORKS, readWeights, sourceFile } from "./_faceapi.ts";
import { checkModels, LIMITS, passes } from "./_verify_assets.ts";

const OPENCV4NODEJS = {
  name: "opencv4nodejs",
  version: "5.6.0",
  licence:
    "MIT (package); Intel License Agreement for Open Source Computer Vision Library (cascade files, header kept)",
} as const;
const CASCADE_FILES = ["frontalface_default", "frontalface_alt", "frontalface_alt2"];

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

/** Builds every asset in memory from the installed pinned packages. */
export async function buildAssets(): Promise<Asset[]> {
  const assets: Asset[] = [];
  const rows: string[] = [];
  for (const name of CASCADE_FILES) {
    const file = `haarcascade_${name}.xml`;
    const bytes = await Deno.readFile(npmFile(OPENCV4NODEJS.name, OPENCV4NODEJS.version, `lib/haarcascades/${file}`));
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
  return assets;
}

/** Paths of committed assets that differ from a fresh build (empty when all match). */
export async function differingAssets(): Promise<string[]> {
  const out: string[] = [];
  for (const a of await buildAssets()) {
    const committed = await Deno.readFile(`${ROOT}/${a.path}`).catch(() => undefined);
    if (committed?.length !== a.bytes.length || committed.some((b, i) => b !== a.bytes[i])) out.push(a.path);
  }
  return out;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const differing = await differingAssets(), models = await checkModels();
    const ok = differing.length === 0 && models.every(passes);
    if (Deno.args.includes("--json")) console.log(JSON.stringify({ ok, limits: LIMITS, differing, models }, null, 2));
    else {
      for (const p of differing) console.error(`${p}: differs from a fresh build`);
      for (const { model, variant, ...m } of models) {
        console.log(`${model} (${variant}) vs face-api: ${JSON.stringify(m)}`);
      }
      console.log(`assets: ${ok ? "all match" : "some differ or exceed"} (limits ${JSON.stringify(LIMITS)})`);
    }
    Deno.exit(ok ? 0 : 1);
  }
  for (const a of await buildAssets()) {
    await writeFileAtomic(`${ROOT}/${a.path}`, a.bytes);
    console.log(`wrote ${a.path} (${a.bytes.length} bytes)`);
  }
}
