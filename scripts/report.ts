/**
 * `deno task report [FOLDER…] [--quick] [--json-out FILE]`: accuracy figures over labelled
 * folders (default: every dataset in ../shared/datasets, plus the hand-boxed npm sample
 * photos), each given for every face detector side by side (the original's Haar cascade and
 * the learned BlazeFace, each with its own default landmark options): face detection,
 * landmark NME where `.pts` annotations exist (HELEN; also from crops of the annotated points,
 * the landmark networks' own ceiling), and identification, open set and verification on the
 * labelled sets. Each figure is given for the whole set and for its even half (sorted paths,
 * positions 0, 2, …: where defaults were chosen) and odd half.
 *
 * Detection hit: for centred-face sets (LFW, ORL, bbt) a real (not fallback) box containing the
 * photo's centre; for face2vec and HELEN at least one real box; for the npm samples and the
 * scenes, recall of the hand-boxed faces (`fixtures/sample_faces.json`,
 * `fixtures/scene_faces.json`) at IoU ≥ 0.5 and the count of false boxes. The detector runs
 * with its defaults plus the whole-image fallback, so that the fallback rate is reported
 * beside (never inside) the hit rate.
 *
 * @module
 */

import type { Box } from "../lib/detect/box.ts";
import {
  createFaceDetector,
  DEFAULT_DETECTOR,
  type DetectorName,
  type DetectorOptions,
  resolveDetectorOptions,
} from "../lib/detect/detect_faces.ts";
import { ImageError } from "../lib/image/image_error.ts";
import { type ListedImage, listImages } from "../lib/image/list_images.ts";
import { readImage } from "../lib/image/read_image.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { DATASETS, datasetsDir, datasetsPresent, type DetectionKind, half } from "../lib/eval/datasets.ts";
import { type Detected, scoreDetections } from "../lib/eval/detection.ts";
import { DETECTOR_COLUMNS, formatTable, meta, parseMeasureArgs, perDetector, perDetectorAsync } from "./_meta.ts";
import { type AnnotatedFace, landmarkErrors, loadAnnotated, summarizeNme } from "../lib/eval/landmarks.ts";
import {
  createLandmarker,
  type Crop,
  type LandmarkerOptions,
  pointsCrop,
  resolveLandmarkerOptions,
} from "../lib/landmarks/detect_landmarks.ts";
import { parsePts } from "../lib/landmarks/read_pts.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { createClassifier } from "../lib/classify/classifier.ts";
import { modelFromTraining } from "../lib/classify/model.ts";
import { featureSet } from "../lib/features/feature_sets.ts";
import { createMatcher, DEFAULT_MAX_DISTANCE, DEFAULT_VERIFY_DISTANCE } from "../lib/gallery/gallery.ts";
import { seededRandom, stratifiedFolds } from "../lib/classify/folds.ts";
import { networkFor } from "../lib/classify/network.ts";
import {
  chooseOpenSetThreshold,
  equalErrorRate,
  type Labelled,
  minimaxThreshold,
  nearestKfold,
  openSetAnswers,
  openSetRates,
  openSetSplit,
  pairDistances,
  verificationAt,
} from "../lib/eval/embedding.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { reportCache } from "./_report_cache.ts";
import { clusterFigures, everyFaceRecords } from "./_cluster_eval.ts";
import { CLUSTER_ALGORITHMS, type ClusterAlgorithm, resolveClusterOptions } from "../lib/cluster/cluster_faces.ts";
import {
  type AccuracyFigures,
  type CeilingNmeFigures,
  type ClusteringFigures,
  type DatasetReport,
  type DetectionFigures,
  type DetectorNmeFigures,
  type NetworkOpenSet,
  type NmeFigures,
  type ReportJson,
  validateReport,
} from "./_schema.ts";

/** A set of photos to score detection on, with its kind, extra detector options and hand-drawn boxes. */
interface Target {
  name: string;
  kind: DetectionKind;
  photos: readonly ListedImage[];
  /** Besides each detector's defaults (`detector` itself is never set here). */
  options: Omit<DetectorOptions, "detector">;
  truth?: Record<string, Box[]>;
}

/** `t`'s options with detector `d`. */
const withName = (t: Target, d: DetectorName): DetectorOptions => ({ ...t.options, detector: d });

