/**
 * Reads face-api.js weight files (a `*-weights_manifest.json` plus its `.bin` shards) and
 * converts its networks into ONNX graphs of standard opset-13 operators:
 *
 * - the 68-point landmark networks (full and tiny): `src/faceFeatureExtractor/` and
 *   `src/faceLandmarkNet/` of `@vladmandic/face-api` (densely connected depthwise-separable
 *   conv blocks, average pool, one fully connected layer; 112x112 RGB in, 136 numbers out);
 * - the face recognition network: `src/faceRecognitionNet/` (a ResNet-34-like net ported
 *   from dlib; 150x150 RGB in, a 128-d descriptor out).
 *
 * @module
 */

import { FACE_API, npmFile } from "../lib/eval/npm.ts";
import { DataType, GraphBuilder } from "../lib/runtime/_onnx_graph.ts";

/** One tensor of a face-api weight file: either uint8-quantised or plain float32. */
export interface Weight {
  readonly shape: readonly number[];
  /** uint8 values when quantised (value = q · scale + min). */
  readonly q?: Uint8Array;
  readonly scale?: number;
  readonly min?: number;
  /** float32 values when not quantised. */
  readonly f?: Float32Array;
}

interface ManifestGroup {
  paths: string[];
  weights: {
    name: string;
    shape: number[];
    dtype: string;
    quantization?: { dtype: string; scale: number; min: number };
  }[];
}

/**
 * Reads every tensor of a face-api weight manifest, advancing 1 byte per value for uint8
 * quantised tensors and 4 for float32 ones, and checks that every byte is consumed.
 *
 * @throws {Error} For an unknown dtype or when the shards are longer or shorter than the manifest says.
 */
export async function readWeights(manifestPath: string): Promise<Map<string, Weight>> {
  const dir = manifestPath.slice(0, manifestPath.lastIndexOf("/"));
  const groups: ManifestGroup[] = JSON.parse(await Deno.readTextFile(manifestPath));
  const out = new Map<string, Weight>();
  for (const g of groups) {
    const shards = await Promise.all(g.paths.map((p) => Deno.readFile(`${dir}/${p}`)));
    const bytes = new Uint8Array(await new Blob(shards).arrayBuffer());
    let at = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== "float32") throw new Error(`${manifestPath}: ${w.name} has dtype ${w.dtype}`);
      if (w.quantization) {
        if (w.quantization.dtype !== "uint8") {
          throw new Error(`${manifestPath}: ${w.name} quantised as ${w.quantization.dtype}`);
        }
        const { scale, min } = w.quantization;
        out.set(w.name, { shape: w.shape, q: bytes.slice(at, at + n), scale, min });
        at += n;
      } else {
        out.set(w.name, { shape: w.shape, f: new Float32Array(bytes.slice(at, at + 4 * n).buffer) });
        at += 4 * n;
      }
    }
    if (at !== bytes.length) throw new Error(`${manifestPath}: manifest covers ${at} of ${bytes.length} bytes`);
  }
  return out;
}

/** Permutes the axes of a row-major array: out axis i is input axis perm[i]. */
export function permute<T extends Uint8Array | Float32Array>(
  data: T,
  shape: readonly number[],
  perm: readonly number[],
): T {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < data.length; k++) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += idx[i]! * inStrides[perm[i]!]!;
    out[k] = data[src]!;
    for (let i = outShape.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return out;
}

/**
 * How weights are stored in the ONNX file: `"float32"` (dequantised here, as face-api does:
 * q · scale + min) or `"uint8"` (kept quantised, dequantised in the graph: by Cast/Mul/Add nodes
 * in the landmark nets, by DequantizeLinear nodes in the recognition net).
 */
export type WeightStorage = "float32" | "uint8";

/** Dequantises like face-api.js's loader: float32(q · scale + min). */
export function dequantize(w: Weight): Float32Array {
  return w.q ? Float32Array.from(w.q, (q) => q * w.scale! + w.min!) : w.f!;
}

/** The mean RGB that face-api's networks subtract before dividing by 255. */
const MEAN_RGB = [122.782, 117.001, 104.298];
const HWIO_TO_OIHW = [3, 2, 0, 1];
const HWCM_TO_CMHW = [2, 3, 0, 1];

/** TF "SAME" padding for a 3x3 kernel: at stride 2 the extra pixel goes bottom/right. */
function samePads(size: number, stride: number): number[] {
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + 3 - size, 0);
  const before = Math.floor(total / 2);
  return [before, before, total - before, total - before];
}

/** Which face-api 68-point landmark network. */
export type LandmarkNet = "full" | "tiny";

