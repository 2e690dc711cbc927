import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { jpegOf, pnmOf, quadrants, withOrientation } from "../lib/image/_test_util.ts";
import { decodeImage } from "../lib/image/decode_image.ts";

const [sample1, sample2] = samplePhotos();

async function tempTree(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_cli_" });
  for (const person of ["kanye", "zach"]) {
    await Deno.mkdir(`${dir}/people/${person}`, { recursive: true });
    await Deno.copyFile(person === "kanye" ? sample1! : sample2!, `${dir}/people/${person}/3.JPG`);
  }
  await Deno.writeTextFile(`${dir}/people/zach/broken.jpg`, "not a photo");
  await Deno.writeFile(`${dir}/people/zach/4.pgm`, pnmOf(quadrants(32, 24)));
  return dir;
}

Deno.test("detect --json prints one JSON line per image in sorted order, errors as {path, error}, exit 1", async () => {
  const dir = await tempTree();
  try {
    const r = await runCli(["detect", `${dir}/people`, "--json"]);
    assert.equal(r.code, 1);
    const lines = r.stdout.map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.path.slice(dir.length + 1)), [
      "people/kanye/3.JPG",
      "people/zach/3.JPG",
      "people/zach/4.pgm",
      "people/zach/broken.jpg",
    ]);
    const first = lines[0];
    assert.deepEqual(Object.keys(first), ["path", "width", "height", "faces", "ms"]);
    assert.equal(first.width, 1920);
    assert.equal(first.height, 1280);
    assert.ok(first.faces.length >= 1);
    // BlazeFace (the default) gives each face its score and 6 keypoints.
    assert.deepEqual(Object.keys(first.faces[0]), ["box", "source", "score", "keypoints", "landmarks"]);
    assert.deepEqual(Object.keys(first.faces[0].box), ["x", "y", "width", "height"]);
    assert.equal(first.faces[0].source, "blazeface");
    assert.ok(first.faces[0].score > 0.5 && first.faces[0].score <= 1, String(first.faces[0].score));
    assert.equal(first.faces[0].keypoints.length, 6);
    assert.ok(first.faces[0].keypoints.every((p: number[]) => p.length === 2));
    assert.equal(first.faces[0].landmarks.length, 68);
    assert.ok(first.faces[0].landmarks.every((p: number[]) => p.length === 2));
    assert.deepEqual(Object.keys(first.ms), ["decode", "detect", "landmarks", "total"]);
    assert.equal(lines[2].faces.length, 0);
    assert.deepEqual(lines[3], { path: `${dir}/people/zach/broken.jpg`, error: "not an image (unknown format)" });
    assert.deepEqual(r.stderr, [`${dir}/people/zach/broken.jpg: not an image (unknown format)`]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detect --no-landmarks leaves out the landmarks and their time", async () => {
  const r = await runCli(["detect", sample1!, "--json", "--no-landmarks"]);
  assert.equal(r.code, 0);
  const line = JSON.parse(r.stdout[0]!);
  assert.deepEqual(Object.keys(line.faces[0]), ["box", "source", "score", "keypoints"]);
  assert.deepEqual(Object.keys(line.ms), ["decode", "detect", "total"]);
});

Deno.test("detect --detector haar finds faces with the cascade: every source haar, no score or keypoints", async () => {
  const r = await runCli(["detect", sample1!, "--json", "--no-landmarks", "--detector", "haar"]);
  assert.equal(r.code, 0, r.stderr.join("\n"));
  const faces = JSON.parse(r.stdout[0]!).faces;
  assert.ok(faces.length >= 1);
  for (const f of faces) {
    assert.deepEqual(Object.keys(f), ["box", "source"]);
    assert.equal(f.source, "haar");
  }
  const summary = await runCli(["detect", sample1!, "--detector", "haar"]);
  assert.equal(summary.code, 0);
  assert.match(summary.stderr[0]!, /sample1\.jpg: \d+ faces? \(haar(, haar)*\) in \d+ ms$/);
});