async function detectAll(t: Target, d: DetectorName): Promise<Detected[]> {
  const detector = await createFaceDetector({ fallback: true, ...withName(t, d) });
  const out: Detected[] = [];
  try {
    for (const p of t.photos) {
      try {
        const image = await readImage(p.path);
        out.push({
          relative: p.relative,
          width: image.width,
          height: image.height,
          faces: await detector.detect(image),
        });
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        console.error(e.message);
        out.push({ relative: p.relative, width: 0, height: 0, error: e.reason });
      }
    }
  } finally {
    await detector.dispose();
  }
  return out;
}

/** The datasets whose people the classifier is scored on. */
const LABELLED = ["face2vec", "orl_att_faces", "bbt", "lfw_min10"];

/** The labelled sets clustering is scored on (every face of every photo; the label names the centred one). */
const CLUSTERED = ["lfw_min10", "orl_att_faces"];

const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(avg(xs.map((x) => (x - avg(xs)) ** 2)));
const r4 = (v: number) => Math.round(v * 10000) / 10000;
const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

/** A figure of a sorted list, with the figure of its even and odd halves beside it. */
function withHalves<T, S extends object>(items: readonly T[], figure: (items: readonly T[]) => S) {
  return { ...figure(items), even: figure(half(items, "even")), odd: figure(half(items, "odd")) };
}

/** Every number of a flat object of numbers rounded to 4 decimals. */
function rounded<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r4(v)])) as T;
}

/** A photo with a face: its person, features and embedding (empty for `geometry`). */
type Face = Labelled & { readonly features: Float32Array };

/** A dataset preprocessed with one feature set behind one detector: its usable samples and how many photos had no face. */
async function prepared(name: string, dir: string, features: "geometry" | "both", detector: DetectorName) {
  const options = { features, detector: { detector } } as const;
  const cache = await reportCache(name, options);
  await preprocessFolder(dir, { ...options, cache, workers: navigator.hardwareConcurrency });
  const all = (await readCache(cache))!;
  const records = [...all.records.values()];
  const noFace = records.filter((r) => r.status === "no_face");
  const ok = records.filter((r) => r.status === "ok" && r.features).sort((a, b) => (a.path < b.path ? -1 : 1));
  const faces: Face[] = ok.map((r) => ({
    label: r.label,
    path: r.path,
    features: Float32Array.from(r.features!),
    embedding: r.embedding ? Float32Array.from(r.embedding) : new Float32Array(0),
  }));
  return {
    samples: samplesFromCache(all),
    faces,
    train: faces.filter((f) => f.path.startsWith("train/")),
    test: faces.filter((f) => f.path.startsWith("test/")),
    noFace: noFace.length,
    testNoFace: noFace.filter((r) => r.path.startsWith("test/")).length,
  };
}

type Prepared = Awaited<ReturnType<typeof prepared>>;

/** Trains `set`'s network (no folds) on `gallery`, person i being `names[i]`, and asks it about each of `probes`. */
async function trainAndAsk(
  p: Prepared,
  set: string,
  { epochs, seed }: { epochs: number; seed: number },
  gallery: readonly Face[],
  names: readonly string[],
  probes: readonly (readonly Face[])[],
) {
  const labels = gallery.map((f) => names.indexOf(f.label)), network = networkFor(featureSet(set));
  const rows = p.samples.rows;
  const r = await trainClassifier(gallery.map((f) => f.features), labels, rows, { folds: 0, epochs, seed, network });
  const classifier = await createClassifier(modelFromTraining(r, names, rows));
  try {
    const answers = [];
    for (const faces of probes) answers.push(await classifier.predict(faces, { minProb: 0 }));
    return answers;
  } finally {
    classifier.dispose();
  }
}

/** k-fold (network) and train→test (network) figures of one feature set's samples. */
async function networkFigures(p: Prepared, set: string, k: number, seeds: number[], epochs: number) {
  const { samples } = p;
  const means: number[] = [];
  for (const seed of seeds) {
    const r = await trainClassifier(samples.features, samples.labels, samples.rows, {
      folds: k,
      epochs,
      seed,
      workers: navigator.hardwareConcurrency,
      network: networkFor(featureSet(set)),
    });
    means.push(r.mean);
  }
  const { train, test } = p;
  const scores: number[] = [];
  for (const seed of test.length > 0 ? seeds : []) {
    const [answers] = await trainAndAsk(p, set, { epochs, seed }, train, samples.names, [test]);
    scores.push(answers!.filter((a, j) => a.label === test[j]!.label).length / (test.length + p.testNoFace));
  }
  return { means, trainTest: scores };
}

