import assert from "node:assert/strict";
import { findHumanModels } from "../scripts/_blazeface.ts";

/** Whether the detector's 144 MB source package is installed (its rebuild is checked only then), and why not. */
const detectorSource = findHumanModels();
if (detectorSource.reason) console.log(`the BlazeFace model's rebuild is not checked here: ${detectorSource.reason}`);

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
    registry: { unlisted: string[]; unbuilt: string[] };
    skipped: { path: string; reason: string }[];
    models: { model: string; variant: string; maxAbsDiff: number; maxRelDiff: number; spread: number; apart: number }[];
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
  // The build makes exactly the files the pipeline parts' registry entries list.
  assert.deepEqual(report.registry, { unlisted: [], unbuilt: [] });
  assert.equal(report.ok, true, log);
  assert.equal(code, 0, log);
});

const variants = [
  ["face_landmark_68", "committed"],
  ["face_landmark_68", "uint8"],
  ["face_landmark_68_tiny", "committed"],
  ["face_recognition", "committed"],
  ["face_recognition", "float32"],
  ["blazeface_back", "committed"],
  ["mobilefacenet", "committed"],
  ["mobilefacenet", "unfused"],
] as const;

Deno.test("assets --check runs exactly the model variants checked here (the detector where its 144 MB source package is installed)", async () => {
  const { report } = await run;
  const detector = report.skipped.length === 0;
  // The check skips the detector exactly when this test file found its source package absent.
  assert.equal(detector, detectorSource.reason === undefined, JSON.stringify(report.skipped));
  assert.deepEqual(
    report.models.map((m) => [m.model, m.variant]),
    variants.filter(([m]) => detector || m !== "blazeface_back"),
  );
});

Deno.test("the committed detector is the file its PROVENANCE.md names (sha256), also where its source is absent", async () => {
  const dir = new URL("../lib/detect/models/", import.meta.url);
  const text = await Deno.readTextFile(new URL("PROVENANCE.md", dir));
  const row = text.match(/\| `blazeface_back\.onnx` \| (\d+) \| `([0-9a-f]{64})` \|/);
  assert.ok(row, "no row for blazeface_back.onnx");
  const bytes = await Deno.readFile(new URL("blazeface_back.onnx", dir));
  assert.equal(bytes.length, Number(row[1]));
  const sha = Array.from(
    new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  );
  assert.equal(sha.join(""), row[2]);
});

for (const [model, variant] of variants) {
  Deno.test({
    name:
      `the ${model} ONNX model (${variant}) matches its source's own forward pass (tfjs, or TFLite's ops interpreted) within 1e-4`,
    // Without its source package there is nothing to compare the detector with (the reason is printed above).
    ignore: model === "blazeface_back" && detectorSource.reason !== undefined,
  }, async () => {
    const { report } = await run;
    const m = report.models.find((m) => m.model === model && m.variant === variant);
    assert.ok(m, `${model} (${variant}) not checked`);
    console.log(
      `${model} (${variant}): max abs diff ${m.maxAbsDiff.toExponential(2)}, scaled ${m.maxRelDiff.toExponential(2)}`,
    );
    // Number.isFinite: NaN and ±Infinity reach JSON as null.
    assert.ok(Number.isFinite(m.maxRelDiff) && m.maxRelDiff <= 1e-4, `max diff ${m.maxRelDiff}`);
    // Real outputs, not a constant: each input's output varies, and the face's differs from noise's and flat gray's.
    assert.ok(Number.isFinite(m.spread) && m.spread > 0.1, `spread ${m.spread}`);
    assert.ok(Number.isFinite(m.apart) && m.apart > 0.05, `apart ${m.apart}`);
  });
}
