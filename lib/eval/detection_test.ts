import assert from "node:assert/strict";
import { detectAll, detectionFigures, scoreDetections } from "./detection.ts";
import type { Face, FaceDetector } from "../detect/detect_faces.ts";

const face = (x: number, source: Face["source"] = "haar"): Face =>
  ({ box: { x, y: 0, width: 10, height: 10 }, source }) as Face;
const image = { width: 20, height: 10, channels: 3, data: new Uint8Array(600) } as const;

Deno.test("detectAll() detects each photo in order and keeps unreadable ones as errors", async () => {
  let calls = 0;
  const detector = {
    options: {},
    detect: () => Promise.resolve([face(calls++)]),
    dispose: () => Promise.resolve(),
  } as unknown as FaceDetector;
  const told: string[] = [];
  const photos = [{ relative: "a", image }, { relative: "b", path: "/nowhere/b.jpg" }, { relative: "c", image }];
  const out = await detectAll(detector, photos, (e) => told.push(e.path));
  assert.deepEqual(out.map((d) => [d.relative, d.width, d.faces?.[0]?.box.x]), [["a", 20, 0], ["b", 0, undefined], [
    "c",
    20,
    1,
  ]]);
  assert.equal(out[1]!.error, "file not found");
  assert.deepEqual(told, ["/nowhere/b.jpg"]);
});

Deno.test("scoreDetections() and detectionFigures() on hand-drawn boxes: recall, false boxes, halves", () => {
  const truth = { a: [{ x: 0, y: 0, width: 10, height: 10 }, { x: 30, y: 0, width: 10, height: 10 }], b: [] };
  // Photo a: one face found (IoU 0.82), one missed, one false box; photo b: a fallback only.
  const items = [
    { relative: "a", width: 50, height: 10, faces: [face(1), face(15)] },
    { relative: "b", width: 50, height: 10, faces: [face(0, "fallback")] },
  ];
  const s = scoreDetections("boxes", items, truth);
  assert.deepEqual([s.hit_rate, s.false_boxes, s.listed_faces, s.fallback_rate], [0.5, 1, 2, 0.5]);
  const f = detectionFigures("boxes", items, truth);
  assert.equal(f.hit_rate, 0.5);
  assert.equal(f.even.hit_rate, 0.5); // photo a
  assert.equal(f.odd.fallback_rate, 1); // photo b
  assert.equal(f.misses.length, 1);
  assert.ok(!("misses" in f.even));
});
