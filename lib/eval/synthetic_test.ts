import assert from "node:assert/strict";
import { syntheticPeople, withinSpread } from "./synthetic.ts";

Deno.test("withinSpread() is the pooled per-dimension deviation around each person's mean", () => {
  const e = [[0, 0], [2, 0], [10, 4], [10, 6], [99, 99]].map((v) => Float32Array.from(v));
  // Squares: person a 1 + 1 (dimension 0), person b 1 + 1 (dimension 1); 8 numbers; the unlabelled face is left out.
  assert.ok(Math.abs(withinSpread(e, ["a", "a", "b", "b", undefined]) - Math.sqrt(4 / 8)) < 1e-12);
  // A person with one face adds nothing.
  assert.ok(Math.abs(withinSpread(e, ["a", "a", "b", "c", undefined]) - Math.sqrt(2 / 4)) < 1e-12);
});

Deno.test("syntheticPeople() draws faces around their person at the real spread, reproducibly", () => {
  const real = { base: "x", embeddings: [Float32Array.of(0, 0, 0, 0)], spread: 0.1 };
  const s = syntheticPeople(real, 200, 5, 7);
  assert.equal(s.data.length, 200 * 5 * 4);
  assert.deepEqual(s.data, syntheticPeople(real, 200, 5, 7).data);
  // Two faces of one person differ by the spread twice over (variance 2 × 0.01 per dimension).
  let sq = 0;
  for (let p = 0; p < 200; p++) {
    for (let k = 0; k < 4; k++) sq += (s.data[p * 20 + k]! - s.data[p * 20 + 4 + k]!) ** 2;
  }
  const sdPair = Math.sqrt(sq / 800);
  assert.ok(Math.abs(sdPair - Math.sqrt(0.02)) < 0.015, String(sdPair));
});
