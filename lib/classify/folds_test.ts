import assert from "node:assert/strict";
import { stratifiedFolds } from "./folds.ts";
import { seededRandom } from "../_random.ts";

Deno.test("stratifiedFolds(): every fold trains on every class and validates on each once", () => {
  // 10 classes of 3–12 samples, in file order (as the original listed them).
  const labels = Array.from({ length: 10 }, (_, c) => Array(3 + c).fill(c)).flat();
  for (const seed of [0, 1, 2]) {
    const folds = stratifiedFolds(labels, 3, seededRandom(seed));
    const seen = new Array(labels.length).fill(0);
    for (const f of folds) {
      assert.equal(f.train.length + f.validation.length, labels.length);
      assert.deepEqual(new Set(f.train.map((i) => labels[i])).size, 10, "a class is missing from training");
      assert.deepEqual(new Set(f.validation.map((i) => labels[i])).size, 10, "a class is missing from validation");
      for (const i of f.validation) seen[i]++;
    }
    assert.ok(seen.every((n) => n === 1), "each sample validates exactly once");
    const sizes = folds.map((f) => f.validation.length);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `unbalanced folds ${sizes}`);
  }
});

Deno.test("stratifiedFolds() is reproducible per seed and differs across seeds", () => {
  const labels = Array.from({ length: 40 }, (_, i) => i % 4);
  const a = stratifiedFolds(labels, 5, seededRandom(3));
  assert.deepEqual(stratifiedFolds(labels, 5, seededRandom(3)), a);
  assert.notDeepEqual(stratifiedFolds(labels, 5, seededRandom(4)), a);
  assert.throws(() => stratifiedFolds(labels, 1, seededRandom(0)), RangeError);
});
