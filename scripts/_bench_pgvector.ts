/**
 * The pgvector gallery at 10,000 and 100,000 faces for `deno task bench`, as PGlite figures:
 * PostgreSQL compiled to WASM, in the bench's process, reached over the wire protocol through
 * pglite-socket (see `_pglite.ts`) — not a server's figures. The same synthetic people as the
 * file store's bench (`lib/eval/synthetic.ts`, 10 faces each, seed 21) are enrolled through the
 * gallery backend in batches of 1,000 faces; then: enrolling one more face (one transaction:
 * its row, its person's centroid under the row lock), the nearest-person query one probe at a
 * time exact and through HNSW, and HNSW's recall@1 against exact on the probes.
 *
 * @module
 */

import { openStore } from "../lib/store/open_store.ts";
import { EF_SEARCH } from "../lib/store/postgres.ts";
import { realFaces } from "./_report_cache.ts";
import { syntheticPeople } from "../lib/eval/synthetic.ts";
import { startPglite } from "./_pglite.ts";
import type { BenchJson } from "../lib/eval/schema.ts";

/** The bench's pgvector figures (`pgvector` of bench.json). */
export type PgvectorBench = NonNullable<BenchJson["pgvector"]>;
/** The figures of one size. */
export type PgvectorTiming = PgvectorBench["sets"][string];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Measures the pgvector gallery.
 *
 * @param quick A short run: 5,000 faces around orl_att_faces'.
 * @returns The figures, or null without the datasets.
 */
export async function pgvectorBench(quick: boolean): Promise<PgvectorBench | null> {
  const real = await realFaces(quick ? "orl_att_faces" : "lfw_min10");
  if (!real) return null;
  const sets: Record<string, PgvectorTiming> = {};
  for (const faces of quick ? [5_000] : [10_000, 100_000]) {
    console.error(`bench: pgvector gallery of ${faces} faces (PGlite)…`);
    const people = faces / 10;
    const s = syntheticPeople(real, people, 10, 21);
    const dim = s.dim;
    const database = await startPglite();
    const gallery = await openStore(database.url);
    try {
      const t0 = performance.now();
      for (let at = 0; at < faces; at += 1000) {
        await gallery.enrol(Array.from({ length: Math.min(1000, faces - at) }, (_, j) => {
          const i = at + j;
          return {
            label: `person_${s.person[i]}`,
            path: `synthetic/person_${s.person[i]}/${i % 10}.jpg`,
            embedding: s.data.subarray(i * dim, (i + 1) * dim),
          };
        }));
      }
      const bulk = (performance.now() - t0) / 1000;
      const n = Math.min(quick ? 100 : 1000, people);
      const probes = Array.from({ length: n }, (_, q) => {
        const p = Math.floor((q * people) / n);
        return s.probes.subarray(p * dim, (p + 1) * dim);
      });
      const timed = async (f: () => Promise<unknown>) => {
        const t = performance.now();
        await f();
        return performance.now() - t;
      };
      const enrolOne: number[] = [];
      for (let k = 0; k < 20; k++) {
        const p = Math.floor((k * people) / 20);
        enrolOne.push(
          await timed(() => gallery.enrol([{ label: `person_${p}`, path: `extra/${k}.jpg`, embedding: probes[0]! }])),
        );
      }
      const exactMs: number[] = [], hnswMs: number[] = [];
      let same = 0;
      for (const [q, probe] of probes.entries()) {
        let exact, hnsw;
        if (q < 200) exactMs.push(await timed(async () => (exact = await gallery.match([probe], { exact: true }))));
        else exact = await gallery.match([probe], { exact: true });
        hnswMs.push(await timed(async () => (hnsw = await gallery.match([probe]))));
        if (exact![0]!.candidate === hnsw![0]!.candidate) same++;
      }
      sets[`faces_${faces / 1000}k`] = {
        faces,
        people,
        bulk_enrol_s: Math.round(bulk * 10) / 10,
        enrol_one_ms: Math.round(median(enrolOne) * 10) / 10,
        person_exact_ms: Math.round(median(exactMs) * 100) / 100,
        person_hnsw_ms: Math.round(median(hnswMs) * 100) / 100,
        person_recall_at_1: Math.round((same / probes.length) * 1000) / 1000,
        queries: probes.length,
      };
    } finally {
      await gallery.close();
      await database.stop();
    }
  }
  return {
    engine: "PGlite 0.5.14 (PostgreSQL in WASM) with pgvector 0.8, in the bench process, over pglite-socket 0.2.17",
    ef_search: EF_SEARCH,
    sets,
  };
}
