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
import { DATASETS, datasetsDir, datasetsPresent, type DetectionKind, half } from "./_datasets.ts";
import { type Detected, type DetectionScore, scoreDetections } from "./_detection_eval.ts";
import { formatTable, meta, parseMeasureArgs } from "./_meta.ts";
import { landmarkErrors, loadAnnotated, summarizeNme } from "./_landmark_eval.ts";
import { createLandmarker } from "../lib/landmarks/detect_landmarks.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { createClassifier, modelFromTraining } from "../lib/classify/classifier.ts";
import { ROOT, samplePhotos } from "./_npm.ts";

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

/**
 * Identification accuracy with the geometry features and the default network: k-fold
 * cross-validation stratified by person (k = min(10, smallest class)), mean ± std over seeds,
 * and, where the folder has train/ and test/, train→test. Photos with no face are counted:
 * `kfold_mean` is over photos with a face, `kfold_mean_all` counts each no-face photo as an
 * error, and train→test counts them as errors.
 */
async function accuracyFigures(name: string, dir: string, quick: boolean, rows: string[][]) {
  const cache = `${ROOT}/.face2vec/report/${name}.geometry.cache`;
  await preprocessFolder(dir, { cache, workers: navigator.hardwareConcurrency });
  const all = (await readCache(cache))!;
  const samples = samplesFromCache(all);
  const noFace = [...all.records.values()].filter((r) => r.status === "no_face").length;
  const counts = samples.names.map((_, c) => samples.labels.filter((l) => l === c).length);
  const k = Math.max(2, Math.min(10, ...counts));
  const seeds = quick ? [0] : [0, 1, 2, 3, 4];
  const epochs = quick ? 10 : 100;
  const means: number[] = [];
  for (const seed of seeds) {
    const r = await trainClassifier(samples.features, samples.labels, samples.rows, {
      folds: k,
      epochs,
      seed,
      workers: navigator.hardwareConcurrency,
    });
    means.push(r.mean);
  }
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs: number[]) => Math.sqrt(avg(xs.map((x) => (x - avg(xs)) ** 2)));
  const found = samples.features.length / (samples.features.length + noFace);
  let trainTest: number | null = null, trainTestStd: number | null = null;
  const test = samples.paths.map((p, i) => [p, i] as const).filter(([p]) => p.startsWith("test/"));
  if (test.length > 0) {
    const train = samples.paths.map((p, i) => [p, i] as const).filter(([p]) => p.startsWith("train/")).map(([, i]) =>
      i
    );
    const testNoFace = [...all.records.values()].filter((r) =>
      r.status === "no_face" && r.path.startsWith("test/")
    ).length;
    const scores: number[] = [];
    for (const seed of seeds) {
      const r = await trainClassifier(
        train.map((i) => samples.features[i]!),
        train.map((i) => samples.labels[i]!),
        samples.rows,
        {
          folds: 0,
          epochs,
          seed,
        },
      );
      const classifier = await createClassifier(modelFromTraining(r, samples.names, samples.rows));
      const answers = await classifier.predict(test.map(([, i]) => samples.features[i]!), 0);
      classifier.dispose();
      const correct = answers.filter((a, j) => a.label === samples.names[samples.labels[test[j]![1]]!]).length;
      scores.push(correct / (test.length + testNoFace));
    }
    [trainTest, trainTestStd] = [avg(scores), sd(scores)];
  }
  const r4 = (v: number) => Math.round(v * 10000) / 10000;
  const figures = {
    kfold_mean: r4(avg(means)),
    kfold_std: r4(sd(means)),
    kfold_mean_all: r4(avg(means) * found),
    k,
    seeds,
    epochs,
    faces: samples.features.length,
    no_face: noFace,
    people: samples.names.length,
    train_test: trainTest === null ? null : r4(trainTest),
    train_test_std: trainTestStd === null ? null : r4(trainTestStd),
  };
  const pct = (v: number | null) => (v === null ? "—" : `${(v * 100).toFixed(1)}%`);
  rows.push([
    name,
    String(figures.people),
    `${figures.faces} (+${noFace} no face)`,
    `${pct(figures.kfold_mean)} ± ${pct(figures.kfold_std)}`,
    pct(figures.kfold_mean_all),
    String(k),
    trainTest === null ? "—" : `${pct(trainTest)} ± ${pct(trainTestStd)}`,
  ]);
  return { geometry: figures };
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
  const out: Record<string, unknown> = {};
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
  return { ...(out.full as object), models: out };
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

  const report = { ...(await meta()), quick, datasets: {} as Record<string, unknown> };
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
  // Identification accuracy (the classifier on the geometry features).
  const accRows = [[
    "accuracy (geometry)",
    "people",
    "faces",
    "k-fold mean ± std",
    "no-face as errors",
    "k",
    "train→test",
  ]];
  const labelled = folders.length > 0
    ? folders.map((f) => ({ name: f.replace(/\/+$/, "").split("/").pop()!, dir: f }))
    : datasetsPresent()
    ? (quick ? ["face2vec"] : LABELLED).map((n) => ({ name: n, dir: `${datasetsDir()}/${n}` }))
    : [];
  for (const { name, dir } of labelled) {
    console.error(`report: accuracy on ${name}…`);
    const acc = await accuracyFigures(name, dir, quick, accRows);
    const entry = (report.datasets[name] ?? {}) as Record<string, unknown>;
    report.datasets[name] = { ...entry, accuracy: acc };
  }
  if (accRows.length > 1) {
    console.log();
    console.log(formatTable(accRows));
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
  if (jsonOut) await writeFileAtomic(jsonOut, JSON.stringify(report, null, 2) + "\n");
}
