/**
 * Landmarks on real annotated faces: ../shared/datasets/helen_landmarks (every 5th photo).
 * Ignored with a printed reason where the folder is missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { createFaceDetector } from "../lib/detect/detect_faces.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
import { datasetPhotos, datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { landmarkErrors, loadAnnotated, summarizeNme } from "../lib/eval/landmarks.ts";

datasetTest(
  "landmarks land on HELEN faces: median NME ≤ 5.5% (full) and ≤ 6.5% (tiny) on every 5th photo",
  async () => {
    const photos = (await datasetPhotos(`${datasetsDir()}/helen_landmarks`)).filter((_, i) => i % 5 === 0);
    assert.equal(photos.length, 30);
    const detector = await createFaceDetector();
    const faces = await loadAnnotated(photos, detector);
    detector.dispose();
    for (const [model, limit] of [["full", 5.5], ["tiny", 6.5]] as const) {
      const lm = await createLandmarker({ model });
      const s = summarizeNme(await landmarkErrors(faces, lm));
      await lm.dispose();
      console.log(`${model}: median NME ${s.median}%, mean ${s.mean}%, found ${s.found_rate}`);
      assert.ok(s.found_rate >= 0.85, `${model}: found ${s.found_rate}`);
      assert.ok(s.median <= limit, `${model}: median NME ${s.median}%`);
    }
  },
);
