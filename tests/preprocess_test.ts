import assert from "node:assert/strict";
import { preprocessFolder } from "../lib/dataset/preprocess.ts";
import { readCache } from "../lib/dataset/cache.ts";
import { makeDataset } from "./_photos.ts";
import { runCli } from "./_cli.ts";

Deno.test("preprocess: first run processes all, second none; a changed photo is redone, a deleted one dropped", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/c/people.geometry.cache`;
  try {
    const first = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(first.processed, 8);
    assert.equal(first.cached, 0);
    assert.equal(first.labelRule, "folder");
    assert.deepEqual(first.labels, { ann: 2, bea: 2, cat: 2 });
    assert.equal(first.noFace, 1);
    assert.deepEqual(first.errors, [{ path: "cat/notes.jpg", reason: "not an image (unknown format)" }]);
    const c1 = await readCache(cache);
    const ok = [...c1!.records.values()].filter((r) => r.status === "ok");
    assert.equal(ok.length, 6);
    for (const r of ok) {
      assert.equal(r.features!.length, 204);
      assert.equal(r.landmarks!.length, 68);
      assert.equal(r.features![30], 0); // distance of the nose tip to itself
    }

    const second = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(second.processed, 0);
    assert.equal(second.cached, 8);

    // Change one photo's bytes (data after the JPEG's end is ignored by decoders).
    await Deno.writeFile(`${dir}/people/ann/1.jpg`, new Uint8Array([0, 1, 2]), { append: true });
    await Deno.remove(`${dir}/people/bea/3.jpg`);
    const third = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(third.processed, 1);
    assert.equal(third.cached, 6);
    assert.deepEqual(third.removed, ["bea/3.jpg"]);
    assert.deepEqual(third.labels, { ann: 2, bea: 1, cat: 2 });
    const c3 = await readCache(cache);
    assert.notEqual(c3!.records.get("ann/1.jpg")!.hash, c1!.records.get("ann/1.jpg")!.hash);
    assert.deepEqual(c3!.records.get("ann/1.jpg")!.features, c1!.records.get("ann/1.jpg")!.features);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess: 2 workers write the same cache, byte for byte, as 1", async () => {
  const dir = await makeDataset();
  try {
    await preprocessFolder(`${dir}/people`, { cache: `${dir}/one.cache`, features: "geometry", workers: 1 });
    await preprocessFolder(`${dir}/people`, { cache: `${dir}/two.cache`, features: "geometry", workers: 2 });
    assert.equal(await Deno.readTextFile(`${dir}/two.cache`), await Deno.readTextFile(`${dir}/one.cache`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess: a run killed after 3 records resumes without losing them", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/crash.cache`;
  try {
    const child = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("./_crash_child.ts", import.meta.url).href, `${dir}/people`, cache, "3"],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(child.signal, "SIGKILL", new TextDecoder().decode(child.stderr));
    const saved = await readCache(cache);
    assert.equal(saved!.records.size, 3);
    const resumed = await preprocessFolder(`${dir}/people`, { cache, features: "geometry", workers: 1 });
    assert.equal(resumed.cached, 3);
    assert.equal(resumed.processed, 5);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess CLI: a corrupt cache and a changed setting are refused with exit 2 and a clear message", async () => {
  const dir = await makeDataset();
  const cache = `${dir}/x.cache`;
  try {
    const ok = await runCli(["preprocess", `${dir}/people`, "--cache", cache, "--workers", "1"]);
    assert.equal(ok.code, 1); // notes.jpg is not a photo
    assert.ok(ok.stderr.includes(`${dir}/people/cat/notes.jpg: not an image (unknown format)`), ok.stderr.join("\n"));
    assert.match(
      ok.stderr.at(-2)!,
      /^8 processed, 0 cached, 1 no face, 1 errors; labels by folder: ann 2, bea 2, cat 2$/,
    );

    const changed = await runCli(["preprocess", `${dir}/people`, "--cache", cache, "--labels", "filename"]);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr.join("\n"), /made with another configuration \(labels: "folder" → "filename"\)/);

    const lines = (await Deno.readTextFile(cache)).split("\n");
    lines[2] = lines[2]!.replace(/"label":"\w+"/, '"label":"zzz"');
    await Deno.writeTextFile(cache, lines.join("\n"));
    const corrupt = await runCli(["preprocess", `${dir}/people`, "--cache", cache]);
    assert.equal(corrupt.code, 2);
    assert.match(corrupt.stderr.join("\n"), /x\.cache: corrupt cache \(line 3 fails its checksum\)/);

    const missing = await runCli(["preprocess", `${dir}/nowhere`]);
    assert.equal(missing.code, 2);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("preprocess --draw writes annotated copies of the processed photos, mirroring their paths", async () => {
  const dir = await makeDataset();
  try {
    const r = await runCli([
      "preprocess",
      `${dir}/people`,
      "--cache",
      `${dir}/d.cache`,
      "--workers",
      "1",
      "--draw",
      `${dir}/drawn`,
    ]);
    assert.equal(r.code, 1); // notes.jpg
    const { decodeImage } = await import("../lib/image/decode_image.ts");
    const src = await decodeImage(await Deno.readFile(`${dir}/people/ann/1.jpg`));
    const drawn = await decodeImage(await Deno.readFile(`${dir}/drawn/ann/1.jpg`));
    assert.deepEqual([drawn.width, drawn.height], [src.width, src.height]);
    // Only photos with a face are drawn: the flat PGM and the text file are not.
    const names = [...Deno.readDirSync(`${dir}/drawn/bea`)].map((e) => e.name).sort();
    assert.deepEqual(names, ["3.jpg", "4.jpg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
