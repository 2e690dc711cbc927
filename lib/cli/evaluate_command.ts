import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { configDifference, readCache } from "../dataset/cache.ts";
import { defaultCachePath, preprocessFolder } from "../dataset/preprocess.ts";
import { type CliIo, EXIT } from "./_io.ts";
import { loadCheckedModel } from "./_model.ts";

/** The `evaluate` subcommand: accuracy of a model over a labelled folder or cache. */
export function evaluateCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("evaluate")
    .description("Accuracy of a trained model over a labelled folder (or its cache); no-face photos count as errors.")
    .argument("<source>", "a folder of photos named by person, or a .cache file")
    .option("--model <dir>", "the model", "./model")
    .option("--cache <file>", "for a folder: its cache (default ./.face2vec/<folder>.<features>.cache)")
    .option("--json", "print one JSON object")
    .action(async (source, o) => setExit(await runEvaluate(source, o, io)));
}

async function runEvaluate(
  source: string,
  o: { model: string; cache?: string; json?: true },
  io: CliIo,
): Promise<number> {
  const model = await loadCheckedModel(o.model, io);
  if (!model) return EXIT.badArguments;
  try {
    let cachePath = source;
    if (!source.endsWith(".cache")) {
      cachePath = o.cache ?? defaultCachePath(source, model.classifier.info.features.name);
      await preprocessFolder(source, { ...model.pipeline, cache: cachePath });
    }
    const cache = await readCache(cachePath);
    if (!cache) {
      io.stderr(`${cachePath}: cache not found`);
      return EXIT.badArguments;
    }
    const { labels: _l, features: _f, ...pipeline } = cache.config as Record<string, unknown>;
    const diff = configDifference(model.classifier.info.pipeline, pipeline);
    if (diff) {
      io.stderr(`${cachePath}: made with other settings than the model (${diff})`);
      return EXIT.badArguments;
    }
    const records = [...cache.records.values()].filter((r) => r.status !== "error").sort((
      a,
      b,
    ) => (a.path < b.path ? -1 : 1));
    const ok = records.filter((r) => r.status === "ok");
    const answers = await model.classifier.predict(ok.map((r) => Float32Array.from(r.features!)), 0);
    const predicted = new Map(ok.map((r, i) => [r.path, answers[i]!.label!]));
    const labels = [...new Set([...records.map((r) => r.label), ...model.classifier.info.labels])].sort();
    const confusion: Record<string, Record<string, number>> = {};
    const errors: { path: string; label: string; predicted: string | null }[] = [];
    let correct = 0;
    for (const r of records) {
      const p = predicted.get(r.path) ?? null;
      const key = p ?? "(no face)";
      confusion[r.label] ??= {};
      confusion[r.label]![key] = (confusion[r.label]![key] ?? 0) + 1;
      if (p === r.label) correct++;
      else errors.push({ path: r.path, label: r.label, predicted: p });
    }
    const perLabel: Record<string, { photos: number; precision: number | null; recall: number | null }> = {};
    for (const l of labels) {
      const truth = records.filter((r) => r.label === l);
      const claimed = records.filter((r) => predicted.get(r.path) === l);
      const hits = truth.filter((r) => predicted.get(r.path) === l).length;
      if (truth.length === 0 && claimed.length === 0) continue;
      perLabel[l] = {
        photos: truth.length,
        precision: claimed.length ? hits / claimed.length : null,
        recall: truth.length ? hits / truth.length : null,
      };
    }
    const noFace = records.filter((r) => r.status === "no_face").length;
    const result = {
      photos: records.length,
      no_face: noFace,
      correct,
      accuracy: records.length ? correct / records.length : 0,
      per_label: perLabel,
      confusion,
      errors,
    };
    if (o.json) io.stdout(JSON.stringify(result));
    else {
      io.stdout(
        `accuracy: ${
          (result.accuracy * 100).toFixed(1)
        }% (${correct} of ${records.length} photos; ${noFace} without a face count as errors)`,
      );
      for (const [l, v] of Object.entries(perLabel)) {
        const f = (x: number | null) => (x === null ? "  —  " : `${(x * 100).toFixed(0).padStart(3)}%`);
        io.stdout(
          `  ${l.padEnd(24)} photos ${String(v.photos).padStart(3)}  precision ${f(v.precision)}  recall ${
            f(v.recall)
          }`,
        );
      }
      io.stdout("confusion (true → predicted: count):");
      for (const [t, row] of Object.entries(confusion)) {
        io.stdout(`  ${t}: ${Object.entries(row).map(([p, n]) => `${p} ${n}`).join(", ")}`);
      }
      for (const e of errors) io.stdout(`  wrong: ${e.path} (${e.label}) taken for ${e.predicted ?? "no face"}`);
    }
    return EXIT.ok;
  } finally {
    model.classifier.dispose();
  }
}
