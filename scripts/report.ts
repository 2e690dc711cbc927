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
import { listImages } from "../lib/image/list_images.ts";
import { readImage } from "../lib/image/read_image.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { DATASETS, datasetsDir, datasetsPresent, type DetectionKind, half } from "../lib/eval/datasets.ts";
import { type Detected, type DetectionScore, scoreDetections } from "../lib/eval/detection.ts";
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
  type OpenSetFigures,
  type ReportJson,
  validateReport,
  type VerificationFigures,
} from "./_schema.ts";

interface Target {
  name: string;
  kind: DetectionKind;
  photos: { path: string; relative: string }[];
  options: DetectorOptions;
  truth?: Record<string, Box[]>;
}

type Figures = Omit<DetectionScore, "misses">;

async function detectAll(t: Target): Promise<Detected[]> {
  const detector = await createFaceDetector({ fallback: true, ...t.options });
  const out: Detected[] = [];
  try {
    for (const p of t.photos) {
      try {
        const image = await readImage(p.path);
        out.push({ relative: p.relative, width: image.width, height: image.height, faces: detector.detect(image) });
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        console.error(e.message);
        out.push({ relative: p.relative, width: 0, height: 0, error: e.reason });
      }
    }
  } finally {
    detector.dispose();
  }
  return out;
}

function figures(s: DetectionScore): Figures {
  const { misses: _misses, ...rest } = s;
  const r = (v: number) => Math.round(v * 10000) / 10000;
  return {
    ...rest,
    hit_rate: r(rest.hit_rate),
    fallback_rate: r(rest.fallback_rate),
    padded_rate: r(rest.padded_rate),
  };
}

/** The datasets whose people the classifier is scored on. */
const LABELLED = ["face2vec", "orl_att_faces", "bbt", "lfw_min10"];

const avg = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: readonly number[]) => Math.sqrt(avg(xs.map((x) => (x - avg(xs)) ** 2)));
const r4 = (v: number) => Math.round(v * 10000) / 10000;
const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);

/** A dataset preprocessed with one feature set: its usable samples and how many photos had no face. */
async function prepared(name: string, dir: string, features: "geometry" | "both") {
  const cache = `${ROOT}/.face2vec/report/${name}.${features}.cache`;
  await preprocessFolder(dir, { cache, features, workers: navigator.hardwareConcurrency });
  const all = (await readCache(cache))!;
  const samples = samplesFromCache(all);
  const noFace = [...all.records.values()].filter((r) => r.status === "no_face");
  const ok = [...all.records.values()].filter((r) => r.status === "ok" && r.features).sort((a, b) =>
    a.path < b.path ? -1 : 1
  );
  const faces: Labelled[] = ok.map((r) => ({
    label: r.label,
    path: r.path,
    embedding: r.embedding ? Float32Array.from(r.embedding) : new Float32Array(0),
  }));
  return { samples, faces, noFace: noFace.length, testNoFace: noFace.filter((r) => r.path.startsWith("test/")).length };
}

type Prepared = Awaited<ReturnType<typeof prepared>>;

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
  const test = samples.paths.map((path, i) => [path, i] as const).filter(([path]) => path.startsWith("test/"));
  const scores: number[] = [];
  if (test.length > 0) {
    const train = samples.paths.flatMap((path, i) => (path.startsWith("train/") ? [i] : []));
    for (const seed of seeds) {
      const r = await trainClassifier(
        train.map((i) => samples.features[i]!),
        train.map((i) => samples.labels[i]!),
        samples.rows,
        { folds: 0, epochs, seed, network: networkFor(featureSet(set)) },
      );
      const classifier = await createClassifier(modelFromTraining(r, samples.names, samples.rows));
      const answers = await classifier.predict(test.map(([, i]) => ({ features: samples.features[i]! })), {
        method: "network",
        minProb: 0,
      });
      classifier.dispose();
      const correct = answers.filter((a, j) => a.label === samples.names[samples.labels[test[j]![1]]!]).length;
      scores.push(correct / (test.length + p.testNoFace));
    }
  }
  return { means, trainTest: scores };
}