Deno.test("detect finds the 3 faces of sample1 and puts every landmark of each near its box (full and tiny networks)", async () => {
  for (const model of ["full", "tiny"]) {
    const r = await runCli(["detect", sample1!, "--json", "--landmark-model", model]);
    assert.equal(r.code, 0, `${model}: exit ${r.code} (${r.stderr.join("; ")})`);
    const faces = JSON.parse(r.stdout[0]!).faces;
    // Measured with BlazeFace (the default): 3 faces with either network (the detector does not depend
    // on it), all 3 hand-boxed faces of sample1 (Haar finds 2).
    assert.equal(faces.length, 3, `${model}: ${faces.length} faces`);
    for (const face of faces) {
      const b = face.box;
      assert.equal(face.landmarks.length, 68, `${model}: ${face.landmarks.length} landmarks`);
      for (const [x, y] of face.landmarks) {
        assert.ok(
          x > b.x - 0.3 * b.width && x < b.x + 1.3 * b.width,
          `${model}: x ${x} far from box ${JSON.stringify(b)}`,
        );
        assert.ok(
          y > b.y - 0.3 * b.height && y < b.y + 1.5 * b.height,
          `${model}: y ${y} far from box ${JSON.stringify(b)}`,
        );
      }
    }
  }
});

Deno.test("detect exits 0 when every image was read, and prints a summary without --json", async () => {
  const r = await runCli(["detect", sample1!]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.length, 0);
  assert.match(r.stderr[0]!, /sample1\.jpg: \d+ faces? \(blazeface(, blazeface)*\) in \d+ ms$/);
  assert.match(r.stderr.at(-1)!, /^1 image, \d+ faces?, 0 failed$/);
});

Deno.test("detect --json-out writes the JSON lines to a file atomically, nothing on stdout", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const r = await runCli(["detect", sample1!, "--json-out", `${dir}/out/faces.jsonl`]);
    assert.equal(r.code, 0);
    const text = await Deno.readTextFile(`${dir}/out/faces.jsonl`);
    assert.equal(text.trim().split("\n").length, 1);
    assert.equal(JSON.parse(text).width, 1920);
    assert.deepEqual([...Deno.readDirSync(`${dir}/out`)].map((e) => e.name), ["faces.jsonl"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detect --draw mirrors input paths so same-named photos do not overwrite each other", async () => {
  const dir = await tempTree();
  try {
    const r = await runCli(["detect", `${dir}/people`, "--draw", `${dir}/drawn`]);
    assert.equal(r.code, 1);
    const a = await decodeImage(await Deno.readFile(`${dir}/drawn/kanye/3.JPG`));
    const b = await decodeImage(await Deno.readFile(`${dir}/drawn/zach/3.JPG`));
    assert.equal(a.width, 1920);
    assert.equal(b.height, 1367);
    // PGM inputs are drawn in colour, so the copy is a PPM.
    const c = await decodeImage(await Deno.readFile(`${dir}/drawn/zach/4.ppm`));
    assert.equal(c.channels, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detect reports coordinates in the EXIF-oriented image", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/rot.jpg`, withOrientation(await jpegOf(quadrants(40, 30)), 6));
    const r = await runCli(["detect", `${dir}/rot.jpg`, "--json", "--fallback", "--pad", "0", "--no-landmarks"]);
    const line = JSON.parse(r.stdout[0]!);
    assert.equal(line.width, 30);
    assert.equal(line.height, 40);
    assert.deepEqual(line.faces, [{ box: { x: 0, y: 0, width: 30, height: 40 }, source: "fallback" }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("detect exits 2 on bad arguments, with the reason on stderr", async () => {
  for (
    const args of [
      ["detect"],
      ["detect", "x.jpg", "--scale-factor", "0.5"],
      ["detect", "x.jpg", "--min-neighbors", "two"],
      ["detect", "x.jpg", "--cascade", "eyes"],
      ["detect", "x.jpg", "--detector", "sift"],
      ["detect", "x.jpg", "--bogus"],
      ["frobnicate"],
      [],
    ]
  ) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(" ")} → ${r.code}`);
    assert.ok(r.stderr.join("\n").length > 0, `${args.join(" ")}: no message`);
  }
});

Deno.test("detect names a missing input, goes on with the rest, and exits 1", async () => {
  const r = await runCli(["detect", "no/such/folder", sample1!, "--json"]);
  assert.equal(r.code, 1);
  assert.deepEqual(r.stderr, ["no/such/folder: file not found"]);
  assert.equal(r.stdout.length, 1);
});

Deno.test("--help lists detect and its options, exit 0", async () => {
  const r = await runCli(["detect", "--help"]);
  assert.equal(r.code, 0);
  const help = r.stdout.join("\n");
  for (
    const flag of [
      "--json",
      "--json-out <file>",
      "--draw <dir>",
      "--detector <name>",
      "--min-score <p>",
      "--cascade <name>",
      "--pad <fraction>",
      "--fallback",
    ]
  ) {
    assert.ok(help.includes(flag), `help lacks ${flag}`);
  }
});
