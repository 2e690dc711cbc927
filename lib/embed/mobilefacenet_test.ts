// That the model matches its TFLite source (a plain interpreter of it) is checked by
// `deno task assets --check` (tests/assets_test.ts).
import assert from "node:assert/strict";
import { createPipeline } from "../pipeline/pipeline.ts";
import { readImage } from "../image/read_image.ts";
import { samplePhotos } from "../eval/npm.ts";
import { alignmentTransform, applyAffine, FIVE_POINT_TEMPLATE, fivePoints } from "./align_face.ts";
import { createEmbedder, embedderEntry } from "./embed_faces.ts";

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

Deno.test("the five-point alignment puts a face's eye centres, nose tip and mouth corners on InsightFace's template", () => {
  // Landmarks whose five points are the template, turned 30°, doubled and moved.
  const turn = (p: { x: number; y: number }) => {
    const c = Math.cos(Math.PI / 6), s = Math.sin(Math.PI / 6);
    return { x: 2 * (c * p.x - s * p.y) + 40, y: 2 * (s * p.x + c * p.y) - 7 };
  };
  const lm = Array.from({ length: 68 }, () => ({ x: 0, y: 0 }));
  for (let i = 36; i < 42; i++) lm[i] = turn(FIVE_POINT_TEMPLATE[0]!);
  for (let i = 42; i < 48; i++) lm[i] = turn(FIVE_POINT_TEMPLATE[1]!);
  lm[30] = turn(FIVE_POINT_TEMPLATE[2]!);
  lm[48] = turn(FIVE_POINT_TEMPLATE[3]!);
  lm[54] = turn(FIVE_POINT_TEMPLATE[4]!);
  const t = alignmentTransform(lm, { method: "five", size: 224 });
  fivePoints(lm).forEach((p, k) => {
    const q = applyAffine(t, p), want = FIVE_POINT_TEMPLATE[k]!;
    assert.ok(Math.hypot(q.x - 2 * want.x, q.y - 2 * want.y) < 1e-9, `point ${k}: ${JSON.stringify(q)}`);
  });
});

Deno.test("MobileFaceNet gives unit vectors of 192; a face is closer to itself half the size than to another person", async () => {
  const entry = embedderEntry("mobilefacenet");
  assert.equal(entry.size, 192);
  assert.equal(entry.licence.commercial, true);
  const pipeline = await createPipeline({ features: "embedding", embedder: { network: "mobilefacenet" } });
  const embedder = await createEmbedder({ network: "mobilefacenet" });
  try {
    assert.equal(embedder.align.method, "five");
    assert.equal(embedder.align.size, 112);
    const [first, second] = samplePhotos();
    const a = (await pipeline.processLargestFace(await readImage(first!)))!.face;
    const b = (await pipeline.processLargestFace(await readImage(second!)))!.face;
    const ea = a.embedding!, eb = b.embedding!;
    assert.equal(ea.length, 192);
    for (const e of [ea, eb]) assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5, `norm ${Math.hypot(...e)}`);
    // The same face from the photo halved (its landmarks halved): the chip barely changes.
    const image = await readImage(first!);
    const half = {
      width: image.width >> 1,
      height: image.height >> 1,
      channels: image.channels,
      data: new Uint8Array((image.width >> 1) * (image.height >> 1) * image.channels),
    };
    for (let y = 0; y < half.height; y++) {
      for (let x = 0; x < half.width; x++) {
        for (let k = 0; k < image.channels; k++) {
          let s = 0;
          for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
            s += image.data[((2 * y + dy!) * image.width + 2 * x + dx!) * image.channels + k]!;
          }
          half.data[(y * half.width + x) * image.channels + k] = Math.round(s / 4);
        }
      }
    }
    const [eh] = await embedder.embed(half, [a.landmarks.map((p) => ({ x: (p.x - 0.5) / 2, y: (p.y - 0.5) / 2 }))]);
    const same = cosine(ea, eh!), other = cosine(ea, eb);
    // Measured: same 0.996, other 0.093 (the first two npm sample photos show different people).
    assert.ok(same > 0.9, `same face: cosine ${same}`);
    assert.ok(other < 0.4, `two people: cosine ${other}`);
    // Batched equals single within float32 rounding.
    const [x, y] = await embedder.embed(image, [a.landmarks, a.landmarks]);
    assert.ok(Math.max(...x!.map((v, i) => Math.abs(v - y![i]!))) < 1e-6);
    assert.ok(Math.max(...x!.map((v, i) => Math.abs(v - ea[i]!))) < 1e-5);
  } finally {
    await pipeline.dispose();
    await embedder.dispose();
  }
});

Deno.test("mirror: both networks record it only when asked (dlib's settings without it are exactly as before), and read it back", () => {
  for (const name of ["dlib_resnet", "mobilefacenet"]) {
    const entry = embedderEntry(name);
    const plain = entry.record(entry.resolve({}));
    assert.equal(JSON.stringify(plain).includes("mirror"), false, name);
    const mirrored = entry.record(entry.resolve({ mirror: true }));
    assert.deepEqual((mirrored.embedder as { mirror?: boolean }).mirror, true, name);
    assert.equal(entry.optionsFrom(mirrored)?.mirror, true, name);
    assert.equal(entry.optionsFrom(plain)?.mirror, undefined, name);
  }
  // Exactly what every dlib cache and model recorded before there was a choice of network.
  assert.deepEqual(embedderEntry("dlib_resnet").record(embedderEntry("dlib_resnet").resolve({})), {
    align: { method: "template", size: 150, padding: 0.25, points: [36, 39, 42, 45, 30, 48, 54] },
  });
});

Deno.test("mirror: the mean of a chip's and its mirror's embeddings is a unit vector near the plain one, and not equal to it", async () => {
  const pipeline = await createPipeline({ features: "embedding", embedder: { network: "mobilefacenet" } });
  const mirrored = await createEmbedder({ network: "mobilefacenet", mirror: true });
  try {
    const image = await readImage(samplePhotos()[0]!);
    const face = (await pipeline.processLargestFace(image))!.face;
    const [m] = await mirrored.embed(image, [face.landmarks]);
    assert.ok(Math.abs(Math.hypot(...m!) - 1) < 1e-5);
    const c = cosine(m!, face.embedding!);
    // A face and its mirror image are one person: the mean stays close to either, but moves.
    assert.ok(c > 0.9 && c < 0.9999, `cosine ${c}`);
  } finally {
    await pipeline.dispose();
    await mirrored.dispose();
  }
});
