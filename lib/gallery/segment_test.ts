import assert from "node:assert/strict";
import { checksum, decodeSegment, decodeSegmentColumns, encodeSegment, SegmentError } from "./segment.ts";
import type { GalleryEntry } from "./entry.ts";

const entries: GalleryEntry[] = [
  { label: "ada", path: "people/ada/1.jpg", embedding: Float32Array.of(0.25, -1.5, 3) },
  { label: "bob", path: "Ünïcödé/ß.png", embedding: Float32Array.of(1e-8, 0, -0), enrolled: true },
  { label: "ada", path: "", embedding: Float32Array.of(7, 8, 9) },
];

Deno.test("a segment's header holds people named in any Unicode (padded by bytes, not characters)", () => {
  for (const label of ["Béa", "Zoë Ünïcödé", "李小龍", "😀", "ab"]) {
    const bytes = encodeSegment([{ label, path: "x.jpg", embedding: Float32Array.of(1) }]);
    assert.equal(bytes.length % 4, 0);
    assert.deepEqual(decodeSegment(bytes, "u.f2vg").labels, [label]);
  }
});

/** The segment with its body changed by `edit` and its checksum made to match again. */
function resealed(bytes: Uint8Array, edit: (body: DataView, bodyStart: number) => void): Uint8Array {
  const out = bytes.slice();
  const view = new DataView(out.buffer);
  const h = view.getUint32(4, true), start = 8 + h;
  edit(new DataView(out.buffer, start), start);
  const header = JSON.parse(new TextDecoder().decode(out.subarray(8, start)));
  header.checksum = checksum(new Uint32Array(out.buffer, start)).sum;
  out.set(new TextEncoder().encode(JSON.stringify(header).padEnd(h, " ")), 8);
  return out;
}

Deno.test("a segment round-trips every field exactly, embeddings as a view of the bytes", () => {
  const bytes = encodeSegment(entries);
  const s = decodeSegment(bytes, "g.f2vg", 3);
  assert.equal(s.count, 3);
  assert.equal(s.dim, 3);
  assert.deepEqual(s.labels, ["ada", "bob"]);
  assert.deepEqual([...s.person], [0, 1, 0]);
  assert.deepEqual([...s.enrolled], [0, 1, 0]);
  assert.deepEqual([0, 1, 2].map((i) => s.path(i)), entries.map((e) => e.path));
  assert.deepEqual([...s.embeddings], entries.flatMap((e) => [...e.embedding]));
  assert.equal(s.embeddings.buffer, bytes.buffer, "no copy of the embeddings");
  assert.equal(bytes.length % 4, 0);
  const empty = decodeSegment(encodeSegment([]), "e.f2vg");
  assert.deepEqual([empty.count, empty.labels.length, empty.embeddings.length], [0, 0, 0]);
});

Deno.test("decodeSegment refuses each kind of damage in one line naming the file", () => {
  const bytes = encodeSegment(entries);
  const refuse = (b: Uint8Array, why: RegExp, dim?: number) =>
    assert.throws(
      () => decodeSegment(b, "g.f2vg", dim),
      (e: Error) => e instanceof SegmentError && why.test(e.message),
    );
  refuse(new TextEncoder().encode("{}"), /^g\.f2vg: not a Face2Vec gallery segment$/);
  refuse(bytes.subarray(0, bytes.length - 4), /bytes after the header, expected/);
  refuse(bytes, /^g\.f2vg: header\.dim: 3, expected 128$/, 128);
  const flipped = bytes.slice();
  flipped[flipped.length - 3]! ^= 0x10;
  refuse(flipped, /checksum does not match/);
  // Damage a checksum cannot see (a writer's bug): each field is still checked.
  const floatsEnd = bytes.length;
  refuse(
    resealed(bytes, (v, start) => v.setFloat32(floatsEnd - start - 4, NaN, true)),
    /face 2: embedding number 2 is not finite/,
  );
  refuse(resealed(bytes, (v) => v.setUint32(4, 9, true)), /face 1: person 9 of 2/);
  refuse(resealed(bytes, (v) => v.setUint8(12 + 1, 2)), /face 1: enrolled flag 2/);
  const header = (edit: (h: Record<string, unknown>) => void) => {
    const out = bytes.slice(), h = new DataView(out.buffer).getUint32(4, true);
    const json = JSON.parse(new TextDecoder().decode(out.subarray(8, 8 + h)));
    edit(json);
    out.set(new TextEncoder().encode(JSON.stringify(json).padEnd(h, " ")), 8);
    return out;
  };
  refuse(header((h) => (h.version = 2)), /segment version 2, this Face2Vec reads 1/);
  refuse(header((h) => (h.labels = ["ada", ""])), /header\.labels: not a list of non-empty names/);
  refuse(header((h) => (h.count = -1)), /header\.count: not an integer ≥ 0/);
});

