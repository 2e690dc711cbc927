import { Command, InvalidArgumentError, Option } from "npm:@commander-js/extra-typings@15.1.0";
import { DEFAULT_BLAZEFACE_OPTIONS } from "../detect/blazeface.ts";
import { CASCADES, DEFAULT_DETECTOR_OPTIONS, type DetectorOptions, type Face } from "../detect/detect_faces.ts";
import { DEFAULT_MAX_PIXELS } from "../image/decode_image.ts";
import { ImageError, printable } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import { writeFileAtomic } from "../_fs.ts";
import { writeAnnotated } from "./_draw.ts";
import { drawProblem, fileOutputProblem } from "./_outputs.ts";
import { type CliIo, detectorOption, EXIT, listInputs, ms, numberIn } from "./_io.ts";
import { roundedBox, roundedPoints } from "../image/_rounded.ts";
import { DEFAULT_LANDMARKER_OPTIONS, type LandmarkerOptions } from "../landmarks/detect_landmarks.ts";
import { LANDMARK_MODELS } from "../landmarks/landmark_networks.ts";
import type { Point } from "../image/point.ts";
import { startProgress } from "./_progress.ts";
import { createPipeline } from "../pipeline/pipeline.ts";

const d = DEFAULT_DETECTOR_OPTIONS, b = DEFAULT_BLAZEFACE_OPTIONS;
/** "haar X, blazeface Y" for options both detectors have, with a default of each. */
const both = (h: unknown, l: unknown) => `(default: blazeface ${l}, haar ${h})`;

/**
 * The `detect` subcommand: finds every face in images and folders.
 *
 * @param io Where output goes; `setExit` receives the run's exit code.
 */
export function detectCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("detect")
    .description("Find every face in images or folders (walked recursively, sorted).")
    .argument("<inputs...>", "image files or folders")
    .option("--json", "one JSON object per image on stdout (JSON lines)")
    .option("--json-out <file>", "write the JSON lines to a file instead")
    .option("--draw <dir>", "write annotated copies under DIR, mirroring input paths")
    .addOption(detectorOption(false))
    .option(
      "--min-score <p>",
      `blazeface: smallest score kept (default: ${b.minScore})`,
      numberIn("--min-score", 0.001, 0.999),
    )
    .option(
      "--nms-iou <f>",
      `blazeface: overlap above which two detections are one face (default: ${b.nmsIou})`,
      numberIn("--nms-iou", 0.01, 0.99),
    )
    .addOption(new Option("--cascade <name>", "haar: the cascade").choices(CASCADES).default(d.cascade))
    .option("--scale-factor <n>", "haar: pyramid scale step", numberIn("--scale-factor", 1.001, 2), d.scaleFactor)
    .option(
      "--min-neighbors <n>",
      "haar: raw hits needed to keep a box",
      numberIn("--min-neighbors", 0, 50, true),
      d.minNeighbors,
    )
    .option(
      "--min-size <px>",
      "haar: smallest face side, in working-copy pixels",
      numberIn("--min-size", 1, 10000),
      d.minSize,
    )
    .option(
      "--working-size <px>",
      "haar: longest side of the copy searched",
      numberIn("--working-size", 24, 20000, true),
      d.workingSize,
    )
    .addOption(
      new Option("--contrast <method>", "haar: contrast boost").choices(["none", "equalize", "clahe"] as const).default(
        d.contrast,
      ),
    )
    .option(
      "--pad <fraction>",
      `border added when nothing is found, 0 = off ${both(d.pad, b.pad)}`,
      numberIn("--pad", 0, 2),
    )
    .option("--fallback", "use the whole image as the face when nothing is found")
    .option(
      "--angles <list>",
      `angles of the rotated passes (tilted heads) ${both(d.angles.join(","), b.angles.join(","))}`,
      angleList,
    )
    .addOption(
      new Option("--rotate <mode>", `when the rotated passes run ${both(d.rotate, b.rotate)}`).choices(
        ["never", "when-none", "always"] as const,
      ),
    )
    .option("--no-landmarks", "skip the 68-point landmarks")
    .option("--embed", "add each face's 128-d embedding (needs the landmarks; Euclidean distances compare faces)")
    .addOption(
      new Option("--landmark-model <name>", "68-point network").choices(LANDMARK_MODELS).default(
        DEFAULT_LANDMARKER_OPTIONS.model,
      ),
    )
    .option(
      "--max-megapixels <n>",
      "refuse larger images",
      numberIn("--max-megapixels", 0.001, 1000),
      DEFAULT_MAX_PIXELS / 1e6,
    )
    .action(async (inputs, o) => {
      if (o.embed && !o.landmarks) {
        io.stderr("error: --embed needs the landmarks (drop --no-landmarks)");
        return setExit(EXIT.badArguments);
      }
      setExit(
        await runDetect(inputs, {
          json: o.json ?? false,
          jsonOut: o.jsonOut,
          draw: o.draw,
          maxPixels: Math.round(o.maxMegapixels * 1e6),
          landmarks: o.landmarks ? { model: o.landmarkModel } : undefined,
          embed: o.embed ?? false,
          detector: {
            detector: o.detector,
            minScore: o.minScore,
            nmsIou: o.nmsIou,
            cascade: o.cascade,
            scaleFactor: o.scaleFactor,
            minNeighbors: o.minNeighbors,
            minSize: o.minSize,
            workingSize: o.workingSize,
            contrast: o.contrast,
            pad: o.pad,
            fallback: o.fallback,
            angles: o.angles,
            rotate: o.rotate,
          },
        }, io),
      );
    });
}

