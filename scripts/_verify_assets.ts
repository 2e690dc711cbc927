/**
 * The forward-pass half of `deno task assets --check`: each converted ONNX model, as committed
 * and with its alternative weight storage converted afresh, against face-api.js's own forward
 * pass (its bundled tfjs, CPU backend) on the same three inputs: noise, flat gray, a face.
 *
 * face-api's bundle is made for browsers and Node; under Deno three things are set up by
 * hand: `process` is hidden while the bundle is imported (else tfjs takes its Node path and
 * needs Node's `util`), tfjs gets a minimal platform, and face-api gets a minimal environment
 * (no canvas is ever used: inputs are tensors).
 *
 * @module
 */

import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { cropImage } from "../lib/image/crop_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { createOnnxSession } from "../lib/runtime/onnx.ts";
import { sampleInput } from "../lib/detect/_blaze.ts";
import { buildMobileFaceNet, MOBILEFACENET_PATH } from "./_mobilefacenet.ts";
import { readTflite, tfliteForward } from "./_tflite.ts";
import { DETECTOR_SPEC, readSource, tfjsForward } from "./_blazeface.ts";
import { dequantize, type Network, NETWORKS, readWeights, sourceFile, type Weight } from "./_faceapi.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
let loaded: Promise<Any> | undefined;

function faceApi(): Promise<Any> {
  loaded ??= (async () => {
    const g = globalThis as Any;
    const saved = g.process;
    g.process = undefined;
    let faceapi: Any;
    try {
      faceapi = await import("npm:@vladmandic/face-api@1.7.15/dist/face-api.esm.js");
    } finally {
      g.process = saved;
    }
    const tf = faceapi.tf;
    tf.env().setPlatform("deno", {
      fetch: (u: string, i?: RequestInit) => fetch(u, i),
      now: () => performance.now(),
      encode: (t: string) => new TextEncoder().encode(t),
      decode: (b: Uint8Array, e: string) => new TextDecoder(e).decode(b),
      isTypedArray: (a: unknown) => ArrayBuffer.isView(a) && !(a instanceof DataView),
      setTimeoutCustom: (f: () => void, d: number) => setTimeout(f, d),
    });
    await tf.setBackend("cpu");
    await tf.ready();
    class Unused {}
    const no = () => {
      throw new Error("no canvas in the reference harness");
    };
    const all = (keys: string[], v: unknown) => Object.fromEntries(keys.map((k) => [k, v]));
    faceapi.env.setEnv({
      ...all(["Canvas", "CanvasRenderingContext2D", "Image", "ImageData", "Video"], Unused),
      ...all(["createCanvasElement", "createImageElement", "createVideoElement", "readFile"], no),
      fetch,
    });
    return faceapi;
  })();
  return loaded;
}

/** How one model variant's outputs compare with face-api's on the three inputs. */
export interface ModelCheck {
  /** The committed file's name without `.onnx`, e.g. `face_landmark_68`. */
  readonly model: string;
  /** `"committed"`, or the alternative weight storage (`"uint8"`, `"float32"`) converted afresh. */
  readonly variant: string;
  /** Largest |ONNX − face-api| over every output number of every input. */
  readonly maxAbsDiff: number;
  /**
   * Largest |ONNX − reference| / max(1, largest |reference| of that input's output): the
   * absolute difference where outputs are at most 1 in size (every face-api net), relative to
   * the output's scale where it is larger (the detector's logits and pixel regressors reach
   * thousands, where float32 sums in another order differ by ~1e-3).
   */
  readonly maxRelDiff: number;
  /** Smallest range (max − min) within one input's output: no output is a constant. */
  readonly spread: number;
  /** Smallest, over noise and flat gray, of the largest |difference| from the face's output. */
  readonly apart: number;
}

/** The limits a {@linkcode ModelCheck} must meet. */
export const LIMITS = { maxRelDiff: 1e-4, spread: 0.1, apart: 0.05 } as const;

