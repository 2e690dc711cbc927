// That the model matches face-api's own forward pass is checked by `deno task assets --check`
// (tests/assets_test.ts).
import assert from "node:assert/strict";
import { createOnnxSession, type OnnxSession } from "../runtime/onnx.ts";
import { readImage } from "../image/read_image.ts";
import { cropImage } from "../image/crop_image.ts";
import { samplePhotos } from "../eval/npm.ts";

const SIDE = 150;
const PIXELS = SIDE * SIDE * 3;

/** Deterministic test inputs: noise, a flat gray image, and a real face resized to 150. */
async function inputs(): Promise<Float32Array[]> {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const noise = Float32Array.from({ length: PIXELS }, () => Math.floor(rand() * 256));
  const flat = new Float32Array(PIXELS).fill(128);
  // A face from the first sample photo, nearest-neighbour sampled to 150x150.
  const img = cropImage(await readImage(samplePhotos()[0]!), { x: 380, y: 360, width: 260, height: 260 });
  const face = new Float32Array(PIXELS);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const s = (Math.floor((y * img.height) / SIDE) * img.width + Math.floor((x * img.width) / SIDE)) * 3;
      for (let k = 0; k < 3; k++) face[(y * SIDE + x) * 3 + k] = img.data[s + k]!;
    }
  }
  return [noise, flat, face];
}

/** One batched run of the model on `xs`; returns one 128-d output per input. */
async function embed(session: OnnxSession, xs: readonly Float32Array[]): Promise<Float32Array[]> {
  const batch = new Float32Array(xs.length * PIXELS);
  xs.forEach((x, i) => batch.set(x, i * PIXELS));
  const out = (await session.run({ input: { data: batch, dims: [xs.length, SIDE, SIDE, 3] } })).embedding!;
  assert.deepEqual(out.dims, [xs.length, 128]);
  return xs.map((_, i) => out.data.slice(i * 128, (i + 1) * 128));
}

function maxAbsDiff(a: readonly Float32Array[], b: readonly Float32Array[]): number {
  let max = 0;
  a.forEach((v, i) => v.forEach((x, k) => (max = Math.max(max, Math.abs(x - b[i]![k]!)))));
  return max;
}

const committed = () => Deno.readFile(new URL("./models/face_recognition.onnx", import.meta.url));

Deno.test("the face recognition ONNX model gives a batch of 2 the same outputs as two single runs within 1e-5", async () => {
  const xs = (await inputs()).filter((_, i) => i !== 1);
  const session = await createOnnxSession(await committed());
  try {
    const batched = await embed(session, xs);
    const single = [(await embed(session, [xs[0]!]))[0]!, (await embed(session, [xs[1]!]))[0]!];
    const diff = maxAbsDiff(batched, single);
    assert.ok(diff <= 1e-5, `max abs diff ${diff}`);
  } finally {
    await session.release();
  }
});