/**
 * Builds the ONNX graph of a face-api 68-point landmark network.
 * Input `input`: [N, 112, 112, 3] float RGB 0–255 (NHWC, as face-api's batch tensor).
 * Output `landmarks`: [N, 136] = x0, y0, x1, y1, … relative to the 112x112 input (0–1).
 */
export function landmarkOnnx(
  weights: Map<string, Weight>,
  net: LandmarkNet,
  provenance: string,
  storage: WeightStorage = "float32",
): Uint8Array {
  const g = new GraphBuilder();
  /** Adds a weight in ONNX layout (axes permuted by `perm`). */
  const wt = (name: string, perm?: readonly number[]) => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing weight ${name}`);
    const dims = perm ? perm.map((p) => w.shape[p]!) : [...w.shape];
    if (w.q && storage === "uint8") {
      return g.quantized(name, dims, perm ? permute(w.q, w.shape, perm) : w.q, w.scale!, w.min!);
    }
    const f = dequantize(w);
    return g.floats(name, dims, perm ? permute(f, w.shape, perm) : f);
  };
  g.io("input", "input", [null, 112, 112, 3]);
  const mean = g.floats("mean_rgb", [1, 1, 1, 3], new Float32Array(MEAN_RGB));
  const d255 = g.floats("two_five_five", [], new Float32Array([255]));
  let x = g.node("Transpose", [g.node("Div", [g.node("Sub", ["input", mean]), d255])], { perm: [0, 3, 1, 2] });
  let size = 112;
  const sepConv = (input: string, prefix: string, stride: number, channels: number) => {
    const dw = g.node("Conv", [input, wt(`${prefix}/depthwise_filter`, HWCM_TO_CMHW)], {
      group: channels,
      kernel_shape: [3, 3],
      strides: [stride, stride],
      pads: samePads(size, stride),
    });
    return g.node("Conv", [dw, wt(`${prefix}/pointwise_filter`, HWIO_TO_OIHW), wt(`${prefix}/bias`)], {
      kernel_shape: [1, 1],
    });
  };
  const relu = (a: string) => g.node("Relu", [a]);
  const add = (a: string, b: string) => g.node("Add", [a, b]);
  const blocks = net === "full" ? 4 : 3;
  const convsPerBlock = net === "full" ? 4 : 3;
  let channels = 3;
  for (let b = 0; b < blocks; b++) {
    const p = `dense${b}`;
    const conv0 = b === 0
      ? g.node("Conv", [x, wt(`${p}/conv0/filters`, HWIO_TO_OIHW), wt(`${p}/conv0/bias`)], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: samePads(size, 2),
      })
      : sepConv(x, `${p}/conv0`, 2, channels);
    const out1 = relu(conv0);
    size = Math.ceil(size / 2);
    channels = weights.get(`${p}/conv0/bias`)!.shape[0]!;
    // face-api: out_k = sepconv(relu(out1 + (out2 + (… + out_{k-1})))), summed right to left.
    const outs = [out1];
    const sum = () => add(out1, outs.slice(1).reduceRight((acc, o) => add(o, acc)));
    for (let k = 1; k < convsPerBlock; k++) {
      outs.push(sepConv(k === 1 ? out1 : relu(sum()), `${p}/conv${k}`, 1, channels));
    }
    x = relu(sum());
  }
  x = g.node("AveragePool", [x], { kernel_shape: [size, size], strides: [2, 2] });
  x = g.node("Flatten", [x], { axis: 1 });
  g.node("Gemm", [x, wt("fc/weights"), wt("fc/bias")], {}, "landmarks");
  g.io("output", "landmarks", [null, 136]);
  return g.model(`face_landmark_68${net === "tiny" ? "_tiny" : ""}`, "face2vec scripts/make_assets.ts", provenance);
}

/** face-api's weight values in float64: q · scale + min, or the stored float32 values. */
function values64(w: Weight): Float64Array {
  return w.q ? Float64Array.from(w.q, (q) => q * w.scale! + w.min!) : Float64Array.from(w.f!);
}

/**
 * Adds a face-api weight multiplied by a factor per output channel (face-api's last axis),
 * in ONNX layout (axes permuted by `perm`). With `"uint8"` storage a quantised weight stays
 * uint8 behind one DequantizeLinear node, (q − z) · (scale · factor[c]) per channel c, which
 * ONNX Runtime folds at session creation; that needs the zero point z = −min / scale to be
 * an integer in 0–255, which face-api's converter makes it (else the weight is stored float32).
 */
function scaledWeight(
  g: GraphBuilder,
  name: string,
  w: Weight,
  factor: Float64Array,
  perm: readonly number[],
  storage: WeightStorage,
): string {
  const dims = perm.map((p) => w.shape[p]!);
  const axis = perm.indexOf(w.shape.length - 1);
  const channels = factor.length;
  const z = w.q ? -w.min! / w.scale! : NaN;
  if (w.q && storage === "uint8" && Math.abs(z - Math.round(z)) < 1e-6 && Math.round(z) >= 0 && Math.round(z) <= 255) {
    const q = g.initializer(`${name}__q`, DataType.UINT8, dims, permute(w.q, w.shape, perm));
    const scale = g.floats(`${name}__scale`, [channels], Float32Array.from(factor, (f) => w.scale! * f));
    const zeros = new Uint8Array(channels).fill(Math.round(z));
    const zero = g.initializer(`${name}__zero`, DataType.UINT8, [channels], zeros);
    return g.node("DequantizeLinear", [q, scale, zero], { axis }, name);
  }
  const v = values64(w);
  return g.floats(name, dims, permute(Float32Array.from(v, (x, k) => x * factor[k % channels]!), w.shape, perm));
}

/**
 * Builds the ONNX graph of face-api's face recognition network (`FaceRecognitionNet`, a
 * ResNet-34-like net ported from dlib).
 * Input `input`: [N, 150, 150, 3] float RGB 0–255 (NHWC, as face-api's batch tensor).
 * Output `embedding`: [N, 128], the descriptor exactly as the net outputs it (not L2-normalised).
 *
 * Folds, each exact up to float rounding: every face-api conv layer is conv + bias followed by
 * a scale layer (· w + b per channel), which becomes filters · w and bias · w + b; and the
 * input normalisation ((RGB − mean) / 255) goes into the first conv, filters / 255 and
 * bias − Σ filters · mean / 255, since that conv has no padding. With `"uint8"` storage the
 * filters stay quantised behind DequantizeLinear nodes (see `scaledWeight`).
 *
 * @param weights The tensors of `face_recognition_model-weights_manifest.json` (from `readWeights`).
 * @param provenance The model's doc string.
 * @param storage How the weights are stored: `"uint8"` (6.5 MB) or `"float32"` (22 MB).
 * @returns The `.onnx` file's bytes; the same weights give the same bytes.
 * @throws {Error} When a weight is missing or left unused, or the layer sizes are not face-api's.
 */
export function recognitionOnnx(
  weights: Map<string, Weight>,
  provenance: string,
  storage: WeightStorage = "uint8",
): Uint8Array {
  const g = new GraphBuilder();
  const used = new Set<string>();
  const get = (name: string): Weight => {
    const w = weights.get(name);
    if (!w) throw new Error(`missing weight ${name}`);
    used.add(name);
    return w;
  };
  g.io("input", "input", [null, 150, 150, 3]);
  let x = g.node("Transpose", ["input"], { perm: [0, 3, 1, 2] });
  let size = 150;
  let channels = 3;

  /**
   * face-api's convLayer: conv (TF "valid" or "same"), + bias, scale layer, optional relu;
   * `normalizeInput` folds (input − mean) / 255 in.
   */
  const convLayer = (
    input: string,
    prefix: string,
    stride: number,
    same: boolean,
    relu: boolean,
    normalizeInput = false,
  ) => {
    const f = get(`${prefix}/conv/filters`);
    const [kh, kw, inChannels, out] = f.shape as [number, number, number, number];
    if (inChannels !== channels) throw new Error(`${prefix}: ${inChannels} input channels, expected ${channels}`);
    const sw = dequantize(get(`${prefix}/scale/weights`));
    const sb = dequantize(get(`${prefix}/scale/biases`));
    const bias = Float64Array.from(dequantize(get(`${prefix}/conv/bias`)), (b, o) => b * sw[o]! + sb[o]!);
    const factor = Float64Array.from(sw, (w) => normalizeInput ? w / 255 : w);
    if (normalizeInput) {
      if (same) throw new Error(`${prefix}: the input normalisation folds only into an unpadded conv`);
      const v = values64(f);
      for (let k = 0; k < v.length; k++) {
        bias[k % out] = bias[k % out]! -
          v[k]! * factor[k % out]! * MEAN_RGB[Math.floor(k / out) % inChannels]!;
      }
    }
    const pad = same ? (kh - 1) / 2 : 0;
    const filters = scaledWeight(g, `${prefix}/conv/filters`, f, factor, HWIO_TO_OIHW, storage);
    const biases = g.floats(`${prefix}/conv/bias`, [out], Float32Array.from(bias));
    const attrs = { kernel_shape: [kh, kw], strides: [stride, stride], pads: [pad, pad, pad, pad] };
    const conv = g.node("Conv", [input, filters, biases], attrs);
    size = same ? Math.ceil(size / stride) : Math.floor((size - kh) / stride) + 1;
    channels = out;
    return relu ? g.node("Relu", [conv]) : conv;
  };
  const zeroPad = (input: string, pads: readonly number[]) => g.node("Pad", [input, g.int64s(g.name("pads"), pads)]);

  /** face-api's residual: relu(convNoRelu(conv(x)) + x). */
  const residual = (input: string, prefix: string) => {
    const out = convLayer(convLayer(input, `${prefix}/conv1`, 1, true, true), `${prefix}/conv2`, 1, true, false);
    return g.node("Relu", [g.node("Add", [out, input])]);
  };
  /**
   * face-api's residualDown: the branch is an unpadded stride-2 conv then a "same" conv; the
   * shortcut is a 2x2 average pool with as many zero channels appended. Where the pool is one
   * pixel larger than the branch, face-api appends a zero row and a zero column to the branch.
   */
  const residualDown = (input: string, prefix: string) => {
    const [inSize, inChannels] = [size, channels];
    let out = convLayer(convLayer(input, `${prefix}/conv1`, 2, false, true), `${prefix}/conv2`, 1, true, false);
    const pooledSize = Math.floor(inSize / 2);
    if (pooledSize !== size && pooledSize !== size + 1) {
      throw new Error(`${prefix}: branch ${size} vs shortcut ${pooledSize} pixels`);
    }
    if (pooledSize !== size) out = zeroPad(out, [0, 0, 0, 0, 0, 0, 1, 1]);
    let pooled = g.node("AveragePool", [input], { kernel_shape: [2, 2], strides: [2, 2] });
    if (channels !== inChannels) {
      if (channels !== 2 * inChannels) throw new Error(`${prefix}: ${inChannels} to ${channels} channels`);
      pooled = zeroPad(pooled, [0, 0, 0, 0, 0, inChannels, 0, 0]);
    }
    size = pooledSize;
    return g.node("Relu", [g.node("Add", [pooled, out])]);
  };

  x = convLayer(x, "conv32_down", 2, false, true, true);
  x = g.node("MaxPool", [x], { kernel_shape: [3, 3], strides: [2, 2] });
  size = Math.floor((size - 3) / 2) + 1;
  for (const [stage, count] of [["32", 3], ["64", 3], ["128", 2], ["256", 2]] as const) {
    if (stage !== "32") x = residualDown(x, `conv${stage}_down`);
    for (let k = 1; k <= count; k++) x = residual(x, `conv${stage}_${k}`);
  }
  x = residualDown(x, "conv256_down_out");
  x = g.node("Flatten", [g.node("GlobalAveragePool", [x])], { axis: 1 });
  const fc = get("fc");
  const fcWeight = scaledWeight(g, "fc", fc, new Float64Array(fc.shape[1]!).fill(1), [0, 1], storage);
  g.node("MatMul", [x, fcWeight], {}, "embedding");
  g.io("output", "embedding", [null, 128]);
  const unused = [...weights.keys()].filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`unused weights: ${unused.join(", ")}`);
  return g.model("face_recognition", "face2vec scripts/make_assets.ts", provenance);
}

/** A network `deno task assets` converts: `lib/<stage>/models/<file>.onnx`, from face-api's `model/<file>_model*`. */
export interface Network {
  readonly file: string;
  readonly stage: "landmarks" | "embed";
  /** face-api's class for it. */
  readonly net: string;
  /** The input's side (square RGB, NHWC), the output's name and length. */
  readonly side: number;
  readonly output: string;
  readonly length: number;
  /** Builds the `.onnx` file with its doc string; the committed weight storage by default. */
  readonly build: (weights: Map<string, Weight>, provenance: string, storage?: WeightStorage) => Uint8Array;
  /** The other weight storage: built and checked against face-api, not committed. */
  readonly other?: WeightStorage;
}

const LANDMARKS = { stage: "landmarks", side: 112, output: "landmarks", length: 136 } as const;

/** The converted networks, in the order they are built and checked. */
export const NETWORKS: readonly Network[] = [
  {
    ...LANDMARKS,
    file: "face_landmark_68",
    net: "FaceLandmark68Net",
    build: (w, p, s) => landmarkOnnx(w, "full", p, s),
    other: "uint8",
  },
  {
    ...LANDMARKS,
    file: "face_landmark_68_tiny",
    net: "FaceLandmark68TinyNet",
    build: (w, p, s) => landmarkOnnx(w, "tiny", p, s),
  },
  {
    file: "face_recognition",
    stage: "embed",
    net: "FaceRecognitionNet",
    side: 150,
    output: "embedding",
    length: 128,
    build: recognitionOnnx,
    other: "float32",
  },
];

/** A file of the network in the pinned face-api package: `model/<file>_model<suffix>`. */
export function sourceFile(n: Network, suffix: ".bin" | "-weights_manifest.json"): string {
  return npmFile(FACE_API.name, FACE_API.version, `model/${n.file}_model${suffix}`);
}