function angleList(v: string): number[] {
  if (v.trim() === "") {
    throw new InvalidArgumentError("--angles needs at least one angle (use --rotate never to turn them off).");
  }
  return v.split(",").map((a) => numberIn("--angles", -89, 89)(a)).map((a) => {
    if (a === 0) throw new InvalidArgumentError("--angles must not include 0 (the upright pass always runs).");
    return a;
  });
}

interface DetectRun {
  json: boolean;
  jsonOut?: string;
  draw?: string;
  maxPixels: number;
  detector: DetectorOptions;
  landmarks?: LandmarkerOptions;
  embed: boolean;
}

function faceJson(f: Face, landmarks?: readonly Point[], embedding?: Float32Array) {
  return {
    box: roundedBox(f.box),
    source: f.source,
    ...(f.score !== undefined ? { score: Math.round(f.score * 1000) / 1000 } : {}),
    ...(f.keypoints ? { keypoints: roundedPoints(f.keypoints) } : {}),
    ...(landmarks ? { landmarks: roundedPoints(landmarks) } : {}),
    ...(embedding ? { embedding: Array.from(embedding) } : {}),
  };
}

async function runDetect(inputs: string[], run: DetectRun, io: CliIo): Promise<number> {
  const problem = (run.draw !== undefined ? await drawProblem(run.draw, inputs) : undefined) ??
    (run.jsonOut !== undefined ? await fileOutputProblem("--json-out", run.jsonOut, inputs) : undefined);
  if (problem) {
    io.stderr(`error: ${problem}`);
    return EXIT.badArguments;
  }
  const inputsListed = await listInputs(inputs, io);
  const listed = inputsListed.listed;
  let failed = inputsListed.failed;
  const pipeline = await createPipeline(
    { detector: run.detector, landmarks: run.landmarks, features: "geometry" },
    { landmarks: run.landmarks !== undefined, embed: run.embed },
  );
  // Stage by stage, to time each.
  const { detector, landmarker, embedder } = pipeline;
  const lines: string[] = [];
  const progress = startProgress(io, listed.length, !run.json || !io.stdoutIsTerminal);
  let faces = 0;
  try {
    for (const item of listed) {
      const t0 = performance.now();
      let line: string;
      try {
        const image = await readImage(item.path, { maxPixels: run.maxPixels });
        const t1 = performance.now();
        const found = await detector.detect(image);
        const t2 = performance.now();
        const points = landmarker ? await landmarker.landmarks(image, found.map((f) => f.box)) : undefined;
        const t3 = performance.now();
        const embeddings = embedder && points ? await embedder.embed(image, points) : undefined;
        const t4 = performance.now();
        faces += found.length;
        if (run.draw !== undefined) await writeAnnotated(run.draw, item.relative, image, found, points);
        line = JSON.stringify({
          path: item.path,
          width: image.width,
          height: image.height,
          faces: found.map((f, i) => faceJson(f, points?.[i], embeddings?.[i])),
          ms: {
            decode: ms(t1 - t0),
            detect: ms(t2 - t1),
            ...(landmarker ? { landmarks: ms(t3 - t2) } : {}),
            ...(embedder ? { embed: ms(t4 - t3) } : {}),
            total: ms(performance.now() - t0),
          },
        });
        if (!run.json && run.jsonOut === undefined) {
          const kinds = found.map((f) => f.source).join(", ");
          progress.log(
            `${printable(item.path)}: ${found.length} face${found.length === 1 ? "" : "s"}${
              kinds ? ` (${kinds})` : ""
            } in ${Math.round(t2 - t0)} ms`,
          );
        }
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        failed++;
        progress.error(e.message);
        line = JSON.stringify({ path: item.path, error: e.reason });
      }
      if (run.json) progress.out(line);
      if (run.jsonOut !== undefined) lines.push(line);
      progress.tick();
    }
  } finally {
    progress.stop();
    await pipeline.dispose();
  }
  if (run.jsonOut !== undefined) await writeFileAtomic(run.jsonOut, lines.map((l) => l + "\n").join(""));
  if (!run.json) {
    io.stderr(
      `${listed.length} image${listed.length === 1 ? "" : "s"}, ${faces} face${
        faces === 1 ? "" : "s"
      }, ${failed} failed`,
    );
  }
  return failed > 0 ? EXIT.inputFailed : EXIT.ok;
}
