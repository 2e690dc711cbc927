/**
 * `deno task test` is the fast suite and `deno task test:all` everything: the slow groups the
 * fast suite leaves out are named, exist, and are what the README says; CI runs `test:all`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { ROOT } from "../lib/eval/npm.ts";

const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
const SLOW = [
  "tests/datasets_*_test.ts",
  "tests/pg_*_test.ts",
  "tests/faults_test.ts",
  "tests/serve_shared_test.ts",
  "tests/gallery_backends_test.ts",
  "tests/quickstart_test.ts",
  "tests/demo_test.ts",
];

/** Whether a path matches a pattern whose only wildcard is `*` (within one name). */
const matches = (pattern: string, path: string) =>
  new RegExp(`^${pattern.replace(/[.]/g, "\\.").replace(/\*/g, "[^/]*")}$`).test(path);

Deno.test("deno task test leaves out exactly the slow groups, each matching test files; test:all runs everything with the same flags", () => {
  const fast: string = config.tasks.test, all: string = config.tasks["test:all"];
  const ignored = / --ignore=(\S+)/.exec(fast)?.[1]?.split(",");
  assert.deepEqual(ignored, SLOW);
  assert.equal(fast.replace(/ --ignore=\S+/, ""), all);
  assert.doesNotMatch(all, /--ignore|--filter/);
  const tests = [...Deno.readDirSync(`${ROOT}/tests`)].map((e) => `tests/${e.name}`);
  for (const pattern of SLOW) {
    if (pattern === "tests/pg_*_test.ts") continue; // the real PostgreSQL tests, present where they are written
    assert.ok(tests.some((t) => matches(pattern, t)), `${pattern} matches no file`);
  }
  // The fast suite keeps the CLI, service and unit tests.
  for (const kept of ["tests/serve_test.ts", "tests/preprocess_test.ts", "tests/classify_cli_test.ts"]) {
    assert.ok(!SLOW.some((p) => matches(p, kept)), kept);
  }
});

Deno.test("CI runs deno task test:all, and the README says which task is which", async () => {
  const ci = await Deno.readTextFile(`${ROOT}/.ci/run`);
  assert.match(ci, /^deno task test:all --junit-path=/m);
  assert.doesNotMatch(ci, /^deno task test --/m);
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  assert.match(readme, /^deno task test +# /m);
  assert.match(readme, /^deno task test:all +# /m);
  for (const pattern of SLOW) assert.ok(readme.includes(pattern.replace("tests/", "")), `README names ${pattern}`);
});
