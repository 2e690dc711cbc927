/**
 * `--gallery postgres://…` on the commands (PGlite over the wire, see `scripts/_pglite.ts`):
 * `enrol`, `predict` and `cluster` answer as they do with the same faces in a model folder;
 * the password comes from a file; a bad URL, a missing password file and an unreachable
 * database are one line and exit 2; `deno run` without the network is told the flags.
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";
import { neededFlags, permissionHint, wantsDatabase } from "../lib/cli/_permissions.ts";
import { startPglite } from "../scripts/_pglite.ts";
import { readImage } from "../lib/image/read_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";

Deno.test({
  name: "enrol, predict and cluster with --gallery postgres://… answer as with the same faces in --model's folder",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const ds = await makeDataset();
    const database = await startPglite();
    try {
      const url = database.url;
      const enrolments = [["ann", "1.jpg"], ["bea", "3.jpg"], ["cat", "5.jpg"]] as const;
      await Deno.writeTextFile(`${ds}/pw`, "not-checked-by-pglite\n");
      for (const [who, photo] of enrolments) {
        const into = [["--model", `${ds}/model`], ["--gallery", url, "--password-file", `${ds}/pw`]];
        for (const where of into) {
          const r = await runCli(["enrol", who, `${ds}/people/${who}/${photo}`, ...where]);
          assert.equal(r.code, 0, r.stderr.join("\n"));
        }
      }
      const last = await runCli(["enrol", "ann", `${ds}/people/ann/2.jpg`, "--gallery", url]);
      assert.match(
        last.stderr.at(-1)!,
        /^enrolled 1 photo of ann into postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres \(gallery: 4 faces of 3 people\)$/,
      );
      assert.equal((await runCli(["enrol", "ann", `${ds}/people/ann/2.jpg`, "--model", `${ds}/model`])).code, 0);

      const photos = [`${ds}/people/ann/2.jpg`, `${ds}/people/bea/4.jpg`, `${ds}/people/cat/6.jpg`];
      const viaFile = await runCli(["predict", ...photos, "--model", `${ds}/model`, "--json"]);
      const viaDb = await runCli(["predict", ...photos, "--gallery", url, "--json"]);
      assert.equal(viaDb.code, 0, viaDb.stderr.join("\n"));
      const faces = (r: typeof viaFile) =>
        r.stdout.map((l) =>
          JSON.parse(l).faces.map((f: { label: string | null; distance: number }) => [f.label, f.distance])
        );
      assert.deepEqual(
        faces(viaDb).map((p) => p.map((f: unknown[]) => f[0])),
        faces(viaFile).map((p) => p.map((f: unknown[]) => f[0])),
      );
      faces(viaDb).flat().forEach((f: [string, number], i: number) => {
        const want = faces(viaFile).flat()[i] as [string, number];
        assert.ok(Math.abs(f[1] - want[1]) <= 1e-4, `${f} vs ${want}`);
      });
      assert.equal(faces(viaDb)[0]![0]![0], "ann");
      assert.equal((await runCli(["predict", photos[0]!, "--gallery", url, "--method", "network"])).code, 2);

      // Unsorted photos: two enrolled photos and a re-encoded copy of each (a group of two each).
      await Deno.mkdir(`${ds}/unsorted`);
      for (const [who, photo] of [["ann", "1.jpg"], ["bea", "3.jpg"]]) {
        const image = await readImage(`${ds}/people/${who}/${photo}`);
        await Deno.copyFile(`${ds}/people/${who}/${photo}`, `${ds}/unsorted/${who}.jpg`);
        await Deno.writeFile(`${ds}/unsorted/${who}_copy.webp`, await encodeImage(image, "webp"));
      }
      const named = (args: string[]) =>
        runCli(["cluster", `${ds}/unsorted`, "--cache", `${ds}/c.cache`, "--workers", "1", "--json", ...args]);
      const a = await named(["--model", `${ds}/model`]);
      const b = await named(["--gallery", url]);
      assert.equal(b.code, a.code, b.stderr.join("\n"));
      assert.deepEqual(b.stdout.map((l) => JSON.parse(l).name), a.stdout.map((l) => JSON.parse(l).name));
      // Each photo's largest face is its group's, named after its person.
      const largest = b.stdout.map((l) => JSON.parse(l)).filter((l) => l.face === 0);
      assert.deepEqual(
        largest.map((l) => [l.path.split("/").pop(), l.name]),
        [["ann.jpg", "ann"], ["ann_copy.webp", "ann"], ["bea.jpg", "bea"], ["bea_copy.webp", "bea"]],
      );
      assert.equal((await named(["--gallery", url, "--model", `${ds}/model`])).code, 2);
    } finally {
      await database.stop();
      await Deno.remove(ds, { recursive: true });
    }
  },
});

Deno.test("--gallery: a URL that is not postgres://, an unreadable password file, a database not listening: one line, exit 2", async () => {
  const bad = await runCli(["predict", "x.jpg", "--gallery", "mysql://h/db"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr.join("\n"), /give a postgres:\/\/ URL/);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const pw = await runCli([
    "enrol",
    "ann",
    "x.jpg",
    "--gallery",
    `postgres://127.0.0.1:${port}/db`,
    "--password-file",
    "/nonexistent",
  ]);
  assert.equal(pw.code, 2);
  assert.deepEqual(pw.stderr.length, 1);
  assert.match(pw.stderr[0]!, /^\/nonexistent: cannot read the password/);
  const down = await runCli(["predict", "x.jpg", "--gallery", `postgres://face2vec@127.0.0.1:${port}/db`]);
  assert.equal(down.code, 2);
  assert.equal(down.stderr.length, 1);
  assert.match(down.stderr[0]!, new RegExp(`^postgres://face2vec@127\\.0\\.0\\.1:${port}/db: cannot connect`));
});

Deno.test("a database gallery needs --allow-net and the PG* variables, and only then", () => {
  assert.ok(wantsDatabase(["predict", "x.jpg", "--gallery", "postgres://h/db"]));
  assert.ok(wantsDatabase(["predict", "--gallery=postgresql://h/db", "x.jpg"]));
  assert.ok(!wantsDatabase(["predict", "x.jpg", "--model", "postgres://"]));
  assert.ok(!neededFlags("predict").includes("--allow-net"));
  assert.ok(neededFlags("predict", true).includes("--allow-net"));
  assert.match(neededFlags("enrol", true).at(-1)!, /^--allow-env=.*,PGHOST,.*PGPASSWORD/);
  assert.ok(!neededFlags("detect", true).includes("--allow-net"), "detect takes no gallery");
  assert.match(
    permissionHint(["predict", "x.jpg", "--gallery", "postgres://h/db"], "cli.ts"),
    /deno run --allow-read --allow-net --allow-env=NO_COLOR,.*,PGPASSWORD,.* cli\.ts predict x\.jpg --gallery postgres:\/\/h\/db$/,
  );
});
