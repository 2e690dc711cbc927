import assert from "node:assert/strict";
import {
  alignmentTransform,
  applyAffine,
  extractChip,
  fitSimilarity,
  invertAffine,
  templatePoint,
} from "./align_face.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";

/** The template's landmarks moved into an image by a known similarity (turn, scale, shift). */
function placedFace(angleDeg: number, scale: number, dx: number, dy: number): Point[] {
  const c = Math.cos((angleDeg * Math.PI) / 180) * scale, s = Math.sin((angleDeg * Math.PI) / 180) * scale;
  return Array.from({ length: 68 }, (_, i) => {
    const p = templatePoint(i >= 17 ? i : 30);
    return { x: c * p.x - s * p.y + dx, y: s * p.x + c * p.y + dy };
  });
}

/** A black RGB image with a 3x3 white square centred on each point (rounded). */
function dots(width: number, height: number, points: readonly Point[]): Image {
  const data = new Uint8Array(width * height * 3);
  for (const p of points) {
    for (let y = Math.round(p.y) - 1; y <= Math.round(p.y) + 1; y++) {
      for (let x = Math.round(p.x) - 1; x <= Math.round(p.x) + 1; x++) {
        data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
      }
    }
  }
  return { width, height, channels: 3, data };
}

/** Brightness-weighted centre of the chip's pixels within 5 px of `near`. */
function blobCentre(chip: Image, near: Point): Point {
  let sx = 0, sy = 0, sw = 0;
  for (let y = Math.round(near.y) - 5; y <= Math.round(near.y) + 5; y++) {
    for (let x = Math.round(near.x) - 5; x <= Math.round(near.x) + 5; x++) {
      const w = chip.data[(y * chip.width + x) * 3]!;
      sx += w * x;
      sy += w * y;
      sw += w;
    }
  }
  assert.ok(sw > 0, "no bright pixel near the expected place");
  return { x: sx / sw, y: sy / sw };
}

for (const [label, angle, scale] of [["enlarged", 20, 0.7], ["shrunk (area pre-filter)", -15, 3.2]] as const) {
  Deno.test(`alignment puts the eye corners, nose tip and mouth corners where the template says, within 1 px (${label})`, async () => {
    const face = placedFace(angle, scale, 200, 120);
    const image = dots(800, 800, [36, 45, 30, 48, 54].map((i) => face[i]!));
    const t = alignmentTransform(face);
    const chip = await extractChip(image, t, 150);
    for (const i of [36, 45, 30, 48, 54]) {
      // The transform sends the landmark exactly onto the template…
      const mapped = applyAffine(t, face[i]!), want = templatePoint(i);
      assert.ok(Math.hypot(mapped.x - want.x, mapped.y - want.y) < 1e-6);
      // …and the chip's pixels follow it: the dot (drawn at the rounded landmark) is where the
      // transform sends the rounded landmark, within a quarter pixel (pixel-centre conventions).
      const dot = applyAffine(t, { x: Math.round(face[i]!.x), y: Math.round(face[i]!.y) });
      const got = blobCentre(chip, dot);
      assert.ok(
        Math.hypot(got.x - dot.x, got.y - dot.y) <= 0.25,
        `landmark ${i}: ${JSON.stringify(got)} vs ${JSON.stringify(dot)}`,
      );
    }
  });
}

Deno.test("fitSimilarity() recovers a known turn, scale and shift exactly, and invertAffine() undoes it", () => {
  const from = [{ x: 1, y: 2 }, { x: 5, y: -3 }, { x: -4, y: 7 }, { x: 0, y: 0 }];
  const c = Math.cos(0.3) * 1.8, s = Math.sin(0.3) * 1.8;
  const to = from.map((p) => ({ x: c * p.x - s * p.y + 11, y: s * p.x + c * p.y - 4 }));
  const t = fitSimilarity(from, to);
  for (const [k, v] of Object.entries({ a: c, b: -s, c: 11, d: s, e: c, f: -4 })) {
    assert.ok(Math.abs(t[k as keyof typeof t] - v) < 1e-9, `${k}: ${t[k as keyof typeof t]} vs ${v}`);
  }
  const back = applyAffine(invertAffine(t), applyAffine(t, { x: 3, y: 9 }));
  assert.ok(Math.abs(back.x - 3) < 1e-9 && Math.abs(back.y - 9) < 1e-9);
});

Deno.test("extractChip() is deterministic: the same face gives the same bytes every time", async () => {
  const face = placedFace(7, 1.3, 40, 60);
  const image = dots(400, 400, face);
  const t = alignmentTransform(face);
  const a = await extractChip(image, t), b = await extractChip(image, t);
  assert.deepEqual(a.data, b.data);
  assert.ok(a.data.some((v) => v > 0));
});

Deno.test("the box alignment centres the landmarks' box, 20% larger, without rotation", () => {
  const face = placedFace(0, 1, 100, 50);
  const t = alignmentTransform(face, { method: "box" });
  assert.equal(t.b, 0);
  assert.equal(t.d, 0);
  const xs = face.map((p) => p.x), ys = face.map((p) => p.y);
  const centre = applyAffine(t, {
    x: (Math.min(...xs) + Math.max(...xs)) / 2,
    y: (Math.min(...ys) + Math.max(...ys)) / 2,
  });
  assert.ok(Math.abs(centre.x - 74.5) < 1e-9 && Math.abs(centre.y - 74.5) < 1e-9);
  const side = Math.max(Math.max(...xs) - Math.min(...xs), Math.max(...ys) - Math.min(...ys)) * 1.2;
  assert.ok(Math.abs(t.a - 150 / side) < 1e-12);
});
