/**
 * Decoders for the formats beyond the jsquash codecs: GIF (first frame), BMP, TIFF, CMYK/YCCK
 * JPEG, and the first frame of an animated WebP. Each npm decoder is imported on first use
 * with a full `npm:` specifier, so importing this module loads nothing.
 *
 * @module
 */

import { HeaderError } from "./_header.ts";

/** Decoded pixels, 4 bytes (RGBA) per pixel. */
export interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: ArrayLike<number>;
}

/** The first frame of a GIF, drawn on its logical screen (transparent pixels white). */
export async function decodeGif(bytes: Uint8Array): Promise<Rgba> {
  const { GifReader } = await import("npm:omggif@1.0.10");
  const reader = new GifReader(bytes);
  if (reader.numFrames() < 1) throw new HeaderError("corrupt GIF (no frames)");
  const data = new Uint8Array(reader.width * reader.height * 4).fill(255);
  reader.decodeAndBlitFrameRGBA(0, data);
  return { width: reader.width, height: reader.height, data };
}

/** A CMYK or YCCK JPEG (the WASM decoder reads only gray and YCbCr), converted to RGB. */
export async function decodeCmykJpeg(bytes: Uint8Array, maxPixels: number): Promise<Rgba> {
  const { default: jpeg } = await import("npm:jpeg-js@0.4.4");
  const out = jpeg.decode(bytes, {
    useTArray: true,
    formatAsRGBA: true,
    maxResolutionInMP: Math.max(1, maxPixels / 1e6),
    maxMemoryUsageInMB: 2048,
  });
  return { width: out.width, height: out.height, data: out.data };
}

/**
 * A TIFF's first page: 1-, 8- or 16-bit gray, RGB(A), palette or CMYK, uncompressed, LZW or
 * Deflate (what the `tiff` package reads). The orientation tag is left to the caller.
 */
export async function decodeTiff(bytes: Uint8Array): Promise<Rgba> {
  const { decode } = await import("npm:tiff@7.1.3");
  // The package refuses any orientation but 1 and photometric CMYK (5): the copy it reads
  // says orientation 1 (orientImage turns the pixels) and CMYK as 4-sample "RGB" (converted here).
  const copy = bytes.slice();
  const cmyk = setTiffTag(copy, 262, 5, 2);
  setTiffTag(copy, 274, undefined, 1);
  let ifd;
  try {
    [ifd] = decode(copy, { pages: [0] });
  } catch (e) {
    const m = /^Unsupported (.*)$/.exec(e instanceof Error ? e.message : "");
    if (m) {
      throw new HeaderError(`TIFF ${m[1]?.toLowerCase().replace(": ", " ")} not supported: convert to PNG or JPEG`);
    }
    throw e;
  }
  if (ifd === undefined) throw new HeaderError("corrupt TIFF (no image)");
  const { width, height, samplesPerPixel: spp, bitsPerSample: bits } = ifd;
  const photometric = cmyk ? 5 : ifd.type;
  if (bits !== 1 && bits !== 8 && bits !== 16) {
    throw new HeaderError(`${bits}-bit TIFF not supported: convert to PNG or JPEG`);
  }
  const src = ifd.data;
  const n = width * height;
  if (src.length < n * spp) throw new HeaderError("truncated TIFF (fewer pixels than its size)");
  const data = new Uint8Array(n * 4).fill(255);
  const v = bits === 16 ? (i: number) => (src[i] ?? 0) >> 8 : bits === 1 ? (i: number) => (src[i] ?? 0) * 255 : (
    i: number,
  ) => src[i] ?? 0;
  for (let p = 0; p < n; p++) {
    const s = p * spp, d = p * 4;
    if (photometric === 0 || photometric === 1) {
      // The package has already inverted WhiteIsZero.
      data[d] = data[d + 1] = data[d + 2] = v(s);
    } else if (photometric === 2) {
      data[d] = v(s);
      data[d + 1] = v(s + 1);
      data[d + 2] = v(s + 2);
    } else if (photometric === 3) {
      const rgb = ifd.palette?.[src[s] ?? 0] ?? [0, 0, 0];
      data[d] = rgb[0] >> 8;
      data[d + 1] = rgb[1] >> 8;
      data[d + 2] = rgb[2] >> 8;
    } else if (photometric === 5 && spp >= 4) {
      const k = 255 - v(s + 3);
      data[d] = Math.round(((255 - v(s)) * k) / 255);
      data[d + 1] = Math.round(((255 - v(s + 1)) * k) / 255);
      data[d + 2] = Math.round(((255 - v(s + 2)) * k) / 255);
    } else {
      throw new HeaderError(`TIFF photometric interpretation ${photometric} not supported: convert to PNG or JPEG`);
    }
  }
  return { width, height, data };
}

