import type { Image } from "./image.ts";
import { ImageError, printable } from "./image_error.ts";
import { type Header, HeaderError, pnmHeader, readHeader } from "./_header.ts";
import { orientImage } from "./orient_image.ts";
import { decodeBmp, decodeCmykJpeg, decodeGif, decodeTiff, firstWebpFrame, type Rgba } from "./_formats.ts";

/** Options for {@linkcode decodeImage}. */
export interface DecodeOptions {
  /**
   * Largest image accepted, in pixels (width × height), checked from the header before
   * any pixel is decoded. Default: 40,000,000 (40 megapixels).
   */
  readonly maxPixels?: number;
  /** The name used in error messages. Default: `"<bytes>"`. */
  readonly name?: string;
  /**
   * Called with each warning the decoder gives about a damaged but readable file (libjpeg's
   * "Corrupt JPEG data: …"), as one line `name: warning`. Default: printed on stderr.
   */
  readonly onWarning?: (line: string) => void;
}

/** Default for {@linkcode DecodeOptions.maxPixels}: 40 megapixels. */
export const DEFAULT_MAX_PIXELS = 40_000_000;

/**
 * Decodes a JPEG (including CMYK/YCCK), PNG, WebP (an animated one's first frame), GIF (first
 * frame), BMP, TIFF (first page) or PNM (PGM/PPM, binary or ASCII) image from its bytes, and
 * applies the JPEG or TIFF orientation tag. The format is sniffed from the bytes, never from a
 * file name, and the size is read from the header before any pixel is decoded. Gray sources
 * give a 1-channel image, colour sources 3 channels (alpha is dropped).
 *
 * @param bytes The file's contents.
 * @param options Pixel limit and the name used in errors.
 * @returns The decoded, EXIF-oriented image.
 * @throws {ImageError} For empty, truncated, corrupt, unsupported (HEIC, AVIF, JPEG XL, 16-bit PNG),
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
      "too_many_pixels",
    );
  }
  let image: Image;
  try {
    const warn = options.onWarning ?? ((line: string) => console.warn(line));
    const onWarning = (text: string) => warn(`${printable(name)}: ${text}`);
    image = header.format === "pnm" ? decodePnm(bytes) : await decodeWithCodec(bytes, header, maxPixels, onWarning);
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

async function decodeWithCodec(
  bytes: Uint8Array,
  header: Header,
  maxPixels: number,
  onWarning: (text: string) => void,
): Promise<Image> {
  // Codecs are imported on first use: a PGM-only run never loads the JPEG WASM.
  const buffer = bytes.slice().buffer;
  let rgba: Rgba;
  if (header.format === "gif") {
    rgba = await decodeGif(bytes);
  } else if (header.format === "bmp") {
    rgba = decodeBmp(bytes);
  } else if (header.format === "tiff") {
    rgba = await decodeTiff(bytes);
  } else if (header.format === "jpeg" && header.cmyk) {
    // The WASM decoder reads gray and YCbCr only; jpeg-js converts CMYK and YCCK to RGB.
    rgba = await decodeCmykJpeg(bytes, maxPixels);
  } else if (header.format === "webp" && header.animated) {
    rgba = await decodeAnimatedWebp(bytes, header);
  } else if (header.format === "jpeg") {
    rgba = await decodeJpeg(buffer, onWarning);
  } else if (header.format === "png") {
    const { default: decode } = await import("npm:@jsquash/png@3.1.1/decode.js");
    rgba = await decode(buffer);
  } else {
    const { default: decode } = await import("npm:@jsquash/webp@1.5.0/decode.js");
    rgba = await decode(buffer);
  }
  return fromRgba(rgba, header.gray);
}

/** The first frame of an animated WebP, drawn at its offset on the (white) canvas. */
async function decodeAnimatedWebp(bytes: Uint8Array, header: Header): Promise<Rgba> {
  const frame = firstWebpFrame(bytes);
  const { default: decode } = await import("npm:@jsquash/webp@1.5.0/decode.js");
  const f: Rgba = await decode(frame.still.slice().buffer);
  if (frame.x === 0 && frame.y === 0 && f.width === header.width && f.height === header.height) return f;
  const data = new Uint8Array(header.width * header.height * 4).fill(255);
  for (let y = 0; y < f.height && frame.y + y < header.height; y++) {
    for (let x = 0; x < f.width && frame.x + x < header.width; x++) {
      const s = (y * f.width + x) * 4, d = ((frame.y + y) * header.width + frame.x + x) * 4;
      for (let c = 0; c < 4; c++) data[d + c] = f.data[s + c] ?? 0;
    }
  }
  return { width: header.width, height: header.height, data };
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

/** libjpeg's warnings go to whoever is decoding now; JPEG decodes run one at a time so they are not mixed up. */
let jpegReady: Promise<typeof import("npm:@jsquash/jpeg@1.6.0/decode.js")> | undefined;
let jpegWarn: ((text: string) => void) | undefined;
let jpegQueue: Promise<unknown> = Promise.resolve();

function decodeJpeg(buffer: ArrayBuffer, warn: (text: string) => void): Promise<ImageData> {
  jpegReady ??= (async () => {
    const jpeg = await import("npm:@jsquash/jpeg@1.6.0/decode.js");
    const report = (text: string) => jpegWarn?.(text);
    await jpeg.init({ print: report, printErr: report });
    return jpeg;
  })();
  const run = jpegQueue.then(async () => {
    const jpeg = await jpegReady!;
    jpegWarn = warn;
    try {
      // preserveOrientation=false: raw stored pixels; orientImage applies the EXIF tag.
      return await jpeg.default(buffer, { preserveOrientation: false });
    } finally {
      jpegWarn = undefined;
    }
  });
  jpegQueue = run.catch(() => {});
  return run;
}
