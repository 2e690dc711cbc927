import assert from "node:assert/strict";
import decodeJpeg from "npm:@jsquash/jpeg@1.6.0/decode.js";
import encodeWebp from "npm:@jsquash/webp@1.5.0/encode.js";
import { decodeImage } from "./decode_image.ts";
import { ImageError } from "./image_error.ts";
import type { Image } from "./image.ts";
import { orientImage } from "./orient_image.ts";
import { readImage } from "./read_image.ts";
import { jpegOf, pngOf, pnmOf, quadrants, withOrientation } from "./_test_util.ts";

/** Mean absolute difference per sample between two same-sized images. */
function meanAbsDiff(a: Image, b: Image): number {
  assert.equal(a.width, b.width);
  assert.equal(a.height, b.height);
  assert.equal(a.channels, b.channels);
  let s = 0;
  for (let i = 0; i < a.data.length; i++) s += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return s / a.data.length;
}

async function refusal(bytes: Uint8Array, name = "photo.jpg", maxPixels?: number): Promise<string> {
  try {
    await decodeImage(bytes, { name, maxPixels });
  } catch (err) {
    assert.ok(err instanceof ImageError, `expected ImageError, got ${err}`);
    assert.ok(err.message.startsWith(`${name}: `), err.message);
    assert.ok(!err.message.includes("\n"), "one line");
    return err.reason;
  }
  throw new Error("not refused");
}

Deno.test("decodeImage() reads a JPEG within JPEG error (mean ≤ 3 levels)", async () => {
  const src = quadrants();
  const img = await decodeImage(await jpegOf(src));
  assert.equal(img.channels, 3);
  assert.ok(meanAbsDiff(img, src) <= 3, `mean diff ${meanAbsDiff(img, src)}`);
});

Deno.test("decodeImage() reads RGB and gray PNGs exactly", async () => {
  const rgb = quadrants(7, 5);
  assert.deepEqual(await decodeImage(await pngOf(rgb)), rgb);
  const gray: Image = { width: 3, height: 2, channels: 1, data: new Uint8Array([0, 50, 100, 150, 200, 255]) };
  assert.deepEqual(await decodeImage(await pngOf(gray)), gray);
});

Deno.test("decodeImage() reads a lossless WebP exactly", async () => {
  const src = quadrants(16, 12);
  const rgba = new Uint8ClampedArray(16 * 12 * 4);
  for (let i = 0; i < 16 * 12; i++) rgba.set([...src.data.subarray(i * 3, i * 3 + 3), 255], i * 4);
  const webp = new Uint8Array(
    await encodeWebp({ width: 16, height: 12, data: rgba, colorSpace: "srgb" } as ImageData, { lossless: 1 }),
  );
  assert.deepEqual(await decodeImage(webp), src);
});

Deno.test("decodeImage() reads binary PGM, PPM and ASCII PGM, scaling maxval to 255", async () => {
  const gray: Image = { width: 2, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4]) };
  assert.deepEqual(await decodeImage(pnmOf(gray)), gray);
  const rgb = quadrants(4, 2);
  assert.deepEqual(await decodeImage(pnmOf(rgb)), rgb);
  const ascii = new TextEncoder().encode("P2\n2 1\n15\n0 15\n");
  assert.deepEqual((await decodeImage(ascii)).data, new Uint8Array([0, 255]));
});

Deno.test("orientImage() maps the four corners as EXIF orientations 1–8 define", () => {
  // 3x2 image: top row a b c, bottom row d e f.
  const img: Image = { width: 3, height: 2, channels: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6]) };
  const expected: Record<number, number[]> = {
    1: [1, 2, 3, 4, 5, 6],
    2: [3, 2, 1, 6, 5, 4], // mirror horizontal
    3: [6, 5, 4, 3, 2, 1], // rotate 180
    4: [4, 5, 6, 1, 2, 3], // mirror vertical
    5: [1, 4, 2, 5, 3, 6], // transpose
    6: [4, 1, 5, 2, 6, 3], // rotate 90 clockwise
    7: [6, 3, 5, 2, 4, 1], // transverse
    8: [3, 6, 2, 5, 1, 4], // rotate 90 counter-clockwise
  };
  for (let o = 1; o <= 8; o++) {
    const out = orientImage(img, o);
    assert.deepEqual([...out.data], expected[o], `orientation ${o}`);
    assert.equal(out.width, o >= 5 ? 2 : 3);
  }
  assert.throws(() => orientImage(img, 9), RangeError);
});