/** k-fold and train→test figures of the gallery (nearest person's centroid) on the embeddings. */
function nearestFigures(p: Prepared, k: number, seeds: number[]) {
  const means = seeds.map((seed) =>
    avg(nearestKfold(p.faces, stratifiedFolds(p.samples.labels, k, seededRandom(seed))))
  );
  const { train, test } = p;
  const match = train.length ? createMatcher(train) : undefined;
  const trainTest = test.length && match
    ? [test.filter((f) => match(f.embedding).label === f.label).length / (test.length + p.testNoFace)]
    : [];
  return { means, trainTest };
}

/**
 * Identification accuracy of each feature set with its default classifier: k-fold
 * cross-validation stratified by person (k = min(10, smallest class)), the same folds for
 * every set (same seeds, same photos), mean ± std over seeds, and train→test where the folder
 * has train/ and test/. `kfold_mean` is over photos with a face; `kfold_mean_all` counts each
 * no-face photo as an error, as train→test does. `embedding` is the gallery's nearest person
 * (its default, deterministic: its std is over the seeds' folds); `geometry` and `both` are the
 * trained network.
 */
async function accuracyFigures(geometry: Prepared, both: Prepared, seeds: number[], epochs: number) {
  const counts = geometry.samples.names.map((_, c) => geometry.samples.labels.filter((l) => l === c).length);
  const k = Math.max(2, Math.min(10, ...counts));
  const sameFaces = geometry.samples.paths.join("\n") === both.samples.paths.join("\n");
  const out: Record<string, AccuracyFigures> = {};
  for (const [set, p] of [["geometry", geometry], ["embedding", both], ["both", both]] as const) {
    const { means, trainTest } = set === "embedding"
      ? nearestFigures(p, k, seeds)
      : await networkFigures(p, set, k, seeds, epochs);
    const found = p.samples.features.length / (p.samples.features.length + p.noFace);
    out[set] = {
      kfold_mean: r4(avg(means)),
      kfold_std: r4(sd(means)),
      kfold_mean_all: r4(avg(means) * found),
      k,
      seeds,
      method: set === "embedding" ? "nearest" : "network",
      ...(set === "embedding" ? {} : { epochs }),
      faces: p.samples.features.length,
      no_face: p.noFace,
      people: p.samples.names.length,
      same_folds: sameFaces,
      train_test: trainTest.length ? r4(avg(trainTest)) : null,
      train_test_std: trainTest.length ? r4(sd(trainTest)) : null,
    };
  }
  return out;
}

/** The faces of the people at even or odd positions of their sorted names. */
function peopleHalf<T extends Labelled>(faces: readonly T[], which: "even" | "odd"): T[] {
  const keep = new Set(half([...new Set(faces.map((f) => f.label))].sort(), which));
  return faces.filter((f) => keep.has(f.label));
}

/**
 * The open-set protocol for a trained network (`geometry`, `both`): people sorted by name are
 * split in halves (even, odd positions); in each half every other person is enrolled with every
 * other photo (as {@linkcode openSetSplit}), a network is trained on those photos alone, and
 * each probe's top probability decides: under `minProb` it is unknown. `minProb` is chosen on
 * the even half (minimax of the three rates, over 0.05–0.95) and reported on the odd half,
 * beside the rates at the default `train` stores ({@linkcode defaultMinProb}).
 */
