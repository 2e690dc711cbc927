import assert from "node:assert/strict";
import { scoreClustering } from "./clustering.ts";

Deno.test("scoreClustering: pairwise and BCubed figures of a worked example", () => {
  // Group 0 = {a, a, b}, group 1 = {b}, face 4 (a) unclustered, face 5 without a label.
  const s = scoreClustering([0, 0, 0, 1, -1, 1], ["a", "a", "b", "b", "a", undefined]);
  // Pairs within groups: 3 (group 0), of which 1 is one person. Same-person pairs: a 3, b 1.
  assert.equal(s.pairwise.precision, 1 / 3);
  assert.equal(s.pairwise.recall, 1 / 4);
  assert.ok(Math.abs(s.pairwise.f1 - (2 * (1 / 3) * (1 / 4)) / (1 / 3 + 1 / 4)) < 1e-12);
  // BCubed precision per face: 2/3, 2/3, 1/3, 1, 1 → 11/15; recall: 2/3, 2/3, 1/2, 1/2, 1/3 → 8/15.
  assert.ok(Math.abs(s.bcubed.precision - 11 / 15) < 1e-12, String(s.bcubed.precision));
  assert.ok(Math.abs(s.bcubed.recall - 8 / 15) < 1e-12, String(s.bcubed.recall));
  assert.equal(s.faces, 5);
  assert.equal(s.people, 2);
  assert.equal(s.groups, 1); // group 1 holds one labelled face
  assert.equal(s.unclustered, 1);
});

Deno.test("scoreClustering: everything unclustered is precise and recalls nothing", () => {
  const s = scoreClustering([-1, -1, -1], ["a", "a", "b"]);
  assert.equal(s.pairwise.precision, 1);
  assert.equal(s.pairwise.recall, 0);
  assert.equal(s.bcubed.precision, 1);
  assert.ok(Math.abs(s.bcubed.recall - (1 / 2 + 1 / 2 + 1) / 3) < 1e-12);
  assert.throws(() => scoreClustering([0], ["a", "b"]), /1 groups for 2 labels/);
});
