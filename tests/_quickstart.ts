/**
 * Running the README's quick start: its shell block read from README.md, run by bash in a
 * folder outside the project with only the project's path filled in (INIT_CWD cleared, as in
 * a fresh shell). Shared by tests/quickstart_test.ts and tests/datasets_quickstart_test.ts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadModel } from "../lib/model/model_folder.ts";
import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

export const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
export const PLACEHOLDER = "/path/to/face2vec";

/** The quick start's lines: every `F2V=…` definition, and the commands that follow them. */
export async function quickStart(): Promise<{ definitions: string[]; commands: string[] }> {
  const readme = await Deno.readTextFile(`${ROOT}/README.md`);
  const block = readme.split("<!-- quickstart:start -->")[1]?.split("<!-- quickstart:end -->")[0];
  const code = block?.split("```sh\n")[1]?.split("```")[0];
  assert.ok(code, "README.md has no quick start block between its quickstart markers");
  const lines = code.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
  return {
    definitions: lines.filter((l) => l.startsWith("F2V=")),
    commands: lines.filter((l) => l.startsWith("$F2V ")),
  };
}

/** Runs a bash script in `cwd` with INIT_CWD cleared; returns exit code and output. */
export async function bash(script: string, cwd: string): Promise<{ code: number; out: string }> {
  const env = Deno.env.toObject();
  delete env.INIT_CWD;
  env.NO_COLOR = "1";
  env.PATH = `${fileURLToPath(new URL(".", `file://${Deno.execPath()}`))}:${env.PATH ?? ""}`;
  const r = await new Deno.Command("bash", {
    args: ["-c", script],
    cwd,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder();
  return { code: r.code, out: text.decode(r.stdout) + text.decode(r.stderr) };
}

/** A folder with someone new in it (`carol/`): a face of the npm sample photos, cropped with context. */
export async function writeNewPerson(dir: string): Promise<void> {
  const image = await readImage(samplePhotos()[3]!);
  const truth = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`)).faces["sample4.jpg"][0];
  const b = truth as { x: number; y: number; width: number; height: number };
  const crop = cropImage(image, { x: b.x - b.width, y: b.y - b.height, width: 3 * b.width, height: 3 * b.height });
  await Deno.mkdir(`${dir}/carol`, { recursive: true });
  await Deno.writeFile(`${dir}/carol/1.jpg`, await encodeImage(crop, "jpeg"));
}

/** Runs the quick start with one definition of F2V in `dir`; asserts each step's exit code and output. */
export async function runQuickStart(dir: string, definition: string): Promise<void> {
  const { commands } = await quickStart();
  const f2v = definition.replaceAll(PLACEHOLDER, ROOT);
  for (const command of commands) {
    const r = await bash(`${f2v}\n${command}`, dir);
    assert.equal(r.code, 0, `${command}:\n${r.out}`);
  }
  // What they wrote landed where the user stands, not in the project.
  assert.ok((await Deno.stat(`${dir}/model/model.json`)).isFile, "model/model.json");
  const caches = [...Deno.readDirSync(`${dir}/.face2vec`)].map((e) => e.name).filter((n) => !n.startsWith("."));
  assert.equal(caches.length, 1, caches.join());
  assert.match(caches[0]!, /^photos-[0-9a-f]{8}\.embedding\.cache$/);
  const gallery = (await loadModel(`${dir}/model`)).gallery;
  assert.ok(gallery.labels.includes("carol"), "carol was enrolled");
}
