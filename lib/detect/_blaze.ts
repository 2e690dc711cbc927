/**
 * The arithmetic of single-shot face detectors of the BlazeFace family (MediaPipe's face
 * detectors): the input crop (a square region of the image, optionally rotated, sampled into
 * the network's input), the anchor grid, decoding the network's raw outputs into boxes with
 * keypoints, and weighted non-maximum suppression. No runtime here: the network is run by the
 * caller (onnxruntime for the product, tfjs where the source model is checked).
 *
 * @module
 */

import type { Image } from "../image/image.ts";
import { type Box, iou } from "../image/box.ts";
import type { Point } from "../image/point.ts";

/** Where anchors sit: one entry per feature-map stride, with its anchors per cell. */
export interface AnchorLayout {
  /** The network's square input side, in pixels. */
  readonly inputSize: number;
  readonly layers: readonly { readonly stride: number; readonly perCell: number }[];
}

/**
 * Anchor centres (x, y pairs, 0–1 of the input) in the order the network's outputs list
 * them: layer by layer, row by row, cell by cell, `perCell` anchors per cell. The anchors
 * have a fixed size of 1 (MediaPipe's `fixed_anchor_size`).
 *
 * @param layout The anchor layout.
 * @returns 2 numbers per anchor.
 * @example
 * ```ts
 * import { anchorCentres } from "./_blaze.ts";
 * const a = anchorCentres({ inputSize: 128, layers: [{ stride: 8, perCell: 2 }, { stride: 16, perCell: 6 }] });
 * if (a.length !== 2 * 896 || a[0] !== 0.5 / 16) throw new Error(String(a.length));
 * ```
 */
export function anchorCentres(layout: AnchorLayout): Float32Array {
  const total = layout.layers.reduce((n, l) => n + (Math.ceil(layout.inputSize / l.stride) ** 2) * l.perCell, 0);
  const out = new Float32Array(2 * total);
  let k = 0;
  for (const { stride, perCell } of layout.layers) {
    const cells = Math.ceil(layout.inputSize / stride);
    for (let y = 0; y < cells; y++) {
      for (let x = 0; x < cells; x++) {
        for (let a = 0; a < perCell; a++) {
          out[k++] = (x + 0.5) / cells;
          out[k++] = (y + 0.5) / cells;
        }
      }
    }
  }
  return out;
}

/**
 * A square region of an image that is sampled into the network's input: its centre and side
 * in image pixels, and the angle (degrees, counter-clockwise) by which the image is turned
 * before sampling (so a head tilted by `angle` stands upright in the input).
 */
export interface InputRegion {
  readonly cx: number;
  readonly cy: number;
  readonly side: number;
  readonly angle: number;
}

/**
 * Samples `region` of `image` into a `size`x`size` RGB input scaled to [-1, 1] (NHWC).
 * Outside the image it is black (0 → -1), as a letterbox. When the region is larger than the
 * input, each input pixel averages a grid of up to 4x4 image samples (an area filter), so
 * shrinking a large photo does not alias.
 *
 * @param image The photo (gray is repeated into RGB).
 * @param region The region to sample.
 * @param size The input side.
 * @returns `size * size * 3` floats.
 */
export function sampleInput(image: Image, region: InputRegion, size: number): Float32Array {
  const out = new Float32Array(size * size * 3);
  const step = region.side / size; // image pixels per input pixel
  const n = Math.max(1, Math.min(4, Math.ceil(step)));
  const t = (region.angle * Math.PI) / 180, cos = Math.cos(t), sin = Math.sin(t);
  const { width: w, height: h, channels: c, data } = image;
  const inv = 1 / (n * n);
  // The input is the image turned by `angle` counter-clockwise: a sample at offsets (qx, qy)
  // from the region's centre (upright frame) is image pixel
  // (cx + cos·qx + sin·qy, cy − sin·qx + cos·qy). The terms of qx depend on the sample column
  // only and those of qy on the sample row only: computed once each. Upright, a sample column
  // is one image column and a sample row one image row, so their offsets into `data` are too.
  const columns = size * n;
  const colX = new Float64Array(columns), colY = new Float64Array(columns);
  const rowX = new Float64Array(columns), rowY = new Float64Array(columns);
  const colOffset = new Int32Array(columns), rowOffset = new Int32Array(columns);
  for (let k = 0; k < columns; k++) {
    const q = (Math.floor(k / n) + ((k % n) + 0.5) / n) * step - region.side / 2;
    colX[k] = region.cx + cos * q;
    colY[k] = region.cy - sin * q;
    rowX[k] = sin * q;
    rowY[k] = cos * q;
    const x = Math.floor(colX[k]!), y = Math.floor(region.cy + rowY[k]!);
    colOffset[k] = x >= 0 && x < w ? x * c : -1;
    rowOffset[k] = y >= 0 && y < h ? y * w * c : -1;
  }
  const upright = region.angle === 0;
  let o = 0;
  for (let v = 0; v < size; v++) {
    for (let u = 0; u < size; u++) {
      let r = 0, g = 0, b = 0;
      for (let j = v * n; j < v * n + n; j++) {
        for (let k = u * n; k < u * n + n; k++) {
          let p: number;
          if (upright) {
            p = rowOffset[j]! < 0 || colOffset[k]! < 0 ? -1 : rowOffset[j]! + colOffset[k]!;
          } else {
            const x = Math.floor(colX[k]! + rowX[j]!), y = Math.floor(colY[k]! + rowY[j]!);
            p = x < 0 || y < 0 || x >= w || y >= h ? -1 : (y * w + x) * c;
          }
          if (p < 0) continue;
          if (c === 1) {
            const l = data[p]!;
            r += l;
            g += l;
            b += l;
          } else {
            r += data[p]!;
            g += data[p + 1]!;
            b += data[p + 2]!;
          }
        }
      }
      out[o++] = (r * inv) / 127.5 - 1;
      out[o++] = (g * inv) / 127.5 - 1;
      out[o++] = (b * inv) / 127.5 - 1;
    }
  }
  return out;
}