/**
 * Sets a SHORT tag of a TIFF's first directory in place, when present (and, with `when`, only
 * when it holds that value).
 * @returns Whether the tag was changed.
 */
function setTiffTag(b: Uint8Array, tag: number, when: number | undefined, value: number): boolean {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const little = b[0] === 0x49;
  if (b.length < 8) return false;
  const ifd = view.getUint32(4, little);
  if (ifd + 2 > b.length) return false;
  const n = view.getUint16(ifd, little);
  for (let k = 0; k < n && ifd + 14 + k * 12 <= b.length; k++) {
    const e = ifd + 2 + k * 12;
    if (view.getUint16(e, little) !== tag || view.getUint16(e + 2, little) !== 3) continue;
    if (when !== undefined && view.getUint16(e + 8, little) !== when) return false;
    view.setUint16(e + 8, value, little);
    return true;
  }
  return false;
}

/** A BMP: 1/4/8-bit palette (8- and 4-bit also run-length encoded), 16/24/32-bit with or without bit-field masks, either row order. */
export function decodeBmp(b: Uint8Array): Rgba {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (b.length < 26) throw new HeaderError("truncated BMP");
  const offset = view.getUint32(10, true);
  const dib = view.getUint32(14, true);
  const core = dib === 12;
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const rawHeight = core ? view.getUint16(20, true) : view.getInt32(22, true);
  const bpp = core ? view.getUint16(24, true) : view.getUint16(28, true);
  const compression = core ? 0 : view.getUint32(30, true);
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  const rle = (compression === 1 && bpp === 8) || (compression === 2 && bpp === 4);
  if (compression !== 0 && compression !== 3 && compression !== 6 && !rle) {
    throw new HeaderError(`compressed BMP (method ${compression}) not supported: convert to PNG`);
  }
  if (![1, 4, 8, 16, 24, 32].includes(bpp)) throw new HeaderError(`${bpp}-bit BMP not supported: convert to PNG`);
  // Bit-field masks follow a 40-byte header (BI_BITFIELDS) or sit inside a V2+ header.
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f, 0] : [0xff0000, 0x00ff00, 0x0000ff, 0];
  if (compression === 3 || compression === 6) {
    if (54 + 12 > b.length) throw new HeaderError("truncated BMP");
    masks = [view.getUint32(54, true), view.getUint32(58, true), view.getUint32(62, true), 0];
  }
  const paletteAt = 14 + dib + (dib === 40 && (compression === 3 || compression === 6) ? 12 : 0);
  const entry = core ? 3 : 4;
  const stride = Math.ceil((width * bpp) / 32) * 4;
  if (!rle && offset + stride * height > b.length) {
    throw new HeaderError("truncated BMP (fewer pixel bytes than its size)");
  }
  const indices = rle ? unpackRle(b, offset, width, height, bpp) : undefined;
  const channel = (px: number, mask: number) => {
    if (mask === 0) return 0;
    const shift = 31 - Math.clz32(mask & -mask);
    const max = mask >>> shift;
    return Math.round((((px & mask) >>> shift) * 255) / max);
  };
  const data = new Uint8Array(width * height * 4).fill(255);
  for (let y = 0; y < height; y++) {
    const row = offset + (topDown ? y : height - 1 - y) * stride;
    for (let x = 0; x < width; x++) {
      const d = (y * width + x) * 4;
      if (bpp <= 8) {
        const bit = x * bpp;
        const index = indices !== undefined
          ? indices[(height - 1 - y) * width + x] ?? 0
          : ((b[row + (bit >> 3)] ?? 0) >> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const p = paletteAt + index * entry;
        data[d] = b[p + 2] ?? 0;
        data[d + 1] = b[p + 1] ?? 0;
        data[d + 2] = b[p] ?? 0;
      } else if (bpp === 24) {
        const p = row + x * 3;
        data[d] = b[p + 2] ?? 0;
        data[d + 1] = b[p + 1] ?? 0;
        data[d + 2] = b[p] ?? 0;
      } else {
        const px = bpp === 16 ? view.getUint16(row + x * 2, true) : view.getUint32(row + x * 4, true);
        data[d] = channel(px, masks[0] ?? 0);
        data[d + 1] = channel(px, masks[1] ?? 0);
        data[d + 2] = channel(px, masks[2] ?? 0);
      }
    }
  }
  return { width, height, data };
}

