/**
 * GIF, BMP, TIFF, CMYK JPEG and animated WebP files of a real face, made at test time by
 * ImageMagick (an independent encoder, installed by `.ci/run`) from a crop of a face-api
 * sample photo: none are committed.
 *
 * @module
 */

import * as assert from "node:assert/strict";
import { samplePhotos } from "../eval/npm.ts";
import { createFaceDetector } from "../detect/detect_faces.ts";
import type { Image } from "./image.ts";
import { decodeImage } from "./decode_image.ts";
import { readImage } from "./read_image.ts";
import { listImages } from "./list_images.ts";
import { ImageError } from "./image_error.ts";

/** Where the real ImageMagick is (the `convert` on PATH may be something else). */
const CONVERT_CANDIDATES = ["/usr/bin/convert", "/usr/bin/magick", "/usr/local/bin/magick"];

/** The ImageMagick `convert` binary, or the reason there is none. */
async function findImageMagick(): Promise<{ bin: string } | { missing: string }> {
  for (const bin of CONVERT_CANDIDATES) {
    try {
      const out = await new Deno.Command(bin, { args: ["-version"], stdout: "piped", stderr: "null" }).output();
      if (out.success && new TextDecoder().decode(out.stdout).includes("ImageMagick")) return { bin };
    } catch {
      // not installed there
    }
  }
  return { missing: `no ImageMagick at ${CONVERT_CANDIDATES.join(", ")} (apt-get install imagemagick)` };
}

const imageMagick = await findImageMagick();

