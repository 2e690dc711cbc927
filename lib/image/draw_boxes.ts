import type { Image } from "./image.ts";

/** An RGB colour. */
export type Rgb = readonly [number, number, number];

/** A rectangle outline to draw. */
export interface Outline {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly color: Rgb;
}

/** A filled dot to draw (landmarks). */
export interface Dot {
  readonly x: number;
  readonly y: number;
  readonly radius: number;
  readonly color: Rgb;
}

/**
 * Draws rectangle outlines (and dots) onto an RGB copy of an image (gray images are expanded to RGB).
 *
 * @param image The image to annotate (not modified).
 * @param outlines Rectangles in float pixels, each with its colour.
 * @param thickness Line width in pixels. Default: 1 per 300 px of the shorter side, at least 2.
 * @param dots Filled dots (e.g. landmarks), drawn over the outlines.
 * @returns A new 3-channel image.
 * @example
 * ```ts
 * import { drawBoxes } from "./draw_boxes.ts";
 * const img = { width: 10, height: 10, channels: 1 as const, data: new Uint8Array(100) };
 * const out = drawBoxes(img, [{ x: 2, y: 2, width: 5, height: 5, color: [0, 255, 0] }], 1);
 * if (out.channels !== 3 || out.data[(2 * 10 + 2) * 3 + 1] !== 255) throw new Error("no outline");
 * ```
 */
export function drawBoxes(
  image: Image,
  outlines: readonly Outline[],
  thickness?: number,
  dots: readonly Dot[] = [],
): Image {
  const { width: w, height: h } = image;
  const data = new Uint8Array(w * h * 3);
  if (image.channels === 3) data.set(image.data);
  else for (let i = 0; i < w * h; i++) data.fill(image.data[i] ?? 0, i * 3, i * 3 + 3);
  const t = thickness ?? Math.max(2, Math.round(Math.min(w, h) / 300));
  const fill = (x0: number, y0: number, x1: number, y1: number, c: Rgb) => {
    const xa = Math.max(0, x0), xb = Math.min(w, x1), ya = Math.max(0, y0), yb = Math.min(h, y1);
    for (let y = ya; y < yb; y++) {
      for (let x = xa; x < xb; x++) data.set(c, (y * w + x) * 3);
    }
  };
  for (const o of outlines) {
    const x0 = Math.round(o.x), y0 = Math.round(o.y);
    const x1 = Math.round(o.x + o.width), y1 = Math.round(o.y + o.height);
    fill(x0, y0, x1, y0 + t, o.color);
    fill(x0, y1 - t, x1, y1, o.color);
    fill(x0, y0, x0 + t, y1, o.color);
    fill(x1 - t, y0, x1, y1, o.color);
  }
  for (const p of dots) {
    const r = Math.max(0.5, p.radius), r2 = r * r;
    for (let y = Math.floor(p.y - r); y <= Math.ceil(p.y + r); y++) {
      for (let x = Math.floor(p.x - r); x <= Math.ceil(p.x + r); x++) {
        if (x >= 0 && y >= 0 && x < w && y < h && (x + 0.5 - p.x) ** 2 + (y + 0.5 - p.y) ** 2 <= r2) {
          data.set(p.color, (y * w + x) * 3);
        }
      }
    }
  }
  return { width: w, height: h, channels: 3, data };
}