async function networkOpenSet(p: Prepared, set: string, epochs: number): Promise<NetworkOpenSet> {
  // A probability p is scored as the distance −p, so that the gallery's rates apply at −minProb.
  const halfAnswers = async (which: "even" | "odd") => {
    const split = openSetSplit(peopleHalf(p.faces, which));
    const enrolled = [...new Set(split.gallery.map((f) => f.label))].sort();
    const probes = [split.known, split.strangers];
    const [known, strangers] = await trainAndAsk(p, set, { epochs, seed: 0 }, split.gallery, enrolled, probes);
    return {
      known: known!.map((a, j) => ({ label: a.label!, distance: -a.probability!, truth: split.known[j]!.label })),
      strangers: strangers!.map((a) => -a.probability!),
    };
  };
  type Answers = Awaited<ReturnType<typeof halfAnswers>>;
  const rates = (a: Answers, minProb: number) => rounded(openSetRates(a, -minProb));
  const even = await halfAnswers("even"), odd = await halfAnswers("odd");
  const chosen = minimaxThreshold((t) => rates(even, t), 0.05, 0.95, 0.01);
  return {
    min_prob_default: featureSet(set).minProb,
    min_prob_chosen_on_even: chosen,
    odd_at_default: rates(odd, featureSet(set).minProb),
    odd_at_chosen: rates(odd, chosen),
    even_at_chosen: rates(even, chosen),
  };
}

/**
 * Open-set and verification figures of the embedding on one dataset. People sorted by
 * name are split in two halves (even and odd positions); the open-set threshold is chosen on
 * the even half and reported on the odd half, beside the rates at the default threshold.
 * Verification: every same/different pair, the equal error rate, and the error rates at the
 * default threshold.
 */
function openSetFigures(faces: readonly Labelled[]) {
  const even = peopleHalf(faces, "even"), odd = peopleHalf(faces, "odd");
  const ae = openSetAnswers(openSetSplit(even)), ao = openSetAnswers(openSetSplit(odd));
  const chosen = chooseOpenSetThreshold(ae);
  const rates = (a: typeof ae, t: number) => rounded(openSetRates(a, t));
  const pairs = pairDistances(faces), po = pairDistances(odd);
  const eer = equalErrorRate(pairs), eerEven = equalErrorRate(pairDistances(even)), eerOdd = equalErrorRate(po);
  const at = (p: typeof pairs, t: number) => rounded(verificationAt(p, t));
  return {
    open_set: {
      threshold_default: DEFAULT_MAX_DISTANCE,
      threshold_chosen_on_even: chosen,
      odd_at_default: rates(ao, DEFAULT_MAX_DISTANCE),
      even_at_default: rates(ae, DEFAULT_MAX_DISTANCE),
      odd_at_chosen: rates(ao, chosen),
      probes: { known: ae.known.length + ao.known.length, strangers: ae.strangers.length + ao.strangers.length },
    },
    verification: {
      pairs: { genuine: pairs.genuine.length, impostor: pairs.impostor.length },
      eer: r4(eer.eer),
      eer_threshold: r4(eer.threshold),
      eer_even: r4(eerEven.eer),
      eer_even_threshold: r4(eerEven.threshold),
      eer_odd: r4(eerOdd.eer),
      // `compare`'s default threshold (the gallery's, above, is stricter).
      threshold_default: DEFAULT_VERIFY_DISTANCE,
      at_default: at(pairs, DEFAULT_VERIFY_DISTANCE),
      odd_at_default: at(po, DEFAULT_VERIFY_DISTANCE),
    },
  };
}

/**
 * A box whose landmark crop (`landmarkCrop` with `options`' scale and shift) is exactly `crop`:
 * a square of side size / scale, raised by the shift.
 */
function boxForCrop(crop: Crop, options: Required<LandmarkerOptions>): Box {
  const side = crop.size / options.scale, centre = crop.size / 2 - side / 2;
  return { x: crop.x + centre, y: crop.y + centre - options.shiftY * side, width: side, height: side };
}

/**
 * Landmark NME (percent of the outer-eye-corner distance) on annotated photos behind one
 * detector's boxes, with that detector's default landmark options: each network, and the
 * default network with the refinement pass off and on. The face is the detector's real box
 * with IoU >= 0.5 against the box around the annotated points.
 */
