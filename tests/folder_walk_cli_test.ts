/**
 * A new user's folders: Yale-style GIFs named `subject01.normal` are found by their first bytes;
 * a folder whose names give one label gets a warning and `train` refuses it; an empty folder's
 * `preprocess` is refused and writes no cache.
 *
 * @module
 */
import assert from "node:assert/strict";
import { GifWriter } from "npm:omggif@1.0.10";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";
import { listImages } from "../lib/image/list_images.ts";
import { readImage } from "../lib/image/read_image.ts";

/** A grayscale GIF of a photo, as the Yale faces are stored. */
async function grayGif(photo: string): Promise<Uint8Array> {
  const image = await readImage(photo);
  const { width, height, channels, data } = image;
  const pixels = new Array<number>(width * height);
  for (let i = 0; i < width * height; i++) {
    const [r, g, b] = channels === 1
      ? [data[i]!, data[i]!, data[i]!]
      : [data[i * 3]!, data[i * 3 + 1]!, data[i * 3 + 2]!];
    pixels[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
  }
  const palette = Array.from({ length: 256 }, (_, v) => (v << 16) | (v << 8) | v);
  const buf = new Uint8Array(width * height * 2 + 4096);
  const writer = new GifWriter(buf, width, height, { palette });
  writer.addFrame(0, 0, width, height, pixels);
  return buf.slice(0, writer.end());
}

Deno.test("a folder of GIFs named subject01.normal (the Yale faces) is found by their first bytes; text files are not", async () => {
  const ds = await makeDataset();
  try {
    const yale = `${ds}/yale`;
    await Deno.mkdir(yale);
    const gif = await grayGif(`${ds}/people/ann/1.jpg`);
    for (const name of ["subject01.normal", "subject01.glasses", "subject01.centerlight"]) {
      await Deno.writeFile(`${yale}/${name}`, gif);
    }
    await Deno.writeTextFile(`${yale}/Readme`, "Yale faces, 15 subjects\n");
    await Deno.writeTextFile(`${yale}/notes.subject`, "not an image\n");
    // A known non-image extension is skipped unread, whatever it holds.
    await Deno.writeFile(`${yale}/data.json`, gif);
    const found = (await listImages([yale])).map((p) => p.relative);
    assert.deepEqual(found, ["subject01.centerlight", "subject01.glasses", "subject01.normal"]);

    const d = await runCli(["detect", yale, "--json", "--no-landmarks"]);
    assert.equal(d.code, 0, d.stderr.join("\n"));
    const lines = d.stdout.map((l) => JSON.parse(l));
    assert.equal(lines.length, 3);
    for (const l of lines) assert.equal(l.faces.length, 1, l.path);

    // One label by file name ("subject"): preprocess warns, saying why and how to name photos.
    const cache = `${ds}/yale.cache`;
    const p = await runCli(["preprocess", yale, "--cache", cache, "--workers", "1"]);
    assert.equal(p.code, 0, p.stderr.join("\n"));
    const warning = p.stderr.at(-1)!;
    assert.match(warning, /^warning: .*yale: all 3 photos are of one person, "subject" \(labels by filename: /);
    assert.match(warning, /name photos by person, a folder each \(kanye\/1\.jpg, zach\/1\.jpg\)/);
    // train refuses one person (it would name every face as them, at "100%").
    const t = await runCli(["train", "--cache", cache, "--model", `${ds}/model`, "--folds", "2", "--epochs", "2"]);
    assert.equal(t.code, 2);
    assert.match(t.stderr.at(-1)!, /yale\.cache: all 3 photos are of one person, "subject" .*; nothing trained$/);
    assert.equal(await Deno.stat(`${ds}/model`).then(() => true, () => false), false);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a flat folder of camera-named photos (IMG_0001.jpg …) gets the one-person warning; two people get none", async () => {
  const ds = await makeDataset();
  try {
    const flat = `${ds}/camera`;
    await Deno.mkdir(flat);
    await Deno.copyFile(`${ds}/people/ann/1.jpg`, `${flat}/IMG_0001.jpg`);
    await Deno.copyFile(`${ds}/people/bea/3.jpg`, `${flat}/IMG_0002.JPG`);
    const p = await runCli(["preprocess", flat, "--cache", `${ds}/flat.cache`, "--workers", "1"]);
    assert.equal(p.code, 0, p.stderr.join("\n"));
    assert.match(
      p.stderr.at(-1)!,
      /all 2 photos are of one person, "img" \(labels by filename: .*IMG_0001\.jpg is "img"\)/,
    );
    const two = await runCli(["preprocess", `${ds}/people`, "--cache", `${ds}/two.cache`, "--workers", "1"]);
    assert.ok(two.stderr.every((l) => !l.startsWith("warning:")), two.stderr.join("\n"));
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("preprocess refuses an empty folder (exit 2) and writes no cache, so a bare train is not blocked", async () => {
  const dir = await Deno.makeTempDir();
  const cwd = Deno.cwd();
  Deno.chdir(dir);
  try {
    await Deno.mkdir("empty");
    await Deno.writeTextFile("empty/notes.txt", "no photos here\n");
    const r = await runCli(["preprocess", "empty"]);
    assert.equal(r.code, 2);
    assert.equal(r.stderr.length, 1, r.stderr.join("\n"));
    assert.match(r.stderr[0]!, /^empty: no photos in this folder \(nothing cached\)/);
    assert.equal(await Deno.stat(".face2vec").then(() => true, () => false), false);
    const t = await runCli(["train"]);
    assert.equal(t.code, 2);
    assert.match(t.stderr[0]!, /^no cache under \.\/\.face2vec\/: run `deno task preprocess <folder>` first/);
  } finally {
    Deno.chdir(cwd);
    await Deno.remove(dir, { recursive: true });
  }
});
