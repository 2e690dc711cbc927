import assert from "node:assert/strict";
import {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  openSetAnswers,
  openSetRates,
  openSetSplit,
  pairDistances,
  verificationAt,
} from "./embedding.ts";

/** People on a line: person p's photos at 10·p + small offsets (1-d embeddings). */
function line(people: number, photos: number, spread: number): Labelled[] {
  const out: Labelled[] = [];
  for (let p = 0; p < people; p++) {
    for (let k = 0; k < photos; k++) {
      out.push({ label: `p${p}`, path: `p${p}/${k}.jpg`, embedding: new Float32Array([10 * p + spread * k]) });
    }
  }
  return out;
}

Deno.test("pairDistances() and verificationAt() count same- and different-person pairs exactly", () => {
  // 2 people x 2 photos: genuine distances 1, 1; impostor distances 9, 10, 10, 11.
  const pairs = pairDistances(line(2, 2, 1));
  assert.deepEqual([...pairs.genuine], [1, 1]);
  assert.deepEqual([...pairs.impostor], [9, 10, 10, 11]);
  assert.deepEqual(verificationAt(pairs, 0.5), { false_accept: 0, false_reject: 1 });
  assert.deepEqual(verificationAt(pairs, 10), { false_accept: 0.75, false_reject: 0 });
  assert.deepEqual(equalErrorRate(pairs), { eer: 0, threshold: 1 });
});

Deno.test("equalErrorRate() finds where false accepts and rejects meet on overlapping distances", () => {
  const pairs = { genuine: Float64Array.from([1, 2, 3, 4]), impostor: Float64Array.from([3.5, 5, 6, 7]) };
  // At 3: FR 1/4 (the 4), FA 0; at 4: FR 0, FA 1/4 (the 3.5). Both gaps are 1/4: the first wins.
  assert.deepEqual(equalErrorRate(pairs), { eer: 0.125, threshold: 3 });
});

Deno.test("the open-set split enrols every other person with every other photo; rates follow the threshold", () => {
  const faces = line(4, 4, 1);
  const split = openSetSplit(faces);
  assert.deepEqual([...new Set(split.gallery.map((f) => f.label))], ["p0", "p2"]);
  assert.equal(split.gallery.length, 4);
  assert.equal(split.known.length, 4);
  assert.equal(split.strangers.length, 8);
  const answers = openSetAnswers(split);
  // Gallery: p0 at 0 and 2 (centroid 1), p2 at 20 and 22 (centroid 21); known probes (1, 3, 21, 23) are 0 or
  // 2 from their centroid. Strangers: p1 (10–13) are 9, 10, 9, 8 away; p3 (30–33) are 9, 10, 11, 12 away.
  assert.deepEqual(openSetRates(answers, 2), { strangers_named: 0, known_unknown: 0, known_wrong: 0 });
  assert.deepEqual(openSetRates(answers, 0.5), { strangers_named: 0, known_unknown: 0.5, known_wrong: 0 });
  assert.equal(openSetRates(answers, 9).strangers_named, 4 / 8);
  assert.equal(openSetRates(answers, 7.5).strangers_named, 0);
  const t = chooseOpenSetThreshold(answers);
  assert.ok(t >= 0.3 && t <= 0.9, String(t));
});
