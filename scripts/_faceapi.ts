/**
 * Reads face-api.js weight files (a `*-weights_manifest.json` plus its `.bin` shards) and
 * converts its 68-point landmark networks (full and tiny) into ONNX graphs of standard
 * opset-13 operators. Architecture: `src/faceFeatureExtractor/` and `src/faceLandmarkNet/`
 * of `@vladmandic/face-api` (densely connected depthwise-separable conv blocks, average pool,
 * one fully connected layer; 112x112 RGB in, 136 numbers out).
 *
 * @module
 */

import { GraphBuilder } from "./_onnx.ts";

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
    const bytes = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
    let o = 0;
    for (const s of shards) {
      bytes.set(s, o);
      o += s.length;
    }
    let at = 0;
    for (const w of g.weights) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      if (w.dtype !== "float32") throw new Error(`${manifestPath}: ${w.name} has dtype ${w.dtype}`);
      if (w.quantization) {
        if (w.quantization.dtype !== "uint8") {
          throw new Error(`${manifestPath}: ${w.name} quantised as ${w.quantization.dtype}`);
        }
        out.set(w.name, {
          shape: w.shape,
          q: bytes.slice(at, at + n),
          scale: w.quantization.scale,
          min: w.quantization.min,
        });
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
 * q · scale + min) or `"uint8"` (kept quantised, dequantised by Cast/Mul/Add nodes in the graph).
 */
export type WeightStorage = "float32" | "uint8";

/** Dequantises like face-api.js's loader: float32(q · scale + min). */
export function dequantize(w: Weight): Float32Array {
  return w.q ? Float32Array.from(w.q, (q) => q * w.scale! + w.min!) : w.f!;
}

/** Adds a weight to the graph in ONNX layout (axes permuted by `perm`). */
function weight(
  g: GraphBuilder,
  weights: Map<string, Weight>,
  storage: WeightStorage,
  name: string,
  perm?: readonly number[],
): string {
  const w = weights.get(name);
  if (!w) throw new Error(`missing weight ${name}`);
  const dims = perm ? perm.map((p) => w.shape[p]!) : [...w.shape];
  if (w.q && storage === "uint8") {
    return g.quantized(name, dims, perm ? permute(w.q, w.shape, perm) : w.q, w.scale!, w.min!);
  }
  const f = dequantize(w);
  return g.floats(name, dims, perm ? permute(f, w.shape, perm) : f);
}

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
  const wt = (name: string, perm?: readonly number[]) => weight(g, weights, storage, name, perm);
  g.io("input", "input", [null, 112, 112, 3]);
  const mean = g.floats("mean_rgb", [1, 1, 1, 3], new Float32Array([122.782, 117.001, 104.298]));
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
    return g.node("Conv", [
      dw,
      wt(`${prefix}/pointwise_filter`, HWIO_TO_OIHW),
      wt(`${prefix}/bias`),
    ], {
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
    let out1: string;
    if (b === 0) {
      out1 = g.node("Conv", [
        x,
        wt(`${p}/conv0/filters`, HWIO_TO_OIHW),
        wt(`${p}/conv0/bias`),
      ], {
        kernel_shape: [3, 3],
        strides: [2, 2],
        pads: samePads(size, 2),
      });
    } else {
      out1 = sepConv(x, `${p}/conv0`, 2, channels);
    }
    size = Math.ceil(size / 2);
    channels = weights.get(`${p}/conv0/bias`)!.shape[0]!;
    out1 = relu(out1);
    // face-api: out_k = sepconv(relu(out1 + (out2 + (… + out_{k-1})))), summed right to left.
    const outs = [out1];
    for (let k = 1; k < convsPerBlock; k++) {
      const sum = outs.length === 1 ? out1 : add(out1, outs.slice(1).reduceRight((acc, o) => add(o, acc)));
      const input = k === 1 ? out1 : relu(sum);
      outs.push(sepConv(input, `${p}/conv${k}`, 1, channels));
    }
    x = relu(add(out1, outs.slice(1).reduceRight((acc, o) => add(o, acc))));
  }
  x = g.node("AveragePool", [x], { kernel_shape: [size, size], strides: [2, 2] });
  x = g.node("Flatten", [x], { axis: 1 });
  g.node("Gemm", [x, wt("fc/weights"), wt("fc/bias")], {}, "landmarks");
  g.io("output", "landmarks", [null, 136]);
  return g.model(`face_landmark_68${net === "tiny" ? "_tiny" : ""}`, "face2vec scripts/make_assets.ts", provenance);
}
