/**
 * The one owner of the OpenCV.js runtime (`@techstark/opencv-js`, WASM): loads it once,
 * lazily, on the first call to {@linkcode loadOpenCV}. Importing this module does nothing.
 *
 * Only the part of OpenCV's API that Face2Vec uses is typed here.
 *
 * @module
 */

/** A `cv.Mat`: WASM memory that must be freed with `delete()`. */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Uint8Array;
  channels(): number;
  delete(): void;
}

/** An OpenCV rectangle. */
export interface CvRect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/** `cv.RectVector`. */
export interface RectVector {
  size(): number;
  get(i: number): CvRect;
  delete(): void;
}

/** `cv.Size`. */
export interface CvSize {
  readonly width: number;
  readonly height: number;
}

/** `cv.CascadeClassifier`. */
export interface CascadeClassifier {
  load(path: string): boolean;
  empty(): boolean;
  detectMultiScale(
    image: Mat,
    objects: RectVector,
    scaleFactor: number,
    minNeighbors: number,
    flags: number,
    minSize: CvSize,
    maxSize: CvSize,
  ): void;
  delete(): void;
}

/** `cv.CLAHE`. */
export interface Clahe {
  apply(src: Mat, dst: Mat): void;
  delete(): void;
}

/** The typed subset of the OpenCV.js module. */
export interface OpenCV {
  readonly Mat: new (rows?: number, cols?: number, type?: number) => Mat;
  readonly RectVector: new () => RectVector;
  readonly Size: new (width: number, height: number) => CvSize;
  readonly CascadeClassifier: new () => CascadeClassifier;
  readonly CLAHE: new (clipLimit: number, tileGridSize: CvSize) => Clahe;
  matFromArray(rows: number, cols: number, type: number, array: readonly number[]): Mat;
  warpAffine(src: Mat, dst: Mat, m: Mat, dsize: CvSize, flags: number, borderMode: number): void;
  readonly CV_64F: number;
  readonly CV_8UC1: number;
  readonly CV_8UC3: number;
  readonly COLOR_RGB2GRAY: number;
  readonly INTER_AREA: number;
  readonly INTER_LINEAR: number;
  readonly BORDER_REPLICATE: number;
  readonly BORDER_CONSTANT: number;
  readonly HEAPU8: Uint8Array;
  cvtColor(src: Mat, dst: Mat, code: number): void;
  resize(src: Mat, dst: Mat, size: CvSize, fx: number, fy: number, interpolation: number): void;
  equalizeHist(src: Mat, dst: Mat): void;
  copyMakeBorder(
    src: Mat,
    dst: Mat,
    top: number,
    bottom: number,
    left: number,
    right: number,
    borderType: number,
  ): void;
  FS_createDataFile(
    parent: string,
    name: string,
    data: Uint8Array,
    canRead: boolean,
    canWrite: boolean,
    canOwn: boolean,
  ): void;
  FS_unlink(path: string): void;
}

let loading: Promise<{ cv: OpenCV }> | undefined;

/**
 * Loads OpenCV.js once and returns it; later calls return the same runtime.
 *
 * The OpenCV.js module object is a thenable that resolves to itself (awaiting it never
 * settles), so this waits for its runtime through a callback, then removes `then`.
 *
 * @returns The initialised OpenCV.js runtime.
 * @example
 * ```ts
 * import { loadOpenCV } from "./opencv.ts";
 * const cv = await loadOpenCV();
 * const m = new cv.Mat(2, 3, cv.CV_8UC1);
 * try {
 *   if (m.cols !== 3) throw new Error("bad Mat");
 * } finally {
 *   m.delete();
 * }
 * ```
 */
export async function loadOpenCV(): Promise<OpenCV> {
  loading ??= (async () => {
    const mod = await import("npm:@techstark/opencv-js@4.12.0-release.1");
    // deno-lint-ignore no-explicit-any
    const cv: any = (mod as { default?: unknown }).default ?? mod;
    if (typeof cv.Mat !== "function") {
      await new Promise<void>((resolve) => {
        // Never resolve *with* cv: it is itself a thenable, and adopting it spins forever.
        if (typeof cv.then === "function") cv.then(() => resolve());
        else cv.onRuntimeInitialized = () => resolve();
      });
    }
    // Once ready, drop `then` so the runtime can be returned from async functions and
    // awaited like any other value (this module is its only owner).
    delete cv.then;
    return { cv: cv as OpenCV };
  })();
  return (await loading).cv;
}

/**
 * Frees every tracked WASM object when disposed (`using scope = new WasmScope()`), so
 * that Mats are deleted on every path, errors included.
 */
export class WasmScope implements Disposable {
  #items: { delete(): void }[] = [];

  /** Tracks `item` for deletion and returns it. */
  track<T extends { delete(): void }>(item: T): T {
    this.#items.push(item);
    return item;
  }

  /** Deletes everything tracked, newest first. */
  [Symbol.dispose](): void {
    for (const item of this.#items.reverse()) item.delete();
    this.#items = [];
  }
}
