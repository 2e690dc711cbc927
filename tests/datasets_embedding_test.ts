/**
 * The face embedding on real photos: ORL's same-person pairs are closer than its
 * different-person pairs, and the gallery names face2vec's test/ photos from train/. Ignored
 * with a printed reason where ../shared/datasets is missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { readCache } from "../lib/dataset/cache.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { createMatcher } from "../lib/gallery/matcher.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { equalErrorRate, type Labelled, pairDistances } from "../lib/eval/embedding.ts";
import type { DetectorName } from "../lib/detect/detect_faces.ts";

async function facesOf(folder: string, dir: string, detector: DetectorName): Promise<Labelled[]> {
  const cache = `${dir}/e.cache`;
  await preprocessFolder(folder, { cache, features: "embedding", workers: 2, detector: { detector } });
  return [...(await readCache(cache))!.records.values()].filter((r) => r.status === "ok").sort((a, b) =>
    a.path < b.path ? -1 : 1
  ).map((r) => ({ label: r.label, path: r.path, embedding: Float32Array.from(r.embedding!) }));
}

/** ORL's first 10 people in sorted order (s1, s10, s11, …, s18), 10 photos each, copied into `dir`. */
async function orlFirstTen(dir: string): Promise<string> {
  const orl = `${datasetsDir()}/orl_att_faces`;
  const people = [...Deno.readDirSync(orl)].filter((e) => e.isDirectory).map((e) => e.name).sort().slice(0, 10);
  for (const person of people) {
    await Deno.mkdir(`${dir}/orl/${person}`, { recursive: true });
    for (const e of Deno.readDirSync(`${orl}/${person}`)) {
      if (e.isFile) await Deno.copyFile(`${orl}/${person}/${e.name}`, `${dir}/orl/${person}/${e.name}`);
    }
  }
  return `${dir}/orl`;
}

// The bar is the original's (Haar): measured EER 0.43% behind Haar, 4.03% behind BlazeFace (the
// default; its misaligned ORL crops cost it here, though it finds every face), each with its own
// landmark defaults. BlazeFace is held to the same bar; it is the worse of the two on ORL.
for (const [detector, measured] of [["haar", "0.43%"], ["blazeface", "4.03%"]] as const) {
  datasetTest(
    `orl_att_faces (the first 10 people, ${detector}): same-person pairs are closer than different-person pairs (EER ≤ 5%; measured ${measured})`,
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        const faces = await facesOf(await orlFirstTen(dir), dir, detector);
        assert.equal(new Set(faces.map((f) => f.label)).size, 10);
        assert.ok(faces.length >= 98, `${faces.length} faces`);
        const pairs = pairDistances(faces);
        const mean = (xs: Float64Array) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const eer = equalErrorRate(pairs);
        console.log(
          `orl (10 people, ${detector}): genuine mean ${mean(pairs.genuine).toFixed(3)}, impostor mean ${
            mean(pairs.impostor).toFixed(3)
          }, EER ${(eer.eer * 100).toFixed(2)}% at ${eer.threshold.toFixed(3)}`,
        );
        assert.ok(mean(pairs.genuine) + 0.2 < mean(pairs.impostor));
        assert.ok(eer.eer <= 0.05, `EER ${eer.eer}`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}

// Measured: Haar 16 of 19 (the 3 misses are a Haar box on half a face and its knock-on),
// BlazeFace 18 of 19 (test/psy.jpg named benedict).
for (
  const [detector, min, why] of [
    ["haar", 16, "the 3 misses are a Haar box on half a face and its knock-on"],
    ["blazeface", 18, "the miss is test/psy.jpg, named benedict"],
  ] as const
) {
  datasetTest(
    `face2vec (${detector}): the gallery of train/ names ≥ ${min} of the 19 test/ photos (measured ${min}; ${why})`,
    async () => {
      const dir = await Deno.makeTempDir();
      try {
        const faces = await facesOf(`${datasetsDir()}/face2vec`, dir, detector);
        const match = createMatcher(faces.filter((f) => f.path.startsWith("train/")));
        const test = faces.filter((f) => f.path.startsWith("test/"));
        assert.equal(test.length, 19);
        const wrong = test.filter((f) => match(f.embedding).label !== f.label);
        console.log(
          `face2vec train→test with the embedding gallery (${detector}): ${19 - wrong.length} of 19; wrong: ${
            wrong.map((f) => `${f.path} → ${match(f.embedding).label}`).join(", ")
          }`,
        );
        assert.ok(19 - wrong.length >= min, `${19 - wrong.length} of 19`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  );
}
