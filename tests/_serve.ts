/**
 * Test helpers for `serve` as its own process: starting it on a free port, and distinct photos
 * of the same few faces to enrol through it.
 *
 * @module
 */

import { cropImage } from "../lib/image/crop_image.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { type ServeProcess, startServe } from "../scripts/_serve_process.ts";
import type { GalleryStore } from "../lib/store/gallery_store.ts";

/** A `serve` child process and its base URL. */
export type Served = ServeProcess;

/**
 * Starts `cli.ts serve --gallery URL --port 0 --workers 1 --queue 16 …more` and waits until it listens.
 *
 * @param url The gallery (`postgres://…`).
 * @param more More options (a later option overrides an earlier one).
 * @returns The process, its base URL and its stderr lines.
 */
export function serve(url: string, ...more: readonly string[]): Promise<Served> {
  return startServe(["--gallery", url, "--workers", "1", "--queue", "16", ...more], { network: true });
}

/** `n` distinct photos of faces: crops of the npm samples' boxed faces, each with one pixel changed. */
export async function distinctFaces(n: number): Promise<Uint8Array[]> {
  const truth = JSON.parse(await Deno.readTextFile(new URL("../fixtures/sample_faces.json", import.meta.url))).faces;
  const crops: Uint8Array[] = [];
  for (const file of ["sample1.jpg", "sample2.jpg", "sample5.jpg", "sample6.jpg"]) {
    const image = await readImage(samplePhotos().find((p) => p.endsWith(file))!);
    const b = truth[file][0];
    crops.push(
      await encodeImage(
        cropImage(image, { x: b.x - b.width / 2, y: b.y - b.height / 2, width: 2 * b.width, height: 2 * b.height }),
        "pnm",
      ),
    );
  }
  return Array.from({ length: n }, (_, i) => {
    const photo = crops[i % crops.length]!.slice();
    // The last pixel's value, by a distinct amount per copy: a different photo, the same face.
    const k = Math.floor(i / crops.length) + 1;
    photo[photo.length - 1] = (photo[photo.length - 1]! + k) % 256;
    photo[photo.length - 2] = (photo[photo.length - 2]! + Math.floor(k / 256)) % 256;
    return photo;
  });
}

/**
 * A database gallery whose every call fails with `error()`: the service's answers to a
 * gallery's failures, without a database.
 *
 * @param error Makes the error each call rejects with.
 * @param location The database it claims to be.
 * @returns The backend.
 */
export function failingGallery(error: () => Error, location: string): GalleryStore {
  const fail = () => Promise.reject(error());
  return {
    kind: "postgres",
    location,
    info: fail,
    check: fail,
    enrol: fail,
    people: fail,
    remove: fail,
    match: fail,
    close: () => Promise.resolve(),
  };
}
