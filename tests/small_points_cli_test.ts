/**
 * Smaller points a new user met: a model folder given with a trailing slash is named once,
 * and `predict` says a photo is missing before it looks for, or loads, any model.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

Deno.test("a --model folder given as nosuch/ or nosuch// is named nosuch/model.json, never nosuch//model.json", async () => {
  for (const model of ["nosuch/", "nosuch//"]) {
    for (const command of [["predict", samplePhotos()[0]!], ["evaluate", "."], ["enrol", "ann", "nosuch.jpg"]]) {
      const r = await runCli([...command, "--model", model]);
      const text = r.stderr.join("\n");
      assert.doesNotMatch(text, /\/\//, `${command[0]} --model ${model}: ${text}`);
      if (command[0] !== "enrol") assert.match(text, /^nosuch\/model\.json: no model here/, text);
    }
  }
});

Deno.test("predict nosuch.jpg says 'file not found' (exit 1) before looking for a model, and loads none", async () => {
  const t0 = performance.now();
  const r = await runCli(["predict", "nosuch.jpg", "--model", "nosuch"]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stderr, ["nosuch.jpg: file not found"]);
  // No model is read, so no network is created: well under the seconds loading one takes.
  assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
});