async function landmarkFigures(t: Target, d: DetectorName): Promise<DetectorNmeFigures> {
  const detector = await createFaceDetector(withName(t, d));
  let faces: AnnotatedFace[];
  try {
    faces = await loadAnnotated(t.photos, detector);
  } finally {
    await detector.dispose();
  }
  const figures = async (options: LandmarkerOptions) => {
    const lm = await createLandmarker(options, d);
    try {
      return { options: lm.options, nme: withHalves(await landmarkErrors(faces, lm), summarizeNme) };
    } finally {
      await lm.dispose();
    }
  };
  const defaults = resolveLandmarkerOptions({}, d);
  const models: Record<string, NmeFigures> = {};
  for (const model of ["full", "tiny"] as const) {
    models[model] = model === defaults.model ? (await figures({})).nme : (await figures({ model })).nme;
  }
  const other = (await figures({ refine: !defaults.refine })).nme, mine = models[defaults.model]!;
  return {
    ...mine,
    options: { ...defaults },
    models,
    refine: defaults.refine ? { off: other, on: mine } : { off: mine, on: other },
  };
}

/**
 * Landmark NME from crops of the annotated points (`pointsCrop` of the truth, one pass, no
 * refinement, no mirroring): what each network gives when the crop is the one it was trained
 * on, whatever the detector.
 */
async function ceilingFigures(t: Target): Promise<CeilingNmeFigures> {
  const models: Record<string, NmeFigures> = {};
  for (const model of ["full", "tiny"] as const) {
    const lm = await createLandmarker({ model, refine: false, mirror: false }, DEFAULT_DETECTOR);
    try {
      const errors: (number | undefined)[] = [];
      for (const p of t.photos) {
        const ptsPath = p.path.replace(/\.[^.]+$/, ".pts");
        const truth = parsePts(await Deno.readTextFile(ptsPath), ptsPath);
        const face = { relative: p.relative, truth, box: boxForCrop(pointsCrop(truth), lm.options) };
        errors.push(...await landmarkErrors([{ ...face, region: await readImage(p.path) }], lm));
      }
      models[model] = withHalves(errors, summarizeNme);
    } finally {
      await lm.dispose();
    }
  }
  return { ...models[resolveLandmarkerOptions({}, DEFAULT_DETECTOR).model]!, models };
}

/** Each detector's column head: `head haar`, `head blazeface`, … */
const pair = (head: string) => DETECTOR_COLUMNS.map((d) => `${head} ${d}`);
/** One cell per detector. */
const cells = <T>(by: Readonly<Record<DetectorName, T>>, cell: (v: T) => string) =>
  DETECTOR_COLUMNS.map((d) => cell(by[d]));

