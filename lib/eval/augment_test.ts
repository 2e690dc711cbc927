import assert from "node:assert/strict";
import { type Augmentation, augmentFace, TEST_AUGMENTATIONS, TRAIN_AUGMENTATIONS } from "./augment.ts";

Deno.test("augmentFace() mirrors, rotates counter-clockwise about the face's centre, and scales brightness", () => {
  // A dark 21x21 image with one bright pixel 5 px right of the centre (10.5, 10.5).
  const data = new Uint8Array(21 * 21);
  data[10 * 21 + 15] = 200;
  const img = { width: 21, height: 21, channels: 1 as const, data };
  const box = { x: 0, y: 0, width: 21, height: 21 };
  const bright = (a: Augmentation) => {
    const out = augmentFace(img, box, a, 21, 1);
    const i = out.data.indexOf(Math.max(...out.data));
    return { x: i % 21, y: Math.floor(i / 21), value: out.data[i] };
  };
  assert.deepEqual(bright({ mirror: false, angle: 0, brightness: 1 }), { x: 15, y: 10, value: 200 });
  assert.deepEqual(bright({ mirror: true, angle: 0, brightness: 1 }), { x: 5, y: 10, value: 200 });
  // Counter-clockwise on screen: right of the centre goes above it.
  assert.deepEqual(bright({ mirror: false, angle: 90, brightness: 0.5 }), { x: 10, y: 5, value: 100 });
  // Mirrored first, then rotated: left of the centre goes below it.
  assert.deepEqual(bright({ mirror: true, angle: 90, brightness: 1.2 }), { x: 10, y: 15, value: 240 });
});

Deno.test("the augmentations: train and test copies differ, rotations within ±10°, brightness within 0.8–1.2", () => {
  const key = (a: Augmentation) => `${a.mirror} ${a.angle} ${a.brightness}`;
  const train = new Set(TRAIN_AUGMENTATIONS.map(key));
  assert.ok(TEST_AUGMENTATIONS.every((a) => !train.has(key(a))));
  for (const a of [...TRAIN_AUGMENTATIONS, ...TEST_AUGMENTATIONS]) {
    assert.ok(Math.abs(a.angle) <= 10 && a.brightness >= 0.8 && a.brightness <= 1.2, key(a));
  }
});