/** Whether a check meets {@linkcode LIMITS} (NaN never does). */
export function passes(c: ModelCheck): boolean {
  return c.maxRelDiff <= LIMITS.maxRelDiff && c.spread > LIMITS.spread && c.apart > LIMITS.apart;
}

/** Deterministic inputs, side x side RGB 0–255: noise, flat gray, and a face of sample 1, nearest-neighbour resized. */
async function inputs(side: number): Promise<Float32Array[]> {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const noise = Float32Array.from({ length: side * side * 3 }, () => Math.floor(rand() * 256));
  const flat = new Float32Array(side * side * 3).fill(128);
  const img = cropImage(await readImage(samplePhotos()[0]!), { x: 380, y: 360, width: 260, height: 260 });
  const face = new Float32Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const s = (Math.floor((y * img.height) / side) * img.width + Math.floor((x * img.width) / side)) * 3;
      for (let k = 0; k < 3; k++) face[(y * side + x) * 3 + k] = img.data[s + k]!;
    }
  }
  return [noise, flat, face];
}

/** face-api's own forward pass, one input at a time, with the weights dequantised as its loader does. */
async function faceApiForward(n: Network, weights: Map<string, Weight>, xs: readonly Float32Array[]) {
  const faceapi = await faceApi();
  const tf = faceapi.tf, model = new faceapi[n.net]();
  const map: Record<string, Any> = {};
  for (const [k, v] of weights) map[k] = tf.tensor(dequantize(v), v.shape, "float32");
  try {
    model.loadFromWeightMap(map);
    const out: Float32Array[] = [];
    for (const x of xs) {
      const t = tf.tensor3d(x, [n.side, n.side, 3], "float32");
      const result = model.forwardInput(await faceapi.toNetInput(t));
      out.push(new Float32Array(await result.data()));
      result.dispose();
      t.dispose();
    }
    return out;
  } finally {
    if (model.params) model.dispose();
    for (const t of Object.values(map)) t.dispose();
  }
}