/** The tables the report prints, each detector's figure beside the other's. */
function tables(report: ReportJson, labelled: readonly string[]): string[][][] {
  const accuracy = [[
    "accuracy",
    "features",
    ...pair("faces"),
    ...pair("k-fold"),
    ...pair("no-face as errors"),
    ...pair("train→test"),
  ]];
  const open = [[
    "open set (odd half, default threshold)",
    ...pair("strangers named"),
    ...pair("known → unknown"),
    ...pair("known → wrong"),
    ...pair("EER"),
  ]];
  for (const name of labelled) {
    const d = report.datasets[name]!;
    const sets = Object.keys(d.accuracy?.[DEFAULT_DETECTOR] ?? {});
    for (const set of sets) {
      const a = perDetector((det) => d.accuracy![det][set]!);
      accuracy.push([
        name,
        set,
        ...cells(a, (f) => `${f.faces} (+${f.no_face})`),
        ...cells(a, (f) => `${pct(f.kfold_mean)} ± ${pct(f.kfold_std)}`),
        ...cells(a, (f) => pct(f.kfold_mean_all)),
        ...cells(a, (f) => f.train_test === null ? "—" : `${pct(f.train_test)} ± ${pct(f.train_test_std)}`),
      ]);
    }
    const o = d.open_set!, v = d.verification!;
    open.push([
      name,
      ...cells(o, (x) => pct(x.odd_at_default.strangers_named)),
      ...cells(o, (x) => pct(x.odd_at_default.known_unknown)),
      ...cells(o, (x) => pct(x.odd_at_default.known_wrong)),
      ...cells(v, (x) => pct(x.eer)),
    ]);
    for (const set of Object.keys(o[DEFAULT_DETECTOR].network ?? {})) {
      const n = perDetector((det) => o[det].network![set]!.odd_at_default);
      open.push([
        `${name} (${set}, network)`,
        ...cells(n, (x) => pct(x.strangers_named)),
        ...cells(n, (x) => pct(x.known_unknown)),
        ...cells(n, (x) => pct(x.known_wrong)),
        ...cells(n, () => ""),
      ]);
    }
  }
  const nme = [["landmarks (NME %)", "network, passes", ...pair("median"), ...pair("mean"), ...pair("found")]];
  const detection = [[
    "dataset",
    "photos",
    ...pair("hit"),
    ...pair("even / odd"),
    ...pair("padded"),
    ...pair("fallback"),
    ...pair("false"),
    ...pair("missed"),
    ...pair("errors"),
  ]];
  const f = (v: number) => v.toFixed(2);
  for (const [name, d] of Object.entries(report.datasets)) {
    if (d.nme) {
      const n = perDetector((det) => d.nme![det]);
      const rows: [string, (x: DetectorNmeFigures) => NmeFigures][] = [
        ...Object.keys(d.nme[DEFAULT_DETECTOR].models).map((m) =>
          [`${m}, defaults`, (x: DetectorNmeFigures) => x.models[m]!] as [string, typeof rows[0][1]]
        ),
        ["refinement off", (x) => x.refine.off],
        ["refinement on", (x) => x.refine.on],
      ];
      for (const [what, get] of rows) {
        nme.push([
          name,
          what,
          ...cells(n, (x) => f(get(x).median)),
          ...cells(n, (x) => f(get(x).mean)),
          ...cells(n, (x) => pct(get(x).found_rate)),
        ]);
      }
      // The same figure under each detector: it needs none.
      for (const [model, c] of Object.entries(d.nme.ceiling.models)) {
        const all = perDetector(() => c);
        nme.push([
          name,
          `${model}, crop from the annotated points`,
          ...cells(all, (x) => f(x.median)),
          ...cells(all, (x) => f(x.mean)),
          ...cells(all, (x) => pct(x.found_rate)),
        ]);
      }
    }
    const x = d.detection;
    detection.push([
      name,
      String(d.photos),
      ...cells(x, (v) => pct(v.hit_rate)),
      ...cells(x, (v) => `${v.even.photos ? pct(v.even.hit_rate) : "—"} / ${v.odd.photos ? pct(v.odd.hit_rate) : "—"}`),
      ...cells(x, (v) => pct(v.padded_rate)),
      ...cells(x, (v) => pct(v.fallback_rate)),
      ...cells(x, (v) => v.false_boxes === undefined ? "" : String(v.false_boxes)),
      ...cells(x, (v) => String(v.misses.length)),
      ...cells(x, (v) => String(v.errors)),
    ]);
  }
  return [accuracy, open, nme, detection];
}

/** One detector's detection figures over a set's results, with its halves and its misses. */
function detectionFigures(t: Target, items: readonly Detected[]): DetectionFigures {
  const score = (xs: readonly Detected[]) => {
    const { misses: _, ...rest } = scoreDetections(t.kind, xs, t.truth);
    return rounded(rest);
  };
  return { ...withHalves(items, score), misses: scoreDetections(t.kind, items, t.truth).misses };
}

