/**
 * Detection on the real photos in ../shared/datasets (fixed subsets, a few seconds each).
 * Skipped with a printed reason where the folder is missing, unless
 * FACE2VEC_REQUIRE_DATASETS=1 (as in .ci/run), where a missing folder fails.
 */
import assert from "node:assert/strict";
import { createFaceDetector, type DetectorName, DETECTORS } from "../lib/detect/detect_faces.ts";
import { readImage } from "../lib/image/read_image.ts";
import { datasetPhotos, datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import type { DetectionKind } from "../lib/eval/datasets.ts";
import { detectWith, scoreDetections } from "../lib/eval/detection.ts";

async function score(name: string, kind: DetectionKind, every: number, detector: DetectorName) {
  const photos = (await datasetPhotos(`${datasetsDir()}/${name}`)).filter((_, i) => i % every === 0);
  return scoreDetections(kind, await detectWith({ detector }, photos));
}

// name, kind, every n-th photo, expected count, then per detector: the minimum hit rate and the
// rate measured when it was set (BlazeFace: no miss; Haar: Igor_Ivanov_0007 of lfw_min10,
// s2/6.pgm of orl_att_faces and leonard5 of bbt).
const cases: [string, DetectionKind, number, number, Record<DetectorName, [min: number, measured: number]>][] = [
  ["face2vec", "any-face", 1, 55, { blazeface: [0.98, 1], haar: [0.95, 1] }],
  ["lfw_min10", "centred", 10, 216, { blazeface: [0.99, 1], haar: [0.98, 0.995] }],
  ["orl_att_faces", "centred", 4, 100, { blazeface: [0.99, 1], haar: [0.98, 0.99] }],
  ["bbt", "centred", 1, 40, { blazeface: [0.975, 1], haar: [0.95, 0.975] }],
];

for (const [name, kind, every, count, rates] of cases) {
  for (const detector of DETECTORS) {
    const [min, measured] = rates[detector];
    datasetTest(
      `createFaceDetector({ detector: "${detector}" }) finds faces in ≥ ${min * 100}% of ${name} (${
        every === 1 ? "every photo" : `every ${every}th photo`
      }; measured ${(measured * 100).toFixed(1)}%)`,
      async () => {
        const s = await score(name, kind, every, detector);
        assert.equal(s.photos, count);
        assert.equal(s.errors, 0);
        assert.ok(
          s.hit_rate >= min,
          `${name}, ${detector}: ${(s.hit_rate * 100).toFixed(1)}% (missed ${s.misses.join(", ")})`,
        );
      },
    );
  }
}

datasetTest("createFaceDetector() is BlazeFace: its faces say so", async () => {
  const d = await createFaceDetector();
  try {
    assert.equal(d.options.detector, "blazeface");
    const [photo] = await datasetPhotos(`${datasetsDir()}/orl_att_faces`);
    const faces = await d.detect(await readImage(photo!.path));
    assert.ok(faces.length >= 1);
    assert.ok(
      faces.every((f) => ["blazeface", "padded"].includes(f.source) && f.score !== undefined),
      JSON.stringify(faces),
    );
  } finally {
    await d.dispose();
  }
});
