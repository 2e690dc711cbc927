import assert from "node:assert/strict";
import { createOnnxSession } from "../runtime/onnx.ts";
import { faceApiLandmarks } from "../../scripts/_faceapi_reference.ts";
import { readImage } from "../image/read_image.ts";
import { samplePhotos } from "../eval/npm.ts";
import { cropImage } from "../image/crop_image.ts";
import { landmarkOnnx, readWeights } from "../../scripts/_faceapi.ts";
import { FACE_API, npmFile } from "../eval/npm.ts";

/** Deterministic test inputs: noise, a flat gray image, and a real face resized to 112. */
async function inputs(): Promise<Float32Array[]> {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const noise = Float32Array.from({ length: 112 * 112 * 3 }, () => Math.floor(rand() * 256));
  const flat = new Float32Array(112 * 112 * 3).fill(128);
  // A face from the first sample photo, nearest-neighbour sampled to 112x112.
  const img = cropImage(await readImage(samplePhotos()[0]!), { x: 380, y: 360, width: 260, height: 260 });
  const face = new Float32Array(112 * 112 * 3);
  for (let y = 0; y < 112; y++) {
    for (let x = 0; x < 112; x++) {
      const s = (Math.floor((y * img.height) / 112) * img.width + Math.floor((x * img.width) / 112)) * 3;
      for (let k = 0; k < 3; k++) face[(y * 112 + x) * 3 + k] = img.data[s + k]!;
    }
  }
  return [noise, flat, face];
}

const cases = [
  ["full", "committed", "face_landmark_68.onnx"],
  ["tiny", "committed", "face_landmark_68_tiny.onnx"],
  ["full", "uint8", "face_landmark_68_model"],
] as const;

for (const [net, variant, file] of cases) {
  Deno.test(`the ${net} landmark ONNX model (${variant} weights) matches face-api's own tfjs forward pass within 1e-4`, async () => {
    const xs = await inputs();
    const want = await faceApiLandmarks(net, xs);
    const bytes = variant === "committed"
      ? await Deno.readFile(new URL(`./models/${file}`, import.meta.url))
      : landmarkOnnx(
        await readWeights(npmFile(FACE_API.name, FACE_API.version, `model/${file}-weights_manifest.json`)),
        net,
        "test",
        "uint8",
      );
    const session = await createOnnxSession(bytes);
    try {
      // One batched run, which is also how the landmarker calls it.
      const batch = new Float32Array(xs.length * 112 * 112 * 3);
      xs.forEach((x, i) => batch.set(x, i * x.length));
      const got = (await session.run({ input: { data: batch, dims: [xs.length, 112, 112, 3] } })).landmarks!;
      assert.deepEqual(got.dims, [xs.length, 136]);
      let maxDiff = 0;
      want.forEach((w, i) => w.forEach((v, k) => (maxDiff = Math.max(maxDiff, Math.abs(v - got.data[i * 136 + k]!)))));
      console.log(`${net} (${variant}): max abs diff ${maxDiff.toExponential(2)}`);
      assert.ok(maxDiff <= 1e-4, `max abs diff ${maxDiff}`);
      // The outputs are real landmarks, not a constant: the face's spread differs from noise's.
      assert.ok(Math.abs(want[2]![0]! - want[0]![0]!) > 1e-3);
    } finally {
      await session.release();
    }
  });
}
