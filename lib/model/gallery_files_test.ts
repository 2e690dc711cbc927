import assert from "node:assert/strict";
import { galleryText, loadGallery, readSegment, saveGallery } from "./gallery_files.ts";
import { encodeSegment, SegmentError } from "../gallery/segment.ts";
import type { GalleryEntry } from "../gallery/entry.ts";

const e = (label: string, path: string, ...v: number[]): GalleryEntry => ({
  label,
  path,
  embedding: Float32Array.from(v),
});

const entries: GalleryEntry[] = [
  { label: "ada", path: "people/ada/1.jpg", embedding: Float32Array.of(0.25, -1.5, 3) },
  { label: "bob", path: "Ünïcödé/ß.png", embedding: Float32Array.of(1e-8, 0, -0), enrolled: true },
  { label: "ada", path: "", embedding: Float32Array.of(7, 8, 9) },
];

Deno.test("saveGallery() then loadGallery() gives back every entry exactly, in order, in one gallery.f2vg", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const entries = [
      e("ada", "people/ada/1.jpg", 0.1, -1e-7, 1 / 3, 12345.678),
      e("bob", "bob.jpg", -0.5, 0, 2 ** -20, -3.25),
      e("ada", "people/ada/2.jpg", 1, 2, 3, 4),
    ];
    await saveGallery(dir, entries);
    assert.deepEqual([...Deno.readDirSync(dir)].map((f) => f.name), ["gallery.f2vg"]);
    const back = await loadGallery(dir);
    assert.deepEqual(back.entries(), entries.map((x) => ({ ...x, embedding: Float32Array.from(x.embedding) })));
    // Saving again replaces the file.
    await saveGallery(dir, back.entries().slice(1));
    assert.deepEqual((await loadGallery(dir)).entries().map((x) => x.path), ["bob.jpg", "people/ada/2.jpg"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGallery() reads an earlier version's gallery.json, and none is an empty gallery", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await loadGallery(dir)).size, 0);
    const entries = [e("ada", "a.jpg", 0.5, 2), e("bob", "b.jpg", -1, 3)];
    const text = galleryText(entries);
    assert.deepEqual(JSON.parse(text).entries[1], { label: "bob", path: "b.jpg", embedding: [-1, 3] });
    await Deno.writeTextFile(`${dir}/gallery.json`, text);
    assert.deepEqual((await loadGallery(dir)).entries(), entries);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadGallery() refuses a gallery.json that is not JSON or not a Face2Vec gallery, naming the file", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/gallery.json`;
  try {
    for (
      const json of [
        { format: "face2vec-model", version: 1, entries: [] },
        { format: "face2vec-gallery", version: 2, entries: [] },
        { format: "face2vec-gallery", version: 1 },
        [1, 2, 3],
      ]
    ) {
      await Deno.writeTextFile(file, JSON.stringify(json));
      await assert.rejects(loadGallery(dir), Error, `${file}: not a Face2Vec gallery (version 1)`);
    }
    await Deno.writeTextFile(file, "{ half");
    await assert.rejects(loadGallery(dir), Error, `${file}: not JSON`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSegment reads a segment file whole, or its columns alone; a short file is refused", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/g.f2vg`, encodeSegment(entries));
    const light = await readSegment(`${dir}/g.f2vg`, 3, { embeddings: false });
    assert.equal(light.complete, false);
    assert.deepEqual([light.count, light.embeddings.length, light.path(1)], [3, 0, "Ünïcödé/ß.png"]);
    const whole = await readSegment(`${dir}/g.f2vg`, 3);
    assert.deepEqual([...whole.embeddings], entries.flatMap((e) => [...e.embedding]));
    await Deno.writeFile(`${dir}/g.f2vg`, encodeSegment(entries).subarray(0, 60));
    await assert.rejects(readSegment(`${dir}/g.f2vg`, 3, { embeddings: false }), SegmentError);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("readSegment refuses a FIFO at once, in one line", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const made = await new Deno.Command("mkfifo", { args: [`${dir}/g.f2vg`] }).output();
    assert.ok(made.success, "mkfifo");
    const t0 = performance.now();
    for (const embeddings of [true, false]) {
      await assert.rejects(
        readSegment(`${dir}/g.f2vg`, undefined, { embeddings }),
        (e: unknown) =>
          e instanceof SegmentError && e.message === `${dir}/g.f2vg: not a regular file (a FIFO, device or socket)`,
      );
    }
    assert.ok(performance.now() - t0 < 500, `refused in ${performance.now() - t0} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