Deno.test("encodeSegment refuses an embedding that is not finite as float32, or of another length", () => {
  assert.throws(
    () => encodeSegment([{ label: "a", path: "x", embedding: Float32Array.of(1, Infinity) }]),
    /x: embedding number 1 is Infinity/,
  );
  assert.throws(
    () =>
      encodeSegment([{ label: "a", path: "x", embedding: new Float32Array(2) }, {
        label: "b",
        path: "y",
        embedding: new Float32Array(3),
      }]),
    /y: an embedding of 3, not 2/,
  );
});

Deno.test("a segment keeps every face's inverted-file cell, and refuses one out of range", () => {
  const five = [...entries, ...entries.slice(0, 2)].map((e, i) => ({ ...e, path: `${i}.jpg` }));
  const s = decodeSegment(encodeSegment(five, { count: 2, of: [1, 0, 1, 1, 0] }), "c.f2vg", 3);
  assert.equal(s.cells, 2);
  assert.deepEqual([...s.cell], [1, 0, 1, 1, 0]);
  assert.deepEqual([...s.embeddings], five.flatMap((e) => [...e.embedding]));
  assert.throws(() => encodeSegment(five, { count: 2, of: [1, 0, 2, 1, 0] }), /2\.jpg: cell 2 of 2/);
  assert.throws(() => encodeSegment(five, { count: 2, of: [1, 0] }), /2 cells for 5 faces/);
});

Deno.test("the checksum sees a change in any word, in every lane; decodeSegmentColumns reads the columns alone", () => {
  const words = Uint32Array.from({ length: 11 }, (_, i) => i * 2654435761);
  const sum = checksum(words).sum;
  for (let i = 0; i < words.length; i++) {
    const w = words.slice();
    w[i]! ^= 1 << (i % 32);
    assert.notEqual(checksum(w).sum, sum, `word ${i}`);
  }
  // Two words swapped between lanes are seen too.
  const swapped = words.slice();
  [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
  assert.notEqual(checksum(swapped).sum, sum);
  const bytes = encodeSegment(entries);
  const headerLength = new DataView(bytes.buffer).getUint32(4, true);
  const light = decodeSegmentColumns(bytes.subarray(0, bytes.length - 4 * 3 * 3), "g.f2vg", bytes.length, { dim: 3 });
  assert.equal(light.complete, false);
  assert.deepEqual([light.count, light.embeddings.length, light.path(1)], [3, 0, "Ünïcödé/ß.png"]);
  assert.ok(headerLength > 0);
  assert.throws(() => decodeSegmentColumns(bytes.subarray(0, 60), "g.f2vg", 60, { dim: 3 }), SegmentError);
});

Deno.test("decodeSegment refuses an embedding norm out of range, in one line", () => {
  const norm = { min: 0.5, max: 3 };
  const at = (v: number[]) => encodeSegment([{ label: "a", path: "a.jpg", embedding: Float32Array.from(v) }]);
  assert.equal(decodeSegment(at([3, 0]), "g.f2vg", { norm }).count, 1, "3 is within the range");
  assert.equal(decodeSegment(at([0.3, 0.4]), "g.f2vg", { norm }).count, 1, "0.5 is within the range");
  assert.throws(
    () => decodeSegment(at([3, 0.1]), "g.f2vg", { norm }),
    /^SegmentError: g\.f2vg: face 0: embedding norm 3\.00, not within 0\.5–3/,
  );
  assert.throws(() => decodeSegment(at([0.3, 0.3]), "g.f2vg", { norm }), /face 0: embedding norm 0\.424, not within/);
  assert.equal(decodeSegment(at([0, 0]), "g.f2vg").count, 1, "without a range, any vector");
});
