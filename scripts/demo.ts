/**
 * `deno task demo [--out DIR]`: runs Face2Vec on the sample photos that ship inside the
 * pinned `@vladmandic/face-api` npm package (six 1920 px group photos), with no photos of
 * your own: finds every face and writes annotated copies (default `./out/demo/`).
 *
 * @module
 */

import { main } from "../cli.ts";
import { samplePhotos } from "./_npm.ts";

if (import.meta.main) {
  const i = Deno.args.indexOf("--out");
  const out = i >= 0 ? Deno.args[i + 1] : "out/demo";
  if (out === undefined || out.startsWith("--")) {
    console.error("usage: deno task demo [--out DIR]");
    Deno.exit(2);
  }
  console.error(`Face2Vec demo: detecting faces in the ${samplePhotos().length} sample photos of @vladmandic/face-api`);
  const code = await main(["detect", ...samplePhotos(), "--draw", out]);
  if (code === 0) console.error(`annotated copies written to ${out}/ (green: Haar box)`);
  Deno.exit(code);
}
