import assert from "node:assert/strict";
import { geometryFeatures } from "./geometry.ts";
import type { Point } from "../image/point.ts";

/** 68 points: the nose tip (30) at (50, 50), landmark i elsewhere on a known pattern. */
function layout(f: (i: number) => Point): Point[] {
  return Array.from({ length: 68 }, (_, i) => (i === 30 ? { x: 50, y: 50 } : f(i)));
}

Deno.test("geometryFeatures() gives rows distance, dy, dx from the nose tip, each divided by its max |value|", () => {
  // Landmark i at (50 - i, 50 + 2i): dx = i, dy = -2i, distance = i·√5; maxima at i = 67.
  const pts = layout((i) => ({ x: 50 - i, y: 50 + 2 * i }));
  const f = geometryFeatures(pts);
  assert.equal(f.length, 204);
  for (const i of [0, 1, 17, 36, 45, 66, 67]) {
    assert.ok(Math.abs(f[i]! - i / 67) < 1e-6, `distance[${i}] ${f[i]}`);
    assert.ok(Math.abs(f[68 + i]! - -i / 67) < 1e-6, `dy[${i}] ${f[68 + i]}`);
    assert.ok(Math.abs(f[136 + i]! - i / 67) < 1e-6, `dx[${i}] ${f[136 + i]}`);
  }
  assert.equal(f[30], 0);
  assert.equal(f[68 + 30], 0);
  assert.equal(f[136 + 30], 0);
});

Deno.test("geometryFeatures() scales each row by its own maximum (not one shared maximum)", () => {
  // Every landmark 10 px right and 1 px up of the nose tip, landmark 0 twice as far right.
  const pts = layout((i) => ({ x: 50 + (i === 0 ? 20 : 10), y: 49 }));
  const f = geometryFeatures(pts);
  // dx = -10 (-20 for landmark 0): row max 20 → -0.5 and -1. dy = +1 everywhere: → 1.
  assert.ok(Math.abs(f[136 + 5]! - -0.5) < 1e-7);
  assert.equal(f[136 + 0], -1);
  assert.equal(f[68 + 5], 1);
});

Deno.test("geometryFeatures() does not change when the face is moved or scaled", () => {
  const base = layout((i) => ({ x: 50 + 13 * Math.cos(i), y: 50 + 17 * Math.sin(1.3 * i) }));
  const moved = base.map((p) => ({ x: 3 * (p.x - 50) + 400, y: 3 * (p.y - 50) + 123 }));
  const a = geometryFeatures(base), b = geometryFeatures(moved);
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]!) < 1e-5, `feature ${i}: ${v} vs ${b[i]}`));
});

Deno.test("geometryFeatures() refuses anything but 68 points", () => {
  assert.throws(() => geometryFeatures([{ x: 0, y: 0 }]), RangeError);
  assert.throws(() => geometryFeatures(Array.from({ length: 68 }, () => ({ x: 1, y: 1 }))), RangeError);
});
