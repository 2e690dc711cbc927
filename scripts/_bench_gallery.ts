/**
 * The gallery at 10,000, 100,000 and 1,000,000 faces for `deno task bench`: synthetic people
 * of 10 faces each (see `lib/eval/synthetic.ts`; 100,000 people at 1M) saved as a gallery-only model,
 * then, in a fresh bench process (`_bench_child.ts gallery`): the load to a first answer
 * (segments read and checked, centroids and cells computed) and the resident memory it adds;
 * the nearest-person and nearest-face query times, exact and through the inverted file (built
 * in that process for a gallery saved without one), with the index's recall@1 against the
 * exact answer and the exact answer's accuracy on the probes' people; adding one face to the
 * loaded gallery and saving it. Then `enrol` of one photo into the saved gallery from the
 * command line, with the task's permissions.
 *
 * @module
 */

import config from "../deno.json" with { type: "json" };
import { newGalleryModel } from "../lib/model/model.ts";
import { saveModel } from "../lib/model/model_folder.ts";
import { segmentFile } from "../lib/model/gallery_files.ts";
import { Gallery } from "../lib/gallery/gallery.ts";
import { decodeSegment, encodeSegment } from "../lib/gallery/segment.ts";
import { ROOT, samplePhotos } from "../lib/eval/npm.ts";
import { benchChild } from "./_bench_child.ts";
import { realFaces } from "./_report_cache.ts";
import { syntheticPeople } from "../lib/eval/synthetic.ts";
import type { BenchJson } from "../lib/eval/schema.ts";

/** The bench's gallery figures (`gallery` of bench.json). */
export type GalleryBench = NonNullable<BenchJson["gallery"]>;
/** The figures of one gallery size. */
export type GalleryTiming = GalleryBench["sets"][string];

/**
 * Builds, saves and measures galleries of 10k and 100k faces, and unless `quick` 1M.
 *
 * @param quick A quick run: 10k and 100k faces around orl_att_faces'.
 * @param sizes The gallery sizes.
 * @param base The dataset whose faces the people are drawn around.
 * @returns The figures, or null without the datasets.
 */
export async function galleryBench(
  quick: boolean,
  sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000],
  base = quick ? "orl_att_faces" : "lfw_min10",
): Promise<GalleryBench | null> {
  const real = await realFaces(base);
  if (!real) return null;
  const sets: Record<string, GalleryTiming> = {};
  const tmp = await Deno.makeTempDir({ prefix: "face2vec-gallery-bench-" });
  try {
    for (const faces of sizes) {
      const people = faces / 10;
      console.error(`bench: gallery of ${faces} faces…`);
      const s = syntheticPeople(real, people, 10, 21);
      const dim = s.dim;
      const segment = decodeSegment(
        encodeSegment({
          count: faces,
          dim,
          label: (i) => `person_${s.person[i]}`,
          path: (i) => `synthetic/person_${s.person[i]}/${i % 10}.jpg`,
          embedding: (i) => s.data.subarray(i * dim, (i + 1) * dim),
          enrolled: () => true,
        }),
        "synthetic",
      );
      const dir = `${tmp}/g${faces}`;
      const t0 = performance.now();
      const saved = await saveModel(dir, { ...await newGalleryModel(), gallery: new Gallery([segment]) });
      const save_ms = performance.now() - t0;
      // 1,000 probes of evenly spread people (a face of theirs not in the gallery).
      const n = Math.min(1000, people);
      const probes = new Float32Array(n * dim), truth: string[] = [];
      for (let q = 0; q < n; q++) {
        const p = Math.floor((q * people) / n);
        probes.set(s.probes.subarray(p * dim, (p + 1) * dim), q * dim);
        truth.push(`person_${p}`);
      }
      await Deno.writeFile(`${dir}/probes.f32`, new Uint8Array(probes.buffer));
      await Deno.writeTextFile(`${dir}/probes.json`, JSON.stringify(truth));
      const file_mb = saved.gallery.segments.reduce((m, s) => m + Deno.statSync(`${dir}/${segmentFile(s)}`).size, 0) /
        2 ** 20;
      const measured = await benchChild("gallery", [dir]);
      const cli_enrol_ms = await cliEnrolMs(dir);
      sets[`faces_${faces >= 1e6 ? `${faces / 1e6}m` : `${faces / 1000}k`}`] = {
        faces,
        people,
        save_ms: Math.round(save_ms),
        saved_with_index: saved.gallery.cells > 0,
        file_mb: Math.round(file_mb * 10) / 10,
        ...measured,
        cli_enrol_ms: Math.round(cli_enrol_ms),
      };
      await Deno.remove(dir, { recursive: true });
    }
  } finally {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
  return { base: real.base, spread_within_person: Math.round(real.spread * 1e5) / 1e5, sets };
}

/** ms from spawning `enrol` (the task's permissions) of one sample photo into `dir` to its exit. */
async function cliEnrolMs(dir: string): Promise<number> {
  const task = config.tasks.enrol.split(" ").slice(2);
  const t0 = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...task, "bench_enrolled", samplePhotos()[0]!, "--model", dir],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const ms = performance.now() - t0;
  if (!out.success) throw new Error(`enrol into ${dir} failed: ${new TextDecoder().decode(out.stderr)}`);
  return ms;
}