/** A test that needs ImageMagick: skipped with a printed reason without it, failed under FACE2VEC_REQUIRE_DATASETS=1. */
function magickTest(name: string, fn: (convert: Convert) => Promise<void>): void {
  const required = Deno.env.get("FACE2VEC_REQUIRE_DATASETS") === "1";
  const missing = "missing" in imageMagick ? imageMagick.missing : undefined;
  if (missing !== undefined && !required) console.log(`skipping "${name}": ${missing}`);
  Deno.test({
    name,
    ignore: missing !== undefined && !required,
    fn: async () => {
      if ("missing" in imageMagick) throw new Error(`${imageMagick.missing}, and FACE2VEC_REQUIRE_DATASETS=1`);
      const dir = await Deno.makeTempDir({ prefix: "face2vec-formats-" });
      try {
        await fn(new Convert(imageMagick.bin, dir));
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

/** Runs ImageMagick in one temporary folder; the face crop is `crop.png` there. */
class Convert {
  constructor(readonly bin: string, readonly dir: string) {}

  /** Runs `convert args...` and returns the path of the last argument (the output). */
  async run(...args: string[]): Promise<string> {
    const out = await new Deno.Command(this.bin, { args, cwd: this.dir, stdout: "null", stderr: "piped" }).output();
    if (!out.success) throw new Error(`convert ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
    const last = args.at(-1) ?? "";
    return `${this.dir}/${last.replace(/^[a-z0-9]+:/, "")}`;
  }

  /** A 400x400 crop around the largest face of sample1 (a lossless PNG), and its decoded pixels. */
  async crop(): Promise<Image> {
    const [sample1] = samplePhotos();
    await this.run(sample1!, "-crop", "400x400+286+286", "+repage", "crop.png");
    return await readImage(`${this.dir}/crop.png`);
  }
}

/** Mean absolute difference per channel value between two same-sized RGB images. */
function meanAbsDiff(a: Image, b: Image): number {
  assert.equal(a.channels, 3);
  assert.equal(b.channels, 3);
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs((a.data[i] ?? 0) - (b.data[i] ?? 0));
  return sum / a.data.length;
}

/** Checks size, closeness to the crop and that the detector finds a face. */
async function checkFace(image: Image, crop: Image, tolerance: number): Promise<void> {
  assert.equal(image.width, 400);
  assert.equal(image.height, 400);
  const diff = meanAbsDiff(image, crop);
  assert.ok(diff <= tolerance, `mean abs difference ${diff.toFixed(2)} over ${tolerance}`);
  const detector = await createFaceDetector();
  try {
    const faces = (await detector.detect(image)).filter((f) => f.source !== "fallback");
    assert.ok(faces.length >= 1, "no face found");
  } finally {
    await detector.dispose();
  }
}

magickTest("readImage() reads an extensionless GIF of a face (first frame) and finds the face", async (convert) => {
  const crop = await convert.crop();
  const gif = await convert.run("crop.png", "gif:subject01");
  const image = await readImage(gif);
  // 256-colour palette with dithering: measured 2.38.
  await checkFace(image, crop, 4);
  const listed = await listImages([convert.dir]);
  assert.deepEqual(listed.map((l) => l.relative), ["crop.png", "subject01"]);
});

magickTest("decodeImage() reads a 24-bit BMP of a face exactly and finds the face", async (convert) => {
  const crop = await convert.crop();
  const image = await decodeImage(await Deno.readFile(await convert.run("crop.png", "face.bmp")));
  await checkFace(image, crop, 0);
  // The older BITMAPINFOHEADER variant too.
  const v3 = await decodeImage(await Deno.readFile(await convert.run("crop.png", "bmp3:face3.bmp")));
  assert.equal(meanAbsDiff(v3, crop), 0);
  // An 8-bit palette BMP (ImageMagick run-length encodes it) matches ImageMagick's own PNG of it.
  const rle = await decodeImage(await Deno.readFile(await convert.run("crop.png", "-type", "palette", "bmp3:p.bmp")));
  assert.equal(meanAbsDiff(rle, await readImage(await convert.run("p.bmp", "p.png"))), 0);
});

magickTest(
  "decodeImage() reads uncompressed, LZW, CMYK, turned and 1-bit TIFFs of a face and finds the face",
  async (convert) => {
    const crop = await convert.crop();
    const plain = await decodeImage(await Deno.readFile(await convert.run("crop.png", "-compress", "none", "a.tif")));
    await checkFace(plain, crop, 0);
    const lzw = await decodeImage(await Deno.readFile(await convert.run("crop.png", "-compress", "lzw", "b.tiff")));
    assert.equal(meanAbsDiff(lzw, crop), 0);
    const cmyk = await convert.run("crop.png", "-colorspace", "CMYK", "-compress", "lzw", "c.tif");
    assert.equal(meanAbsDiff(await decodeImage(await Deno.readFile(cmyk)), crop), 0);
    // Orientation 6 (stored pixels unchanged) is applied: the photo comes out turned 90° clockwise.
    const turned = await decodeImage(
      await Deno.readFile(await convert.run("crop.png", "-orient", "RightTop", "r.tif")),
    );
    assert.equal(meanAbsDiff(turned, await readImage(await convert.run("crop.png", "-rotate", "90", "r.png"))), 0);
    const bilevel = await convert.run(
      "crop.png",
      "-monochrome",
      "-depth",
      "1",
      "-type",
      "bilevel",
      "-compress",
      "none",
      "m.tif",
    );
    const mono = await decodeImage(await Deno.readFile(bilevel));
    assert.equal(mono.channels, 1);
    assert.deepEqual(new Set(mono.data), new Set([0, 255]));
  },
);

magickTest("decodeImage() reads a CMYK JPEG of a face and finds the face", async (convert) => {
  const crop = await convert.crop();
  const bytes = await Deno.readFile(await convert.run("crop.png", "-colorspace", "CMYK", "-quality", "92", "cmyk.jpg"));
  // The frame header says 4 components (SOF0: FF C0, length, precision, height, width, components).
  const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc0);
  assert.equal(bytes[sof + 9], 4);
  // Quality-92 JPEG of naive CMYK: measured 0.80.
  await checkFace(await decodeImage(bytes), crop, 2);
});

magickTest("decodeImage() reads the first frame of an animated WebP of a face and finds the face", async (convert) => {
  const crop = await convert.crop();
  const path = await convert.run(
    "crop.png",
    "(",
    "crop.png",
    "-negate",
    ")",
    "-loop",
    "0",
    "-quality",
    "90",
    "anim.webp",
  );
  const bytes = await Deno.readFile(path);
  const text = new TextDecoder("latin1").decode(bytes);
  assert.ok(text.includes("ANIM") && text.split("ANMF").length - 1 === 2, "ImageMagick made no 2-frame animation");
  // Lossy WebP at quality 90: measured 1.30 (the negated second frame would be over 100).
  await checkFace(await decodeImage(bytes), crop, 3);
  const lossless = await convert.run(
    "crop.png",
    "(",
    "crop.png",
    "-negate",
    ")",
    "-define",
    "webp:lossless=true",
    "l.webp",
  );
  assert.equal(meanAbsDiff(await decodeImage(await Deno.readFile(lossless)), crop), 0);
});

magickTest(
  "a folder with an image-signature file named x.heic lists it, and reading it gives one reason",
  async (convert) => {
    const heic = new Uint8Array([0, 0, 0, 24, ...new TextEncoder().encode("ftypheic"), 0, 0, 0, 0, 0, 0, 0, 0]);
    await Deno.writeFile(`${convert.dir}/x.heic`, heic);
    await Deno.writeFile(`${convert.dir}/notes.txt`, new TextEncoder().encode("GIF89a but a text file"));
    await Deno.writeFile(`${convert.dir}/README`, new TextEncoder().encode("not an image"));
    const listed = await listImages([convert.dir]);
    assert.deepEqual(listed.map((l) => l.relative), ["x.heic"]);
    const errors: string[] = [];
    for (const l of listed) await readImage(l.path, { name: l.relative }).catch((e) => errors.push(e.message));
    assert.deepEqual(errors, ["x.heic: HEIC/HEIF not supported: convert to JPEG"]);
    await assert.rejects(readImage(`${convert.dir}/x.heic`), ImageError);
  },
);
