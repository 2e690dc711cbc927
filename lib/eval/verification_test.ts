import assert from "node:assert/strict";
import { bestThreshold, verificationFolds, verifyByFolds } from "./verification.ts";
import { seededRandom } from "../_random.ts";

const labels = (people: number, each: number) =>
  Array.from({ length: people * each }, (_, i) => `p${String(Math.floor(i / each)).padStart(2, "0")}`);

Deno.test("verificationFolds: each person in one fold only; pairs within the fold, distinct, as many as asked", () => {
  const ls = labels(40, 6);
  const folds = verificationFolds(ls, { same: 20, different: 50 });
  assert.deepEqual(folds.length, 10);
  const owner = new Map<string, number>();
  folds.forEach((f, k) => {
    for (const i of f.faces) {
      assert.ok(!owner.has(ls[i]!) || owner.get(ls[i]!) === k, `${ls[i]} in two folds`);
      owner.set(ls[i]!, k);
    }
    assert.deepEqual(f.faces.length, 24); // 4 people of 6 photos
    assert.deepEqual(f.same.length, 20);
    assert.deepEqual(f.different.length, 50);
    const inFold = new Set(f.faces);
    for (const [a, b] of f.same) assert.ok(ls[a] === ls[b] && inFold.has(a) && inFold.has(b));
    for (const [a, b] of f.different) assert.ok(ls[a] !== ls[b] && inFold.has(a) && inFold.has(b));
    assert.deepEqual(new Set(f.different.map(([a, b]) => `${a},${b}`)).size, 50);
  });
  assert.deepEqual(owner.size, 40);
  // The same seed deals the same folds; another seed another.
  assert.deepEqual(verificationFolds(ls, { same: 20, different: 50 }), folds);
  assert.ok(JSON.stringify(verificationFolds(ls, { seed: 5 })) !== JSON.stringify(folds));
});

Deno.test("verificationFolds: a fold with fewer pairs than asked takes them all; too few people is refused", () => {
  const folds = verificationFolds(labels(20, 2), { same: 300, different: 300 });
  // Each fold: 2 people of 2 photos → 2 same pairs, 4 different pairs.
  for (const f of folds) assert.deepEqual([f.same.length, f.different.length], [2, 4]);
  assert.throws(
    () => verificationFolds(labels(19, 2)),
    (e: unknown) => e instanceof RangeError && e.message.includes("at least 20 people, got 19"),
  );
  assert.throws(
    () => verificationFolds(labels(40, 2), { folds: 1 }),
    (e: unknown) => e instanceof RangeError && e.message.includes("folds must be"),
  );
});

Deno.test("bestThreshold: the midpoint with the most right answers", () => {
  assert.ok(Math.abs(bestThreshold([0.9, 0.8, 0.7], [0.1, 0.2, 0.5]) - 0.6) < 1e-12);
  // One same pair below the different pairs: accepting from 0.7 gets 5 of 6 right, from 0.2 4.
  assert.ok(Math.abs(bestThreshold([0.9, 0.8, 0.3], [0.6, 0.5, 0.1]) - 0.7) < 1e-12);
  // A tie takes the lower threshold: 0.2 and 0.7 both get 4 of 5 right.
  assert.ok(Math.abs(bestThreshold([0.9, 0.8, 0.3], [0.6, 0.1]) - 0.2) < 1e-12);
});

Deno.test("verifyByFolds: known accuracy and TAR on embeddings with a known overlap", () => {
  // 40 people of 5 faces each: a direction per person plus noise. Far apart → perfect.
  const random = seededRandom(3);
  const faces = (noise: number) =>
    labels(40, 5).map((label, i) => {
      const e = new Float32Array(48);
      e[Math.floor(i / 5)] = 1;
      for (let k = 0; k < e.length; k++) e[k] = e[k]! + noise * (random() - 0.5);
      return { label, path: `${i}.jpg`, embedding: e };
    });
  const clean = verifyByFolds(faces(0.01));
  assert.deepEqual([clean.accuracy_mean, clean.accuracy_sd, clean.tar_at_far], [1, 0, 1]);
  assert.deepEqual(clean.all_pairs, { same: 400, different: 10 * (20 * 20 - 4 * 25) / 2 });
  assert.deepEqual(clean.pairs.same, 400); // 40 per fold, under the 300 asked
  // Heavy noise: well above chance, well below perfect; sd over folds reported.
  const noisy = verifyByFolds(faces(0.9));
  assert.ok(noisy.accuracy_mean > 0.6 && noisy.accuracy_mean < 0.99, String(noisy.accuracy_mean));
  assert.ok(noisy.accuracy_sd > 0, "no spread over folds");
  assert.ok(noisy.tar_at_far < clean.tar_at_far);
  assert.deepEqual(noisy.fold_accuracy.length, 10);
  // Scaling an embedding changes nothing (cosine on unit vectors).
  const scaled = faces(0.01).map((f, i) => ({ ...f, embedding: f.embedding.map((v) => v * (1 + i % 3)) }));
  assert.deepEqual(verifyByFolds(scaled).accuracy_mean, 1);
  assert.throws(
    () => verifyByFolds(faces(0).map((f, i) => (i === 7 ? { ...f, embedding: new Float32Array(48) } : f))),
    (e: unknown) => e instanceof RangeError && e.message.includes("7.jpg: a zero embedding"),
  );
});
