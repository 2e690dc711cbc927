import assert from "node:assert/strict";
import { clusterFigures, scoreClustering } from "./clustering.ts";

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

Deno.test("clusterFigures() clusters every face of a half and scores each photo's centred face", async () => {
  const box = { x: 0, y: 0, width: 10, height: 10 }, off = { x: 40, y: 40, width: 8, height: 8 };
  // Two people of three photos each, far apart; every photo also holds an unlabelled face off-centre.
  const record = (path: string, x: number) => ({
    path,
    hash: "",
    label: "",
    status: "ok",
    width: 10,
    height: 10,
    all: [{ box, embedding: [x, 0, 0] }, { box: off, embedding: [0, 0, 50 + x] }],
  });
  const records = ["ann/1", "ann/2", "ann/3", "bob/1", "bob/2", "bob/3"].map((p, i) =>
    record(`${p}.jpg`, (i < 3 ? 0 : 5) + 0.001 * i)
  );
  const f = await clusterFigures(records as never, "all", {
    algorithm: "chinese-whispers",
    threshold: 0.5,
    minSize: 2,
  });
  assert.equal(f.faces, 12);
  assert.equal(f.labelled, 6);
  assert.equal(f.people, 2);
  assert.equal(f.groups, 2);
  assert.equal(f.bcubed_f1, 1);
  assert.equal(f.pairwise_precision, 1);
  assert.equal(f.unclustered_rate, 0);
  // The even half: ann/1, ann/3, bob/2.
  const even = await clusterFigures(records as never, "even", {
    algorithm: "chinese-whispers",
    threshold: 0.5,
    minSize: 2,
  });
  assert.equal(even.labelled, 3);
  assert.equal(even.groups, 1);
  assert.ok(Math.abs(even.unclustered_rate - 1 / 3) < 1e-4, String(even.unclustered_rate));
});
