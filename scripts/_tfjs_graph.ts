/**
 * Converts a TensorFlow.js graph model (`model.json` + `.bin` weights) of the ops that
 * MediaPipe's BlazeFace detectors use into an ONNX graph of standard opset-13 operators.
 *
 * The graph keeps the source's NHWC input; one Transpose turns it into ONNX's NCHW, 4-D
 * tensors stay NCHW through the convolutions, and each Reshape is preceded by a Transpose
 * back to NHWC so that it sees the source's memory order. TF `SAME` padding becomes explicit
 * pads (the extra pixel bottom/right). Ops outside the supported set are refused by name.
 *
 * @module
 */

import { GraphBuilder } from "../lib/runtime/_onnx_graph.ts";
import { permute } from "./_faceapi.ts";

interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, { s?: string; i?: string; f?: number; b?: boolean; list?: { i?: string[]; s?: string[] } }>;
}

interface TfModel {
  modelTopology: { node: TfNode[] };
  weightsManifest: {
    paths: string[];
    weights: { name: string; shape: number[]; dtype: string; quantization?: { dtype: string } }[];
  }[];
}

/** A constant of the source graph. */
interface Constant {
  readonly shape: readonly number[];
  readonly f?: Float32Array;
  readonly i?: Int32Array;
}

/** IEEE half → float (exact). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (m / 1024);
  if (e === 31) return m ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + m / 1024);
}

/**
 * Reads the weights of a graph model: float32 (float16-stored ones widened exactly, as
 * tfjs does) and int32 constants, checking that every byte is covered.
 *
 * @throws {Error} For another dtype or quantisation, or shards of the wrong length.
 */
export function readGraphWeights(model: TfModel, shards: readonly Uint8Array[], source: string): Map<string, Constant> {
  const bytes = new Uint8Array(shards.reduce((n, s) => n + s.length, 0));
  let off = 0;
  for (const s of shards) bytes.set(s, (off += s.length) - s.length);
  const view = new DataView(bytes.buffer);
  const out = new Map<string, Constant>();
  let at = 0;
  for (const w of model.weightsManifest.flatMap((g) => g.weights)) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const q = w.quantization?.dtype;
    if (w.dtype === "float32" && q === "float16") {
      out.set(w.name, {
        shape: w.shape,
        f: Float32Array.from({ length: n }, (_, k) => halfToFloat(view.getUint16(at + 2 * k, true))),
      });
      at += 2 * n;
    } else if (w.dtype === "float32" && q === undefined) {
      out.set(w.name, { shape: w.shape, f: new Float32Array(bytes.slice(at, at + 4 * n).buffer) });
      at += 4 * n;
    } else if (w.dtype === "int32" && q === undefined) {
      out.set(w.name, { shape: w.shape, i: new Int32Array(bytes.slice(at, at + 4 * n).buffer) });
      at += 4 * n;
    } else throw new Error(`${source}: ${w.name} is ${w.dtype}${q ? ` quantised as ${q}` : ""}`);
  }
  if (at !== bytes.length) throw new Error(`${source}: the manifest covers ${at} of ${bytes.length} bytes`);
  return out;
}

/** A tensor of the ONNX graph being built: its name, its source (NHWC or plain) shape, and its layout. */
interface Tensor {
  readonly name: string;
  /** The shape as the source graph sees it (NHWC for 4-D). */
  readonly shape: readonly number[];
  /** `nchw` when the ONNX tensor is the NCHW transpose of the source's 4-D tensor. */
  readonly layout: "nchw" | "plain";
}

const text = (
  s: string | undefined,
) => (s === undefined ? "" : new TextDecoder().decode(Uint8Array.from(atob(s), (c) => c.charCodeAt(0))));
const ints = (n: TfNode, key: string) => (n.attr?.[key]?.list?.i ?? []).map(Number);

