/**
 * `deno task demo [--out DIR]`: runs Face2Vec with no photos of your own.
 *
 * 1. Detection and landmarks on the six group photos that ship inside the pinned
 *    `@vladmandic/face-api` npm package, writing annotated copies (default `./out/demo/`).
 * 2. Where `../shared/datasets/face2vec` is present (the original project's own photos):
 *    the whole path, preprocess `train/` → train → evaluate on `test/` → predict on a
 *    sample photo. Elsewhere it says that this part was skipped and why.
 *
 * @module
 */

import { main } from "../cli.ts";
import { datasetsDir, datasetsPresent } from "./_datasets.ts";
import { samplePhotos } from "./_npm.ts";

if (import.meta.main) {
  const i = Deno.args.indexOf("--out");
  const out = i >= 0 ? Deno.args[i + 1] : "out/demo";
  if (out === undefined || out.startsWith("--")) {
    console.error("usage: deno task demo [--out DIR]");
    Deno.exit(2);
  }
  console.error(
    `Face2Vec demo 1/2: faces and landmarks in the ${samplePhotos().length} sample photos of @vladmandic/face-api`,
  );
  let code = await main(["detect", ...samplePhotos(), "--draw", out]);
  if (code !== 0) Deno.exit(code);
  console.error(`annotated copies written to ${out}/ (green: Haar box, cyan: landmarks)`);
  const f2v = `${datasetsDir()}/face2vec`;
  if (!datasetsPresent()) {
    console.error(`Face2Vec demo 2/2 skipped: ${f2v} is not on this machine (the sample photos carry no identities)`);
    Deno.exit(0);
  }
  console.error(
    `Face2Vec demo 2/2: the original Face2Vec's own photos (${f2v}): preprocess train/ → train → evaluate test/`,
  );
  const cache = `${out}/face2vec_train.geometry.cache`;
  for (
    const args of [
      ["preprocess", `${f2v}/train`, "--cache", cache],
      ["train", "--cache", cache, "--model", `${out}/model`, "--folds", "2"],
      ["evaluate", `${f2v}/test`, "--model", `${out}/model`, "--cache", `${out}/face2vec_test.geometry.cache`],
      ["predict", samplePhotos()[2]!, "--model", `${out}/model`],
    ]
  ) {
    console.error(`$ face2vec ${args.join(" ")}`);
    code = await main(args);
    if (code !== 0) Deno.exit(code);
  }
  Deno.exit(0);
}