/** One batched ONNX run, as the library calls the models; one output per input. */
async function onnxForward(n: Network, bytes: Uint8Array, xs: readonly Float32Array[]): Promise<Float32Array[]> {
  const session = await createOnnxSession(bytes);
  try {
    const batch = new Float32Array(xs.length * xs[0]!.length);
    xs.forEach((x, i) => batch.set(x, i * x.length));
    const out = (await session.run({ input: { data: batch, dims: [xs.length, n.side, n.side, 3] } }))[n.output];
    if (out?.dims.join() !== `${xs.length},${n.length}`) throw new Error(`${n.output} is not [N, ${n.length}]`);
    return xs.map((_, i) => out.data.slice(i * n.length, (i + 1) * n.length));
  } finally {
    await session.release();
  }
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((max, v, k) => Math.max(max, Math.abs(v - b[k]!)), 0);
const maxRelDiff = (a: Float32Array, b: Float32Array) =>
  maxAbsDiff(a, b) / Math.max(1, b.reduce((m, v) => Math.max(m, Math.abs(v)), 0));

/**
 * A variant's figures: `got` and `want` hold one output per input (noise, flat gray, a face,
 * in that order).
 */
function compared(
  model: string,
  variant: string,
  got: readonly Float32Array[],
  want: readonly Float32Array[],
): ModelCheck {
  const face = got[2]!;
  return {
    model,
    variant,
    maxAbsDiff: Math.max(...got.map((g, i) => maxAbsDiff(g, want[i]!))),
    maxRelDiff: Math.max(...got.map((g, i) => maxRelDiff(g, want[i]!))),
    spread: Math.min(...got.map((g) => Math.max(...g) - Math.min(...g))),
    apart: Math.min(maxAbsDiff(face, got[0]!), maxAbsDiff(face, got[1]!)),
  };
}

/** The detector's three inputs in [-1, 1], as the library samples them: noise, flat gray, sample 1 with its faces. */
async function detectorInputs(): Promise<Float32Array[]> {
  let seed = 54321;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const image = await readImage(samplePhotos()[0]!);
  return [
    Float32Array.from({ length: 256 * 256 * 3 }, () => rand() * 2 - 1),
    new Float32Array(256 * 256 * 3),
    sampleInput(image, { cx: image.width / 2, cy: image.height / 2, side: image.width, angle: 0 }, 256),
  ];
}

/** The committed detector against tfjs's own forward pass of its source graph. */
async function checkDetector(dir: string): Promise<ModelCheck> {
  const { json, bin } = await readSource(dir);
  const xs = await detectorInputs(), want = await tfjsForward((await faceApi()).tf, json, bin, xs);
  const session = await createOnnxSession(await Deno.readFile(`${ROOT}/lib/detect/models/blazeface_back.onnx`));
  try {
    const got: Float32Array[][] = [];
    for (const x of xs) {
      const out = await session.run({ input: { data: x, dims: [1, 256, 256, 3] } });
      got.push(DETECTOR_SPEC.outputs.map((o) => out[o.name]!.data));
    }
    // Both outputs of an input, one after the other.
    const flat = (o: Float32Array[]) => Float32Array.from(o.flatMap((a) => [...a]));
    return compared("blazeface_back", "committed", got.map(flat), want.map(flat));
  } finally {
    await session.release();
  }
}

/**
 * Runs every model variant and face-api's forward pass on the same inputs; and, given the
 * folder of its source package, the detector against tfjs's forward pass of the source; and
 * MobileFaceNet (committed, and unfused) against a plain interpreter of its TFLite source.
 */
export async function checkModels(mobileFaceNet: Uint8Array, detectorDir?: string): Promise<ModelCheck[]> {
  const checks: ModelCheck[] = [];
  for (const n of NETWORKS) {
    const weights = await readWeights(sourceFile(n, "-weights_manifest.json"));
    const xs = await inputs(n.side), want = await faceApiForward(n, weights, xs);
    const committed = await Deno.readFile(`${ROOT}/lib/${n.stage}/models/${n.file}.onnx`);
    const variants: [string, Uint8Array][] = [["committed", committed]];
    if (n.other) variants.push([n.other, n.build(weights, "", n.other)]);
    for (const [variant, bytes] of variants) {
      checks.push(compared(n.file, variant, await onnxForward(n, bytes, xs), want));
    }
  }
  if (detectorDir) checks.push(await checkDetector(detectorDir));
  checks.push(...await checkMobileFaceNet(mobileFaceNet));
  return checks;
}

/**
 * The committed MobileFaceNet, and its unfused one-op-for-one conversion, against
 * `tfliteForward` (a plain interpreter of the TFLite source, independent of ONNX Runtime).
 */
async function checkMobileFaceNet(tflite: Uint8Array): Promise<ModelCheck[]> {
  const model = readTflite(tflite, "MobileFaceNet.tflite");
  const xs = await inputs(112);
  const want = xs.map((x) => tfliteForward(model, x.map((v) => (v - 127.5) / 128), "MobileFaceNet.tflite"));
  const variants: [string, Uint8Array][] = [
    ["committed", await Deno.readFile(`${ROOT}/${MOBILEFACENET_PATH}`)],
    ["unfused", await buildMobileFaceNet(tflite, false)],
  ];
  const checks: ModelCheck[] = [];
  for (const [variant, bytes] of variants) {
    const session = await createOnnxSession(bytes);
    try {
      const got: Float32Array[] = [];
      for (const x of xs) got.push((await session.run({ input: { data: x, dims: [1, 112, 112, 3] } })).embedding!.data);
      checks.push(compared("mobilefacenet", variant, got, want));
    } finally {
      await session.release();
    }
  }
  return checks;
}
