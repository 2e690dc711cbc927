/**
 * `deno task report [FOLDER…] [--quick] [--json-out FILE]`: accuracy figures over labelled
 * folders (default: every dataset in ../shared/datasets, plus the hand-boxed npm sample
 * photos). At this stage: face detection, and landmark NME where `.pts` annotations exist
 * (HELEN). Each figure is given for the whole set and for its
 * even half (sorted paths, positions 0, 2, …: where defaults were chosen) and odd half.
 *
 * Detection hit: for centred-face sets (LFW, ORL, bbt) a `haar`/`padded` box containing the
 * photo's centre; for face2vec, scenes and HELEN at least one `haar`/`padded` box; for the
 * npm samples, recall of the hand-boxed faces at IoU ≥ 0.5 and the count of false boxes.
 * The detector runs with its defaults plus the whole-image fallback, so that the fallback
 * rate is reported beside (never inside) the hit rate.
 *
 * @module
 */

import type { Box } from "../lib/detect/box.ts";
import { createFaceDetector, type DetectorOptions } from "../lib/detect/detect_faces.ts";
import { ImageError } from "../lib/image/image_error.ts";
import { type ListedImage, listImages } from "../lib/image/list_images.ts";
import { readImage } from "../lib/image/read_image.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { DATASETS, datasetsDir, datasetsPresent, type DetectionKind, half } from "../lib/eval/datasets.ts";
import { type Detected, scoreDetections } from "../lib/eval/detection.ts";
import { formatTable, meta, parseMeasureArgs } from "./_meta.ts";
import { landmarkErrors, loadAnnotated, summarizeNme } from "../lib/eval/landmarks.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
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
import {
  type AccuracyFigures,
  type DatasetReport,
  type NetworkOpenSet,
  type NmeFigures,
  type ReportJson,
  validateReport,
} from "./_schema.ts";

interface Target {
  name: string;
  kind: DetectionKind;
  photos: readonly ListedImage[];
  options: DetectorOptions;
  truth?: Record<string, Box[]>;
}

