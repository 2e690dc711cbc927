import assert from "node:assert/strict";
import { boundingBox, boxForCrop, nme, summarizeNme } from "./landmarks.ts";

Deno.test("boxForCrop() gives the box whose landmark crop is the one asked for", () => {
  // scale 1.2, shift 0.1: a side-120 crop comes from a side-100 box, centred, raised by 10.
  const box = boxForCrop({ x: 50, y: 40, size: 120 }, { scale: 1.2, shiftY: 0.1 });
  assert.ok(Math.abs(box.width - 100) < 1e-9 && Math.abs(box.height - 100) < 1e-9);
  assert.ok(Math.abs(box.x - 60) < 1e-9, String(box.x));
  assert.ok(Math.abs(box.y - 40) < 1e-9, String(box.y));
});

Deno.test("nme() is the mean point error over the outer-eye-corner distance, in percent", () => {
  const truth = Array.from({ length: 68 }, (_, i) => ({ x: i === 45 ? 100 : 0, y: 0 }));
  const pred = truth.map((p) => ({ x: p.x + 3, y: p.y + 4 })); // every point 5 px off; eyes 100 px apart
  assert.ok(Math.abs(nme(pred, truth) - 5) < 1e-9);
  assert.deepEqual(boundingBox([{ x: 1, y: 2 }, { x: 4, y: 8 }]), { x: 1, y: 2, width: 3, height: 6 });
});

Deno.test("summarizeNme() gives the median and mean over found faces and the share found", () => {
  assert.deepEqual(summarizeNme([3, undefined, 1, 2, 10]), { median: 2.5, mean: 4, found_rate: 0.8, n: 5 });
  assert.deepEqual(summarizeNme([2.12345]), { median: 2.123, mean: 2.123, found_rate: 1, n: 1 });
});
