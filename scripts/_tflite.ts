/**
 * Reads a TensorFlow Lite model (the FlatBuffers file of TFLite's `schema.fbs`, float32
 * tensors only) and converts the convolutional networks it holds into ONNX graphs of
 * standard opset-13 operators.
 *
 * The reader knows only the tables it needs: the model's operator codes, its first subgraph
 * (tensors, inputs, outputs, operators with their builtin options) and its buffers. The
 * converter keeps the source's NHWC input, turns it into ONNX's NCHW with one Transpose, and
 * keeps 4-D tensors NCHW through the convolutions. TF `SAME` padding becomes explicit pads
 * (the extra pixel bottom/right). A per-channel constant of an elementwise op is reshaped to
 * `[C, 1, 1]`. The PReLU that TF 1.x graphs spell `relu(x) + c · (x − |x|)` is one `PRelu`
 * node with slope `2c` when `fusePrelu` is set (the unfused graph is kept to check it
 * against). Ops outside the supported set are refused by name.
 *
 * @module
 */

import { GraphBuilder } from "../lib/runtime/_onnx_graph.ts";
import { permute } from "./_faceapi.ts";
import { axisPads } from "./_tfjs_graph.ts";

/** TFLite builtin operator codes used here (schema.fbs `BuiltinOperator`). */
const OP = {
  ADD: 0,
  CONV_2D: 3,
  DEPTHWISE_CONV_2D: 4,
  MUL: 18,
  RELU: 19,
  RELU6: 21,
  RESHAPE: 22,
  SUB: 41,
  ABS: 101,
} as const;

const OP_NAME: Record<number, string> = Object.fromEntries(Object.entries(OP).map(([k, v]) => [v, k]));

/** One tensor of the subgraph. */
export interface TfliteTensor {
  readonly index: number;
  readonly name: string;
  readonly shape: readonly number[];
  /** TFLite `TensorType`: 0 float32, 2 int32, others refused where read. */
  readonly type: number;
  /** The constant's bytes, or undefined for an activation. */
  readonly data?: Uint8Array;
}

/** One operator: its builtin code, tensor indices (−1 for an omitted optional input) and builtin options table. */
export interface TfliteOperator {
  readonly op: number;
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  /** Reads field `i` of its builtin options as an int (with the schema's default when absent). */
  readonly option: (i: number, size: 1 | 4, fallback: number) => number;
}

/** The parts of a TFLite model the converter uses. */
export interface TfliteModel {
  readonly tensors: readonly TfliteTensor[];
  readonly inputs: readonly number[];
  readonly outputs: readonly number[];
  readonly operators: readonly TfliteOperator[];
}

/**
 * Parses a TFLite FlatBuffer.
 *
 * @throws {Error} When the file is not a TFLite model, or a table points outside it.
 */
