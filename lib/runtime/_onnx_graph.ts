/**
 * A minimal, deterministic ONNX (protobuf) writer: enough to express the converted networks
 * (`scripts/`) and the small graphs the library builds itself (clustering's distance
 * kernel) with standard opset-13 operators. Same graph in, same bytes out.
 *
 * @module
 */

import { ProtoWriter as Pb } from "../_protobuf.ts";

/** ONNX TensorProto data types used here. */
export const DataType = { FLOAT: 1, UINT8: 2, INT64: 7 } as const;

/** A node attribute value. */
export type Attr = number | number[] | { float: number };

/** Builds one graph. Names must be unique; the caller keeps them so. */
export class GraphBuilder {
  #nodes: Pb[] = [];
  #inits: Pb[] = [];
  #inputs: Pb[] = [];
  #outputs: Pb[] = [];
  #n = 0;

  /** A fresh name with a readable prefix. */
  name(prefix: string): string {
    return `${prefix}_${this.#n++}`;
  }

  /** Adds an initializer of raw little-endian bytes. */
  initializer(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): string {
    const t = new Pb();
    for (const d of dims) t.int(1, d);
    t.int(2, dataType).str(8, name).bytes(9, raw);
    this.#inits.push(t);
    return name;
  }

  /** A float32 initializer. */
  floats(name: string, dims: readonly number[], values: Float32Array): string {
    const raw = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
    return this.initializer(name, DataType.FLOAT, dims, raw);
  }

  /** An int64 initializer (shapes for Reshape, etc.). */
  int64s(name: string, values: readonly number[]): string {
    const raw = new Uint8Array(BigInt64Array.from(values, BigInt).buffer);
    return this.initializer(name, DataType.INT64, [values.length], raw);
  }

  /**
   * A weight stored as uint8 and dequantised in the graph exactly as face-api.js does it:
   * value = q · scale + min (Cast → Mul → Add; ONNX Runtime folds it at session creation).
   */
  quantized(name: string, dims: readonly number[], q: Uint8Array, scale: number, min: number): string {
    const raw = this.initializer(`${name}__q`, DataType.UINT8, dims, q);
    const f = this.node("Cast", [raw], { to: DataType.FLOAT });
    const s = this.floats(`${name}__scale`, [], new Float32Array([scale]));
    const m = this.floats(`${name}__min`, [], new Float32Array([min]));
    return this.node("Add", [this.node("Mul", [f, s]), m], {}, name);
  }

  /** Adds a node with one output and returns the output's name. */
  node(op: string, inputs: readonly string[], attrs: Record<string, Attr> = {}, output?: string): string {
    const out = output ?? this.name(op.toLowerCase());
    const n = new Pb();
    for (const i of inputs) n.str(1, i);
    n.str(2, out).str(3, `${op}_${this.#nodes.length}`).str(4, op);
    for (const [k, v] of Object.entries(attrs)) {
      const a = new Pb().str(1, k);
      if (typeof v === "number") a.int(3, v).int(20, 2);
      else if (Array.isArray(v)) {
        for (const x of v) a.int(8, x);
        a.int(20, 7);
      } else a.float(2, v.float).int(20, 1);
      n.msg(5, a);
    }
    this.#nodes.push(n);
    return out;
  }

  /** Declares a float32 graph input or output; `null` dims are symbolic ("N"), strings are named symbolic dims. */
  io(kind: "input" | "output", name: string, dims: readonly (number | string | null)[]): void {
    const shape = new Pb();
    for (const d of dims) shape.msg(1, typeof d === "number" ? new Pb().int(1, d) : new Pb().str(2, d ?? "N"));
    const tensor = new Pb().int(1, DataType.FLOAT).msg(2, shape);
    const v = new Pb().str(1, name).msg(2, new Pb().msg(1, tensor));
    (kind === "input" ? this.#inputs : this.#outputs).push(v);
  }

  /** Serialises the model (IR version 7, opset 13). */
  model(graphName: string, producer: string, docString: string): Uint8Array {
    const g = new Pb();
    for (const n of this.#nodes) g.msg(1, n);
    g.str(2, graphName);
    for (const t of this.#inits) g.msg(5, t);
    for (const i of this.#inputs) g.msg(11, i);
    for (const o of this.#outputs) g.msg(12, o);
    const opset = new Pb().str(1, "").int(2, 13);
    return new Pb().int(1, 7).str(2, producer).str(6, docString).msg(7, g).msg(8, opset).done();
  }
}
