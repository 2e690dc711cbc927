import assert from "node:assert/strict";
import { openSetFigures } from "./open_set.ts";
import type { Labelled } from "./embedding.ts";

/** People on a line, person p's photos at 10·p + spread·k (2-d embeddings). */
function line(people: number, photos: number, spread: number): Labelled[] {
  return Array.from({ length: people * photos }, (_, i) => {
    const p = Math.floor(i / photos), k = i % photos;
    return { label: `p${p}`, path: `p${p}/${k}.jpg`, embedding: Float32Array.of(10 * p + spread * k, 0) };
  });
}

Deno.test("openSetFigures() on well-separated people: no error, every pair and probe counted", () => {
  const { open_set, verification } = openSetFigures(line(8, 4, 0.05));
  assert.deepEqual(verification.pairs, { genuine: 8 * 6, impostor: (32 * 31) / 2 - 48 });
  assert.equal(verification.eer, 0);
  assert.deepEqual(verification.at_default, { false_accept: 0, false_reject: 0 });
  // Each half has 4 people: 2 enrolled with 2 photos each (2 known probes each), 2 strangers of 4 photos.
  assert.deepEqual(open_set.probes, { known: 2 * 4, strangers: 2 * 8 });
  assert.deepEqual(open_set.odd_at_default, { strangers_named: 0, known_unknown: 0, known_wrong: 0 });
  assert.ok(open_set.threshold_chosen_on_even >= 0.3 && open_set.threshold_chosen_on_even <= 0.9);
});

Deno.test("openSetFigures() calls far probes unknown and rejects far pairs at the default thresholds", () => {
  // Photos 1 apart (0, 1, 2, 3): photos 0 and 2 enrolled (centroid 1); probe 1 is at it, probe 3 is 2 away,
  // beyond the gallery's default 0.455: half the known probes are unknown.
  const { open_set, verification } = openSetFigures(line(8, 4, 1));
  assert.equal(open_set.odd_at_default.known_unknown, 0.5);
  assert.equal(open_set.odd_at_default.strangers_named, 0);
  // Same-person distances (1, 2, 3) are all under different-person ones (≥ 7): the EER is 0, but
  // every same-person pair is beyond compare's default 0.63.
  assert.equal(verification.eer, 0);
  assert.ok(verification.eer_threshold >= 3 - 1e-4 && verification.eer_threshold <= 7 + 1e-4);
  assert.deepEqual(verification.at_default, { false_accept: 0, false_reject: 1 });
});
