/**
 * Chooses the detector's defaults by measurement on the EVEN half of each dataset (sorted
 * paths, positions 0, 2, 4, …): sweeps the options and prints hit rates and time per photo.
 * The odd half is never read here; `deno task report` reports on it.
 *
 * Usage: `deno run -A scripts/tune_detect.ts [--full | --cascades | --pad | --rotate]` (`TUNE_BASE='{…}'` sets
 * options held fixed).
 *
 * @module
 */

import { createFaceDetector, type DetectorOptions } from "../lib/detect/detect_faces.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import type { Box } from "../lib/detect/box.ts";
import { datasetPhotos, datasetsDir, half } from "../lib/eval/datasets.ts";
import { scoreDetections } from "../lib/eval/detection.ts";
import type { DetectionKind } from "../lib/eval/datasets.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";

interface Set {
  name: string;
  kind: DetectionKind;
  photos: { relative: string; image: Image }[];
  truth?: Record<string, Box[]>;
}

const sets: Set[] = [];
for (
  const [name, kind] of [["lfw_min10", "centred"], ["orl_att_faces", "centred"], ["bbt", "centred"], [
    "face2vec",
    "any-face",
  ]] as const
) {
  const photos = half(await datasetPhotos(`${datasetsDir()}/${name}`), "even");
  sets.push({
    name,
    kind,
    photos: await Promise.all(photos.map(async (p) => ({ relative: p.relative, image: await readImage(p.path) }))),
  });
}
const truthDoc = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`));
sets.push({
  name: "samples",
  kind: "boxes",
  truth: truthDoc.faces,
  photos: await Promise.all(
    half(samplePhotos(), "even").map(async (p) => ({ relative: p.split("/").pop()!, image: await readImage(p) })),
  ),
});

const grid: DetectorOptions[] = [];
const mode = Deno.args.includes("--full")
  ? "full"
  : Deno.args.includes("--cascades")
  ? "cascades"
  : Deno.args.includes("--pad")
  ? "pad"
  : "small";
if (Deno.args.includes("--rotate")) {
  for (const rotate of ["never", "when-none", "always"] as const) grid.push({ rotate });
} else if (mode === "pad") {
  for (const pad of [0, 0.1, 0.25, 0.5]) grid.push({ pad });
} else if (mode === "cascades") {
  for (const cascade of ["frontalface_default", "frontalface_alt", "frontalface_alt2"] as const) {
    for (const scaleFactor of [1.05, 1.1, 1.2]) grid.push({ cascade, scaleFactor });
  }
} else {
  for (const contrast of ["none", "equalize", "clahe"] as const) {
    for (const minNeighbors of [3, 4, 5, 6]) {
      for (const minSize of mode === "full" ? [24, 30, 40] : [30]) grid.push({ contrast, minNeighbors, minSize });
    }
  }
}
const extra: DetectorOptions = JSON.parse(Deno.env.get("TUNE_BASE") ?? "{}");
console.log(["options", ...sets.map((s) => s.name), "false", "ms/photo (1920px)"].join("\t"));
for (const g of grid) {
  const det = await createFaceDetector({ ...extra, ...g });
  const cells: string[] = [];
  let falseBoxes = 0;
  let ms = 0;
  for (const s of sets) {
    const t0 = performance.now();
    const items = s.photos.map((p) => ({
      relative: p.relative,
      width: p.image.width,
      height: p.image.height,
      faces: det.detect(p.image),
    }));
    if (s.kind === "boxes") ms = (performance.now() - t0) / s.photos.length;
    const score = scoreDetections(s.kind, items, s.truth);
    cells.push(
      `${(score.hit_rate * 100).toFixed(1)}${score.padded_rate ? `(p${(score.padded_rate * 100).toFixed(0)})` : ""}`,
    );
    if (score.false_boxes !== undefined) falseBoxes = score.false_boxes;
  }
  det.dispose();
  console.log([JSON.stringify(g), ...cells, falseBoxes, ms.toFixed(0)].join("\t"));
}
