import assert from "node:assert/strict";

/** `deno task assets --check --json` (scripts/make_assets.ts), run once for every test here. */
const run = (async () => {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "assets", "--check", "--json"],
    cwd: new URL("..", import.meta.url),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout), log = `${new TextDecoder().decode(stderr)}\n${text}`;
  let report: {
    ok: boolean;
    differing: string[];
    models: { model: string; variant: string; maxAbsDiff: number; spread: number; apart: number }[];
  };
  try {
    report = JSON.parse(text);
  } catch {
    throw new Error(`deno task assets --check --json printed no JSON (exit ${code}):\n${log}`);
  }
  return { code, report, log };
})();
// An unhandled rejection before the first test awaits it would end the run without a test name.
run.catch(() => {});

Deno.test("the committed assets (cascades, ONNX models, PROVENANCE.md) equal a fresh build from the pinned npm packages", async () => {
  const { code, report, log } = await run;
  assert.deepEqual(report.differing, []);
  assert.equal(report.ok, true, log);
  assert.equal(code, 0, log);
});

const variants = [
  ["face_landmark_68", "committed"],
  ["face_landmark_68", "uint8"],
  ["face_landmark_68_tiny", "committed"],
  ["face_recognition", "committed"],
  ["face_recognition", "float32"],
] as const;

Deno.test("assets --check runs exactly the model variants checked here", async () => {
  const { report } = await run;
  assert.deepEqual(report.models.map((m) => [m.model, m.variant]), variants);
});

for (const [model, variant] of variants) {
  Deno.test(`the ${model} ONNX model (${variant} weights) matches face-api's own tfjs forward pass within 1e-4`, async () => {
    const m = (await run).report.models.find((m) => m.model === model && m.variant === variant);
    assert.ok(m, `${model} (${variant}) not checked`);
    console.log(`${model} (${variant}): max abs diff ${m.maxAbsDiff.toExponential(2)}`);
    // Number.isFinite: NaN and ±Infinity reach JSON as null.
    assert.ok(Number.isFinite(m.maxAbsDiff) && m.maxAbsDiff <= 1e-4, `max abs diff ${m.maxAbsDiff}`);
    // Real outputs, not a constant: each input's output varies, and the face's differs from noise's and flat gray's.
    assert.ok(Number.isFinite(m.spread) && m.spread > 0.1, `spread ${m.spread}`);
    assert.ok(Number.isFinite(m.apart) && m.apart > 0.05, `apart ${m.apart}`);
  });
}
