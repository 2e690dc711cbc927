/**
 * `evaluate` on one folder with two models made with different detectors (a cache of its own
 * per model's settings), and its summary saying what it counts beside `predict`'s unknowns.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";

Deno.test("evaluate takes two models made with other detectors on one folder (a cache each), and says what predict would call unknown", async () => {
  const ds = await makeDataset();
  const cwd = Deno.cwd();
  Deno.chdir(ds);
  try {
    // Two gallery-only models of ann and bea (cat is in the folder, in neither model).
    for (const detector of ["haar", "blazeface"]) {
      for (const who of ["ann", "bea"]) {
        const r = await runCli(["enrol", who, `people/${who}`, "--model", `m-${detector}`, "--detector", detector]);
        assert.ok(r.code <= 1, r.stderr.join("\n"));
      }
    }
    const evaluate = async (detector: string, json: boolean) => {
      const r = await runCli(["evaluate", "people", "--model", `m-${detector}`, ...(json ? ["--json"] : [])]);
      assert.equal(r.code, 0, r.stderr.join("\n"));
      return r;
    };
    const first = await evaluate("haar", true);
    const second = await evaluate("blazeface", true);
    // And the first again: its own cache is still there, made with its settings.
    const again = await evaluate("haar", true);
    assert.deepEqual(JSON.parse(again.stdout[0]!), JSON.parse(first.stdout[0]!));
    const caches = [...Deno.readDirSync(".face2vec/evaluate")].map((e) => e.name).filter((n) => !n.startsWith("."))
      .sort();
    assert.equal(caches.length, 2, caches.join(", "));
    for (const c of caches) assert.match(c, /^people-[0-9a-f]{8}\.embedding\.[0-9a-f]{8}\.cache$/);

    for (const [detector, run] of [["haar", first], ["blazeface", second]] as const) {
      const result = JSON.parse(run.stdout[0]!);
      assert.equal(result.photos, 7);
      // predict's answers on the same photos, with the model's threshold: its unknowns.
      const p = await runCli(["predict", "people", "--model", `m-${detector}`, "--json"]);
      const answers = p.stdout.map((l) => JSON.parse(l)).filter((l) => l.faces);
      const largest = answers.filter((l) => l.faces.length > 0).map((l) =>
        l.faces.reduce((a: { box: { width: number } }, b: { box: { width: number } }) =>
          b.box.width > a.box.width ? b : a
        )
      );
      assert.equal(result.unknown, largest.filter((f) => f.label === null).length, detector);
      assert.ok(result.unknown >= 1, `${detector}: cat's photos are in neither model`);
      assert.equal(largest.length, 6, "6 photos with a face, the flat PGM without");
      const text = (await evaluate(detector, false)).stdout;
      assert.ok(
        text[1]!.includes(
          `without its 'unknown' threshold (--max-distance 0.455); predict, which applies it, would call ${result.unknown} of these 7 photos unknown and name ${result.named_correctly} right`,
        ),
        text.join("\n"),
      );
      assert.ok(result.named_correctly <= result.correct);
    }
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(ds, { recursive: true });
  }
});
