import type { Image } from "../image/image.ts";
import { loadOpenCV, type Mat, type OpenCV, WasmScope } from "../runtime/opencv.ts";

/** How contrast is boosted before detection. */
export type ContrastMethod = "none" | "equalize" | "clahe";

/** Options for {@linkcode enhanceContrast}. */
export interface ContrastOptions {
  /** `"equalize"` (global histogram equalisation), `"clahe"`, or `"none"`. Default `"equalize"`. */
  readonly method?: ContrastMethod;
  /** CLAHE clip limit. Default 2.0 (the original Face2Vec's). */
  readonly clipLimit?: number;
  /** CLAHE tiles per side. Default 5 (the original's 5x5 grid). */
  readonly tiles?: number;
}

/** @internal Copies an {@linkcode Image} into a new gray `Mat` owned by `scope`. */
export function grayMat(cv: OpenCV, image: Image, scope: WasmScope): Mat {
  const src = scope.track(
    new cv.Mat(image.height, image.width, image.channels === 1 ? cv.CV_8UC1 : cv.CV_8UC3),
  );
  src.data.set(image.data);
  if (image.channels === 1) return src;
  const gray = scope.track(new cv.Mat());
  cv.cvtColor(src, gray, cv.COLOR_RGB2GRAY);
  return gray;
}

/** @internal Applies a contrast method to a gray `Mat`, returning a new `Mat` owned by `scope` (or `gray` for "none"). */
export function contrastMat(
  cv: OpenCV,
  gray: Mat,
  options: Required<ContrastOptions>,
  scope: WasmScope,
): Mat {
  if (options.method === "none") return gray;
  const out = scope.track(new cv.Mat());
  if (options.method === "equalize") {
    cv.equalizeHist(gray, out);
  } else {
    const clahe = scope.track(new cv.CLAHE(options.clipLimit, new cv.Size(options.tiles, options.tiles)));
    clahe.apply(gray, out);
  }
  return out;
}

/** @internal Copies a gray `Mat` out of WASM memory into an {@linkcode Image}. */
export function matToImage(mat: Mat): Image {
  return { width: mat.cols, height: mat.rows, channels: 1, data: mat.data.slice() };
}

/**
 * Converts an image to grayscale and boosts its contrast with OpenCV.js: global histogram
 * equalisation or CLAHE (the original Face2Vec used CLAHE, clip 2.0, 5x5 tiles).
 *
 * @param image An RGB or gray image.
 * @param options The method and its CLAHE parameters.
 * @returns A new 1-channel image.
 * @throws {RangeError} For a CLAHE clip limit or tile count that is not positive.
 * @example
 * ```ts
 * import { enhanceContrast } from "./enhance.ts";
 * // Two gray levels close together are spread to the full range by equalisation.
 * const img = { width: 2, height: 1, channels: 1 as const, data: new Uint8Array([100, 110]) };
 * const out = await enhanceContrast(img, { method: "equalize" });
 * if (out.data[1] !== 255) throw new Error(String(out.data));
 * ```
 */
export async function enhanceContrast(image: Image, options: ContrastOptions = {}): Promise<Image> {
  const o = { method: options.method ?? "equalize", clipLimit: options.clipLimit ?? 2, tiles: options.tiles ?? 5 };
  if (!(o.clipLimit > 0) || !(Number.isInteger(o.tiles) && o.tiles > 0)) {
    throw new RangeError(`CLAHE needs clipLimit > 0 and whole tiles > 0, got ${o.clipLimit}, ${o.tiles}`);
  }
  const cv = await loadOpenCV();
  using scope = new WasmScope();
  return matToImage(contrastMat(cv, grayMat(cv, image, scope), o, scope));
}
