/**
 * Chooses the landmark crop (scale and vertical shift) on the EVEN half of
 * `helen_landmarks` (sorted names, positions 0, 2, 4, …) and prints median/mean NME per
 * setting; the odd half is never read here (`deno task report` reports it).
 *
 * Usage: `deno run -A scripts/tune_landmarks.ts [--model full|tiny]`
 *
 * @module
 */

import { createFaceDetector } from "../lib/detect/detect_faces.ts";
import { createLandmarker, type LandmarkModel } from "../lib/landmarks/detect_landmarks.ts";
import { datasetPhotos, datasetsDir, half } from "../lib/eval/datasets.ts";
import { landmarkErrors, loadAnnotated, summarizeNme } from "../lib/eval/landmarks.ts";

const model: LandmarkModel = Deno.args.includes("tiny") ? "tiny" : "full";
const photos = half(await datasetPhotos(`${datasetsDir()}/helen_landmarks`), "even");
const detector = await createFaceDetector();
const faces = await loadAnnotated(photos, detector);
detector.dispose();
console.log(`${faces.length} photos, ${faces.filter((f) => f.box).length} with a matching face; model ${model}`);
console.log("scale\tshiftY\tmedian\tmean");
for (const scale of [1.0, 1.1, 1.2, 1.3]) {
  for (const shiftY of [0.1, 0.15, 0.2, 0.25, 0.3]) {
    const lm = await createLandmarker({ model, scale, shiftY });
    const s = summarizeNme(await landmarkErrors(faces, lm));
    await lm.dispose();
    console.log(`${scale}\t${shiftY}\t${s.median.toFixed(2)}\t${s.mean.toFixed(2)}`);
  }
}
