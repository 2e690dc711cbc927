import assert from "node:assert/strict";
import { createMatcher, type GalleryEntry, galleryText, loadGallery, nearestPerson, saveGallery } from "./gallery.ts";

const e = (label: string, path: string, ...v: number[]): GalleryEntry => ({
  label,
  path,
  embedding: Float32Array.from(v),
});

/**
 * Centroids worked by hand: ada (0, 0) and (2, 0) → (1, 0); bob (4, 4) and (4, 2) → (4, 3);
 * cy (1, 3) alone. Listed bob first, so that an order by label differs from the gallery's.
 */
const GALLERY = [
  e("bob", "b1.jpg", 4, 4),
  e("cy", "c.jpg", 1, 3),
  e("ada", "a1.jpg", 0, 0),
  e("bob", "b2.jpg", 4, 2),
  e(
    "ada",
    "a2.jpg",
    2,
    0,
  ),
];

Deno.test("createMatcher() measures the distance to each person's centroid (the mean of their embeddings)", () => {
  const match = createMatcher(GALLERY);
  // At ada's centroid (1, 0): ada 0, cy √(0 + 9) = 3, bob √(9 + 9) ≈ 4.243.
  assert.deepEqual(match([1, 0]), {
    label: "ada",
    candidate: "ada",
    distance: 0,
    runnerUp: { label: "cy", distance: 3 },
  });
  // At bob's centroid (4, 3): bob 0 (neither of his faces, each 1 away), cy 3.
  assert.deepEqual(match([4, 3]), {
    label: "bob",
    candidate: "bob",
    distance: 0,
    runnerUp: { label: "cy", distance: 3 },
  });
  // (1, 1): ada 1, cy 2, bob √13.
  const a = match([1, 1]);
  assert.equal(a.label, "ada");
  assert.equal(a.distance, 1);
  assert.deepEqual(a.runnerUp, { label: "cy", distance: 2 });
  // A one-person gallery has no runner-up.
  assert.deepEqual(createMatcher([e("ada", "a.jpg", 3, 4)])([0, 0]), {
    label: "ada",
    candidate: "ada",
    distance: 5,
    runnerUp: null,
  });
});

Deno.test("createMatcher() answers label null beyond maxDistance, keeping the candidate; at maxDistance it names", () => {
  const match = createMatcher(GALLERY);
  // (1, -2): ada 2, cy 5, bob √34.
  const far = match([1, -2], 1.99);
  assert.deepEqual(far, { label: null, candidate: "ada", distance: 2, runnerUp: { label: "cy", distance: 5 } });
  assert.equal(match([1, -2], 2).label, "ada");
  // The default is Infinity: every face is named.
  // (1000, 3): bob 996, cy 999, ada ≈ 999.
  const stranger = match([1000, 3]);
  assert.equal(stranger.label, "bob");
  assert.equal(stranger.distance, 996);
});

Deno.test("createMatcher() breaks a tie in distance by label, whatever the gallery's order", () => {
  // (4, 0) is 3 from ada's centroid (1, 0) and 3 from bob's (4, 3); cy is √18 away.
  for (const gallery of [GALLERY, [...GALLERY].reverse()]) {
    const t = createMatcher(gallery)([4, 0]);
    assert.equal(t.label, "ada");
    assert.equal(t.distance, 3);
    assert.deepEqual(t.runnerUp, { label: "bob", distance: 3 });
  }
});

Deno.test("createMatcher() and nearestPerson() refuse an empty gallery (RangeError)", () => {
  assert.throws(() => createMatcher([]), RangeError, "the gallery is empty");
  assert.throws(() => nearestPerson([], [0, 0]), RangeError);
  // nearestPerson is the matcher for one query.
  assert.deepEqual(nearestPerson(GALLERY, [1, -2], 1.99), createMatcher(GALLERY)([1, -2], 1.99));
});

Deno.test("saveGallery() then loadGallery() gives back every entry exactly, in order, in one gallery.f2vg", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const entries = [
      e("ada", "people/ada/1.jpg", 0.1, -1e-7, 1 / 3, 12345.678),
      e("bob", "bob.jpg", -0.5, 0, 2 ** -20, -3.25),
      e("ada", "people/ada/2.jpg", 1, 2, 3, 4),
    ];
    await saveGallery(dir, entries);
    assert.deepEqual([...Deno.readDirSync(dir)].map((f) => f.name), ["gallery.f2vg"]);
    const back = await loadGallery(dir);
    assert.deepEqual(back.entries(), entries.map((x) => ({ ...x, embedding: Float32Array.from(x.embedding) })));
    // Saving again replaces the file.
    await saveGallery(dir, back.entries().slice(1));
    assert.deepEqual((await loadGallery(dir)).entries().map((x) => x.path), ["bob.jpg", "people/ada/2.jpg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGallery() reads an earlier version's gallery.json, and none is an empty gallery", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await loadGallery(dir)).size, 0);
    const entries = [e("ada", "a.jpg", 0.5, 2), e("bob", "b.jpg", -1, 3)];
    const text = galleryText(entries);
    assert.deepEqual(JSON.parse(text).entries[1], { label: "bob", path: "b.jpg", embedding: [-1, 3] });
    await Deno.writeTextFile(`${dir}/gallery.json`, text);
    assert.deepEqual((await loadGallery(dir)).entries(), entries);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGallery() refuses a gallery.json that is not JSON or not a Face2Vec gallery, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/gallery.json`;
  try {
    for (
      const json of [
        { format: "face2vec-model", version: 1, entries: [] },
        { format: "face2vec-gallery", version: 2, entries: [] },
        { format: "face2vec-gallery", version: 1 },
        [1, 2, 3],
      ]
    ) {
      await Deno.writeTextFile(file, JSON.stringify(json));
      await assert.rejects(loadGallery(dir), Error, `${file}: not a Face2Vec gallery (version 1)`);
    }
    await Deno.writeTextFile(file, "{ half");
    await assert.rejects(loadGallery(dir), Error, `${file}: not JSON`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