if (import.meta.main) {
  const { quick, jsonOut, folders } = parseMeasureArgs([...Deno.args], "report");
  const subset = <T>(xs: T[]) => quick ? xs.filter((_, i) => i % 10 === 0) : xs;
  const folder = (dir: string) => ({ name: dir.replace(/\/+$/, "").split("/").pop()!, dir });
  const sets = folders.length > 0
    ? folders.map(folder)
    : datasetsPresent()
    ? DATASETS.map((d) => folder(`${datasetsDir()}/${d.name}`))
    : [];
  const readTruth = async (file: string) => JSON.parse(await Deno.readTextFile(`${ROOT}/${file}`)).faces;
  const targets: Target[] = [];
  for (const { name, dir } of sets) {
    const known = DATASETS.find((d) => d.name === name);
    const kind = known?.kind ?? "any-face";
    const truth = known?.truth ? await readTruth(known.truth) : undefined;
    targets.push({ name, kind, photos: subset(await listImages([dir])), options: {}, ...(truth ? { truth } : {}) });
  }
  if (folders.length === 0) {
    if (sets.length === 0) console.error(`note: ${datasetsDir()} not found; reporting on the npm sample photos only`);
    const truth = await readTruth("fixtures/sample_faces.json");
    const photos = samplePhotos().map((p) => ({ path: p, relative: p.split("/").pop()! }));
    targets.push({ name: "npm_samples", kind: "boxes", photos, options: {}, truth });
    targets.push({ name: "npm_samples_rotate_always", kind: "boxes", photos, options: { rotate: "always" }, truth });
  }

  const settings = perDetector((d) => ({
    detector: resolveDetectorOptions({ detector: d }),
    landmarks: resolveLandmarkerOptions({}, d),
  }));
  const report = {
    ...(await meta()),
    command: `deno task report ${Deno.args.join(" ")}`.trim(),
    quick,
    default_detector: DEFAULT_DETECTOR,
    settings,
    datasets: {} as Record<string, DatasetReport>,
  } satisfies ReportJson;
  for (const t of targets) {
    console.error(`report: ${t.name} (${t.photos.length} photos)…`);
    const detection = await perDetectorAsync(async (d) => detectionFigures(t, await detectAll(t, d)));
    const hasPts = t.photos.length > 0 &&
      await Deno.stat(t.photos[0]!.path.replace(/\.[^.]+$/, ".pts")).then(() => true, () => false);
    const nme = hasPts
      ? { ...await perDetectorAsync((d) => landmarkFigures(t, d)), ceiling: await ceilingFigures(t) }
      : undefined;
    report.datasets[t.name] = {
      photos: t.photos.length,
      kind: t.kind,
      options: t.options,
      detection,
      ...(nme ? { nme } : {}),
    };
  }
  // Identification accuracy of each feature set; open set and verification with the embedding; behind each detector.
  const labelled = folders.length > 0
    ? sets
    : (quick ? ["face2vec"] : LABELLED).flatMap((n) => sets.filter((s) => s.name === n));
  const seeds = quick ? [0] : [0, 1, 2, 3, 4], epochs = quick ? 10 : 100;
  for (const { name, dir } of labelled) {
    const figures = await perDetectorAsync(async (d) => {
      console.error(`report: accuracy on ${name} behind ${d}…`);
      const geometry = await prepared(name, dir, "geometry", d), both = await prepared(name, dir, "both", d);
      const accuracy = await accuracyFigures(geometry, both, seeds, epochs);
      const { open_set, verification } = openSetFigures(both.faces);
      // The network's open set (the unknown threshold on its probability), on LFW only (many people).
      const network = name === "lfw_min10" || (quick && name === "face2vec")
        ? {
          geometry: await networkOpenSet(geometry, "geometry", epochs),
          both: await networkOpenSet(both, "both", epochs),
        }
        : undefined;
      return { accuracy, open_set: { ...open_set, ...(network ? { network } : {}) }, verification };
    });
    report.datasets[name] = {
      ...report.datasets[name]!, // each labelled folder was a detection target above
      accuracy: perDetector((d) => figures[d].accuracy),
      open_set: perDetector((d) => figures[d].open_set),
      verification: perDetector((d) => figures[d].verification),
    };
  }
  // Clustering: every face of every photo, each algorithm with its defaults, behind the default detector.
  for (const { name, dir } of labelled.filter((l) => CLUSTERED.includes(l.name))) {
    console.error(`report: clustering ${name}…`);
    const records = await everyFaceRecords(name, dir, DEFAULT_DETECTOR);
    const byAlgorithm: Record<string, ClusteringFigures> = {};
    for (const algorithm of Object.keys(CLUSTER_ALGORITHMS) as ClusterAlgorithm[]) {
      const options = resolveClusterOptions({ algorithm });
      byAlgorithm[algorithm] = {
        options,
        even: await clusterFigures(records, "even", options),
        odd: await clusterFigures(records, "odd", options),
      };
    }
    report.datasets[name] = { ...report.datasets[name]!, clustering: byAlgorithm };
  }
  for (const table of tables(report, labelled.map((l) => l.name))) {
    if (table.length > 1) console.log(`\n${formatTable(table)}`);
  }
  console.log(
    `(${report.commit}, deno ${report.deno}, ${report.cores} cores, ${report.date}${quick ? ", --quick" : ""})`,
  );
  if (jsonOut) {
    const problems = validateReport(JSON.parse(JSON.stringify(report)));
    for (const p of problems) console.error(`report.json schema: ${p}`);
    if (problems.length) Deno.exit(1);
    await writeFileAtomic(jsonOut, JSON.stringify(report, null, 2) + "\n");
  }
}
