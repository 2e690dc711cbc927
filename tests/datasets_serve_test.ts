/**
 * The service answers as the CLI does on real photos: LFW (lfw_min10), the first 20 people
 * in sorted order, up to 8 of each person's even-position photos enrolled and up to 3 of
 * their odd-position photos asked. `predict --json` against the model folder is the
 * reference; the service over that folder must give the same faces, labels and distances,
 * and over a pgvector database holding the same faces the same labels with exact search, and
 * HNSW the same nearest person (≥ 99%). Ignored with a printed reason where
 * ../shared/datasets is missing (unless FACE2VEC_REQUIRE_DATASETS=1).
 */
import assert from "node:assert/strict";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { newGalleryModel } from "../lib/model/model.ts";
import { Gallery } from "../lib/gallery/gallery.ts";
import { saveModel } from "../lib/model/model_folder.ts";
import { openStore } from "../lib/store/open_store.ts";
import { createService } from "../lib/serve/service.ts";
import { runCli } from "./_cli.ts";
import { startPglite } from "../scripts/_pglite.ts";

/** Symlinks the chosen photos into `dir/person/name`, keeping the person folders. */
async function linkPhotos(dir: string, photos: readonly string[]): Promise<void> {
  const lfw = `${datasetsDir()}/lfw_min10`;
  for (const p of photos) {
    await Deno.mkdir(`${dir}/${p.split("/")[0]}`, { recursive: true });
    await Deno.symlink(`${lfw}/${p}`, `${dir}/${p}`);
  }
}

datasetTest(
  "lfw_min10 (20 people, odd-position photos): the service names every face as predict does, on the file store and on pgvector (measured: 67 faces, all equal)",
  async () => {
    const lfw = `${datasetsDir()}/lfw_min10`;
    const people = [...Deno.readDirSync(lfw)].filter((e) => e.isDirectory).map((e) => e.name).sort().slice(0, 20);
    const enrolled: string[] = [];
    const asked: string[] = [];
    for (const person of people) {
      const photos = [...Deno.readDirSync(`${lfw}/${person}`)].filter((e) => e.isFile).map((e) => `${person}/${e.name}`)
        .sort();
      enrolled.push(...photos.filter((_, i) => i % 2 === 0).slice(0, 8));
      asked.push(...photos.filter((_, i) => i % 2 === 1).slice(0, 3));
    }
    const dir = await Deno.makeTempDir({ prefix: "face2vec_serve_lfw_" });
    const database = await startPglite();
    try {
      await linkPhotos(`${dir}/enrol`, enrolled);
      await linkPhotos(`${dir}/ask`, asked);
      // The gallery: the largest face of every enrolled photo, as `enrol` takes it.
      await preprocessFolder(`${dir}/enrol`, { cache: `${dir}/e.cache`, features: "embedding", workers: 2 });
      const records = [...(await readCache(`${dir}/e.cache`))!.records.values()].filter((r) => r.status === "ok");
      const entries = records.map((r) => ({
        label: r.label,
        path: r.path,
        embedding: Float32Array.from(r.embedding!),
        enrolled: true,
      }));
      assert.ok(entries.length >= 0.98 * enrolled.length, `${entries.length} of ${enrolled.length} photos gave a face`);
      const base = await newGalleryModel();
      await saveModel(`${dir}/model`, { ...base, gallery: Gallery.from(entries) });
      const pg = await openStore(database.url);
      await pg.enrol(entries);

      const cli = await runCli(["predict", `${dir}/ask`, "--model", `${dir}/model`, "--json"]);
      assert.equal(cli.code, 0, cli.stderr.join("\n"));
      const reference = new Map(
        cli.stdout.map((l) => JSON.parse(l)).map((r) => [r.path.slice(`${dir}/ask/`.length), r]),
      );
      assert.equal(reference.size, asked.length);

      type Face = { label: string | null; distance: number | null; box: Record<string, number> };
      const ask = async (service: ReturnType<typeof createService>, photo: string) => {
        const r = await service.handle(
          new Request("http://localhost/v1/recognize", {
            method: "POST",
            headers: { "content-type": "image/jpeg" },
            body: await Deno.readFile(`${lfw}/${photo}`),
          }),
        );
        assert.equal(r.status, 200, await r.clone().text());
        return (await r.json()).faces as Face[];
      };
      const fileService = createService({ model: `${dir}/model`, workers: 2 });
      const pgService = createService({ gallery: pg, workers: 2 });
      let faces = 0, sameExact = 0, sameHnsw = 0, right = 0;
      try {
        for (const photo of asked) {
          const want = reference.get(photo).faces as Face[];
          const [viaFile, viaPg] = await Promise.all([ask(fileService, photo), ask(pgService, photo)]);
          assert.equal(viaFile.length, want.length, photo);
          assert.equal(viaPg.length, want.length, photo);
          // The CLI rounds distances to 4 decimals and boxes to 0.001 px.
          viaFile.forEach((f, i) => {
            assert.equal(f.label, want[i]!.label, `${photo} face ${i}`);
            assert.ok(Math.abs(f.distance! - want[i]!.distance!) <= 5e-5, `${photo} face ${i}`);
            assert.ok(Math.abs(f.box.x! - want[i]!.box.x!) <= 5e-4);
          });
          viaPg.forEach((f, i) => {
            faces++;
            if (f.label === want[i]!.label) sameHnsw++;
          });
          if (want[0] && want[0].label === photo.split("/")[0]) right++;
        }
      } finally {
        await fileService.close();
        await pgService.close();
      }
      // Exact search on the database: the CLI's embeddings are not printed, so the faces of the
      // asked photos are embedded once more and matched both ways.
      await preprocessFolder(`${dir}/ask`, {
        cache: `${dir}/a.cache`,
        features: "embedding",
        workers: 2,
        faces: "all",
      });
      const file = await openStore(`${dir}/model`);
      const pg2 = await openStore(database.url);
      try {
        const asks = [...(await readCache(`${dir}/a.cache`))!.records.values()].filter((r) => r.status === "ok");
        const vectors = asks.flatMap((r) => r.all!.map((f) => Float32Array.from(f.embedding!)));
        const [a, b] = await Promise.all([file.match(vectors, { exact: true }), pg2.match(vectors, { exact: true })]);
        a.forEach((x, i) => {
          if (x.label === b[i]!.label) sameExact++;
          assert.ok(Math.abs(x.distance - b[i]!.distance) < 1e-5);
        });
        console.log(
          `lfw 20 people: ${asked.length} photos, ${faces} faces; pgvector exact = file store on ${sameExact}/${vectors.length}, ` +
            `service over HNSW = predict on ${sameHnsw}/${faces}; the largest face named right in ${right}/${asked.length}`,
        );
        assert.equal(sameExact, vectors.length, "exact search: the same labels");
        assert.ok(sameHnsw >= 0.99 * faces, `HNSW ${sameHnsw}/${faces}`);
        assert.ok(right >= 0.9 * asked.length, `${right}/${asked.length}`);
      } finally {
        await file.close();
        await pg2.close();
      }
    } finally {
      await database.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
