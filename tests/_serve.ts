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
import { neededFlags } from "../lib/cli/_permissions.ts";

/** A `serve` child process and its base URL. */
export interface Served {
  readonly base: string;
  readonly child: Deno.ChildProcess;
  readonly log: string[];
}

/**
 * Starts `cli.ts serve --gallery URL --port 0 --workers 1 --queue 16 …more` and waits until it listens.
 *
 * @param url The gallery (`postgres://…`).
 * @param more More options (a later option overrides an earlier one).
 * @returns The process, its base URL and the stderr lines read so far (more are drained, not kept).
 */
export async function serve(url: string, ...more: readonly string[]): Promise<Served> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      ...neededFlags("serve", true),
      cli,
      "serve",
      "--gallery",
      url,
      "--port",
      "0",
      "--workers",
      "1",
      "--queue",
      "16",
      ...more,
    ],
    stdout: "null",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  const log: string[] = [];
  const lines = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  while (true) {
    const { value, done } = await lines.read();
    if (done) throw new Error(`serve exited before listening:\n${log.join("\n")}${buffered}`);
    buffered += value;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    log.push(...parts);
    const listening = parts.map((l) => l.match(/ on (http:\/\/127\.0\.0\.1:\d+)\/v1\/(?: |$)/)).find(Boolean);
    if (listening) {
      // Keep draining its stderr so that it never blocks.
      (async () => {
        while (!(await lines.read()).done);
      })();
      return { base: listening[1]!, child, log };
    }
  }
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
