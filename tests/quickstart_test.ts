/**
 * The README's quick start, run as written: its shell block is read from README.md and run
 * by bash in a new folder outside the project, once with each way of starting Face2Vec that
 * it shows (`deno task --config …` and `deno run …/cli.ts`). Only the project's path is
 * filled in. INIT_CWD is cleared, as in a fresh shell.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadModel } from "../lib/classify/model.ts";
import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { makeDataset } from "./_photos.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const PLACEHOLDER = "/path/to/face2vec";

/** The quick start's lines: every `F2V=…` definition, and the commands that follow them. */
async function quickStart(): Promise<{ definitions: string[]; commands: string[] }> {
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
async function bash(script: string, cwd: string): Promise<{ code: number; out: string }> {
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
async function writeNewPerson(dir: string): Promise<void> {
  const image = await readImage(samplePhotos()[3]!);
  const truth = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`)).faces["sample4.jpg"][0];
  const b = truth as { x: number; y: number; width: number; height: number };
  const crop = cropImage(image, { x: b.x - b.width, y: b.y - b.height, width: 3 * b.width, height: 3 * b.height });
  await Deno.mkdir(`${dir}/carol`, { recursive: true });
  await Deno.writeFile(`${dir}/carol/1.jpg`, await encodeImage(crop, "jpeg"));
}

/** Runs the quick start with one definition of F2V in `dir`; asserts each step's exit code and output. */
async function runQuickStart(dir: string, definition: string): Promise<void> {
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

Deno.test("the README's quick start runs as written from a folder outside the project, in both forms", async () => {
  const { definitions, commands } = await quickStart();
  assert.equal(definitions.length, 2, "the deno task --config form and the deno run form");
  assert.ok(definitions.some((d) => d.includes(`task --config ${PLACEHOLDER}/deno.json`)), definitions.join("\n"));
  assert.ok(definitions.some((d) => / run --allow-read /.test(d) && d.includes(`${PLACEHOLDER}/cli.ts`)));
  assert.deepEqual(commands.map((c) => c.split(" ")[1]), ["preprocess", "train", "predict", "enrol"]);
  for (const definition of definitions) {
    const ds = await makeDataset();
    const dir = await Deno.makeTempDir({ prefix: "face2vec_qs_" });
    try {
      // A clean photo folder (the test dataset's text file and flat image are there to fail).
      await Deno.remove(`${ds}/people/cat/notes.jpg`);
      await Deno.remove(`${ds}/people/bea/flat.pgm`);
      await Deno.rename(`${ds}/people`, `${dir}/photos`);
      await Deno.copyFile(`${dir}/photos/ann/1.jpg`, `${dir}/new.jpg`);
      await writeNewPerson(dir);
      await runQuickStart(dir, definition);
    } finally {
      await Deno.remove(dir, { recursive: true });
      await Deno.remove(ds, { recursive: true });
    }
  }
});

Deno.test("every task run from a subfolder reads and writes relative to that subfolder", async () => {
  const ds = await makeDataset();
  const sub = `${ds}/here`;
  await Deno.mkdir(sub);
  const task = `npx -y deno@2.9.6 task --config ${ROOT}/deno.json`;
  const photo = "../people/ann/1.jpg", other = "../people/ann/2.jpg";
  try {
    const steps: [string, number, string?][] = [
      [`${task} detect ${photo} --json-out faces.jsonl`, 0, "faces.jsonl"],
      [`${task} preprocess ../people/ --workers 1`, 1], // notes.jpg fails
      [`${task} train --epochs 5 --folds 0 --workers 1`, 0, "model/model.json"],
      [`${task} evaluate ../people/ --json`, 0],
      [`${task} predict ${photo}`, 0],
      [`${task} compare ${photo} ${other}`, 0],
      [`${task} enrol dora ${other} --model dora`, 0, "dora/model.json"],
      [`${task} demo --help`, 0],
    ];
    for (const [command, code, made] of steps) {
      const r = await bash(command, sub);
      assert.equal(r.code, code, `${command}:\n${r.out}`);
      if (made) assert.ok((await Deno.stat(`${sub}/${made}`)).isFile, `${command} wrote ${made} here`);
    }
    // Nothing was written into the project folder, and evaluate left no second training cache.
    // (Hidden files are the writers' locks.)
    const caches = [...Deno.readDirSync(`${sub}/.face2vec`)].map((e) => e.name).filter((n) => !n.startsWith("."));
    assert.equal(caches.length, 1, caches.join());
    assert.match(caches[0]!, /^people-[0-9a-f]{8}\.embedding\.cache$/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("`deno run cli.ts predict photo.jpg` without flags prints the exact command to type, exit 2", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await bash(`deno run ${ROOT}/cli.ts predict photo.jpg`, dir);
    assert.equal(r.code, 2, r.out);
    const lines = r.out.trim().split("\n");
    assert.equal(lines.length, 1, r.out);
    const hint =
      `deno run --allow-read --allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,INIT_CWD ${ROOT}/cli.ts predict photo.jpg`;
    assert.ok(lines[0]!.endsWith(`run: ${hint}`), lines[0]);
    // The command it prints works (the photo is missing: exit 1, one line naming it).
    const again = await bash(hint, dir);
    assert.equal(again.code, 2, again.out); // no model in this folder yet
    assert.match(again.out, /model\/model\.json: no model here/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

datasetTest("with the defaults alone, the quick start names at least 16 of face2vec's 19 test photos", async () => {
  const { definitions } = await quickStart();
  const dir = await Deno.makeTempDir({ prefix: "face2vec_qs_" });
  try {
    await Deno.symlink(`${datasetsDir()}/face2vec/train`, `${dir}/photos`);
    await Deno.symlink(`${datasetsDir()}/face2vec/test/kanye.jpg`, `${dir}/new.jpg`);
    await writeNewPerson(dir);
    const f2v = definitions.find((d) => d.includes("task --config"))!;
    await runQuickStart(dir, f2v);
    const r = await bash(
      `${f2v.replaceAll(PLACEHOLDER, ROOT)}\n$F2V evaluate ${datasetsDir()}/face2vec/test --json`,
      dir,
    );
    assert.equal(r.code, 0, r.out);
    const result = JSON.parse(r.out.split("\n").find((l) => l.startsWith("{"))!);
    console.log(`face2vec test photos named with the defaults: ${result.correct} of ${result.photos}`);
    assert.equal(result.photos, 19);
    assert.ok(result.correct >= 16, `${result.correct} of 19`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
