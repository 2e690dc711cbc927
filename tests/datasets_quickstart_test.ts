/**
 * The README quick start's shown outputs are a real run's: the original Face2Vec's training
 * photos as `photos/`, its test photo `kanye.jpg` as `new.jpg`, and a sample face as `carol/`.
 *
 * @module
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { datasetsDir, datasetTest } from "../lib/eval/datasets.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { bash, PLACEHOLDER, quickStart, runQuickStart, writeNewPerson } from "./_quickstart.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");

datasetTest(
  "the README quick start's shown predict and enrol outputs are what a run on the original's photos prints",
  async () => {
    const readme = await Deno.readTextFile(`${ROOT}/README.md`);
    const block = readme.split("<!-- quickstart:start -->")[1]!.split("<!-- quickstart:end -->")[0]!;
    const shown = (command: string) => new RegExp(`^\\$F2V ${command}.*# (.*)$`, "m").exec(block)?.[1];
    const dir = await Deno.makeTempDir({ prefix: "face2vec_qs_" });
    try {
      const source = `${datasetsDir()}/face2vec`;
      await Deno.mkdir(`${dir}/photos`);
      for (const e of Deno.readDirSync(`${source}/train`)) {
        await Deno.copyFile(
          `${source}/train/${e.name}`,
          `${dir}/photos/${e.name}`,
        );
      }
      await Deno.copyFile(`${source}/test/kanye.jpg`, `${dir}/new.jpg`);
      const image = await readImage(samplePhotos()[3]!);
      const b = JSON.parse(await Deno.readTextFile(`${ROOT}/fixtures/sample_faces.json`)).faces["sample4.jpg"][0];
      await Deno.mkdir(`${dir}/carol`);
      await Deno.writeFile(
        `${dir}/carol/1.jpg`,
        await encodeImage(
          cropImage(image, { x: b.x - b.width, y: b.y - b.height, width: 3 * b.width, height: 3 * b.height }),
          "jpeg",
        ),
      );
      const run = async (...args: string[]) => {
        const r = await new Deno.Command(Deno.execPath(), {
          args: ["run", "--allow-all", `${ROOT}/cli.ts`, ...args],
          cwd: dir,
          // Under `deno task`, INIT_CWD (the task's folder, where the CLI reads relative paths from) is inherited.
          env: { NO_COLOR: "1", INIT_CWD: dir },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const text = new TextDecoder();
        assert.equal(r.code, 0, text.decode(r.stderr));
        return (text.decode(r.stdout) + text.decode(r.stderr)).trim().split("\n");
      };
      await run("preprocess", "photos/");
      await run("train");
      assert.deepEqual(await run("predict", "new.jpg"), [shown("predict")]);
      assert.equal((await run("enrol", "carol", "carol/")).at(-1), shown("enrol"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
);

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
