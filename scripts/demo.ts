/**
 * `deno task demo [--out DIR] [--samples] [--epochs N]`: runs Face2Vec with no photos of your own.
 *
 * 1. Detection and landmarks on the six group photos that ship inside the pinned
 *    `@vladmandic/face-api` npm package, writing annotated copies (default `./out/demo/`).
 * 2. The whole path, preprocess → train → evaluate → predict, through the CLI's `main()`:
 *    - on `../shared/datasets/face2vec` (the original project's own photos, train/ and
 *      test/) when it is on this machine;
 *    - otherwise, or with `--samples`, on the npm sample photos. They carry no identities, so
 *      each of the (up to 8) largest faces found in them becomes its own person, enrolled from
 *      augmented copies (mirrored, rotated 5–10°, brightness ×0.8–1.2) written under
 *      `DIR/augmented/train/personNN/`, and recognised in other, held-out augmentations under
 *      `DIR/augmented/test/personNN/`.
 *
 * It says plainly which data it used and the accuracy the evaluate step printed. Exit codes:
 * 0 ok, otherwise the failing step's (2 for bad arguments).
 *
 * @module
 */

import { drawingLegend } from "../lib/cli/_draw.ts";
import { main } from "../cli.ts";
import { writeFileAtomic } from "../lib/_fs.ts";
import { type CliIo, processIo } from "../lib/cli/_io.ts";
import { userDirectory } from "../lib/cli/_permissions.ts";
import { type Box, iou } from "../lib/image/box.ts";
import { createFaceDetector } from "../lib/detect/detect_faces.ts";
import { encodeImage } from "../lib/image/encode_image.ts";
import type { Image } from "../lib/image/image.ts";
import { readImage } from "../lib/image/read_image.ts";
import { createRecognizer, type RecognizedFace } from "../lib/recognize/recognize.ts";
import { loadCheckedModel } from "../lib/model/model_folder.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { type Augmentation, augmentFace, TEST_AUGMENTATIONS, TRAIN_AUGMENTATIONS } from "../lib/eval/augment.ts";

/**
 * Finds the faces in the npm sample photos and makes the largest (up to `people`) one person
 * each, writing their augmented copies as PNGs (atomically): {@linkcode TRAIN_AUGMENTATIONS}
 * under `DIR/augmented/train/personNN/`, {@linkcode TEST_AUGMENTATIONS} under
 * `DIR/augmented/test/personNN/`. A face is taken only when, in every one of its copies, the
 * detector's largest face is that face (the centre of the copy), as preprocessing will use
 * the largest face: this leaves out false boxes and faces crowded by a larger neighbour.
 * Earlier copies there are removed first. The result is the same on every run.
 *
 * @param dir The output folder.
 * @param people How many people at most. Default 8.
 * @param size Side of each copy in pixels. Default 192.
 * @returns The two folders, `DIR/augmented/train` and `DIR/augmented/test` (one folder per person in
 * each), and each person with the face it was made from.
 */
async function writeAugmentedSamples(dir: string, people = 8, size = 192) {
  // The demo's copies are chosen with the original's detector, so the demo stays as it was.
  const detector = await createFaceDetector({ detector: "haar" });
  const chosen: { photo: string; box: Box; train: Image[]; test: Image[] }[] = [];
  try {
    const found: { photo: string; image: Image; box: Box }[] = [];
    for (const photo of samplePhotos()) {
      const image = await readImage(photo);
      for (const f of (await detector.detect(image))) if (f.source === "haar") found.push({ photo, image, box: f.box });
    }
    // Largest first; ties by photo and position, so the choice never depends on sort stability.
    found.sort((a, b) => b.box.width - a.box.width || a.photo.localeCompare(b.photo) || a.box.x - b.box.x);
    // In a copy, the face fills the middle half.
    const centre = { x: size / 4, y: size / 4, width: size / 2, height: size / 2 };
    for (const f of found) {
      if (chosen.length === people) break;
      const copies = (list: readonly Augmentation[]) => list.map((a) => augmentFace(f.image, f.box, a, size));
      const train = copies(TRAIN_AUGMENTATIONS), test = copies(TEST_AUGMENTATIONS);
      let clear = true;
      for (const copy of [...train, ...test]) {
        const largest = (await detector.detect(copy))[0];
        clear &&= largest !== undefined && largest.source === "haar" && iou(largest.box, centre) >= 0.5;
      }
      if (clear) chosen.push({ photo: f.photo, box: f.box, train, test });
    }
  } finally {
    await detector.dispose();
  }
  const root = `${dir}/augmented`;
  await Deno.remove(root, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  const named = chosen.map((f, i) => ({ ...f, name: `person${String(i + 1).padStart(2, "0")}` }));
  for (const f of named) {
    for (const split of ["train", "test"] as const) {
      for (const [k, copy] of f[split].entries()) {
        await writeFileAtomic(`${root}/${split}/${f.name}/${k + 1}.png`, await encodeImage(copy, "png"));
      }
    }
  }
  return { train: `${root}/train`, test: `${root}/test`, people: named };
}

/** The demo's options, parsed from its arguments. */
interface DemoOptions {
  readonly out: string;
  readonly samples: boolean;
  readonly epochs?: number;
  /** Write the README's picture here: a sample photo with every face's box, landmarks and name (SVG). */
  readonly picture?: string;
}

/** What the samples' accuracy does and does not show. */
const SAMPLES_CAVEAT = "copies of one photo are far easier to tell apart than different photos of a person: " +
  "see the README's accuracy table for real photos";

const USAGE = "usage: deno task demo [--out DIR] [--samples] [--epochs N] [--picture FILE.svg]";

function parseArgs(args: readonly string[]): DemoOptions | string {
  let out = "out/demo", samples = false, epochs: number | undefined, picture: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!, value = args[i + 1];
    if (a === "--samples") samples = true;
    else if (a === "--out" && value !== undefined && !value.startsWith("--")) out = args[++i]!;
    else if (a === "--epochs" && value !== undefined && /^[1-9][0-9]{0,5}$/.test(value)) epochs = Number(args[++i]);
    else if (a === "--picture" && value !== undefined && value.endsWith(".svg")) picture = args[++i]!;
    else if (a === "--help" || a === "-h") return USAGE;
    else {
      const valued = ["--out", "--epochs", "--picture"].includes(a);
      return `${a}: ${valued ? "missing or bad value" : "unknown option"}\n${USAGE}`;
    }
  }
  return { out, samples, epochs, picture };
}

