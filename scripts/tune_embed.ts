/**
 * Chooses the embedding's alignment and the default distance threshold by measurement on
 * the EVEN half of the datasets; `deno task report` reports on the odd half.
 *
 * - Alignment: the gallery's accuracy (nearest person's centroid) (k-fold, stratified, k = min(10, smallest
 *   class)) on the even-position photos (sorted paths) of lfw_min10, orl_att_faces and bbt,
 *   for face-api's landmark box and for the similarity chip on dlib's template with several
 *   paddings and point sets. Faces are found once (default detector and landmarks) and only
 *   the chip changes.
 * - Threshold: the open-set protocol on lfw_min10's even-position people (sorted names; their
 *   even-position photos): the threshold that minimises the largest of the three error rates
 *   (with the person's centroid, and for comparison the single nearest face), and the
 *   verification equal-error threshold on the same people.
 *
 * Usage: `deno task tune-embed [--quick] [--threshold-only]`
 *
 * @module
 */

import { createFaceDetector } from "../lib/detect/detect_faces.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
import { createEmbedder, type EmbedderOptions, euclidean } from "../lib/embed/embed_faces.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import type { Point } from "../lib/landmarks/point.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { seededRandom, stratifiedFolds } from "../lib/classify/folds.ts";
import { datasetPhotos, datasetsDir, half } from "../lib/eval/datasets.ts";
import {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  nearestKfold,
  openSetAnswers,
  openSetRates,
  openSetSplit,
  pairDistances,
} from "../lib/eval/embedding.ts";
import { formatTable } from "./_meta.ts";

interface Found {
  label: string;
  path: string;
  image: Image;
  landmarks: Point[];
}

/** The even-position photos of a dataset with their largest face's landmarks (photos without a face are left out and counted). */
async function facesOf(name: string, quick: boolean): Promise<{ found: Found[]; missed: number }> {
  const photos = half(await datasetPhotos(`${datasetsDir()}/${name}`), "even").filter((_, i) => !quick || i % 4 === 0);
  const detector = await createFaceDetector();
  const landmarker = await createLandmarker();
  const found: Found[] = [];
  let missed = 0;
  try {
    for (const p of photos) {
      const image = await readImage(p.path);
      const face = detector.detect(image)[0];
      if (!face) {
        missed++;
        continue;
      }
      const [landmarks] = await landmarker.landmarks(image, [face.box]);
      found.push({ label: labelOf(p.relative, "folder"), path: p.relative, image, landmarks: landmarks! });
    }
  } finally {
    detector.dispose();
    await landmarker.dispose();
  }
  return { found, missed };
}

async function embedAll(found: readonly Found[], options: EmbedderOptions): Promise<Labelled[]> {
  const embedder = await createEmbedder(options);
  try {
    const out: Labelled[] = [];
    for (const f of found) {
      const [embedding] = await embedder.embed(f.image, [f.landmarks]);
      out.push({ label: f.label, path: f.path, embedding: embedding! });
    }
    return out;
  } finally {
    await embedder.dispose();
  }
}

function kfoldNearest(faces: readonly Labelled[]): number {
  const names = [...new Set(faces.map((f) => f.label))].sort();
  const labels = faces.map((f) => names.indexOf(f.label));
  const smallest = Math.min(...names.map((_, c) => labels.filter((l) => l === c).length));
  const k = Math.max(2, Math.min(10, smallest));
  const accs = nearestKfold(faces, stratifiedFolds(labels, k, seededRandom(0)));
  return accs.reduce((a, b) => a + b, 0) / accs.length;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const thresholdOnly = Deno.args.includes("--threshold-only");
  const EYES_NOSE_MOUTH = [36, 39, 42, 45, 30, 48, 54];
  const DLIB_POINTS = [...Array.from({ length: 28 }, (_, i) => 27 + i), 60, 61, 62, 63, 64];
  const variants: [string, EmbedderOptions][] = [
    ["box (face-api)", { align: { method: "box" } }],
    ["template 7 pts, pad 0.25", { align: { method: "template", padding: 0.25, points: EYES_NOSE_MOUTH } }],
    ["template 7 pts, pad 0.20", { align: { method: "template", padding: 0.2, points: EYES_NOSE_MOUTH } }],
    ["template 7 pts, pad 0.30", { align: { method: "template", padding: 0.3, points: EYES_NOSE_MOUTH } }],
    ["template dlib 33 pts, pad 0.25", { align: { method: "template", padding: 0.25, points: DLIB_POINTS } }],
  ];
  const sets = thresholdOnly ? ["lfw_min10"] : ["lfw_min10", "orl_att_faces", "bbt"];
  const found = new Map<string, Found[]>();
  for (const s of sets) {
    const r = await facesOf(s, quick);
    console.error(`${s}: ${r.found.length} even-half faces (${r.missed} photos without a face left out)`);
    found.set(s, r.found);
  }
  const rows = [["alignment (gallery k-fold, even half)", ...sets]];
  let lfwDefault: Labelled[] = [];
  for (const [name, options] of thresholdOnly ? variants.filter(([n]) => n === "template 7 pts, pad 0.25") : variants) {
    const row = [name];
    for (const s of sets) {
      const faces = await embedAll(found.get(s)!, options);
      if (s === "lfw_min10" && name === "template 7 pts, pad 0.25") lfwDefault = faces;
      row.push(`${(kfoldNearest(faces) * 100).toFixed(2)}%`);
    }
    rows.push(row);
    console.error(row.join("  "));
  }
  console.log(formatTable(rows));
  // Thresholds on the even-position people of lfw_min10 (their even-position photos).
  const all = lfwDefault;
  const people = [...new Set(all.map((f) => f.label))].sort().filter((_, i) => i % 2 === 0);
  const evenPeople = all.filter((f) => people.includes(f.label));
  const split = openSetSplit(evenPeople);
  const answers = openSetAnswers(split);
  const chosen = chooseOpenSetThreshold(answers);
  // The same with the single nearest enrolled face instead of the person's centroid.
  const nearestFace = {
    known: split.known.map((f) => {
      const best = split.gallery.map((g) => ({ label: g.label, d: euclidean(g.embedding, f.embedding) }))
        .sort((a, b) => a.d - b.d)[0]!;
      return { label: best.label, distance: best.d, truth: f.label };
    }),
    strangers: split.strangers.map((f) => Math.min(...split.gallery.map((g) => euclidean(g.embedding, f.embedding)))),
  };
  const chosenFace = chooseOpenSetThreshold(nearestFace);
  console.log(
    `open set with the nearest single face instead: best threshold ${chosenFace} → ${
      JSON.stringify(openSetRates(nearestFace, chosenFace))
    }`,
  );
  const eer = equalErrorRate(pairDistances(evenPeople));
  console.log(
    `open-set threshold (minimax of the three rates) on lfw_min10's even people: ${chosen} → ${
      JSON.stringify(openSetRates(answers, chosen))
    }`,
  );
  console.log(
    `verification equal-error threshold there: ${eer.threshold.toFixed(4)} (EER ${(eer.eer * 100).toFixed(2)}%)`,
  );
}
