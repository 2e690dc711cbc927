import assert from "node:assert/strict";
import { createLandmarker, landmarkCrop } from "./detect_landmarks.ts";
import { parsePts } from "./read_pts.ts";
import { readImage } from "../image/read_image.ts";
import { samplePhotos } from "../eval/npm.ts";
import { createFaceDetector } from "../detect/detect_faces.ts";

Deno.test("parsePts() reads 68-point files with and without the version/n_points/{} header", () => {
  const body = Array.from({ length: 68 }, (_, i) => `${i}.5 ${2 * i}`).join("\n");
  const bare = parsePts(body);
  const framed = parsePts(`version: 1\nn_points:  68\n{\n${body}\n}\n`);
  assert.equal(bare.length, 68);
  assert.deepEqual(framed, bare);
  assert.deepEqual(bare[67], { x: 67.5, y: 134 });
  assert.throws(() => parsePts("n_points: 3\n{\n1 2\n}\n", "a.pts"), /a.pts: n_points is 3 but 1 points follow/);
  assert.throws(() => parsePts("1 2 3\n", "b.pts"), /b.pts: line 1/);
});

Deno.test("landmarkCrop() centres a square of scale · the larger side, shifted down by shiftY · height", () => {
  assert.deepEqual(landmarkCrop({ x: 100, y: 100, width: 200, height: 100 }, { scale: 1, shiftY: 0 }), {
    x: 100,
    y: 50,
    size: 200,
  });
  assert.deepEqual(landmarkCrop({ x: 100, y: 100, width: 100, height: 100 }, { scale: 1.5, shiftY: 0.2 }), {
    x: 75,
    y: 95,
    size: 150,
  });
});

Deno.test("landmarks() batches faces: the same points as one call per face, in image pixels", async () => {
  const image = await readImage(samplePhotos()[2]!);
  const detector = await createFaceDetector();
  const boxes = (await detector.detect(image)).map((f) => f.box);
  await detector.dispose();
  assert.equal(boxes.length, 3);
  const lm = await createLandmarker();
  try {
    const together = await lm.landmarks(image, boxes);
    for (let i = 0; i < boxes.length; i++) {
      const [alone] = await lm.landmarks(image, [boxes[i]!]);
      for (let k = 0; k < 68; k++) {
        assert.ok(
          Math.abs(alone![k]!.x - together[i]![k]!.x) < 1e-3 && Math.abs(alone![k]!.y - together[i]![k]!.y) < 1e-3,
        );
      }
      // The nose tip (30) lies between the outer eye corners (36, 45) and below them.
      const p = together[i]!;
      assert.ok(
        p[30]!.x > p[36]!.x && p[30]!.x < p[45]!.x && p[30]!.y > p[36]!.y,
        JSON.stringify([p[30], p[36], p[45]]),
      );
    }
    assert.deepEqual(await lm.landmarks(image, []), []);
  } finally {
    await lm.dispose();
  }
  await assert.rejects(lm.landmarks(image, boxes), /after dispose/);
});

Deno.test("createLandmarker() rejects out-of-range options", async () => {
  await assert.rejects(createLandmarker({ scale: 0.1 }), RangeError);
  await assert.rejects(createLandmarker({ shiftY: 2 }), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(createLandmarker({ model: "huge" as any }), RangeError);
});

Deno.test("after onnxruntime-web loads, new Deno workers still get the web Worker (with `self`)", async () => {
  const lm = await createLandmarker({ model: "tiny" });
  await lm.dispose();
  const worker = new Worker(new URL("data:text/javascript,self.postMessage(typeof self)"), { type: "module" });
  try {
    const said = await new Promise((resolve, reject) => {
      worker.onmessage = (e) => resolve(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(e.message));
      };
    });
    assert.equal(said, "object");
  } finally {
    worker.terminate();
  }
});
