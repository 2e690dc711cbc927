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

import type { Box } from "../lib/image/box.ts";
import {
  DEFAULT_DETECTOR,
  type DetectorName,
  type DetectorOptions,
  resolveDetectorOptions,
} from "../lib/detect/detect_faces.ts";
import { type ListedImage, listImages } from "../lib/image/list_images.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { DATASETS, datasetsDir, datasetsPresent, type DetectionKind } from "../lib/eval/datasets.ts";
import { detectionFigures, detectWith } from "../lib/eval/detection.ts";
import { ceilingFigures, landmarkFigures } from "../lib/eval/landmarks.ts";
import { resolveLandmarkerOptions } from "../lib/detect/landmark_crops.ts";
import { accuracyFigures } from "../lib/eval/identification.ts";
import { networkOpenSet, openSetFigures } from "../lib/eval/open_set.ts";
import { clusteringByAlgorithm } from "../lib/eval/clustering.ts";
import { perDetector, perDetectorAsync } from "../lib/eval/per_detector.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { meta, parseMeasureArgs, printTables } from "./_meta.ts";
import { everyFaceRecords, prepared } from "./_report_cache.ts";
import {
  type DatasetReport,
  type EmbedderFiguresJson,
  type EmbedderRuleJson,
  type ReportJson,
  validateReport,
} from "../lib/eval/schema.ts";
import { chooseDefaultEmbedder, embedderFigures } from "../lib/eval/embedders.ts";
import { DEFAULT_EMBEDDER, EMBEDDER_REGISTRY, type EmbedderName } from "../lib/embed/embed_faces.ts";

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
const withName = (t: Target, d: DetectorName): DetectorOptions & { detector: DetectorName } => ({
  ...t.options,
  detector: d,
});

/** The datasets whose people the classifier is scored on. */
const LABELLED = ["face2vec", "orl_att_faces", "bbt", "lfw_min10"];

/** The labelled sets clustering is scored on (every face of every photo; the label names the centred one). */
const CLUSTERED = ["lfw_min10", "orl_att_faces"];

/**
 * Every embedding network of the registry on each labelled set behind the default detector
 * (the default network's from the report's `both` cache, the others' from an `embedding`
 * cache of their own), each also with the mirrored chip averaged in (`<name>~mirror`), and
 * the rule's verdict from lfw_min10's even half and the per-face
 * times of `docs/bench.json` (`embedding`, `embedding_<name>`) where it holds them.
 */
async function embedderSection(
  labelled: readonly { name: string; dir: string }[],
  seeds: readonly number[],
): Promise<{ byDataset: Record<string, Record<string, EmbedderFiguresJson>>; rule?: EmbedderRuleJson }> {
  // The commit is the one the run starts at (commits made while it runs are not what it measured).
  const measured = { commit: (await meta()).commit, date: new Date().toISOString() };
  const byDataset: Record<string, Record<string, EmbedderFiguresJson>> = {};
  for (const { name, dir } of labelled) {
    byDataset[name] = {};
    for (const entry of Object.values(EMBEDDER_REGISTRY)) {
      for (const mirror of [false, true]) {
        // `<name>~mirror`: each chip's mirror image embedded too, the two averaged (a measure, not a candidate).
        const key = mirror ? `${entry.name}~mirror` : entry.name;
        console.error(`report: ${name} with ${key}…`);
        const network = entry.name as EmbedderName;
        const p = entry.name === DEFAULT_EMBEDDER && !mirror
          ? await prepared(name, dir, "both", DEFAULT_DETECTOR)
          : await prepared(name, dir, "embedding", DEFAULT_DETECTOR, { network, ...(mirror ? { mirror } : {}) });
        const figures = embedderFigures(p, seeds, entry);
        // Clustering at the network's own defaults (the mirrored measure aside).
        const clustering = CLUSTERED.includes(name) && !mirror
          ? await clusteringByAlgorithm(
            await everyFaceRecords(
              name,
              dir,
              DEFAULT_DETECTOR,
              entry.name === DEFAULT_EMBEDDER ? undefined : { network },
            ),
            entry.name,
          )
          : undefined;
        byDataset[name]![key] = { ...figures, ...(clustering ? { clustering } : {}) };
      }
    }
  }
  const lfw = byDataset["lfw_min10"];
  if (!lfw) return { byDataset };
  const stages = await Deno.readTextFile(`${ROOT}/docs/bench.json`).then(
    (t) => (JSON.parse(t).stages?.[DEFAULT_DETECTOR] ?? {}) as Record<string, { median_ms?: number }>,
    () => ({} as Record<string, { median_ms?: number }>),
  );
  // The rule chooses among the networks as they run by default (the mirrored measure is reported beside them).
  const candidates = Object.entries(lfw).filter(([n]) => !n.includes("~")).flatMap(([n, f]) => {
    const even = f.verification.protocol?.even.accuracy_mean;
    const ms = stages[n === DEFAULT_EMBEDDER ? "embedding" : `embedding_${n}`]?.median_ms;
    return even === undefined ? [] : [{ name: n, commercial: f.commercial, evenAccuracy: even, msPerFace: ms }];
  });
  const verdict = chooseDefaultEmbedder(candidates);
  if (!verdict) return { byDataset };
  return {
    byDataset,
    rule: {
      measured: { ...measured, command: `deno task report ${Deno.args.join(" ")}`.trim() },
      default: DEFAULT_EMBEDDER,
      ...verdict,
      candidates: candidates.map((c) => ({
        name: c.name,
        commercial: c.commercial,
        even_accuracy: c.evenAccuracy,
        ms_per_face: c.msPerFace ?? null,
      })),
    },
  };
}

