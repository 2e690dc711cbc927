/**
 * A minimal protocol-buffers writer (varints, length-delimited fields, fixed32/64): enough
 * for ONNX graphs and TensorBoard events. Deterministic: the same calls give the same bytes.
 *
 * @module
 */

/** Builds one message; nested messages are built separately and added with `msg`. */
export class ProtoWriter {
  #parts: number[] = [];
  varint(v: number | bigint): this {
    let n = BigInt.asUintN(64, BigInt(v));
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n > 0n) b |= 0x80;
      this.#parts.push(b);
    } while (n > 0n);
    return this;
  }
  key(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }
  int(field: number, v: number | bigint): this {
    return this.key(field, 0).varint(v);
  }
  bytes(field: number, b: Uint8Array): this {
    this.key(field, 2).varint(b.length);
    for (const x of b) this.#parts.push(x);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  msg(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.done());
  }
  double(field: number, v: number): this {
    this.key(field, 1);
    for (const x of new Uint8Array(new Float64Array([v]).buffer)) this.#parts.push(x);
    return this;
  }
  float(field: number, v: number): this {
    this.key(field, 5);
    const b = new Uint8Array(new Float32Array([v]).buffer);
    for (const x of b) this.#parts.push(x);
    return this;
  }
  done(): Uint8Array {
    return new Uint8Array(this.#parts);
  }
}
