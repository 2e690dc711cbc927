import type { Image } from "./image.ts";
import { ImageError } from "./image_error.ts";
import { type Header, HeaderError, pnmHeader, readHeader } from "./_header.ts";
import { orientImage } from "./orient_image.ts";

/** Options for {@linkcode decodeImage}. */
export interface DecodeOptions {
  /**
   * Largest image accepted, in pixels (width × height), checked from the header before
   * any pixel is decoded. Default: 40,000,000 (40 megapixels).
   */
  readonly maxPixels?: number;
  /** The name used in error messages. Default: `"<bytes>"`. */
  readonly name?: string;
}

/** Default for {@linkcode DecodeOptions.maxPixels}: 40 megapixels. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * Decodes a JPEG, PNG, WebP or PNM (PGM/PPM, binary or ASCII) image from its bytes, and
 * applies the JPEG EXIF orientation. The format is sniffed from the bytes, never from a
 * file name. Gray sources give a 1-channel image, colour sources 3 channels (alpha is
 * dropped).
 *
 * @param bytes The file's contents.
 * @param options Pixel limit and the name used in errors.
 * @returns The decoded, EXIF-oriented image.
 * @throws {ImageError} For empty, truncated, corrupt, unsupported (HEIC, GIF, 16-bit),
 * zero-sized or over-limit images; the message names the file and the reason.
 * @example
 * ```ts
 * import { decodeImage } from "./decode_image.ts";
 * const pgm = new Uint8Array([...new TextEncoder().encode("P5 2 1 255\n"), 0, 255]);
 * const img = await decodeImage(pgm, { name: "tiny.pgm" });
 * if (img.width !== 2 || img.channels !== 1 || img.data[1] !== 255) throw new Error("bad decode");
 * ```
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<Image> {
  const name = options.name ?? "<bytes>";
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  let header: Header;
  try {
    header = readHeader(bytes);
  } catch (e) {
    if (e instanceof HeaderError) throw new ImageError(name, e.message);
    throw e;
  }
  const { width, height } = header;
  if (width === 0 || height === 0) throw new ImageError(name, `zero-sized image (${width}x${height})`);
  if (width * height > maxPixels) {
    const mp = (n: number) => (n / 1e6).toFixed(1);
    throw new ImageError(
      name,
      `image is ${width}x${height} (${mp(width * height)} MP), over the ${mp(maxPixels)} MP limit`,
    );
  }
  let image: Image;
  try {
    image = header.format === "pnm" ? decodePnm(bytes) : await decodeWithCodec(bytes, header);
  } catch (e) {
    if (e instanceof HeaderError) throw new ImageError(name, e.message);
    const why = e instanceof Error ? e.message : String(e);
    throw new ImageError(name, `corrupt ${header.format.toUpperCase()} (${why})`);
  }
  if (image.width !== width || image.height !== height) {
    throw new ImageError(name, `corrupt ${header.format.toUpperCase()} (decoded size differs from header)`);
  }
  return orientImage(image, header.orientation);
}

interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

async function decodeWithCodec(bytes: Uint8Array, header: Header): Promise<Image> {
  // Codecs are imported on first use: a PGM-only run never loads the JPEG WASM.
  const buffer = bytes.slice().buffer;
  let rgba: Rgba;
  if (header.format === "jpeg") {
    const { default: decode } = await import("npm:@jsquash/jpeg@1.6.0/decode.js");
    // preserveOrientation=false: raw stored pixels; orientImage applies the EXIF tag.
    rgba = await decode(buffer, { preserveOrientation: false });
  } else if (header.format === "png") {
    const { default: decode } = await import("npm:@jsquash/png@3.1.1/decode.js");
    rgba = await decode(buffer);
  } else {
    const { default: decode } = await import("npm:@jsquash/webp@1.5.0/decode.js");
    rgba = await decode(buffer);
  }
  return fromRgba(rgba, header.gray);
}

function fromRgba(src: Rgba, gray: boolean): Image {
  const n = src.width * src.height;
  const c = gray ? 1 : 3;
  const out = new Uint8Array(n * c);
  const d = src.data;
  if (gray) {
    for (let i = 0; i < n; i++) out[i] = d[i * 4] ?? 0;
  } else {
    for (let i = 0, j = 0; i < n; i++, j += 3) {
      out[j] = d[i * 4] ?? 0;
      out[j + 1] = d[i * 4 + 1] ?? 0;
      out[j + 2] = d[i * 4 + 2] ?? 0;
    }
  }
  return { width: src.width, height: src.height, channels: c, data: out };
}

function decodePnm(bytes: Uint8Array): Image {
  const { header, maxval, ascii, offset } = pnmHeader(bytes);
  const c = header.gray ? 1 : 3;
  const n = header.width * header.height * c;
  const out = new Uint8Array(n);
  if (ascii) {
    const values = new TextDecoder().decode(bytes.subarray(offset)).trim().split(/\s+/);
    if (values.length < n) throw new HeaderError(`truncated PNM (${values.length} of ${n} values)`);
    for (let i = 0; i < n; i++) out[i] = Number(values[i]);
  } else {
    if (bytes.length - offset < n) {
      throw new HeaderError(`truncated PNM (${bytes.length - offset} of ${n} pixel bytes)`);
    }
    out.set(bytes.subarray(offset, offset + n));
  }
  if (maxval !== 255) {
    for (let i = 0; i < n; i++) out[i] = Math.min(255, Math.round(((out[i] ?? 0) * 255) / maxval));
  }
  return { width: header.width, height: header.height, channels: c, data: out };
}
