/**
 * The README's quick start, run as written: its shell block is read from README.md and run
 * by bash in a new folder outside the project, once with each way of starting Face2Vec that
 * it shows (`deno task --config …` and `deno run …/cli.ts`). Only the project's path is
 * filled in. INIT_CWD is cleared, as in a fresh shell. (With the original's photos:
 * tests/datasets_quickstart_test.ts.)
 *
 * @module
 */

import assert from "node:assert/strict";
import { makeDataset } from "./_photos.ts";
import { bash, PLACEHOLDER, quickStart, ROOT, runQuickStart, writeNewPerson } from "./_quickstart.ts";

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
    // The command it prints works (the photo is missing: exit 1, one line naming it, said before
    // any model is looked for: there is none in this folder either).
    const again = await bash(hint, dir);
    assert.equal(again.code, 1, again.out);
    assert.equal(again.out.trim(), "photo.jpg: file not found");
    await Deno.writeFile(`${dir}/photo.jpg`, await Deno.readFile(`${ROOT}/fixtures/sample_faces.json`));
    const noModel = await bash(hint, dir);
    assert.equal(noModel.code, 2, noModel.out); // no model in this folder yet
    assert.match(noModel.out, /model\/model\.json: no model here/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