export function readTflite(bytes: Uint8Array, source: string): TfliteModel {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const at = (o: number, n: number) => {
    if (o < 0 || o + n > bytes.length) throw new Error(`${source}: an offset (${o}) outside the file`);
    return o;
  };
  const u32 = (o: number) => view.getUint32(at(o, 4), true);
  const i32 = (o: number) => view.getInt32(at(o, 4), true);
  const ref = (o: number) => o + u32(o);
  // A table's field i: its absolute offset, or undefined when the vtable leaves it out.
  const field = (table: number, i: number): number | undefined => {
    const vtable = table - i32(table);
    const length = view.getUint16(at(vtable, 2), true);
    if (4 + 2 * i >= length) return undefined;
    const off = view.getUint16(at(vtable + 4 + 2 * i, 2), true);
    return off === 0 ? undefined : table + off;
  };
  const vector = (table: number, i: number): { start: number; length: number } => {
    const f = field(table, i);
    if (f === undefined) return { start: 0, length: 0 };
    const p = ref(f);
    return { start: p + 4, length: u32(p) };
  };
  const tables = (table: number, i: number) => {
    const v = vector(table, i);
    return Array.from({ length: v.length }, (_, k) => ref(v.start + 4 * k));
  };
  const ints = (table: number, i: number) => {
    const v = vector(table, i);
    return Array.from({ length: v.length }, (_, k) => i32(v.start + 4 * k));
  };
  const scalar = (table: number, i: number, size: 1 | 4, fallback: number) => {
    const f = field(table, i);
    if (f === undefined) return fallback;
    return size === 1 ? view.getInt8(at(f, 1)) : i32(f);
  };

  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(4, 8)) !== "TFL3") {
    throw new Error(`${source}: not a TFLite model (no TFL3 identifier)`);
  }
  const root = ref(0);
  // OperatorCode: deprecated_builtin_code (byte, 0), builtin_code (int, 3).
  const codes = tables(root, 1).map((t) => Math.max(scalar(t, 3, 4, 0), scalar(t, 0, 1, 0)));
  const buffers = tables(root, 4).map((t) => {
    const v = vector(t, 0);
    return v.length ? bytes.subarray(at(v.start, v.length), v.start + v.length) : undefined;
  });
  const subgraphs = tables(root, 2);
  if (subgraphs.length !== 1) throw new Error(`${source}: ${subgraphs.length} subgraphs, not 1`);
  const sg = subgraphs[0]!;
  const tensors = tables(sg, 0).map((t, index): TfliteTensor => {
    const name = (() => {
      const v = vector(t, 3);
      return new TextDecoder().decode(bytes.subarray(v.start, v.start + v.length));
    })();
    const buffer = field(t, 2) === undefined ? 0 : u32(field(t, 2)!);
    if (field(t, 4) !== undefined && vector(ref(field(t, 4)!), 2).length > 0) {
      throw new Error(`${source}: tensor ${name} is quantised`);
    }
    return { index, name, shape: ints(t, 0), type: scalar(t, 1, 1, 0), data: buffers[buffer] };
  });
  const operators = tables(sg, 3).map((t): TfliteOperator => {
    const code = codes[field(t, 0) === undefined ? 0 : u32(field(t, 0)!)];
    if (code === undefined) throw new Error(`${source}: an operator code outside the table`);
    const options = field(t, 4) === undefined ? undefined : ref(field(t, 4)!);
    return {
      op: code,
      inputs: ints(t, 1),
      outputs: ints(t, 2),
      option: (i, size, fallback) => options === undefined ? fallback : scalar(options, i, size, fallback),
    };
  });
  return { tensors, inputs: ints(sg, 1), outputs: ints(sg, 2), operators };
}

/** A constant tensor's float32 values. */
function floatsOf(t: TfliteTensor, source: string): Float32Array {
  if (!t.data || t.type !== 0) throw new Error(`${source}: ${t.name} is not a float32 constant`);
  if (t.data.length !== 4 * t.shape.reduce((a, b) => a * b, 1)) {
    throw new Error(`${source}: ${t.name} holds ${t.data.length} bytes for shape [${t.shape}]`);
  }
  return new Float32Array(t.data.slice().buffer);
}

/** What to build: the input's normalisation and the ONNX names, and whether to fuse PReLU. */
export interface TfliteSpec {
  /** ONNX input name; the input is NHWC with a symbolic batch, values `(x − mean) · scale` before the network. */
  readonly input: { readonly name: string; readonly mean: number; readonly scale: number };
  /** ONNX output name; the source's one output, flattened to `[N, size]`. */
  readonly output: string;
  readonly fusePrelu: boolean;
  readonly graphName: string;
  readonly doc: string;
}

/**
 * Converts a TFLite model of one NHWC image input and one output to ONNX bytes.
 *
 * @throws {Error} For an op, option or layout outside the supported set.
 */
