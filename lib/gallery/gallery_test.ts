import assert from "node:assert/strict";
import { Gallery } from "./gallery.ts";
import type { GalleryEntry } from "./entry.ts";
import { seededRandom } from "../_random.ts";

const e = (label: string, path: string, ...v: number[]): GalleryEntry => ({
  label,
  path,
  embedding: Float32Array.from(v),
});
const summary = (g: Gallery) => [...g].map((x) => `${x.label}:${x.path}=${x.embedding[0]}`);

Deno.test("withAdded() replaces a face only for the same person and photo, keeping the rest in their order", () => {
  const gallery = Gallery.from([
    e("ada", "a.jpg", 1),
    e("bob", "b.jpg", 2),
    e("ada", "a2.jpg", 3),
    e("cy", "c.jpg", 4),
  ]);
  const g = gallery.withAdded([
    e("ada", "a.jpg", 10), // same person, same photo: replaces ada:a.jpg
    e("bob", "a.jpg", 20), // the same photo under another name: a new entry
    e("cy", "c2.jpg", 30), // another photo of cy: a new entry
  ]);
  assert.deepEqual(summary(g), [
    "bob:b.jpg=2",
    "ada:a2.jpg=3",
    "cy:c.jpg=4",
    "ada:a.jpg=10",
    "bob:a.jpg=20",
    "cy:c2.jpg=30",
  ]);
  assert.equal(gallery.size, 4, "the old gallery is unchanged");
  assert.deepEqual(summary(Gallery.from([]).withAdded([e("ada", "a.jpg", 1)])), ["ada:a.jpg=1"]);
  assert.equal(gallery.withAdded([]), gallery);
  assert.throws(() => gallery.withAdded([e("ada", "x.jpg", 1, 2)]), /x\.jpg: an embedding of 2, the gallery's are 1/);
});

Deno.test("withAdded() appends a segment and leaves the earlier ones as they are; small ones at the end merge", () => {
  const big = Gallery.from(Array.from({ length: 8 }, (_, i) => e("p", `${i}.jpg`, i)));
  const [first] = big.segments;
  let g = big;
  const counts: number[][] = [];
  for (let i = 0; i < 7; i++) {
    g = g.withAdded([e("q", `new${i}.jpg`, 100 + i)]);
    assert.equal(g.segments[0], first, "the large segment is the same object, not written again");
    counts.push(g.segments.map((s) => s.count));
  }
  // Like a binary counter: a segment is never smaller than one after it.
  assert.deepEqual(counts, [[8, 1], [8, 2], [8, 2, 1], [8, 4], [8, 4, 1], [8, 4, 2], [8, 4, 2, 1]]);
  assert.equal(g.size, 15);
  assert.deepEqual(g.labels, ["p", "q"]);
  // Adding the eighth one merges everything (8 ≤ 8).
  assert.deepEqual(g.withAdded([e("q", "new7.jpg", 107)]).segments.map((s) => s.count), [16]);
});

Deno.test("without() removes every face of the people named, and only theirs", () => {
  const g = Gallery.from([e("ada", "a.jpg", 1), e("bob", "b.jpg", 2), e("ada", "a2.jpg", 3)]).withAdded([
    e("cy", "c.jpg", 4),
  ]);
  assert.deepEqual(summary(g.without(new Set(["ada"]))), ["bob:b.jpg=2", "cy:c.jpg=4"]);
  assert.equal(g.without(new Set(["cy"])).segments.length, 1);
  assert.equal(g.without(new Set(["nobody"])).segments[0], g.segments[0]);
});

/** `people` synthetic people of `per` faces each around random centres (dim 16), and strangers. */
function synthetic(people: number, per: number, seed: number): { gallery: Gallery; queries: Float32Array[] } {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const dim = 16;
  const entries: GalleryEntry[] = [];
  const queries: Float32Array[] = [];
  for (let p = 0; p < people; p++) {
    const centre = Float32Array.from({ length: dim }, gauss);
    for (let f = 0; f < per; f++) {
      entries.push({
        label: `p${p}`,
        path: `p${p}/${f}.jpg`,
        embedding: centre.map((v) => v + 0.15 * gauss()),
      });
    }
    if (p % 10 === 0) queries.push(centre.map((v) => v + 0.15 * gauss()));
  }
  return { gallery: Gallery.from(entries), queries };
}

/** The nearest person by brute force over entries, as the reference. */
function bruteNearest(entries: readonly GalleryEntry[], q: Float32Array): { label: string; distance: number } {
  const sums = new Map<string, { s: number[]; n: number }>();
  for (const x of entries) {
    const t = sums.get(x.label) ?? { s: new Array(q.length).fill(0), n: 0 };
    x.embedding.forEach((v, i) => (t.s[i] += v));
    t.n++;
    sums.set(x.label, t);
  }
  let best = { label: "", distance: Infinity };
  for (const [label, { s, n }] of sums) {
    const d = Math.hypot(...s.map((v, i) => v / n - q[i]!));
    if (d < best.distance) best = { label, distance: d };
  }
  return best;
}

Deno.test("nearestPeople() and nearestFace() equal a brute-force scan (distances within 1e-5)", () => {
  const { gallery, queries } = synthetic(60, 4, 1);
  const entries = gallery.entries();
  for (const q of queries) {
    const want = bruteNearest(entries, q);
    const [got] = gallery.nearestPeople(q);
    assert.equal(got!.label, want.label);
    assert.ok(Math.abs(got!.distance - want.distance) < 1e-5);
    const face = entries.map((x, i) => ({ i, d: Math.hypot(...x.embedding.map((v, k) => v - q[k]!)) }))
      .sort((a, b) => a.d - b.d)[0]!;
    const near = gallery.nearestFace(q)!;
    assert.equal(near.face, face.i);
    assert.equal(near.path, entries[face.i]!.path);
    assert.ok(Math.abs(near.distance - face.d) < 1e-5);
  }
  assert.throws(() => gallery.nearestPeople(new Float32Array(3)), /a query of 3 numbers, the gallery's are 16/);
  assert.throws(() => gallery.nearestFace(new Float32Array(16).fill(NaN)), /query number 0 is NaN/);
  assert.deepEqual(Gallery.from([]).nearestPeople(new Float32Array(0)), []);
});

Deno.test("the inverted file: every cell probed equals exact; the default probes keep recall@1 ≥ 0.99", async () => {
  const { gallery, queries } = synthetic(400, 5, 2);
  const indexed = await gallery.indexed();
  // About √2000 cells, more where k-means left a cell over three times the average.
  assert.ok(indexed.cells >= Math.round(Math.sqrt(2000)) && indexed.cells < 100, `${indexed.cells} cells`);
  assert.equal(indexed.index!.centres.count, indexed.cells);
  // Every face has its cell, and none is over four times the average size (dense ones split).
  const sizes = new Array(indexed.cells).fill(0);
  for (const seg of indexed.segments) for (const c of seg.cell) sizes[c]++;
  assert.equal(sizes.reduce((a, b) => a + b, 0), 2000);
  assert.ok(Math.max(...sizes) <= (4 * 2000) / indexed.cells, `largest cell ${Math.max(...sizes)}`);
  assert.equal(indexed.size, gallery.size);
  assert.deepEqual(indexed.entries().map((x) => x.path), gallery.entries().map((x) => x.path));
  let same = 0, faces = 0;
  for (const q of queries) {
    const exact = gallery.nearestPeople(q, 2);
    assert.deepEqual(indexed.nearestPeople(q, 2, { probes: indexed.cells }), exact);
    assert.deepEqual(indexed.nearestPeople(q, 2, { exact: true }), exact);
    if (indexed.nearestPeople(q)[0]!.label === exact[0]!.label) same++;
    if (indexed.nearestFace(q)!.face === gallery.nearestFace(q)!.face) faces++;
  }
  assert.ok(same / queries.length >= 0.99, `person recall@1 ${same}/${queries.length}`);
  assert.ok(faces / queries.length >= 0.99, `face recall@1 ${faces}/${queries.length}`);
  // A face added to an indexed gallery goes into its nearest cell and is found.
  const added = indexed.withAdded([{ label: "new", path: "n.jpg", embedding: queries[0]!.map((v) => v + 1e-3) }]);
  assert.equal(added.cells, indexed.cells);
  assert.equal(added.nearestFace(queries[0]!)!.path, "n.jpg");
});

Deno.test("rewrites() names the segments withAdded() writes again: those with a replaced face, and the merged tail", () => {
  let g = Gallery.from(Array.from({ length: 8 }, (_, i) => e("p", `${i}.jpg`, i)));
  g = g.withAdded([e("q", "a.jpg", 1)]).withAdded([e("q", "b.jpg", 2)]).withAdded([e("q", "c.jpg", 3)]);
  assert.deepEqual(g.segments.map((s) => s.count), [8, 2, 1]);
  assert.deepEqual(g.rewrites([e("r", "x.jpg", 0)]), [1, 2], "[8, 2, 1] + 1 merges the 2, 1 and the new one");
  // A face of the first replaced: [7, 2, 1] + 2 merges the 1 and the new two, then the 2.
  assert.deepEqual(g.rewrites([e("p", "3.jpg", 0), e("r", "y.jpg", 0)]), [0, 1, 2]);
  assert.deepEqual(g.rewrites([e("p", "3.jpg", 0)]), [0, 1, 2], "[7, 2, 1] + 1: 1 ≤ 1, then 2 ≤ 2");
  assert.deepEqual(g.rewrites([]), []);
  // withAdded() writes no other: the segments outside rewrites() stay the same objects.
  const before = g.segments;
  const after = g.withAdded([e("r", "x.jpg", 0)]);
  assert.equal(after.segments[0], before[0]);
  assert.deepEqual(after.segments.map((s) => s.count), [8, 4]);
});
