import assert from "node:assert/strict";
import { createMatcher, EmptyGalleryError, galleryMatcher, nearestPerson } from "./matcher.ts";
import type { GalleryEntry } from "./entry.ts";

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

Deno.test("galleryMatcher() answers as createMatcher(), exact or not, and rejects an empty gallery with EmptyGalleryError", async () => {
  const m = galleryMatcher(GALLERY, 1.5);
  const q = [Float32Array.of(1, 0.5), Float32Array.of(9, 9)];
  const [near, far] = await m.match(q);
  const direct = createMatcher(GALLERY);
  assert.deepEqual(near, direct(q[0]!, 1.5));
  assert.deepEqual(far, direct(q[1]!, 1.5));
  assert.equal(far!.label, null);
  assert.deepEqual(await m.match(q, { exact: true, maxDistance: 100 }), q.map((x) => direct(x, 100)));
  await assert.rejects(
    galleryMatcher([]).match(q),
    (e: unknown) => e instanceof EmptyGalleryError && e.kind === "empty",
  );
});