/** Palette indices of an RLE8/RLE4 bitmap, bottom row first (rows as stored). */
function unpackRle(b: Uint8Array, offset: number, width: number, height: number, bpp: number): Uint8Array {
  const out = new Uint8Array(width * height);
  let i = offset, x = 0, y = 0;
  const put = (v: number) => {
    if (x < width && y < height) out[y * width + x] = v;
    x++;
  };
  while (i + 1 < b.length && y < height) {
    const count = b[i] ?? 0, value = b[i + 1] ?? 0;
    i += 2;
    if (count > 0) {
      for (let k = 0; k < count; k++) put(bpp === 8 ? value : k % 2 === 0 ? value >> 4 : value & 15);
    } else if (value === 0) {
      x = 0;
      y++;
    } else if (value === 1) {
      return out;
    } else if (value === 2) {
      x += b[i] ?? 0;
      y += b[i + 1] ?? 0;
      i += 2;
    } else {
      const bytes = bpp === 8 ? value : Math.ceil(value / 2);
      for (let k = 0; k < value; k++) {
        const byte = b[i + (bpp === 8 ? k : k >> 1)] ?? 0;
        put(bpp === 8 ? byte : k % 2 === 0 ? byte >> 4 : byte & 15);
      }
      i += bytes + (bytes & 1);
    }
  }
  if (y < height - 1) throw new HeaderError("truncated BMP (run-length data ends early)");
  return out;
}

const ascii = (b: Uint8Array, start: number, end: number) => String.fromCharCode(...b.subarray(start, end));
const le24 = (b: Uint8Array, i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8) | ((b[i + 2] ?? 0) << 16);

/** One frame of an animated WebP: a still WebP file and where it goes on the canvas. */
export interface WebpFrame {
  /** The frame as a still WebP (its VP8/VP8L data, and ALPH when present). */
  readonly still: Uint8Array;
  readonly x: number;
  readonly y: number;
}

/**
 * Takes the first ANMF frame of an animated WebP and wraps its bitstream as a still WebP.
 * @throws {HeaderError} When the file has no complete frame.
 */
export function firstWebpFrame(b: Uint8Array): WebpFrame {
  let i = 12;
  while (i + 8 <= b.length) {
    const id = ascii(b, i, i + 4);
    const size = le24(b, i + 4) + (b[i + 7] ?? 0) * 2 ** 24;
    const body = i + 8;
    if (body + size > b.length) break;
    if (id === "ANMF") {
      if (size < 16) break;
      const x = le24(b, body) * 2, y = le24(b, body + 3) * 2;
      const w = le24(b, body + 6) + 1, h = le24(b, body + 9) + 1;
      const sub = b.subarray(body + 16, body + size);
      return { still: stillWebp(sub, w, h), x, y };
    }
    i = body + size + (size & 1);
  }
  throw new HeaderError("corrupt WebP (animated, but no complete frame)");
}

/** RIFF-wraps frame chunks (ALPH? then VP8/VP8L), adding a VP8X header when there is an alpha chunk. */
function stillWebp(chunks: Uint8Array, w: number, h: number): Uint8Array {
  const hasAlpha = chunks.length >= 4 && ascii(chunks, 0, 4) === "ALPH";
  const vp8x = new Uint8Array(hasAlpha ? 18 : 0);
  if (hasAlpha) {
    vp8x.set([0x56, 0x50, 0x38, 0x58, 10, 0, 0, 0, 0x10, 0, 0, 0]);
    vp8x.set([(w - 1) & 0xff, ((w - 1) >> 8) & 0xff, ((w - 1) >> 16) & 0xff], 12);
    vp8x.set([(h - 1) & 0xff, ((h - 1) >> 8) & 0xff, ((h - 1) >> 16) & 0xff], 15);
  }
  const total = 4 + vp8x.length + chunks.length;
  const out = new Uint8Array(8 + total);
  out.set([0x52, 0x49, 0x46, 0x46, total & 0xff, (total >> 8) & 0xff, (total >> 16) & 0xff, (total >>> 24) & 0xff]);
  out.set([0x57, 0x45, 0x42, 0x50], 8);
  out.set(vp8x, 12);
  out.set(chunks, 12 + vp8x.length);
  return out;
}
