/**
 * Chooses the trained network's sizes for the `embedding` and `both` feature sets on the EVEN
 * half of lfw_min10 (sorted paths, positions 0, 2, …): 5-fold cross-validation, seed 0,
 * 100 epochs, for a few architectures. Uses (and makes, when missing) the report's cache
 * `.face2vec/report/lfw_min10.both.cache`.
 *
 * Usage: `deno task tune-head [both|embedding] [--short]` (`--short`: only the original's
 * network and the chosen default).
 *
 * @module
 */

import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { samplesFromCache } from "../lib/classify/samples.ts";
import { trainClassifier } from "../lib/classify/train.ts";
import { DEFAULT_NETWORK, type NetworkOptions } from "../lib/classify/network.ts";
import { datasetsDir, half } from "../lib/eval/datasets.ts";
import { ROOT } from "../lib/eval/npm.ts";

if (import.meta.main) {
  const which = Deno.args.includes("embedding") ? "embedding" : "both";
  const cache = `${ROOT}/.face2vec/report/lfw_min10.both.cache`;
  await preprocessFolder(`${datasetsDir()}/lfw_min10`, {
    cache,
    features: "both",
    workers: navigator.hardwareConcurrency,
  });
  const read = (await readCache(cache))!;
  const s = samplesFromCache(read);
  const even = half(s.paths.map((_, i) => i), "even");
  // `both` is geometry (204, unit norm) then the embedding (128, unit norm); `embedding` alone is its raw vector.
  const records = read.records;
  const features = even.map((i) =>
    which === "both" ? s.features[i]! : Float32Array.from(records.get(s.paths[i]!)!.embedding!)
  );
  const labels = even.map((i) => s.labels[i]!);
  const configs: [string, NetworkOptions][] = [
    ["original 68/32 tanh/sigmoid", {}],
    ["128/64 tanh/sigmoid", { hidden1: 128, hidden2: 64 }],
    ...(Deno.args.includes("--short") ? [] : [
      ["128/128 tanh/tanh", { hidden1: 128, hidden2: 128, activation2: "tanh" }],
      ["256/128 relu/relu", { hidden1: 256, hidden2: 128, activation1: "relu", activation2: "relu" }],
    ] as [string, NetworkOptions][]),
  ];
  for (const [name, net] of configs) {
    const t0 = performance.now();
    const r = await trainClassifier(features, labels, 1, {
      folds: 5,
      epochs: 100,
      seed: 0,
      workers: navigator.hardwareConcurrency,
      network: { ...DEFAULT_NETWORK, ...net },
    });
    console.log(
      `${which} ${name}: ${(r.mean * 100).toFixed(2)}% ± ${(r.std * 100).toFixed(2)}% (${
        ((performance.now() - t0) / 1000).toFixed(0)
      } s)`,
    );
  }
}
