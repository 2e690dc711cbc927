/**
 * Scores face detections the way the issues define a hit, for the report and the tuning
 * script (one implementation for both).
 *
 * @module
 */

import { type Box, containsPoint, iou } from "../detect/box.ts";
import type { Face } from "../detect/detect_faces.ts";
import type { DetectionKind } from "./datasets.ts";

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
