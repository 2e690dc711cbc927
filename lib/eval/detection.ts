/**
 * Scores face detections the way the issues define a hit, for the report and the tuning
 * script (one implementation for both).
 *
 * @module
 */

import { type Box, containsPoint, iou } from "../image/box.ts";
import { createFaceDetector, type DetectorOptions, type Face, type FaceDetector } from "../detect/detect_faces.ts";
import type { Image } from "../image/image.ts";
import { ImageError } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import type { DetectionKind } from "./datasets.ts";
import type { DetectionFigures } from "./schema.ts";
import { rounded, withHalves } from "./_figures.ts";

/** One photo's detection result. */
export interface Detected {
  readonly relative: string;
  readonly width: number;
  readonly height: number;
  /** Undefined when the photo could not be read. */
  readonly faces?: readonly Face[];
  readonly error?: string;
}

/** Detection figures for a set of photos (rates are fractions 0–1). */
export interface DetectionScore {
  readonly photos: number;
  /** centred: a haar/padded box contains the photo's centre; any-face: at least one haar/padded box; boxes: recall at IoU >= 0.5. */
  readonly hit_rate: number;
  /** Share of photos whose only face is the whole-image fallback. */
  readonly fallback_rate: number;
  /** Share of photos where the hit came from the padded pass. */
  readonly padded_rate: number;
  /** Photos that could not be read. */
  readonly errors: number;
  /** boxes: detections matching no listed face. */
  readonly false_boxes?: number;
  /** boxes: listed faces. */
  readonly listed_faces?: number;
  /** The photos that were not hits. */
  readonly misses: readonly string[];
}

const real = (f: Face) => f.source !== "fallback";

/**
 * Scores detections. `truth` (for kind "boxes") maps a photo's relative path to its
 * hand-boxed faces; a detection matches at most one listed face (greedy by IoU).
 */
export function scoreDetections(
  kind: DetectionKind,
  items: readonly Detected[],
  truth: Readonly<Record<string, readonly Box[]>> = {},
): DetectionScore {
  let hits = 0, fallback = 0, padded = 0, errors = 0, falseBoxes = 0, listed = 0;
  const misses: string[] = [];
  for (const it of items) {
    const faces = it.faces ?? [];
    if (it.error !== undefined) errors++;
    if (faces.length > 0 && faces.every((f) => f.source === "fallback")) fallback++;
    if (kind === "boxes") {
      const want = truth[it.relative] ?? [];
      listed += want.length;
      const used = new Set<number>();
      const dets = faces.filter(real);
      for (const w of want) {
        let best = -1, bestIou = 0.5;
        dets.forEach((d, i) => {
          const v = iou(d.box, w);
          if (!used.has(i) && v >= bestIou) [best, bestIou] = [i, v];
        });
        if (best >= 0) {
          used.add(best);
          hits++;
        } else misses.push(`${it.relative} ${JSON.stringify(w)}`);
      }
      falseBoxes += dets.length - used.size;
      continue;
    }
    const good = kind === "centred"
      ? faces.filter((f) => real(f) && containsPoint(f.box, it.width / 2, it.height / 2))
      : faces.filter(real);
    if (good.length > 0) {
      hits++;
      if (good.every((f) => f.source === "padded")) padded++;
    } else misses.push(it.relative);
  }
  const n = items.length;
  const denom = kind === "boxes" ? listed : n;
  return {
    photos: n,
    hit_rate: denom === 0 ? 0 : hits / denom,
    fallback_rate: n === 0 ? 0 : fallback / n,
    padded_rate: n === 0 ? 0 : padded / n,
    errors,
    ...(kind === "boxes" ? { false_boxes: falseBoxes, listed_faces: listed } : {}),
    misses,
  };
}

/** A photo to detect faces in: its file, or its image decoded already. */
export type DetectionPhoto = { readonly relative: string; readonly path: string } | {
  readonly relative: string;
  readonly image: Image;
};

/**
 * Runs a detector over photos, one after the other. A photo that cannot be read (an
 * {@linkcode ImageError}) is kept as an error (`error` is its reason) and the run goes on;
 * any other failure is thrown.
 *
 * @param detector The face detector (the caller disposes it).
 * @param photos The photos, each with its path or its image.
 * @param onUnreadable Told of each photo that could not be read.
 * @returns One result per photo, in order.
 * @example
 * ```ts
 * import { detectAll } from "./detection.ts";
 * const face = { box: { x: 1, y: 1, width: 2, height: 2 }, source: "blazeface" } as const;
 * const detector = { options: {} as never, detect: () => Promise.resolve([face]), dispose: () => Promise.resolve() };
 * const image = { width: 4, height: 4, channels: 3, data: new Uint8Array(48) } as const;
 * const [one, two] = await detectAll(detector, [{ relative: "a", image }, { relative: "b", path: "/nowhere.jpg" }]);
 * if (one!.faces?.length !== 1 || two!.error === undefined) throw new Error(JSON.stringify([one, two]));
 * ```
 */
export async function detectAll(
  detector: FaceDetector,
  photos: readonly DetectionPhoto[],
  onUnreadable?: (e: ImageError) => void,
): Promise<Detected[]> {
  const out: Detected[] = [];
  for (const p of photos) {
    try {
      const image = "image" in p ? p.image : await readImage(p.path);
      out.push({ relative: p.relative, width: image.width, height: image.height, faces: await detector.detect(image) });
    } catch (e) {
      if (!(e instanceof ImageError)) throw e;
      onUnreadable?.(e);
      out.push({ relative: p.relative, width: 0, height: 0, error: e.reason });
    }
  }
  return out;
}

/**
 * {@linkcode detectAll} with a detector made from `options` for the run, and freed after it.
 *
 * @param options The detector's options.
 * @param photos The photos, each with its path or its image.
 * @param onUnreadable Told of each photo that could not be read.
 * @returns One result per photo, in order.
 */
export async function detectWith(
  options: DetectorOptions,
  photos: readonly DetectionPhoto[],
  onUnreadable?: (e: ImageError) => void,
): Promise<Detected[]> {
  const detector = await createFaceDetector(options);
  try {
    return await detectAll(detector, photos, onUnreadable);
  } finally {
    await detector.dispose();
  }
}

/**
 * One detector's detection figures over a set's results: {@linkcode scoreDetections} of all of
 * them and of their even and odd halves (rounded to 4 decimals), and the misses of all.
 *
 * @param kind What a hit is.
 * @param items The results, sorted by path.
 * @param truth For `boxes`: the hand-drawn boxes by relative path.
 * @returns The figures.
 * @example
 * ```ts
 * import { detectionFigures } from "./detection.ts";
 * const face = { box: { x: 0, y: 0, width: 4, height: 4 }, source: "haar" } as const;
 * const item = (relative: string, faces: (typeof face)[]) => ({ relative, width: 4, height: 4, faces });
 * const f = detectionFigures("any-face", [item("a", [face]), item("b", []), item("c", [face])]);
 * if (f.hit_rate !== 0.6667 || f.even.hit_rate !== 1 || f.odd.hit_rate !== 0 || f.misses[0] !== "b") {
 *   throw new Error(JSON.stringify(f));
 * }
 * ```
 */
export function detectionFigures(
  kind: DetectionKind,
  items: readonly Detected[],
  truth?: Readonly<Record<string, readonly Box[]>>,
): DetectionFigures {
  const score = (xs: readonly Detected[]) => {
    const { misses: _, ...rest } = scoreDetections(kind, xs, truth);
    return rounded(rest);
  };
  return { ...withHalves(items, score), misses: scoreDetections(kind, items, truth).misses };
}