export function convertTflite(model: TfliteModel, spec: TfliteSpec, source: string): Uint8Array {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new Error(`${source}: not one input and one output`);
  }
  const g = new GraphBuilder();
  const producer = new Map<number, TfliteOperator>();
  for (const o of model.operators) for (const t of o.outputs) producer.set(t, o);
  const tensor = (i: number) => {
    const t = model.tensors[i];
    if (!t) throw new Error(`${source}: tensor ${i} does not exist`);
    return t;
  };
  /** ONNX names of converted activations: NCHW for 4-D, the source's layout otherwise. */
  const done = new Map<number, { name: string; nchw: boolean }>();
  const activation = (i: number) => {
    const t = done.get(i);
    if (!t) throw new Error(`${source}: ${tensor(i).name} is used before it is made`);
    return t;
  };
  const perChannel = (t: TfliteTensor) => {
    const v = floatsOf(t, source);
    if (t.shape.length !== 1) throw new Error(`${source}: ${t.name}: a constant of shape [${t.shape}]`);
    return { values: v, dims: [v.length, 1, 1] };
  };

  const inputIndex = model.inputs[0]!;
  const inShape = tensor(inputIndex).shape;
  if (inShape.length !== 4) throw new Error(`${source}: a ${inShape.length}-D input`);
  g.io("input", spec.input.name, [null, inShape[1]!, inShape[2]!, inShape[3]!]);
  const normalised = g.node("Mul", [
    g.node("Sub", [spec.input.name, g.floats(g.name("mean"), [], new Float32Array([spec.input.mean]))]),
    g.floats(g.name("scale"), [], new Float32Array([spec.input.scale])),
  ]);
  done.set(inputIndex, { name: g.node("Transpose", [normalised], { perm: [0, 3, 1, 2] }), nchw: true });

  // PReLU as TF 1.x spells it: ADD(RELU(x), MUL(c, SUB(x, ABS(x)))), or MUL(SUB(..), c).
  const prelu = (add: TfliteOperator): { x: number; slope: TfliteTensor; skip: Set<TfliteOperator> } | undefined => {
    const [a, b] = add.inputs.map((i) => producer.get(i));
    const [relu, mul] = a?.op === OP.RELU ? [a, b] : [b, a];
    if (relu?.op !== OP.RELU || mul?.op !== OP.MUL) return undefined;
    const x = relu.inputs[0]!;
    const [m0, m1] = mul.inputs.map(tensor);
    const [c, s] = m0!.data ? [m0!, m1!] : [m1!, m0!];
    const sub = producer.get(s.index);
    if (!c.data || sub?.op !== OP.SUB || sub.inputs[0] !== x) return undefined;
    const abs = producer.get(sub.inputs[1]!);
    if (abs?.op !== OP.ABS || abs.inputs[0] !== x) return undefined;
    return { x, slope: c, skip: new Set([relu, mul, sub, abs]) };
  };
  const fused = new Map<TfliteOperator, ReturnType<typeof prelu>>();
  const skipped = new Set<TfliteOperator>();
  if (spec.fusePrelu) {
    for (const o of model.operators) {
      const p = o.op === OP.ADD ? prelu(o) : undefined;
      if (p) {
        fused.set(o, p);
        for (const s of p.skip) skipped.add(s);
      }
    }
  }
  const activate = (name: string, code: number, where: string) => {
    if (code === 0) return name;
    if (code === 1) return g.node("Relu", [name]);
    if (code === 3) {
      return g.node("Clip", [
        name,
        g.floats(g.name("lo"), [], new Float32Array([0])),
        g.floats(g.name("hi"), [], new Float32Array([6])),
      ]);
    }
    throw new Error(`${source}: ${where}: fused activation ${code}`);
  };

  for (const o of model.operators) {
    if (skipped.has(o)) continue;
    const out = o.outputs[0]!;
    const where = `${OP_NAME[o.op] ?? `op ${o.op}`} → ${tensor(out).name}`;
    const p = fused.get(o);
    if (p) {
      const slope = floatsOf(p.slope, source).map((v) => 2 * v);
      const x = activation(p.x);
      done.set(out, {
        name: g.node("PRelu", [x.name, g.floats(g.name("slope"), [slope.length, 1, 1], slope)]),
        nchw: x.nchw,
      });
      continue;
    }
    switch (o.op) {
      case OP.CONV_2D:
      case OP.DEPTHWISE_CONV_2D: {
        const depthwise = o.op === OP.DEPTHWISE_CONV_2D;
        const x = activation(o.inputs[0]!);
        const [, h, w, c] = tensor(o.inputs[0]!).shape as [number, number, number, number];
        const f = tensor(o.inputs[1]!);
        // Conv2DOptions: padding 0, stride_w 1, stride_h 2, activation 3, dilation_w 4, dilation_h 5;
        // DepthwiseConv2DOptions: padding 0, stride_w 1, stride_h 2, depth_multiplier 3, activation 4, dilations 5, 6.
        const same = o.option(0, 1, 0) === 0;
        const sw = o.option(1, 4, 1), sh = o.option(2, 4, 1);
        const act = o.option(depthwise ? 4 : 3, 1, 0);
        const dilations = depthwise ? [o.option(5, 4, 1), o.option(6, 4, 1)] : [o.option(4, 4, 1), o.option(5, 4, 1)];
        if (depthwise && o.option(3, 4, 1) !== 1) {
          throw new Error(`${source}: ${where}: depth multiplier ${o.option(3, 4, 1)}`);
        }
        if (dilations.some((d) => d !== 1)) throw new Error(`${source}: ${where}: dilated convolution`);
        const [fo, kh, kw, fi] = f.shape as [number, number, number, number];
        const ph = axisPads(h, kh, sh, same), pw = axisPads(w, kw, sw, same);
        // TFLite filters: conv O H W I → O I H W; depthwise 1 H W (C·M) → (C·M) 1 H W.
        const values = floatsOf(f, source);
        const weight = depthwise
          ? g.floats(g.name("dw_weight"), [fi, 1, kh, kw], permute(values, f.shape, [3, 0, 1, 2]))
          : g.floats(g.name("conv_weight"), [fo, fi, kh, kw], permute(values, f.shape, [0, 3, 1, 2]));
        if (!x.nchw) throw new Error(`${source}: ${where}: a convolution of a flat tensor`);
        const inputs = [x.name, weight];
        if (o.inputs[2] !== undefined && o.inputs[2] >= 0) {
          const b = floatsOf(tensor(o.inputs[2]), source);
          inputs.push(g.floats(g.name("bias"), [b.length], b));
        }
        const conv = g.node("Conv", inputs, {
          kernel_shape: [kh, kw],
          strides: [sh, sw],
          pads: [ph.pads[0], pw.pads[0], ph.pads[1], pw.pads[1]],
          ...(depthwise ? { group: c } : {}),
        });
        done.set(out, { name: activate(conv, act, where), nchw: true });
        break;
      }
      case OP.ADD:
      case OP.SUB:
      case OP.MUL: {
        const onnxOp = o.op === OP.ADD ? "Add" : o.op === OP.SUB ? "Sub" : "Mul";
        // AddOptions / SubOptions / MulOptions: fused_activation_function at 0.
        const act = o.option(0, 1, 0);
        const names = o.inputs.map((i) => {
          const t = tensor(i);
          if (!t.data) return activation(i).name;
          const { values, dims } = perChannel(t);
          return g.floats(g.name("const"), dims, values);
        });
        const nchw = o.inputs.some((i) => !tensor(i).data && activation(i).nchw);
        if (!nchw && o.inputs.some((i) => tensor(i).data)) {
          throw new Error(`${source}: ${where}: a constant operand of a flat tensor`);
        }
        done.set(out, { name: activate(g.node(onnxOp, names), act, where), nchw });
        break;
      }
      case OP.RELU:
      case OP.ABS:
      case OP.RELU6: {
        const x = activation(o.inputs[0]!);
        const name = o.op === OP.RELU
          ? g.node("Relu", [x.name])
          : o.op === OP.ABS
          ? g.node("Abs", [x.name])
          : activate(x.name, 3, where);
        done.set(out, { name, nchw: x.nchw });
        break;
      }
      case OP.RESHAPE: {
        const x = activation(o.inputs[0]!);
        const nhwc = x.nchw ? g.node("Transpose", [x.name], { perm: [0, 2, 3, 1] }) : x.name;
        const target = tensor(out).shape;
        if (target.length !== 2) throw new Error(`${source}: ${where}: a reshape to [${target}]`);
        done.set(out, { name: g.node("Flatten", [nhwc], { axis: 1 }), nchw: false });
        break;
      }
      default:
        throw new Error(`${source}: ${where}: not supported by the converter`);
    }
  }
  const last = model.outputs[0]!;
  const result = activation(last);
  if (result.nchw) throw new Error(`${source}: a 4-D output`);
  g.node("Identity", [result.name], {}, spec.output);
  g.io("output", spec.output, [null, tensor(last).shape[1]!]);
  return g.model(spec.graphName, "face2vec", spec.doc);
}