/**
 * Runs the demo (see the module doc).
 *
 * @param args The demo's arguments, e.g. `["--out", "out/demo", "--samples"]`.
 * @param io Output streams (the CLI's steps print through them too); the process's own by default.
 * @returns 0 ok, else the first failing step's exit code (2 for bad arguments).
 */
export async function runDemo(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const o = parseArgs(args);
  if (o === USAGE) {
    io.stdout(USAGE);
    return 0;
  }
  if (typeof o === "string") {
    io.stderr(o);
    return 2;
  }
  const { out } = o;
  const t0 = performance.now();
  const photos = samplePhotos();
  io.stderr(`Face2Vec demo 1/2: faces and landmarks in the ${photos.length} sample photos of @vladmandic/face-api`);
  let code = await main(["detect", ...photos, "--draw", out], io);
  if (code !== 0) return code;
  io.stderr(`annotated copies written to ${out}/ (${drawingLegend()})`);

  const f2v = `${datasetsDir()}/face2vec`;
  const useDatasets = !o.samples && datasetsPresent("face2vec");
  const epochs = o.epochs === undefined ? [] : ["--epochs", String(o.epochs)];
  // The same path twice: the original's landmark geometry (model in out/model), then the
  // learned embedding (out/model_embedding).
  const FEATURES = ["geometry", "embedding"] as const;
  const modelOf = (f: string) => (f === "geometry" ? `${out}/model` : `${out}/model_${f}`);
  let steps: (f: string) => string[][], data: string;
  if (useDatasets) {
    data = `the original Face2Vec's own photos (${f2v}: train/ and test/)`;
    io.stderr(`Face2Vec demo 2/2 on ${data}: preprocess train/ → train → evaluate test/ → predict`);
    steps = (f) => [
      ["preprocess", `${f2v}/train`, "--features", f, "--cache", `${out}/face2vec_train.${f}.cache`],
      ["train", "--cache", `${out}/face2vec_train.${f}.cache`, "--model", modelOf(f), "--folds", "2", ...epochs],
      ["evaluate", `${f2v}/test`, "--model", modelOf(f), "--cache", `${out}/face2vec_test.${f}.cache`],
      ["predict", photos[2]!, "--model", modelOf(f)],
    ];
  } else {
    io.stderr(
      o.samples
        ? "Face2Vec demo 2/2 on the npm sample photos (--samples)"
        : `Face2Vec demo 2/2 on the npm sample photos: ${f2v} is not on this machine`,
    );
    const s = await writeAugmentedSamples(out);
    if (s.people.length < 2) {
      io.stderr(`the sample photos gave ${s.people.length} usable face(s): at least 2 people are needed`);
      return 1;
    }
    for (const p of s.people) {
      const b = p.box;
      io.stderr(
        `  ${p.name}: the face at ${Math.round(b.x)},${Math.round(b.y)} (${Math.round(b.width)} px) in ${
          p.photo.slice(p.photo.lastIndexOf("/") + 1)
        }`,
      );
    }
    data = `augmented copies of ${s.people.length} faces from the npm sample photos, each face its own person ` +
      `(${TRAIN_AUGMENTATIONS.length} copies each to train on in ${s.train}/, ${TEST_AUGMENTATIONS.length} ` +
      `held-out copies each to recognise in ${s.test}/)`;
    io.stderr(`data: ${data}`);
    steps = (f) => [
      ["preprocess", s.train, "--features", f, "--cache", `${out}/samples_train.${f}.cache`],
      ["train", "--cache", `${out}/samples_train.${f}.cache`, "--model", modelOf(f), "--folds", "4", ...epochs],
      ["evaluate", s.test, "--model", modelOf(f), "--cache", `${out}/samples_test.${f}.cache`],
      ["predict", `${s.test}/${s.people[0]!.name}/1.png`, "--model", modelOf(f)],
    ];
  }
  const accuracy: Record<string, string | undefined> = {};
  for (const f of FEATURES) {
    io.stderr(
      f === "geometry"
        ? "-- with the original Face2Vec's landmark geometry features and network --"
        : "-- with the learned 128-d embedding of the aligned face (the gallery names the nearest person) --",
    );
    for (const step of steps(f)) {
      io.stderr(`$ face2vec ${step.join(" ")}`);
      // Evaluate's summary line is kept for the last word.
      const tee: CliIo = {
        ...io,
        stdout: (line) => {
          accuracy[f] ??= /^accuracy: ([0-9.]+%)/.exec(line)?.[1];
          io.stdout(line);
        },
      };
      code = await main(step, tee);
      if (code !== 0) return code;
    }
  }
  io.stderr(
    `demo done in ${((performance.now() - t0) / 1000).toFixed(1)} s; models in ${modelOf("geometry")}/ and ${
      modelOf("embedding")
    }/`,
  );
  io.stderr(`data used: ${data}`);
  if (o.picture !== undefined) {
    const named = await writePicture(o.picture, modelOf("embedding"), photos);
    io.stderr(`picture: ${named.faces} faces of ${named.photo}, ${named.named} named, written to ${o.picture}`);
  }
  for (const f of FEATURES) {
    io.stderr(
      `evaluate accuracy (${f}): ${accuracy[f] ?? "not printed"}${useDatasets ? "" : ` (${SAMPLES_CAVEAT})`}`,
    );
  }
  return 0;
}