/** k-fold and train→test figures of the gallery (nearest person's centroid) on the embeddings. */
function nearestFigures(p: Prepared, k: number, seeds: number[]) {
  const means = seeds.map((seed) =>
    avg(nearestKfold(p.faces, stratifiedFolds(p.samples.labels, k, seededRandom(seed))))
  );
  const gallery = p.faces.filter((f) => f.path.startsWith("train/"));
  const probes = p.faces.filter((f) => f.path.startsWith("test/"));
  const match = gallery.length ? createMatcher(gallery) : undefined;
  const trainTest = probes.length && match
    ? [probes.filter((f) => match(f.embedding).label === f.label).length / (probes.length + p.testNoFace)]
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
async function accuracyFigures(name: string, dir: string, quick: boolean, rows: string[][]) {
  const geometry = await prepared(name, dir, "geometry");
  const both = await prepared(name, dir, "both");
  const counts = geometry.samples.names.map((_, c) => geometry.samples.labels.filter((l) => l === c).length);
  const k = Math.max(2, Math.min(10, ...counts));
  const seeds = quick ? [0] : [0, 1, 2, 3, 4];
  const epochs = quick ? 10 : 100;
  const sameFaces = geometry.samples.paths.join("\n") === both.samples.paths.join("\n");
  const out: Record<string, AccuracyFigures> = {};
  const runs: [string, Prepared, () => Promise<{ means: number[]; trainTest: number[] }>][] = [
    ["geometry", geometry, () => networkFigures(geometry, "geometry", k, seeds, epochs)],
    ["embedding", both, () => Promise.resolve(nearestFigures(both, k, seeds))],
    ["both", both, () => networkFigures(both, "both", k, seeds, epochs)],
  ];
  for (const [set, p, run] of runs) {
    const { means, trainTest } = await run();
    const found = p.samples.features.length / (p.samples.features.length + p.noFace);
    const f = {
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
    } satisfies AccuracyFigures;
    out[set] = f;
    rows.push([
      name,
      set,
      String(f.people),
      `${f.faces} (+${p.noFace} no face)`,
      `${pct(f.kfold_mean)} ± ${pct(f.kfold_std)}`,
      pct(f.kfold_mean_all),
      String(k),
      f.train_test === null ? "—" : `${pct(f.train_test)} ± ${pct(f.train_test_std)}`,
    ]);
  }
  return { accuracy: out, faces: both.faces, geometry, both };
}

/**
 * The open-set protocol for a trained network (`geometry`, `both`): people sorted by name are
 * split in halves (even, odd positions); in each half every other person is enrolled with every
 * other photo (as {@linkcode openSetSplit}), a network is trained on those photos alone, and
 * each probe's top probability decides: under `minProb` it is unknown. `minProb` is chosen on
 * the even half (minimax of the three rates, over 0.05–0.95) and reported on the odd half,
 * beside the rates at the default `train` stores ({@linkcode defaultMinProb}).
 */
async function networkOpenSet(p: Prepared, set: string, epochs: number) {
  const byPath = new Map(p.samples.paths.map((path, i) => [path, i]));
  const people = [...new Set(p.faces.map((f) => f.label))].sort();
  const halfAnswers = async (which: number) => {
    const keep = new Set(people.filter((_, i) => i % 2 === which));
    const split = openSetSplit(p.faces.filter((f) => keep.has(f.label)));
    const enrolled = [...new Set(split.gallery.map((f) => f.label))].sort();
    const idx = (fs: readonly Labelled[]) => fs.map((f) => byPath.get(f.path)!);
    const g = idx(split.gallery);
    const r = await trainClassifier(
      g.map((i) => p.samples.features[i]!),
      split.gallery.map((f) => enrolled.indexOf(f.label)),
      p.samples.rows,
      { folds: 0, epochs, seed: 0, network: networkFor(featureSet(set)) },
    );
    const classifier = await createClassifier(modelFromTraining(r, enrolled, p.samples.rows));
    try {
      const ask = (fs: readonly Labelled[]) =>
        classifier.predict(idx(fs).map((i) => ({ features: p.samples.features[i]! })), { minProb: 0 });
      const known = await ask(split.known), strangers = await ask(split.strangers);
      return {
        known: known.map((a, j) => ({ label: a.label!, score: a.probability!, truth: split.known[j]!.label })),
        strangers: strangers.map((a) => a.probability!),
      };
    } finally {
      classifier.dispose();
    }
  };
  type Answers = Awaited<ReturnType<typeof halfAnswers>>;
  const rates = (a: Answers, t: number) => ({
    strangers_named: r4(a.strangers.filter((s) => s >= t).length / Math.max(1, a.strangers.length)),
    known_unknown: r4(a.known.filter((k) => k.score < t).length / Math.max(1, a.known.length)),
    known_wrong: r4(a.known.filter((k) => k.score >= t && k.label !== k.truth).length / Math.max(1, a.known.length)),
  });
  const even = await halfAnswers(0), odd = await halfAnswers(1);
  const chosen = minimaxThreshold((t) => rates(even, t), 0.05, 0.95, 0.01);
  return {
    min_prob_default: featureSet(set).minProb,
    min_prob_chosen_on_even: chosen,
    odd_at_default: rates(odd, featureSet(set).minProb),
    odd_at_chosen: rates(odd, chosen),
    even_at_chosen: rates(even, chosen),
  } satisfies NetworkOpenSet;
}

/**
 * Open-set and verification figures of the embedding on one dataset. People sorted by
 * name are split in two halves (even and odd positions); the open-set threshold is chosen on
 * the even half and reported on the odd half, beside the rates at the default threshold.
 * Verification: every same/different pair, the equal error rate, and the error rates at the
 * default threshold.
 */
function openSetFigures(name: string, faces: readonly Labelled[], rows: string[][]) {
  const people = [...new Set(faces.map((f) => f.label))].sort();
  const halfOf = (which: number) => {
    const keep = new Set(people.filter((_, i) => i % 2 === which));
    return faces.filter((f) => keep.has(f.label));
  };
  const [even, odd] = [halfOf(0), halfOf(1)];
  const answers = (fs: readonly Labelled[]) => openSetAnswers(openSetSplit(fs));
  const [ae, ao] = [answers(even), answers(odd)];
  const chosen = chooseOpenSetThreshold(ae);
  const rates = (a: ReturnType<typeof answers>, t: number) => {
    const r = openSetRates(a, t);
    return {
      strangers_named: r4(r.strangers_named),
      known_unknown: r4(r.known_unknown),
      known_wrong: r4(r.known_wrong),
    };
  };
  const pairs = pairDistances(faces), pe = pairDistances(even), po = pairDistances(odd);
  const eer = equalErrorRate(pairs), eerEven = equalErrorRate(pe), eerOdd = equalErrorRate(po);
  const at = (p: typeof pairs, t: number) => {
    const v = verificationAt(p, t);
    return { false_accept: r4(v.false_accept), false_reject: r4(v.false_reject) };
  };
  const open = {
    threshold_default: DEFAULT_MAX_DISTANCE,
    threshold_chosen_on_even: chosen,
    odd_at_default: rates(ao, DEFAULT_MAX_DISTANCE),
    even_at_default: rates(ae, DEFAULT_MAX_DISTANCE),
    odd_at_chosen: rates(ao, chosen),
    probes: { known: ae.known.length + ao.known.length, strangers: ae.strangers.length + ao.strangers.length },
  } satisfies OpenSetFigures;
  const verification = {
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
  } satisfies VerificationFigures;
  const o = open.odd_at_default;
  rows.push([
    name,
    String(DEFAULT_MAX_DISTANCE),
    String(chosen),
    pct(o.strangers_named),
    pct(o.known_unknown),
    pct(o.known_wrong),
    pct(verification.eer),
    `${pct(verification.odd_at_default.false_accept)} / ${pct(verification.odd_at_default.false_reject)}`,
  ]);
  return { open_set: open, verification };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Landmark NME (percent of the outer-eye-corner distance) on annotated photos, for both
 * networks with the default crop; the face is the haar/padded box with IoU >= 0.5 against
 * the box around the annotated points.
 */
async function landmarkFigures(t: Target, rows: string[][]) {
  const detector = await createFaceDetector(t.options);
  const faces = await loadAnnotated(t.photos, detector);
  detector.dispose();
  const out: Record<string, NmeFigures> = {};
  for (const model of ["full", "tiny"] as const) {
    const lm = await createLandmarker({ model });
    const errors = await landmarkErrors(faces, lm);
    await lm.dispose();
    const all = summarizeNme(errors),
      even = summarizeNme(half(errors, "even")),
      odd = summarizeNme(half(errors, "odd"));
    out[model] = { ...all, even, odd };
    const f = (v: number) => v.toFixed(2);
    rows.push([
      t.name,
      model,
      f(all.median),
      f(all.mean),
      `${(all.found_rate * 100).toFixed(1)}%`,
      f(even.median),
      f(odd.median),
    ]);
  }
  // The schema's top-level figures are those of the default (full) network.
  return { ...out.full!, models: out };
}

if (import.meta.main) {
  const args = [...Deno.args];
  const { quick, jsonOut, folders } = parseMeasureArgs(args, "report");
  const subset = <T>(xs: T[]) => quick ? xs.filter((_, i) => i % 10 === 0) : xs;
  const targets: Target[] = [];
  if (folders.length > 0) {
    for (const f of folders) {
      const name = f.replace(/\/+$/, "").split("/").pop()!;
      const kind = DATASETS.find((d) => d.name === name)?.kind ?? "any-face";
      targets.push({ name, kind, photos: subset(await listImages([f])), options: {} });
    }
  } else {
    if (datasetsPresent()) {
      for (const d of DATASETS) {
        targets.push({
          name: d.name,
          kind: d.kind,
          photos: subset(await listImages([`${datasetsDir()}/${d.name}`])),
          options: {},
        });
      }
    } else {
      console.error(`note: ${datasetsDir()} not found; reporting on the npm sample photos only`);
    }
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
  const rows = [["dataset", "photos", "hit", "even", "odd", "padded", "fallback", "false", "errors"]];
  const nmeRows = [["landmarks (NME %)", "model", "median", "mean", "found", "even median", "odd median"]];
  for (const t of targets) {
    console.error(`report: ${t.name} (${t.photos.length} photos)…`);
    const items = await detectAll(t);
    const score = (which: "all" | "even" | "odd") => figures(scoreDetections(t.kind, half(items, which), t.truth));
    const all = score("all"), even = score("even"), odd = score("odd");
    const hasPts = t.photos.length > 0 && await exists(t.photos[0]!.path.replace(/\.[^.]+$/, ".pts"));
    report.datasets[t.name] = {
      photos: t.photos.length,
      kind: t.kind,
      options: t.options,
      detection: { ...all, even, odd },
      ...(hasPts ? { nme: await landmarkFigures(t, nmeRows) } : {}),
    };
    const pct = (v: number) => (v * 100).toFixed(1) + "%";
    const pctOf = (f: Figures) => f.photos === 0 ? "—" : pct(f.hit_rate);
    rows.push([
      t.name,
      String(all.photos),
      pct(all.hit_rate),
      pctOf(even),
      pctOf(odd),
      pct(all.padded_rate),
      pct(all.fallback_rate),
      all.false_boxes === undefined ? "" : String(all.false_boxes),
      String(all.errors),
    ]);
  }
  // Identification accuracy of each feature set; open set and verification with the embedding.
  const accRows = [[
    "accuracy",
    "features",
    "people",
    "faces",
    "k-fold mean ± std",
    "no-face as errors",
    "k",
    "train→test",
  ]];
  const openRows = [[
    "open set (odd half)",
    "threshold",
    "chosen on even",
    "strangers named",
    "known → unknown",
    "known → wrong",
    "verification EER",
    "FA / FR at default (odd)",
  ]];
  const labelled = folders.length > 0
    ? folders.map((f) => ({ name: f.replace(/\/+$/, "").split("/").pop()!, dir: f }))
    : datasetsPresent()
    ? (quick ? ["face2vec"] : LABELLED).map((n) => ({ name: n, dir: `${datasetsDir()}/${n}` }))
    : [];
  for (const { name, dir } of labelled) {
    console.error(`report: accuracy on ${name}…`);
    const acc = await accuracyFigures(name, dir, quick, accRows);
    const entry = report.datasets[name]!; // each labelled folder was a detection target above
    const open = openSetFigures(name, acc.faces, openRows);
    // The network's open set (the unknown threshold on its probability), on LFW only (many people).
    const network = name === "lfw_min10" || (quick && name === "face2vec")
      ? {
        geometry: await networkOpenSet(acc.geometry, "geometry", quick ? 10 : 100),
        both: await networkOpenSet(acc.both, "both", quick ? 10 : 100),
      }
      : undefined;
    if (network) {
      for (const [set, f] of Object.entries(network)) {
        const o = f.odd_at_default, c = f.odd_at_chosen;
        openRows.push([
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
    report.datasets[name] = {
      ...entry,
      accuracy: acc.accuracy,
      ...open,
      open_set: { ...open.open_set, ...(network ? { network } : {}) },
    };
  }
  if (accRows.length > 1) {
    console.log();
    console.log(formatTable(accRows));
    console.log();
    console.log(formatTable(openRows));
  }
  if (nmeRows.length > 1) {
    console.log();
    console.log(formatTable(nmeRows));
    console.log();
  }
  console.log(formatTable(rows));
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
