import type { Image } from "./image.ts";

/** Formats {@linkcode encodeImage} writes. */
export type EncodeFormat = "jpeg" | "png" | "webp" | "pnm";

/**
 * The format to write for a file name, by its extension (case-insensitive); PGM/PPM/PNM
 * names give `"pnm"` (PGM for gray images, PPM for colour).
 *
 * @param name A file name or path.
 * @returns The format, or undefined for an extension no encoder writes.
 * @example
 * ```ts
 * import { formatForName } from "./encode_image.ts";
 * if (formatForName("Carrie8.JPG") !== "jpeg") throw new Error();
 * ```
 */
export function formatForName(name: string): EncodeFormat | undefined {
  const ext = name.slice(name.lastIndexOf(".") + 1).toLowerCase();
  if (ext === "jpg" || ext === "jpeg") return "jpeg";
  if (ext === "png" || ext === "webp") return ext;
  if (ext === "pgm" || ext === "ppm" || ext === "pnm") return "pnm";
  return undefined;
}

/**
 * Encodes an image as JPEG (quality 90), PNG, WebP (quality 90) or binary PNM.
 *
 * @param image The image.
 * @param format The output format.
 * @returns The encoded file's bytes.
 * @example
 * ```ts
 * import { encodeImage } from "./encode_image.ts";
 * const bytes = await encodeImage({ width: 1, height: 1, channels: 1, data: new Uint8Array([7]) }, "pnm");
 * if (new TextDecoder().decode(bytes.subarray(0, 2)) !== "P5") throw new Error();
 * ```
 */
export async function encodeImage(image: Image, format: EncodeFormat): Promise<Uint8Array> {
  const { width, height, channels } = image;
  if (format === "pnm") {
    const head = new TextEncoder().encode(`P${channels === 1 ? 5 : 6}\n${width} ${height}\n255\n`);
    const out = new Uint8Array(head.length + image.data.length);
    out.set(head);
    out.set(image.data, head.length);
    return out;
  }
  const rgba = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) rgba[i * 4 + k] = image.data[channels === 1 ? i : i * 3 + k] ?? 0;
    rgba[i * 4 + 3] = 255;
  }
  const pixels = { width, height, data: rgba, colorSpace: "srgb" } as ImageData;
  let buffer: ArrayBuffer;
  if (format === "jpeg") {
    const { default: encode } = await import("npm:@jsquash/jpeg@1.6.0/encode.js");
    buffer = await encode(pixels, { quality: 90 });
  } else if (format === "png") {
    const { default: encode } = await import("npm:@jsquash/png@3.1.1/encode.js");
    buffer = await encode(pixels);
  } else {
    const { default: encode } = await import("npm:@jsquash/webp@1.5.0/encode.js");
    buffer = await encode(pixels, { quality: 90 });
  }
  return new Uint8Array(buffer);
}
