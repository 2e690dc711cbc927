import assert from "node:assert/strict";
import { createImage, type Image } from "../image/image.ts";
import { type InputRegion, sampleInput } from "./_blaze.ts";

/** The sampling written out sample by sample, as its documentation states it. */
function reference(image: Image, region: InputRegion, size: number): Float32Array {
  const out = new Float32Array(size * size * 3);
  const step = region.side / size, n = Math.max(1, Math.min(4, Math.ceil(step)));
  const t = (region.angle * Math.PI) / 180, cos = Math.cos(t), sin = Math.sin(t);
  let o = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      const sum = [0, 0, 0];
      for (let j = 0; j < n; j++) {
        const qy = (v + (j + 0.5) / n) * step - region.side / 2;
        for (let i = 0; i < n; i++) {
          const qx = (u + (i + 0.5) / n) * step - region.side / 2;
          const x = Math.floor(region.cx + cos * qx + sin * qy), y = Math.floor(region.cy - sin * qx + cos * qy);
          if (x < 0 || y < 0 || x >= image.width || y >= image.height) continue;
          for (let ch = 0; ch < 3; ch++) {
            sum[ch]! += image.data[(y * image.width + x) * image.channels + (image.channels === 1 ? 0 : ch)]!;
          }
        }
      }
      for (let ch = 0; ch < 3; ch++) out[o++] = (sum[ch]! * (1 / (n * n))) / 127.5 - 1;
    }
  }
  return out;
}

/** A deterministic image with structure in both directions and every channel. */
function pattern(width: number, height: number, channels: 1 | 3): Image {
  const image = createImage(width, height, channels);
  for (let i = 0; i < image.data.length; i++) image.data[i] = (i * 37 + Math.floor(i / 7) * 11) % 256;
  return image;
}

Deno.test("sampleInput equals the per-sample definition, upright and turned, shrinking and enlarging", () => {
  const regions: InputRegion[] = [
    { cx: 50, cy: 40, side: 100, angle: 0 }, // shrink: 4x4 taps (the cap)
    { cx: 50, cy: 40, side: 150, angle: 0 }, // letterbox border
    { cx: 31.7, cy: 22.2, side: 17.5, angle: 0 }, // enlarge, one tap
    { cx: 50, cy: 40, side: 100, angle: 45 },
    { cx: 12.5, cy: 60.1, side: 55, angle: -30 },
  ];
  for (const channels of [1, 3] as const) {
    const image = pattern(97, 81, channels);
    for (const region of regions) {
      const got = sampleInput(image, region, 24), want = reference(image, region, 24);
      assert.equal(got.length, 24 * 24 * 3);
      // The same samples summed in the same order: equal to the last bit.
      const differ = got.findIndex((x, i) => x !== want[i]);
      assert.equal(differ, -1, `channels ${channels}, ${JSON.stringify(region)}: first difference at ${differ}`);
    }
  }
});

Deno.test("sampleInput: a flat gray photo gives its level everywhere inside and -1 in the border", () => {
  const image = createImage(40, 20, 1);
  image.data.fill(200);
  // The region is 80 px wide: the photo spans input columns 4–11 of 16 and rows 6–9.
  const got = sampleInput(image, { cx: 20, cy: 10, side: 80, angle: 0 }, 16);
  const at = (u: number, v: number) => got[(v * 16 + u) * 3]!;
  assert(Math.abs(at(8, 8) - (200 / 127.5 - 1)) < 1e-6, String(at(8, 8)));
  assert.equal(at(0, 0), -1);
  assert.equal(at(8, 2), -1);
  assert.equal(got[(8 * 16 + 8) * 3 + 1], got[(8 * 16 + 8) * 3 + 2]);
});