/** TF padding for one spatial axis: `[before, after]` and the output size. */
export function axisPads(
  size: number,
  kernel: number,
  stride: number,
  same: boolean,
): { pads: [number, number]; out: number } {
  if (!same) return { pads: [0, 0], out: Math.floor((size - kernel) / stride) + 1 };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + kernel - size, 0);
  return { pads: [Math.floor(total / 2), total - Math.floor(total / 2)], out };
}

/** What to convert: the source's input, and each ONNX output as a concatenation (along axis 1) of source outputs. */
export interface GraphSpec {
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly outputs: readonly {
    readonly name: string;
    readonly from: readonly string[];
    readonly shape: readonly number[];
  }[];
}

/**
 * Converts a tfjs graph model to ONNX bytes.
 *
 * @throws {Error} For an op, attribute or layout outside the supported set.
 */
export function convertGraphModel(
  model: TfModel,
  weights: Map<string, Constant>,
  spec: GraphSpec,
  doc: string,
): Uint8Array {
  const nodes = new Map(model.modelTopology.node.map((n) => [n.name, n]));
  const g = new GraphBuilder();
  const done = new Map<string, Tensor>();
  const constant = (name: string): Constant => {
    const c = weights.get(name);
    if (!c) throw new Error(`${name}: not a constant of the model`);
    return c;
  };
  const nhwc = (
    t: Tensor,
  ): string => (t.layout === "nchw" ? g.node("Transpose", [t.name], { perm: [0, 2, 3, 1] }) : t.name);
  const build = (ref: string): Tensor => {
    const name = ref.replace(/:\d+$/, "");
    const have = done.get(name);
    if (have) return have;
    const n = nodes.get(name);
    if (!n) throw new Error(`${name}: no such node`);
    const t = convert(n);
    done.set(name, t);
    return t;
  };
  const conv = (n: TfNode, depthwise: boolean, fused: string[]): Tensor => {
    const x = build(n.input![0]!);
    const f = constant(n.input![1]!.replace(/:\d+$/, ""));
    const [kh, kw, ci, co] = f.shape as [number, number, number, number];
    if (ints(n, "dilations").some((d) => d !== 1)) throw new Error(`${n.name}: dilated convolution`);
    if (text(n.attr?.data_format?.s) !== "NHWC") {
      throw new Error(`${n.name}: data format ${text(n.attr?.data_format?.s)}`);
    }
    const [, sh, sw] = ints(n, "strides") as [number, number, number, number];
    const same = text(n.attr?.padding?.s) === "SAME";
    if (!same && text(n.attr?.padding?.s) !== "VALID") {
      throw new Error(`${n.name}: padding ${text(n.attr?.padding?.s)}`);
    }
    const [, h, w, c] = x.shape as [number, number, number, number];
    const ph = axisPads(h, kh, sh, same), pw = axisPads(w, kw, sw, same);
    // TF filters: conv HWIO → OIHW; depthwise H W C M → (C·M) 1 H W.
    const weight = depthwise
      ? g.floats(g.name("dw_weight"), [ci * co, 1, kh, kw], permute(f.f!, f.shape, [2, 3, 0, 1]))
      : g.floats(g.name("conv_weight"), [co, ci, kh, kw], permute(f.f!, f.shape, [3, 2, 0, 1]));
    const inputs = [x.name, weight];
    const rest = [...fused];
    if (rest[0] === "BiasAdd") {
      rest.shift();
      const b = constant(n.input![2]!.replace(/:\d+$/, ""));
      inputs.push(g.floats(g.name("bias"), [b.f!.length], b.f!));
    }
    let out = g.node("Conv", inputs, {
      kernel_shape: [kh, kw],
      strides: [sh, sw],
      pads: [ph.pads[0], pw.pads[0], ph.pads[1], pw.pads[1]],
      ...(depthwise ? { group: c } : {}),
    });
    for (const op of rest) {
      if (op !== "Relu") throw new Error(`${n.name}: fused op ${op}`);
      out = g.node("Relu", [out]);
    }
    return { name: out, shape: [1, ph.out, pw.out, depthwise ? ci * co : co], layout: "nchw" };
  };
  const convert = (n: TfNode): Tensor => {
    const fused = (n.attr?.fused_ops?.list?.s ?? []).map(text);
    switch (n.op) {
      case "Placeholder":
        if (n.name !== spec.input.name) throw new Error(`${n.name}: an input other than ${spec.input.name}`);
        g.io("input", "input", spec.input.shape);
        return {
          name: g.node("Transpose", ["input"], { perm: [0, 3, 1, 2] }),
          shape: spec.input.shape,
          layout: "nchw",
        };
      case "Identity":
        return build(n.input![0]!);
      case "_FusedConv2D":
        return conv(n, false, fused);
      case "FusedDepthwiseConv2dNative":
        return conv(n, true, fused);
      case "DepthwiseConv2dNative":
        return conv(n, true, []);
      case "AddV2": {
        const [a, b] = [build(n.input![0]!), build(n.input![1]!)];
        if (a.layout !== b.layout || a.shape.join() !== b.shape.join()) throw new Error(`${n.name}: broadcasting add`);
        return { ...a, name: g.node("Add", [a.name, b.name]) };
      }
      case "Relu": {
        const a = build(n.input![0]!);
        return { ...a, name: g.node("Relu", [a.name]) };
      }
      case "MaxPool": {
        const x = build(n.input![0]!);
        const [, kh, kw] = ints(n, "ksize") as [number, number, number];
        const [, sh, sw] = ints(n, "strides") as [number, number, number];
        const same = text(n.attr?.padding?.s) === "SAME";
        const [, h, w, c] = x.shape as [number, number, number, number];
        const ph = axisPads(h, kh, sh, same), pw = axisPads(w, kw, sw, same);
        const out = g.node("MaxPool", [x.name], {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [ph.pads[0], pw.pads[0], ph.pads[1], pw.pads[1]],
        });
        return { name: out, shape: [1, ph.out, pw.out, c], layout: "nchw" };
      }
      case "Pad": {
        const x = build(n.input![0]!);
        const p = constant(n.input![1]!.replace(/:\d+$/, "")).i!;
        if (x.layout !== "nchw" || p.length !== 8) {
          throw new Error(`${n.name}: padding of a ${x.shape.length}-D tensor`);
        }
        // NHWC [[n0,n1],[h0,h1],[w0,w1],[c0,c1]] → ONNX NCHW [n0,c0,h0,w0, n1,c1,h1,w1].
        const [n0, n1, h0, h1, w0, w1, c0, c1] = Array.from(p) as number[];
        const pads = g.int64s(g.name("pads"), [n0!, c0!, h0!, w0!, n1!, c1!, h1!, w1!]);
        const s = x.shape;
        return {
          name: g.node("Pad", [x.name, pads], {}),
          shape: [s[0]! + n0! + n1!, s[1]! + h0! + h1!, s[2]! + w0! + w1!, s[3]! + c0! + c1!],
          layout: "nchw",
        };
      }
      case "Reshape": {
        const x = build(n.input![0]!);
        const shape = Array.from(constant(n.input![1]!.replace(/:\d+$/, "")).i!);
        const name = g.node("Reshape", [nhwc(x), g.int64s(g.name("shape"), shape)]);
        return { name, shape, layout: "plain" };
      }
      default:
        throw new Error(`${n.name}: op ${n.op} is not supported by the converter`);
    }
  };
  for (const o of spec.outputs) {
    const parts = o.from.map((f) => {
      const t = build(f);
      if (t.layout !== "plain") throw new Error(`${f}: a 4-D output`);
      return t.name;
    });
    const joined = parts.length === 1 ? parts[0]! : g.node("Concat", parts, { axis: 1 });
    g.node("Reshape", [joined, g.int64s(g.name("out_shape"), o.shape)], {}, o.name);
    g.io("output", o.name, o.shape);
  }
  return g.model("face2vec_face_detector", "face2vec", doc);
}
