/**
 * A small labelled dataset for tests, made from the hand-boxed faces of the npm sample
 * photos (cropped with context): people/<name>/<n>.jpg, 2 photos each for 3 people, plus a
 * text file posing as a photo (an error) and a flat gray PGM (no face).
 *
 * @module
 */

import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

/** Writes the dataset into a new temporary folder and returns the folder. */
export async function makeDataset(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_ds_" });
  const truth = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sample_faces.json", import.meta.url))).faces;
  const people = [
    ["ann", "sample1.jpg", 0],
    ["ann", "sample3.jpg", 1],
    ["bea", "sample2.jpg", 1],
    ["bea", "sample6.jpg", 0],
    ["cat", "sample5.jpg", 2],
    ["cat", "sample3.jpg", 2],
  ] as const;
  let n = 0;
  for (const [name, file, face] of people) {
    const image = await readImage(samplePhotos().find((p) => p.endsWith(file))!);
    const b = truth[file][face];
    const crop = cropImage(image, { x: b.x - b.width, y: b.y - b.height, width: 3 * b.width, height: 3 * b.height });
    await Deno.mkdir(`${dir}/people/${name}`, { recursive: true });
    await Deno.writeFile(`${dir}/people/${name}/${++n}.jpg`, await encodeImage(crop, "jpeg"));
  }
  await Deno.writeTextFile(`${dir}/people/cat/notes.jpg`, "not a photo");
  await Deno.writeFile(
    `${dir}/people/bea/flat.pgm`,
    new Uint8Array([...new TextEncoder().encode("P5 64 64 255\n"), ...new Uint8Array(4096).fill(99)]),
  );
  return dir;
}