/**
 * `--embedders`: only the embedding networks' comparison (the full report takes hours), its
 * tables printed; with `--json-out FILE`, its figures replace those of the report already in
 * FILE (checked against the schema before and after), the rest of it kept.
 */
async function embeddersOnly(jsonOut: string | undefined): Promise<void> {
  if (!datasetsPresent()) {
    console.error(`report --embedders: ${datasetsDir()} not found`);
    Deno.exit(1);
  }
  const labelled = LABELLED.map((n) => ({ name: n, dir: `${datasetsDir()}/${n}` }));
  let base: ReportJson | undefined;
  if (jsonOut) {
    const old = JSON.parse(await Deno.readTextFile(jsonOut));
    const problems = validateReport(old);
    if (problems.length) {
      console.error(`${jsonOut}: not a valid report (${problems[0]}); run the full report first`);
      Deno.exit(1);
    }
    base = old as ReportJson;
  }
  const compared = await embedderSection(labelled, [0, 1, 2, 3, 4]);
  const datasets: Record<string, DatasetReport> = { ...base?.datasets };
  for (const [name, figures] of Object.entries(compared.byDataset)) {
    if (datasets[name]) datasets[name] = { ...datasets[name]!, embedders: figures };
  }
  const report = { ...base, datasets, ...(compared.rule ? { embedder_rule: compared.rule } : {}) };
  const shown = {
    ...report,
    datasets: Object.fromEntries(Object.entries(compared.byDataset).map(([n, e]) => [n, { embedders: e }])),
  };
  await printTables("report", shown as unknown as ReportJson, (t) => JSON.stringify(t.rows).includes("embedder"));
  if (jsonOut) {
    const problems = validateReport(JSON.parse(JSON.stringify(report)));
    for (const p of problems) console.error(`report.json schema: ${p}`);
    if (problems.length) Deno.exit(1);
    await writeFileAtomic(jsonOut, JSON.stringify(report, null, 2) + "\n");
  }
}

if (import.meta.main && Deno.args.includes("--embedders")) {
  const args = Deno.args.filter((a) => a !== "--embedders");
  const { jsonOut, folders, quick } = parseMeasureArgs(args, "report");
  if (folders.length || quick) {
    console.error("usage: deno task report --embedders [--json-out FILE]");
    Deno.exit(2);
  }
  await embeddersOnly(jsonOut);
} else if (import.meta.main) {
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
    const detection = await perDetectorAsync(async (d) => {
      const found = await detectWith({ fallback: true, ...withName(t, d) }, t.photos, (e) => console.error(e.message));
      return detectionFigures(t.kind, found, t.truth);
    });
    const hasPts = t.photos.length > 0 &&
      await Deno.stat(t.photos[0]!.path.replace(/\.[^.]+$/, ".pts")).then(() => true, () => false);
    const nme = hasPts
      ? {
        ...await perDetectorAsync((d) => landmarkFigures(t.photos, withName(t, d))),
        ceiling: await ceilingFigures(t.photos),
      }
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
  // Every embedding network side by side on the labelled sets, behind the default detector, and the rule's verdict.
  const compared = await embedderSection(labelled, seeds);
  for (const [name, figures] of Object.entries(compared.byDataset)) {
    report.datasets[name] = { ...report.datasets[name]!, embedders: figures };
  }
  if (compared.rule) Object.assign(report, { embedder_rule: compared.rule });
  // Clustering: every face of every photo, each algorithm with its defaults, behind the default detector.
  for (const { name, dir } of labelled.filter((l) => CLUSTERED.includes(l.name))) {
    console.error(`report: clustering ${name}…`);
    const clustering = await clusteringByAlgorithm(await everyFaceRecords(name, dir, DEFAULT_DETECTOR));
    report.datasets[name] = { ...report.datasets[name]!, clustering };
  }
  await printTables("report", report);
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
