/**
 * `deno task tune detect|landmarks|embed|head|cluster [FLAG…]`: chooses defaults by measurement on the
 * EVEN half of the datasets (sorted paths, positions 0, 2, 4, …); the odd half is never read
 * here (`deno task report` reports on it). Each subcommand prints its sweep:
 *
 * - `detect [--full | --cascades | --pad | --rotate]`: the detector's options; hit rates per
 *   set, the npm samples' false boxes and ms per 1920 px photo (`TUNE_BASE='{…}'` sets options
 *   held fixed).
 * - `landmarks [full|tiny] [blazeface|haar] [--points | --refine]`: the landmark crop (scale
 *   and vertical shift) behind a detector's boxes on `helen_landmarks` (first pass only);
 *   `--points`: the crop from the ground-truth points' bounding box (the refinement pass's
 *   crop, `POINTS_CROP`); `--refine`: the refinement pass and the mirrored crop, off and on,
 *   with the detector's defaults; median and mean NME per setting.
 * - `embed [--quick] [--threshold-only]`: the embedding's alignment, by the gallery's accuracy
 *   (nearest person's centroid; k-fold, stratified, k = min(10, smallest class)) on lfw_min10,
 *   orl_att_faces and bbt, for face-api's landmark box and for the similarity chip on dlib's
 *   template with several paddings and point sets (faces are found once, default detector and
 *   landmarks; only the chip changes). Then the thresholds, on lfw_min10's even-position people
 *   (sorted names; their even-position photos): the open-set threshold that minimises the
 *   largest of the three error rates (with the person's centroid, and for comparison the single
 *   nearest face), and the verification equal-error threshold.
 * - `head [both|embedding] [--short]`: the trained network's sizes for the `embedding` and `both`
 *   feature sets on lfw_min10: 5-fold cross-validation, seed 0, 100 epochs, for a few
 *   architectures (`--short`: only the original's network and the chosen default). Uses (and
 *   makes, when missing) the report's cache `.face2vec/report/lfw_min10.both.cache`.
 * - `cluster [--quick] [--network NAME]`: clustering's algorithm, distance threshold and minimum
 *   group size on every face of lfw_min10 and orl_att_faces (BCubed F1, pairwise precision and
 *   recall, groups against people, unclustered labelled faces), embedded by the default network
 *   or NAME (thresholds swept in proportion to its `distances.verify`); `--quick`: two thresholds.
 *
 * @module
 */

import type { Box } from "../lib/image/box.ts";
import {
  createFaceDetector,
  DEFAULT_DETECTOR,
  type DetectorName,
  type DetectorOptions,
} from "../lib/detect/detect_faces.ts";
import type { LandmarkerOptions, LandmarkModel } from "../lib/landmarks/detect_landmarks.ts";
import { createLandmarker } from "../lib/detect/landmark_crops.ts";
import {
  createEmbedder,
  DEFAULT_EMBEDDER,
  EMBEDDER_REGISTRY,
  embedderEntry,
  type EmbedderName,
  type EmbedderOptions,
} from "../lib/embed/embed_faces.ts";
import { createPipeline } from "../lib/pipeline/pipeline.ts";
import { readImage } from "../lib/image/read_image.ts";
import type { Image } from "../lib/image/image.ts";
import type { Point } from "../lib/image/point.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { CLUSTER_ALGORITHMS, type ClusterAlgorithm } from "../lib/cluster/cluster_faces.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { DEFAULT_NETWORK, type NetworkOptions } from "../lib/classify/network.ts";
import { datasetPhotos, DATASETS, datasetsDir, type DetectionKind, half } from "../lib/eval/datasets.ts";
import { detectAll, scoreDetections } from "../lib/eval/detection.ts";
import { boundingBox, landmarkErrors, loadAnnotated, summarizeNme } from "../lib/eval/landmarks.ts";
import {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  nearestFaceAnswers,
  openSetAnswers,
  openSetRates,
  openSetSplit,
  pairDistances,
} from "../lib/eval/embedding.ts";
import { nearestAccuracy } from "../lib/eval/identification.ts";
import { clusterFigures } from "../lib/eval/clustering.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { formatTable } from "../lib/eval/tables.ts";
import { everyFaceRecords } from "./_report_cache.ts";

/** The even-position photos of a dataset, sorted by relative path. */
async function evenPhotos(name: string): Promise<{ path: string; relative: string }[]> {
  return half(await datasetPhotos(`${datasetsDir()}/${name}`), "even");
}