/** One raw detection: a box and keypoints in image pixels, and the network's score. */
export interface RawDetection {
  readonly box: Box;
  readonly keypoints: readonly Point[];
  readonly score: number;
}

/**
 * Decodes the network's outputs: per anchor a logit and `4 + 2k` regressors (box centre
 * offset, box size, `k` keypoints, in input pixels). Keeps anchors scoring at least
 * `minScore` (sigmoid of the logit clipped to ±100) and maps them into image pixels of
 * `region`.
 *
 * @param logits One logit per anchor.
 * @param regressors `stride` numbers per anchor.
 * @param stride Regressors per anchor (16 for 6 keypoints).
 * @param layout The anchor layout (its input size scales the regressors).
 * @param anchors From {@linkcode anchorCentres}.
 * @param region The region the input was sampled from.
 * @param minScore The smallest score kept (0–1).
 * @returns The detections, in anchor order.
 */
export function decodeDetections(
  logits: Float32Array,
  regressors: Float32Array,
  stride: number,
  layout: AnchorLayout,
  anchors: Float32Array,
  region: InputRegion,
  minScore: number,
): RawDetection[] {
  const count = anchors.length / 2;
  if (logits.length !== count || regressors.length !== count * stride) {
    throw new RangeError(`detector outputs ${logits.length} and ${regressors.length} numbers for ${count} anchors`);
  }
  const minLogit = Math.log(minScore / (1 - minScore));
  const s = layout.inputSize;
  const k = region.side / s; // image pixels per input pixel
  const t = (region.angle * Math.PI) / 180, cos = Math.cos(t), sin = Math.sin(t);
  // An input point (pixels) → the image.
  const toImage = (ix: number, iy: number): Point => {
    const qx = (ix - s / 2) * k, qy = (iy - s / 2) * k;
    return { x: region.cx + cos * qx + sin * qy, y: region.cy - sin * qx + cos * qy };
  };
  const out: RawDetection[] = [];
  for (let a = 0; a < count; a++) {
    const logit = Math.max(-100, Math.min(100, logits[a]!));
    if (logit < minLogit) continue;
    const r = a * stride, ax = anchors[2 * a]! * s, ay = anchors[2 * a + 1]! * s;
    const centre = toImage(ax + regressors[r]!, ay + regressors[r + 1]!);
    const bw = Math.abs(regressors[r + 2]!) * k, bh = Math.abs(regressors[r + 3]!) * k;
    const keypoints: Point[] = [];
    for (let q = 4; q + 1 < stride; q += 2) {
      keypoints.push(toImage(ax + regressors[r + q]!, ay + regressors[r + q + 1]!));
    }
    out.push({
      box: { x: centre.x - bw / 2, y: centre.y - bh / 2, width: bw, height: bh },
      keypoints,
      score: 1 / (1 + Math.exp(-logit)),
    });
  }
  return out;
}

/**
 * Weighted non-maximum suppression (MediaPipe's `WEIGHTED` blending): the best-scoring
 * detection and every other overlapping it by more than `iouThreshold` become one, their
 * boxes and keypoints averaged by score, with the best one's score.
 *
 * @param detections Raw detections (any order).
 * @param iouThreshold Overlap above which two detections are one face (0–1).
 * @returns One detection per face, best score first.
 * @example
 * ```ts
 * import { weightedNms } from "./_blaze.ts";
 * const d = (x: number, score: number) => ({ box: { x, y: 0, width: 10, height: 10 }, keypoints: [], score });
 * const out = weightedNms([d(0, 0.9), d(1, 0.6), d(50, 0.8)], 0.3);
 * if (out.length !== 2 || Math.abs(out[0]!.box.x - 0.6 / 1.5) > 1e-9) throw new Error(JSON.stringify(out));
 * ```
 */
export function weightedNms(detections: readonly RawDetection[], iouThreshold: number): RawDetection[] {
  const rest = [...detections].sort((a, b) => b.score - a.score);
  const out: RawDetection[] = [];
  while (rest.length > 0) {
    const best = rest[0]!;
    const group = rest.filter((d) => d === best || iou(d.box, best.box) > iouThreshold);
    const left = rest.filter((d) => !group.includes(d));
    rest.length = 0;
    rest.push(...left);
    let wsum = 0, x = 0, y = 0, x1 = 0, y1 = 0;
    const kp = best.keypoints.map(() => ({ x: 0, y: 0 }));
    for (const d of group) {
      wsum += d.score;
      x += d.score * d.box.x;
      y += d.score * d.box.y;
      x1 += d.score * (d.box.x + d.box.width);
      y1 += d.score * (d.box.y + d.box.height);
      d.keypoints.forEach((p, i) => {
        kp[i]!.x += d.score * p.x;
        kp[i]!.y += d.score * p.y;
      });
    }
    out.push({
      box: { x: x / wsum, y: y / wsum, width: (x1 - x) / wsum, height: (y1 - y) / wsum },
      keypoints: kp.map((p) => ({ x: p.x / wsum, y: p.y / wsum })),
      score: best.score,
    });
  }
  return out;
}