/**
 * A plain reference interpreter of the same op set, straight from the TFLite tensors (NHWC,
 * the source's layouts, sums in float64), without the conversion's layout permutations, op
 * mapping and fusion, and without ONNX Runtime: what `deno task assets --check` compares the
 * converted model with. It shares the file reader (`readTflite`) and the TF padding rule
 * (`axisPads`) with the converter, so a mistake in those would not show here. Slow (about a
 * second a chip); for checks only.
 *
 * @param x One NHWC input of the model's input shape without its batch, already normalised.
 * @returns The model's output for that input.
 * @throws {Error} For an op outside the set.
 */
export function tfliteForward(model: TfliteModel, x: Float32Array, source: string): Float32Array {
  const values = new Map<number, Float64Array>();
  const shapeOf = (i: number) => model.tensors[i]!.shape.slice(1);
  const get = (i: number): Float64Array => {
    const t = model.tensors[i]!;
    if (t.data) return Float64Array.from(floatsOf(t, source));
    const v = values.get(i);
    if (!v) throw new Error(`${source}: ${t.name} is used before it is made`);
    return v;
  };
  values.set(model.inputs[0]!, Float64Array.from(x));
  const act = (v: Float64Array, code: number) => {
    if (code === 1) return v.map((a) => Math.max(0, a));
    if (code === 3) return v.map((a) => Math.min(6, Math.max(0, a)));
    if (code !== 0) throw new Error(`${source}: fused activation ${code}`);
    return v;
  };
  for (const o of model.operators) {
    const out = o.outputs[0]!;
    switch (o.op) {
      case OP.CONV_2D:
      case OP.DEPTHWISE_CONV_2D: {
        const depthwise = o.op === OP.DEPTHWISE_CONV_2D;
        const [h, w, c] = shapeOf(o.inputs[0]!) as [number, number, number];
        const [oh, ow, oc] = shapeOf(out) as [number, number, number];
        const f = model.tensors[o.inputs[1]!]!;
        const [, kh, kw, fi] = f.shape as [number, number, number, number];
        const same = o.option(0, 1, 0) === 0, sw = o.option(1, 4, 1), sh = o.option(2, 4, 1);
        const top = axisPads(h, kh, sh, same).pads[0], left = axisPads(w, kw, sw, same).pads[0];
        const input = get(o.inputs[0]!), weight = get(o.inputs[1]!);
        const bias = o.inputs[2] !== undefined && o.inputs[2] >= 0 ? get(o.inputs[2]) : new Float64Array(oc);
        const y = new Float64Array(oh * ow * oc);
        for (let py = 0; py < oh; py++) {
          for (let px = 0; px < ow; px++) {
            for (let k = 0; k < oc; k++) {
              let s = bias[k]!;
              for (let dy = 0; dy < kh; dy++) {
                const iy = py * sh + dy - top;
                if (iy < 0 || iy >= h) continue;
                for (let dx = 0; dx < kw; dx++) {
                  const ix = px * sw + dx - left;
                  if (ix < 0 || ix >= w) continue;
                  const at = (iy * w + ix) * c;
                  if (depthwise) s += input[at + k]! * weight[(dy * kw + dx) * fi + k]!;
                  else {
                    const wat = ((k * kh + dy) * kw + dx) * fi;
                    for (let ci = 0; ci < c; ci++) s += input[at + ci]! * weight[wat + ci]!;
                  }
                }
              }
              y[(py * ow + px) * oc + k] = s;
            }
          }
        }
        values.set(out, act(y, o.option(depthwise ? 4 : 3, 1, 0)));
        break;
      }
      case OP.ADD:
      case OP.SUB:
      case OP.MUL: {
        const [a, b] = o.inputs.map(get) as [Float64Array, Float64Array];
        const n = Math.max(a.length, b.length);
        const f = o.op === OP.ADD
          ? (p: number, q: number) => p + q
          : o.op === OP.SUB
          ? (p: number, q: number) => p - q
          : (p: number, q: number) => p * q;
        // A shorter operand is a per-channel constant: it repeats along the last axis.
        values.set(
          out,
          act(Float64Array.from({ length: n }, (_, i) => f(a[i % a.length]!, b[i % b.length]!)), o.option(0, 1, 0)),
        );
        break;
      }
      case OP.RELU:
        values.set(out, act(get(o.inputs[0]!), 1));
        break;
      case OP.RELU6:
        values.set(out, act(get(o.inputs[0]!), 3));
        break;
      case OP.ABS:
        values.set(out, get(o.inputs[0]!).map(Math.abs));
        break;
      case OP.RESHAPE:
        values.set(out, get(o.inputs[0]!));
        break;
      default:
        throw new Error(`${source}: ${OP_NAME[o.op] ?? `op ${o.op}`}: not supported by the interpreter`);
    }
  }
  return Float32Array.from(get(model.outputs[0]!));
}