async function detectAll(t: Target): Promise<Detected[]> {
  const detector = await createFaceDetector({ fallback: true, ...t.options });
  const out: Detected[] = [];
  try {
    for (const p of t.photos) {
      try {
        const image = await readImage(p.path);
        out.push({ relative: p.relative, width: image.width, height: image.height, faces: (await detector.detect(image)) });
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

/** A dataset preprocessed with one feature set: its usable samples and how many photos had no face. */
async function prepared(name: string, dir: string, features: "geometry" | "both") {
  const cache = `${ROOT}/.face2vec/report/${name}.${features}.cache`;
  await preprocessFolder(dir, { cache, features, workers: navigator.hardwareConcurrency });
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
 * Landmark NME (percent of the outer-eye-corner distance) on annotated photos, for both
 * networks with the default crop; the face is the haar/padded box with IoU >= 0.5 against
 * the box around the annotated points.
 */
async function landmarkFigures(t: Target) {
  const detector = await createFaceDetector(t.options);
  const faces = await loadAnnotated(t.photos, detector);
  await detector.dispose();
  const models: Record<string, NmeFigures> = {};
  for (const model of ["full", "tiny"] as const) {
    const lm = await createLandmarker({ model });
    models[model] = withHalves(await landmarkErrors(faces, lm), summarizeNme);
    await lm.dispose();
  }
  // The schema's top-level figures are those of the default (full) network.
  return { ...models.full!, models };
}

/** The tables the report prints: accuracy and open set (of the `labelled` datasets), landmark NME, detection. */
function tables(report: ReportJson, labelled: readonly string[]): string[][][] {
  const accuracy = [[
    "accuracy",
    "features",
    "people",
    "faces",
    "k-fold mean ± std",
    "no-face as errors",
    "k",
    "train→test",
  ]];
  const open = [[
    "open set (odd half)",
    "threshold",
    "chosen on even",
    "strangers named",
    "known → unknown",
    "known → wrong",
    "verification EER",
    "FA / FR at default (odd)",
  ]];
  for (const name of labelled) {
    const d = report.datasets[name]!;
    for (const [set, f] of Object.entries(d.accuracy ?? {})) {
      accuracy.push([
        name,
        set,
        String(f.people),
        `${f.faces} (+${f.no_face} no face)`,
        `${pct(f.kfold_mean)} ± ${pct(f.kfold_std)}`,
        pct(f.kfold_mean_all),
        String(f.k),
        f.train_test === null ? "—" : `${pct(f.train_test)} ± ${pct(f.train_test_std)}`,
      ]);
    }
    const o = d.open_set!.odd_at_default, v = d.verification!;
    open.push([
      name,
      String(d.open_set!.threshold_default),
      String(d.open_set!.threshold_chosen_on_even),
      pct(o.strangers_named),
      pct(o.known_unknown),
      pct(o.known_wrong),
      pct(v.eer),
      `${pct(v.odd_at_default.false_accept)} / ${pct(v.odd_at_default.false_reject)}`,
    ]);
    for (const [set, f] of Object.entries(d.open_set!.network ?? {})) {
      const o = f.odd_at_default, c = f.odd_at_chosen;
      open.push([
        `${name} (${set}, network)`,
        `p ${f.min_prob_default}`,
        `p ${f.min_prob_chosen_on_even}`,
        `${pct(o.strangers_named)} (${pct(c.strangers_named)})`,
        `${pct(o.known_unknown)} (${pct(c.known_unknown)})`,
        `${pct(o.known_wrong)} (${pct(c.known_wrong)})`,
        "",
        "",
      ]);
    }
  }
  const nme = [["landmarks (NME %)", "model", "median", "mean", "found", "even median", "odd median"]];
  const detection = [["dataset", "photos", "hit", "even", "odd", "padded", "fallback", "false", "errors"]];
  for (const [name, d] of Object.entries(report.datasets)) {
    for (const [model, m] of Object.entries(d.nme?.models ?? {})) {
      const f = (v: number) => v.toFixed(2);
      nme.push([name, model, f(m.median), f(m.mean), pct(m.found_rate), f(m.even.median), f(m.odd.median)]);
    }
    const { even, odd, ...all } = d.detection;
    detection.push([
      name,
      String(all.photos),
      pct(all.hit_rate),
      even.photos === 0 ? "—" : pct(even.hit_rate),
      odd.photos === 0 ? "—" : pct(odd.hit_rate),
      pct(all.padded_rate),
      pct(all.fallback_rate),
      all.false_boxes === undefined ? "" : String(all.false_boxes),
      String(all.errors),
    ]);
  }
  return [accuracy, open, nme, detection];
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
  const targets: Target[] = [];
  for (const { name, dir } of sets) {
    const kind = DATASETS.find((d) => d.name === name)?.kind ?? "any-face";
    targets.push({ name, kind, photos: subset(await listImages([dir])), options: {} });
  }
  if (folders.length === 0) {
    if (sets.length === 0) console.error(`note: ${datasetsDir()} not found; reporting on the npm sample photos only`);
    const truth = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`)).faces;
    const photos = samplePhotos().map((p) => ({ path: p, relative: p.split("/").pop()! }));
    targets.push({ name: "npm_samples", kind: "boxes", photos, options: {}, truth });
    targets.push({ name: "npm_samples_rotate_always", kind: "boxes", photos, options: { rotate: "always" }, truth });
  }

  const report = {
    ...(await meta()),
    command: `deno task report ${Deno.args.join(" ")}`.trim(),
    quick,
    datasets: {} as Record<string, DatasetReport>,
  } satisfies ReportJson;
  for (const t of targets) {
    console.error(`report: ${t.name} (${t.photos.length} photos)…`);
    const items = await detectAll(t);
    const hasPts = t.photos.length > 0 &&
      await Deno.stat(t.photos[0]!.path.replace(/\.[^.]+$/, ".pts")).then(() => true, () => false);
    report.datasets[t.name] = {
      photos: t.photos.length,
      kind: t.kind,
      options: t.options,
      detection: withHalves(items, (xs) => {
        const { misses: _, ...score } = scoreDetections(t.kind, xs, t.truth);
        return rounded(score);
      }),
      ...(hasPts ? { nme: await landmarkFigures(t) } : {}),
    };
  }
  // Identification accuracy of each feature set; open set and verification with the embedding.
  const labelled = folders.length > 0
    ? sets
    : (quick ? ["face2vec"] : LABELLED).flatMap((n) => sets.filter((s) => s.name === n));
  const seeds = quick ? [0] : [0, 1, 2, 3, 4], epochs = quick ? 10 : 100;
  for (const { name, dir } of labelled) {
    console.error(`report: accuracy on ${name}…`);
    const geometry = await prepared(name, dir, "geometry"), both = await prepared(name, dir, "both");
    const accuracy = await accuracyFigures(geometry, both, seeds, epochs);
    const { open_set, verification } = openSetFigures(both.faces);
    // The network's open set (the unknown threshold on its probability), on LFW only (many people).
    const network = name === "lfw_min10" || (quick && name === "face2vec")
      ? {
        geometry: await networkOpenSet(geometry, "geometry", epochs),
        both: await networkOpenSet(both, "both", epochs),
      }
      : undefined;
    report.datasets[name] = {
      ...report.datasets[name]!, // each labelled folder was a detection target above
      accuracy,
      open_set: { ...open_set, ...(network ? { network } : {}) },
      verification,
    };
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