Deno.test("decodeImage() applies JPEG EXIF orientations 1–8 (both byte orders) like libjpeg's own transform", async () => {
  const base = await jpegOf(quadrants());
  for (const little of [false, true]) {
    for (let o = 1; o <= 8; o++) {
      const bytes = withOrientation(base, o, little);
      const ours = await decodeImage(bytes);
      assert.equal(ours.width, o >= 5 ? 30 : 40, `orientation ${o}`);
      // jsquash can orient too (its `preserveOrientation: true`): an independent oracle.
      const theirs = await decodeJpeg(bytes.slice().buffer, { preserveOrientation: true });
      assert.equal(theirs.width, ours.width);
      let diff = 0;
      for (let i = 0; i < ours.width * ours.height; i++) {
        for (let k = 0; k < 3; k++) {
          diff = Math.max(diff, Math.abs((ours.data[i * 3 + k] ?? 0) - (theirs.data[i * 4 + k] ?? 0)));
        }
      }
      assert.equal(diff, 0, `orientation ${o} (${little ? "II" : "MM"}): max diff ${diff}`);
      // And the red quadrant lands where the orientation puts the stored top-left.
      const corner = [1, 2, 3, 4, 5, 6, 7, 8].indexOf(o);
      const redAt = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0], [1, 0], [1, 1], [0, 1]][corner]!;
      const x = redAt[0]! * (ours.width - 1), y = redAt[1]! * (ours.height - 1);
      const p = (y * ours.width + x) * 3;
      assert.ok((ours.data[p] ?? 0) > 200 && (ours.data[p + 1] ?? 0) < 60, `orientation ${o}: red at ${x},${y}`);
    }
  }
});

Deno.test("decodeImage() refuses images over the pixel limit from the header, before decoding", async () => {
  // A PNG whose header claims 10000x8000 but holds a 1x1 body: decoding would fail, so the
  // limit's message proves the header was checked first.
  const liar = await pngOf({ width: 1, height: 1, channels: 1, data: new Uint8Array([0]) }, {
    width: 10000,
    height: 8000,
  });
  assert.equal(await refusal(liar, "big.png"), "image is 10000x8000 (80.0 MP), over the 40.0 MP limit");
  const small = await jpegOf(quadrants());
  assert.equal(await refusal(small, "a.jpg", 1000), "image is 40x30 (0.0 MP), over the 0.0 MP limit");
});

Deno.test("decodeImage() refuses broken and unsupported files with a one-line reason", async () => {
  const jpeg = await jpegOf(quadrants());
  assert.equal(await refusal(new Uint8Array()), "empty file (0 bytes)");
  assert.equal(await refusal(jpeg.subarray(0, Math.floor(jpeg.length / 2))), "truncated JPEG (no end-of-image marker)");
  assert.equal(await refusal(jpeg.subarray(0, 40)), "truncated or corrupt JPEG (no frame header)");
  assert.equal(await refusal(new TextEncoder().encode("hello, I am a text file")), "not an image (unknown format)");
  const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode("ftypheic"), 0, 0, 0, 0]);
  assert.equal(await refusal(heic, "IMG_0001.HEIC"), "HEIC/HEIF not supported: convert to JPEG");
  assert.equal(await refusal(new TextEncoder().encode("GIF89a....")), "truncated GIF");
  const jxl = new Uint8Array([0, 0, 0, 12, ...new TextEncoder().encode("JXL "), 0x0d, 0x0a, 0x87, 0x0a, 0, 0]);
  assert.equal(await refusal(jxl, "x.jxl"), "JPEG XL not supported: convert to JPEG");
  assert.equal(await refusal(new TextEncoder().encode("P5 0 10 255\n")), "zero-sized image (0x10)");
  // The PPM header "P6\n# made by a test\n4 4\n255\n" is 28 bytes: 12 of the 48 pixel bytes remain.
  assert.equal(await refusal(pnmOf(quadrants(4, 4)).subarray(0, 40)), "truncated PNM (12 of 48 pixel bytes)");
  const png = await pngOf(quadrants(8, 8));
  assert.equal(await refusal(png.subarray(0, png.length - 20)), "truncated PNG (no IEND chunk)");
  // Corrupt compressed data inside an otherwise well-formed PNG.
  const bad = png.slice();
  bad.fill(0xaa, 41, 60);
  assert.match(await refusal(bad), /^corrupt PNG \(/);
});

Deno.test("readImage() names missing files and folders", async () => {
  await assert.rejects(
    readImage("no/such/photo.jpg"),
    (e: unknown) => e instanceof ImageError && e.message === "no/such/photo.jpg: file not found",
  );
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(readImage(dir), (e: unknown) => e instanceof ImageError && e.reason === "is a directory");
  } finally {
    await Deno.remove(dir);
  }
});

Deno.test("decodeImage() hands libjpeg's warnings about a damaged JPEG to onWarning as one line naming the file", async () => {
  const { samplePhotos } = await import("../eval/npm.ts");
  const whole = await Deno.readFile(samplePhotos()[0]!);
  // The first half of the entropy-coded data, then the end-of-image marker: readable, damaged.
  const damaged = new Uint8Array([...whole.subarray(0, whole.length >> 1), 0xff, 0xd9]);
  const lines: string[] = [];
  const image = await decodeImage(damaged, { name: "half.jpg", onWarning: (l) => lines.push(l) });
  assert.equal(image.width, 1920);
  assert.deepEqual(lines, ["half.jpg: Corrupt JPEG data: premature end of data segment"]);
  // A whole file gives none.
  await decodeImage(whole, { name: "whole.jpg", onWarning: (l) => lines.push(l) });
  assert.equal(lines.length, 1);
});