/** The detector's option settings that `flag` sweeps (the first of `--rotate`, `--full`, `--cascades`, `--pad`). */
function detectorGrid(flag: string | undefined): DetectorOptions[] {
  if (flag === "--rotate") return (["never", "when-none", "always"] as const).map((rotate) => ({ rotate }));
  if (flag === "--pad") return [0, 0.1, 0.25, 0.5].map((pad) => ({ pad }));
  if (flag === "--cascades") {
    return (["frontalface_default", "frontalface_alt", "frontalface_alt2"] as const)
      .flatMap((cascade) => [1.05, 1.1, 1.2].map((scaleFactor) => ({ cascade, scaleFactor })));
  }
  const sizes = flag === "--full" ? [24, 30, 40] : [30];
  return (["none", "equalize", "clahe"] as const).flatMap((contrast) =>
    [3, 4, 5, 6].flatMap((minNeighbors) => sizes.map((minSize) => ({ contrast, minNeighbors, minSize })))
  );
}

/** A photo set the detector sweep scores, its photos decoded once. */
interface DetectSet {
  name: string;
  kind: DetectionKind;
  photos: { relative: string; image: Image }[];
  truth?: Record<string, Box[]>;
}

async function tuneDetect(flags: readonly string[]): Promise<void> {
  const load = (photos: { path: string; relative: string }[]) =>
    Promise.all(photos.map(async (p) => ({ relative: p.relative, image: await readImage(p.path) })));
  const sets: DetectSet[] = [];
  for (const name of ["lfw_min10", "orl_att_faces", "bbt", "face2vec"]) {
    const { kind } = DATASETS.find((d) => d.name === name)!;
    sets.push({ name, kind, photos: await load(await evenPhotos(name)) });
  }
  const samples = half(samplePhotos(), "even").map((path) => ({ path, relative: path.split("/").pop()! }));
  const truth = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`)).faces;
  sets.push({ name: "samples", kind: "boxes", truth, photos: await load(samples) });
  const base: DetectorOptions = JSON.parse(Deno.env.get("TUNE_BASE") ?? "{}");
  console.log(["options", ...sets.map((s) => s.name), "false", "ms/photo (1920px)"].join("\t"));
  for (const options of detectorGrid(["--rotate", "--full", "--cascades", "--pad"].find((f) => flags.includes(f)))) {
    const detector = await createFaceDetector({ ...base, ...options });
    const cells: string[] = [];
    let falseBoxes = 0, ms = 0;
    for (const s of sets) {
      const t0 = performance.now();
      const items = await detectAll(detector, s.photos);
      if (s.kind === "boxes") ms = (performance.now() - t0) / s.photos.length;
      const score = scoreDetections(s.kind, items, s.truth);
      const padded = score.padded_rate ? `(p${(score.padded_rate * 100).toFixed(0)})` : "";
      cells.push(`${(score.hit_rate * 100).toFixed(1)}${padded}`);
      if (score.false_boxes !== undefined) falseBoxes = score.false_boxes;
    }
    await detector.dispose();
    console.log([JSON.stringify(options), ...cells, falseBoxes, ms.toFixed(0)].join("\t"));
  }
}

async function tuneLandmarks(flags: readonly string[]): Promise<void> {
  const model: LandmarkModel = flags.includes("tiny") ? "tiny" : "full";
  const name: DetectorName = flags.includes("haar") ? "haar" : "blazeface";
  const detector = await createFaceDetector({ detector: name });
  let faces = await loadAnnotated(await evenPhotos("helen_landmarks"), detector);
  await detector.dispose();
  const points = flags.includes("--points");
  if (points) {
    // The crop from the ground-truth points: the box is their bounding box (the net's own ceiling).
    faces = faces.map((f) => (f.box ? { ...f, box: boundingBox(f.truth) } : f));
  }
  const from = points ? "ground-truth points" : `${name} boxes`;
  console.log(
    `${faces.length} photos, ${faces.filter((f) => f.box).length} with a matching face; model ${model}; ${from}`,
  );
  const row = async (label: string, options: LandmarkerOptions) => {
    const landmarker = await createLandmarker({ model, ...options }, name);
    const s = summarizeNme(await landmarkErrors(faces, landmarker));
    await landmarker.dispose();
    console.log(`${label}\t${s.median.toFixed(2)}\t${s.mean.toFixed(2)}`);
  };
  if (flags.includes("--refine")) {
    console.log("refine\tmirror\tmedian\tmean");
    for (const refine of [false, true]) {
      for (const mirror of [false, true]) await row(`${refine}\t${mirror}`, { refine, mirror });
    }
    return;
  }
  console.log("scale\tshiftY\tmedian\tmean");
  const shifts = points ? [-0.1, -0.05, 0, 0.05, 0.1] : [-0.1, -0.05, 0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3];
  for (const scale of [1.0, 1.1, 1.2, 1.3, 1.4]) {
    for (const shiftY of shifts) await row(`${scale}\t${shiftY}`, { scale, shiftY, refine: false, mirror: false });
  }
}

/** A labelled photo with its largest face's landmarks. */
type Found = Omit<Labelled, "embedding"> & { readonly image: Image; readonly landmarks: readonly Point[] };

/** The even-position photos of a dataset with their largest face's landmarks (photos without a face are left out and counted). */
async function facesOf(name: string, quick: boolean): Promise<{ found: Found[]; missed: number }> {
  const photos = (await evenPhotos(name)).filter((_, i) => !quick || i % 4 === 0);
  const pipeline = await createPipeline({ features: "geometry" });
  const found: Found[] = [];
  try {
    for (const p of photos) {
      const image = await readImage(p.path);
      const largest = await pipeline.processLargestFace(image);
      if (largest) {
        found.push({
          label: labelOf(p.relative, "folder"),
          path: p.relative,
          image,
          landmarks: largest.face.landmarks,
        });
      }
    }
  } finally {
    await pipeline.dispose();
  }
  return { found, missed: photos.length - found.length };
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

async function tuneEmbed(flags: readonly string[]): Promise<void> {
  const quick = flags.includes("--quick"), thresholdOnly = flags.includes("--threshold-only");
  const EYES_NOSE_MOUTH = [36, 39, 42, 45, 30, 48, 54];
  const DLIB_POINTS = [...Array.from({ length: 28 }, (_, i) => 27 + i), 60, 61, 62, 63, 64];
  const DEFAULT = "template 7 pts, pad 0.25";
  const template = (padding: number, points: number[]) => ({ align: { method: "template", padding, points } } as const);
  const variants: [string, EmbedderOptions][] = [
    ["box (face-api)", { align: { method: "box" } }],
    [DEFAULT, template(0.25, EYES_NOSE_MOUTH)],
    ["template 7 pts, pad 0.20", template(0.2, EYES_NOSE_MOUTH)],
    ["template 7 pts, pad 0.30", template(0.3, EYES_NOSE_MOUTH)],
    ["template dlib 33 pts, pad 0.25", template(0.25, DLIB_POINTS)],
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
  for (const [name, options] of thresholdOnly ? variants.filter(([n]) => n === DEFAULT) : variants) {
    const row = [name];
    for (const s of sets) {
      const faces = await embedAll(found.get(s)!, options);
      if (s === "lfw_min10" && name === DEFAULT) lfwDefault = faces;
      row.push(`${(nearestAccuracy(faces, 0) * 100).toFixed(2)}%`);
    }
    rows.push(row);
    console.error(row.join("  "));
  }
  console.log(formatTable(rows));
  // Thresholds on the even-position people of lfw_min10 (their even-position photos).
  const people = [...new Set(lfwDefault.map((f) => f.label))].sort().filter((_, i) => i % 2 === 0);
  const evenPeople = lfwDefault.filter((f) => people.includes(f.label));
  const split = openSetSplit(evenPeople);
  const answers = openSetAnswers(split);
  const chosen = chooseOpenSetThreshold(answers);
  // The same with the single nearest enrolled face instead of the person's centroid.
  const nearestFace = nearestFaceAnswers(split);
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

async function tuneHead(flags: readonly string[]): Promise<void> {
  const which = flags.includes("embedding") ? "embedding" : "both";
  const workers = navigator.hardwareConcurrency;
  const cache = `${ROOT}/.face2vec/report/lfw_min10.both.cache`;
  await preprocessFolder(`${datasetsDir()}/lfw_min10`, { cache, features: "both", workers });
  const read = (await readCache(cache))!;
  const s = samplesFromCache(read);
  const even = half(s.paths.map((_, i) => i), "even");
  // `both` is geometry (204, unit norm) then the embedding (128, unit norm); `embedding` alone is its raw vector.
  const features = even.map((i) =>
    which === "both" ? s.features[i]! : Float32Array.from(read.records.get(s.paths[i]!)!.embedding!)
  );
  const labels = even.map((i) => s.labels[i]!);
  const configs: [string, NetworkOptions][] = [
    ["original 68/32 tanh/sigmoid", {}],
    ["128/64 tanh/sigmoid", { hidden1: 128, hidden2: 64 }],
  ];
  if (!flags.includes("--short")) {
    configs.push(
      ["128/128 tanh/tanh", { hidden1: 128, hidden2: 128, activation2: "tanh" }],
      ["256/128 relu/relu", { hidden1: 256, hidden2: 128, activation1: "relu", activation2: "relu" }],
    );
  }
  for (const [name, net] of configs) {
    const t0 = performance.now();
    const network = { ...DEFAULT_NETWORK, ...net };
    const r = await trainClassifier(features, labels, 1, { folds: 5, epochs: 100, seed: 0, workers, network });
    const seconds = ((performance.now() - t0) / 1000).toFixed(0);
    console.log(`${which} ${name}: ${(r.mean * 100).toFixed(2)}% ± ${(r.std * 100).toFixed(2)}% (${seconds} s)`);
  }
}

/**
 * Clustering's algorithm, distance threshold and minimum group size on the even halves of
 * lfw_min10 and orl_att_faces (every face of every photo, the default detector): BCubed F1,
 * pairwise precision, groups of 2+ labelled faces against people, unclustered labelled faces.
 */
async function tuneCluster(flags: readonly string[]): Promise<void> {
  const at = flags.indexOf("--network");
  const network = (at >= 0 ? flags[at + 1] : DEFAULT_EMBEDDER) as EmbedderName;
  const entry = embedderEntry(network);
  const sets = [];
  for (const name of ["lfw_min10", "orl_att_faces"]) {
    const embedder = network === DEFAULT_EMBEDDER ? undefined : { network };
    sets.push({ name, records: await everyFaceRecords(name, `${datasetsDir()}/${name}`, DEFAULT_DETECTOR, embedder) });
  }
  // The sweep is in units of the network's own 1:1 threshold (dlib's 0.63: 0.45–0.70).
  const scale = entry.distances.verify / 0.63;
  const thresholds =
    (flags.includes("--quick") ? [0.5, 0.6] : [0.45, 0.475, 0.5, 0.525, 0.55, 0.575, 0.6, 0.625, 0.65, 0.675, 0.7]).map(
      (t) => Math.round(t * scale * 1000) / 1000,
    );
  console.log(`network ${network}: thresholds ${thresholds.join(", ")}`);
  const header = ["algorithm", "threshold", "power", "min size", "smaller F1"];
  for (const s of sets) header.push(`${s.name} BCubed F1`, "pair P", "pair R", "groups/people", "unclustered", "ms");
  const rows: { cells: string[]; worst: number; precision: number }[] = [];
  for (const algorithm of Object.keys(CLUSTER_ALGORITHMS) as ClusterAlgorithm[]) {
    const powers = algorithm === "chinese-whispers" ? [0, 1, 2, 3] : [0];
    for (const threshold of thresholds) {
      for (const power of powers) {
        for (const minSize of [2, 3]) {
          const figures = [];
          for (const s of sets) {
            figures.push(await clusterFigures(s.records, "even", { algorithm, threshold, power, minSize }));
          }
          const worst = Math.min(...figures.map((f) => f.bcubed_f1));
          const cells = [algorithm, String(threshold), String(power), String(minSize), worst.toFixed(4)];
          for (const f of figures) {
            cells.push(
              f.bcubed_f1.toFixed(4),
              f.pairwise_precision.toFixed(4),
              f.pairwise_recall.toFixed(4),
              `${f.groups}/${f.people}`,
              `${(f.unclustered_rate * 100).toFixed(1)}%`,
              String(f.ms),
            );
          }
          rows.push({ cells, worst, precision: Math.min(...figures.map((f) => f.pairwise_precision)) });
          console.log(cells.join("\t"));
        }
      }
    }
  }
  console.log(formatTable([header, ...rows.map((r) => r.cells)]));
  // The rule: the largest smaller BCubed F1 of the two sets; ties go to the higher pairwise precision.
  const best = [...rows].sort((a, b) => b.worst - a.worst || b.precision - a.precision)[0]!;
  console.log(`chosen (largest smaller BCubed F1 on the even halves): ${best.cells.slice(0, 4).join(" ")}`);
}

/** The subcommands: their flags (the usage line, and the words accepted) and what they run. */
const COMMANDS = {
  detect: { usage: "[--full | --cascades | --pad | --rotate]", run: tuneDetect },
  landmarks: { usage: "[full|tiny] [blazeface|haar] [--points | --refine]", run: tuneLandmarks },
  embed: { usage: "[--quick] [--threshold-only]", run: tuneEmbed },
  head: { usage: "[both|embedding] [--short]", run: tuneHead },
  cluster: { usage: `[--quick] [--network ${Object.keys(EMBEDDER_REGISTRY).join("|")}]`, run: tuneCluster },
};

if (import.meta.main) {
  const [name, ...flags] = Deno.args;
  const command = COMMANDS[name as keyof typeof COMMANDS];
  const words = command?.usage.split(/[\s[\]|]+/);
  if (!command || flags.some((f) => !words!.includes(f))) {
    const lines = Object.entries(COMMANDS).map(([n, c]) => `deno task tune ${n} ${c.usage}`);
    console.error(`usage: ${lines.join("\n       ")}`);
    Deno.exit(2);
  }
  await command.run(flags);
}