/** Halves an image's width and height, each output pixel the mean of a 2x2 block. */
function halve(image: Image): Image {
  const w = image.width >> 1, h = image.height >> 1, c = image.channels, src = image.data;
  const data = new Uint8Array(w * h * c);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) {
        const at = (dy: number, dx: number) => src[((2 * y + dy) * image.width + 2 * x + dx) * c + k]!;
        data[(y * w + x) * c + k] = Math.round((at(0, 0) + at(0, 1) + at(1, 0) + at(1, 1)) / 4);
      }
    }
  }
  return { width: w, height: h, channels: c, data };
}

/**
 * Names every face of the sample photo where the embedding model names the most, and draws
 * it at half size as an SVG: the photo (JPEG), each face's box (green: named, gray:
 * unknown), its landmarks and its name.
 */
async function writePicture(
  file: string,
  modelDir: string,
  photos: readonly string[],
): Promise<{ photo: string; faces: number; named: number }> {
  const recognizer = await createRecognizer(await loadCheckedModel(modelDir));
  try {
    let best: { photo: string; image: Image; faces: RecognizedFace[]; named: number } | undefined;
    for (const photo of photos) {
      const image = await readImage(photo);
      const faces = await recognizer.recognize(image);
      const named = faces.filter((f) => f.prediction.label !== null).length;
      if (!best || named > best.named) best = { photo, image, faces, named };
    }
    const { image, faces, named } = best!;
    const small = halve(image);
    const jpeg = await encodeImage(small, "jpeg");
    const r = (v: number) => Math.round(v / 2);
    const parts = faces.map((f) => {
      const label = f.prediction.label;
      const color = label === null ? "#bbbbbb" : "#00e600";
      const dots = f.landmarks.map((p) => `<circle cx="${r(p.x)}" cy="${r(p.y)}" r="1.5" fill="#00c8ff"/>`).join("");
      const b = f.box;
      return `<rect x="${r(b.x)}" y="${r(b.y)}" width="${r(b.width)}" height="${r(b.height)}" fill="none" ` +
        `stroke="${color}" stroke-width="2"/>${dots}<text x="${r(b.x)}" y="${r(b.y) - 4}" fill="${color}" ` +
        `stroke="#000" stroke-width="3" paint-order="stroke" font-family="sans-serif" font-size="15" ` +
        `font-weight="bold">${label ?? "unknown"}</text>`;
    });
    const { width, height } = small;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ` +
      `width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
      `<image width="${width}" height="${height}" xlink:href="data:image/jpeg;base64,${jpeg.toBase64()}"/>\n` +
      `${parts.join("\n")}\n</svg>\n`;
    await writeFileAtomic(file, svg);
    return { photo: best!.photo.slice(best!.photo.lastIndexOf("/") + 1), faces: faces.length, named };
  } finally {
    await recognizer.dispose();
  }
}

if (import.meta.main) {
  // Relative paths (--out, --picture) are the user's, as for every command.
  Deno.chdir(userDirectory());
  Deno.exit(await runDemo(Deno.args));
}
