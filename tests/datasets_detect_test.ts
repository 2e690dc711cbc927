/**
 * Detection on the real photos in ../shared/datasets (fixed subsets, a few seconds each).
 * Skipped with a printed reason where the folder is missing, unless
 * FACE2VEC_REQUIRE_DATASETS=1 (as in .ci/run), where a missing folder fails.
 */
import assert from "node:assert/strict";
import { createFaceDetector } from "../lib/detect/detect_faces.ts";
import { readImage } from "../lib/image/read_image.ts";
import { datasetPhotos, datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import type { DetectionKind } from "../lib/eval/datasets.ts";
import { scoreDetections } from "../lib/eval/detection.ts";

async function score(name: string, kind: DetectionKind, every: number) {
  const photos = (await datasetPhotos(`${datasetsDir()}/${name}`)).filter((_, i) => i % every === 0);
  const detector = await createFaceDetector();
  try {
    const items = [];
    for (const p of photos) {
      const image = await readImage(p.path);
      items.push({ relative: p.relative, width: image.width, height: image.height, faces: (await detector.detect(image)) });
    }
    return scoreDetections(kind, items);
  } finally {
    await detector.dispose();
  }
}

const cases: [string, DetectionKind, number, number, number][] = [
  // name, kind, every n-th photo, expected count, minimum hit rate
  ["face2vec", "any-face", 1, 55, 0.95],
  ["lfw_min10", "centred", 10, 216, 0.98],
  ["orl_att_faces", "centred", 4, 100, 0.98],
  ["bbt", "centred", 1, 40, 0.95],
];

for (const [name, kind, every, count, min] of cases) {
  datasetTest(
    `createFaceDetector() finds faces in ≥ ${min * 100}% of ${name} (${
      every === 1 ? "every photo" : `every ${every}th photo`
    })`,
    async () => {
      const s = await score(name, kind, every);
      assert.equal(s.photos, count);
      assert.equal(s.errors, 0);
      assert.ok(s.hit_rate >= min, `${name}: ${(s.hit_rate * 100).toFixed(1)}% (missed ${s.misses.join(", ")})`);
    },
  );
}
