import assert from "node:assert/strict";
import { crc32c, EventWriter, maskedCrc32c, readTfRecords, tfRecord } from "./tensorboard.ts";

Deno.test("crc32c() matches the RFC 3720 (iSCSI) test vectors", () => {
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa);
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e);
  assert.equal(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c);
  assert.equal(crc32c(new TextEncoder().encode("123456789")), 0xe3069283);
});

Deno.test("maskedCrc32c() rotates right by 15 and adds 0xa282ead8, as TFRecord does", () => {
  const c = crc32c(new Uint8Array(8));
  assert.equal(maskedCrc32c(new Uint8Array(8)), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) % 2 ** 32);
  assert.equal(maskedCrc32c(new Uint8Array(8)), 0x07980329);
});

Deno.test("tfRecord() frames data as length, masked CRC, data, masked CRC (little-endian)", () => {
  const data = new TextEncoder().encode("hello");
  const r = tfRecord(data);
  const v = new DataView(r.buffer);
  assert.equal(r.length, 8 + 4 + 5 + 4);
  assert.equal(v.getBigUint64(0, true), 5n);
  assert.equal(v.getUint32(8, true), maskedCrc32c(r.subarray(0, 8)));
  assert.deepEqual(r.subarray(12, 17), data);
  assert.equal(v.getUint32(17, true), maskedCrc32c(data));
});

/** Decodes the fields of one protobuf message we wrote (varint, fixed64, length-delimited, fixed32). */
function fields(b: Uint8Array): Map<number, (number | bigint | Uint8Array)[]> {
  const out = new Map<number, (number | bigint | Uint8Array)[]>();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let i = 0;
  const varint = () => {
    let x = 0n, s = 0n;
    for (;;) {
      const byte = b[i++]!;
      x |= BigInt(byte & 0x7f) << s;
      s += 7n;
      if (!(byte & 0x80)) return x;
    }
  };
  while (i < b.length) {
    const key = Number(varint());
    const field = key >> 3, wire = key & 7;
    let value: number | bigint | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) (value = v.getFloat64(i, true)), (i += 8);
    else if (wire === 5) (value = v.getFloat32(i, true)), (i += 4);
    else {
      const n = Number(varint());
      value = b.subarray(i, i + n);
      i += n;
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

Deno.test("EventWriter writes a file-version event, then one Event per scalar, all readable back", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const w = await EventWriter.create(`${dir}/fold_1`, 1700000000.5);
    await w.scalars({ loss: 1.25, accuracy: 0.5 }, 3, 1700000001);
    w.close();
    assert.match(w.path, /fold_1\/events\.out\.tfevents\.1700000000\.face2vec$/);
    const records = readTfRecords(await Deno.readFile(w.path));
    assert.equal(records.length, 3);
    const first = fields(records[0]!);
    assert.equal(first.get(1)![0], 1700000000.5);
    assert.equal(new TextDecoder().decode(first.get(3)![0] as Uint8Array), "brain.Event:2");
    const loss = fields(records[1]!);
    assert.equal(loss.get(1)![0], 1700000001);
    assert.equal(loss.get(2)![0], 3n);
    const value = fields(fields(loss.get(5)![0] as Uint8Array).get(1)![0] as Uint8Array);
    assert.equal(new TextDecoder().decode(value.get(1)![0] as Uint8Array), "loss");
    assert.equal(value.get(2)![0], 1.25);
    // A flipped byte is caught by the checksum.
    const bytes = await Deno.readFile(w.path);
    bytes[bytes.length - 6]! ^= 1;
    assert.throws(() => readTfRecords(bytes), /bad data CRC/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
