/**
 * Reads an image's format, size and EXIF orientation from its first bytes, without
 * decoding pixels, so that oversized or unsupported files are refused cheaply.
 *
 * @module
 */

/** Formats the decoder reads. */
export type Format = "jpeg" | "png" | "webp" | "pnm" | "gif" | "bmp" | "tiff";

/** What the header says. */
export interface Header {
  readonly format: Format;
  readonly width: number;
  readonly height: number;
  /** True when the stored pixels are grayscale (JPEG with 1 component, gray PNG, PGM). */
  readonly gray: boolean;
  /** EXIF orientation 1–8 (1 when absent or not JPEG/TIFF). */
  readonly orientation: number;
  /** JPEG only: true for a 4-component (CMYK or YCCK) JPEG. */
  readonly cmyk?: boolean;
  /** WebP only: true when the file is animated (VP8X animation flag). */
  readonly animated?: boolean;
}

/** A reason a file is refused; the caller prefixes the file name. */
export class HeaderError extends Error {
  override name = "HeaderError";
}

const ascii = (b: Uint8Array, start: number, end: number) => String.fromCharCode(...b.subarray(start, end));

const HEIF_BRANDS = new Set([
  "heic",
  "heix",
  "hevc",
  "hevx",
  "heim",
  "heis",
  "mif1",
  "msf1",
]);

/**
 * Names the image format whose signature starts `b`, for files without an extension:
 * supported ones and those refused with a reason (HEIC, AVIF, JPEG XL).
 *
 * @param b The file's first bytes (16 are enough).
 * @returns A format name such as `"jpeg"`, `"gif"` or `"HEIC/HEIF"`, or undefined when no image signature matches.
 */
export function sniffImage(b: Uint8Array): string | undefined {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return "jpeg";
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === "PNG") return "png";
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return "webp";
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return "gif";
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return "tiff";
  // "BM" alone is too weak for an extensionless file: also require a known DIB header size.
  if (b.length >= 18 && ascii(b, 0, 2) === "BM" && [12, 40, 52, 56, 64, 108, 124].includes(le32(b, 14))) return "bmp";
  if (
    b.length >= 3 && b[0] === 0x50 && "2356".includes(String.fromCharCode(b[1] ?? 0)) &&
    /\s/.test(String.fromCharCode(b[2] ?? 0))
  ) {
    return "pnm";
  }
  return unsupportedImage(b);
}

/** The name of an image format we recognise but do not decode, or undefined. */
function unsupportedImage(b: Uint8Array): string | undefined {
  if (b.length >= 12 && ascii(b, 4, 8) === "ftyp") {
    const brand = ascii(b, 8, 12);
    if (HEIF_BRANDS.has(brand)) return "HEIC/HEIF";
    if (brand === "avif" || brand === "avis") return "AVIF";
  }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0x0a) return "JPEG XL";
  if (b.length >= 12 && be32(b, 0) === 12 && ascii(b, 4, 8) === "JXL " && be32(b, 8) === 0x0d0a870a) return "JPEG XL";
  return undefined;
}

/**
 * Sniffs the format from magic bytes (never from the file extension) and reads the header.
 * @throws {HeaderError} For empty, unknown, unsupported or truncated headers.
 */
export function readHeader(b: Uint8Array): Header {
  if (b.length === 0) throw new HeaderError("empty file (0 bytes)");
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return jpegHeader(b);
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 4) === "PNG") return pngHeader(b);
  if (b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP") return webpHeader(b);
  if (b.length >= 2 && b[0] === 0x50 && b[1] !== undefined && "2356".includes(String.fromCharCode(b[1]))) {
    return pnmHeader(b).header;
  }
  if (b.length >= 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a")) return gifHeader(b);
  if (b.length >= 2 && ascii(b, 0, 2) === "BM") return bmpHeader(b);
  if (b.length >= 4 && (ascii(b, 0, 4) === "II*\0" || ascii(b, 0, 4) === "MM\0*")) return tiffHeader(b);
  const unsupported = unsupportedImage(b);
  if (unsupported !== undefined) throw new HeaderError(`${unsupported} not supported: convert to JPEG`);
  throw new HeaderError("not an image (unknown format)");
}

function be16(b: Uint8Array, i: number): number {
  return ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
}
function be32(b: Uint8Array, i: number): number {
  return (be16(b, i) * 65536) + be16(b, i + 2);
}
function le16(b: Uint8Array, i: number): number {
  return (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
}
function le32(b: Uint8Array, i: number): number {
  return le16(b, i) + le16(b, i + 2) * 65536;
}

/** GIF: the logical screen size (the canvas every frame is drawn on). */
function gifHeader(b: Uint8Array): Header {
  if (b.length < 14) throw new HeaderError("truncated GIF");
  return { format: "gif", width: le16(b, 6), height: le16(b, 8), gray: false, orientation: 1 };
}

/** BMP: size from the DIB header (a negative height means rows stored top-down). */
function bmpHeader(b: Uint8Array): Header {
  if (b.length < 26) throw new HeaderError("truncated BMP");
  const dib = le32(b, 14);
  let width: number, height: number;
  if (dib === 12) {
    width = le16(b, 18);
    height = le16(b, 20);
  } else if (dib >= 40) {
    width = le32(b, 18) | 0;
    height = Math.abs(le32(b, 22) | 0);
  } else {
    throw new HeaderError(`corrupt BMP (DIB header size ${dib})`);
  }
  if (width < 0) throw new HeaderError(`corrupt BMP (width ${width})`);
  return { format: "bmp", width, height, gray: false, orientation: 1 };
}

/** TIFF: ImageWidth (256), ImageLength (257), PhotometricInterpretation (262) and Orientation (274) of the first IFD. */
function tiffHeader(b: Uint8Array): Header {
  const little = b[0] === 0x49;
  const u16 = (i: number) => little ? le16(b, i) : be16(b, i);
  const u32 = (i: number) => little ? le32(b, i) : be32(b, i);
  if (b.length < 8) throw new HeaderError("truncated TIFF");
  const ifd = u32(4);
  if (ifd + 2 > b.length) throw new HeaderError("truncated TIFF (no image directory)");
  const n = u16(ifd);
  if (ifd + 2 + n * 12 > b.length) throw new HeaderError("truncated TIFF (image directory cut short)");
  let width = -1, height = -1, orientation = 1, photometric = 2;
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    const tag = u16(e);
    const type = u16(e + 2);
    const value = type === 3 ? u16(e + 8) : type === 4 ? u32(e + 8) : -1;
    if (tag === 256) width = value;
    else if (tag === 257) height = value;
    else if (tag === 262) photometric = value;
    else if (tag === 274 && value >= 1 && value <= 8) orientation = value;
  }
  if (width < 0 || height < 0) throw new HeaderError("corrupt TIFF (no ImageWidth/ImageLength)");
  return { format: "tiff", width, height, gray: photometric === 0 || photometric === 1, orientation };
}

function jpegHeader(b: Uint8Array): Header {
  let i = 2;
  let orientation = 1;
  while (i + 4 <= b.length) {
    if (b[i] !== 0xff) throw new HeaderError(`corrupt JPEG (bad marker at byte ${i})`);
    const m = b[i + 1] ?? 0;
    if (m === 0xff) {
      i++;
      continue;
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    const len = be16(b, i + 2);
    if (len < 2) throw new HeaderError("corrupt JPEG (bad segment length)");
    const seg = i + 4;
    if (m === 0xe1 && ascii(b, seg, seg + 6) === "Exif\0\0") {
      orientation = exifOrientation(b.subarray(seg + 6, i + 2 + len));
    }
    const isSof = m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
    if (isSof) {
      if (seg + 6 > b.length) break;
      const height = be16(b, seg + 1);
      const width = be16(b, seg + 3);
      const components = b[seg + 5] ?? 0;
      if (!hasEndOfImage(b, seg)) throw new HeaderError("truncated JPEG (no end-of-image marker)");
      return { format: "jpeg", width, height, gray: components === 1, orientation, cmyk: components === 4 };
    }
    if (m === 0xd9 || m === 0xda) break;
    i += 2 + len;
  }
  throw new HeaderError("truncated or corrupt JPEG (no frame header)");
}

/** The EOI marker must follow the frame: entropy-coded data never holds FF D9. */
function hasEndOfImage(b: Uint8Array, from: number): boolean {
  for (let j = b.length - 2; j >= from; j--) {
    if (b[j] === 0xff && b[j + 1] === 0xd9) return true;
  }
  return false;
}

/** Orientation tag (0x0112) of IFD0 in a TIFF block; 1 when absent or invalid. */
export function exifOrientation(t: Uint8Array): number {
  if (t.length < 8) return 1;
  const little = t[0] === 0x49 && t[1] === 0x49;
  if (!little && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const u16 = (i: number) => little ? (t[i] ?? 0) | ((t[i + 1] ?? 0) << 8) : be16(t, i);
  const u32 = (i: number) => little ? u16(i) + u16(i + 2) * 65536 : be32(t, i);
  if (u16(2) !== 42) return 1;
  const ifd = u32(4);
  if (ifd + 2 > t.length) return 1;
  const n = u16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > t.length) return 1;
    if (u16(e) === 0x0112) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

function pngHeader(b: Uint8Array): Header {
  if (b.length < 33 || ascii(b, 12, 16) !== "IHDR") throw new HeaderError("truncated or corrupt PNG (no IHDR)");
  const depth = b[24] ?? 0;
  const colorType = b[25] ?? 0;
  if (depth > 8) throw new HeaderError(`${depth}-bit PNG not supported: only 8-bit`);
  if (!ascii(b, Math.max(33, b.length - 1024), b.length).includes("IEND")) {
    throw new HeaderError("truncated PNG (no IEND chunk)");
  }
  return {
    format: "png",
    width: be32(b, 16),
    height: be32(b, 20),
    gray: colorType === 0 || colorType === 4,
    orientation: 1,
  };
}

function webpHeader(b: Uint8Array): Header {
  const riffSize = (b[4] ?? 0) | ((b[5] ?? 0) << 8) | ((b[6] ?? 0) << 16) | ((b[7] ?? 0) << 24);
  if (b.length < riffSize + 8 || b.length < 30) throw new HeaderError("truncated WebP");
  const chunk = ascii(b, 12, 16);
  const le16 = (i: number) => (b[i] ?? 0) | ((b[i + 1] ?? 0) << 8);
  const le24 = (i: number) => le16(i) | ((b[i + 2] ?? 0) << 16);
  let width: number, height: number;
  let animated = false;
  if (chunk === "VP8 ") {
    width = le16(26) & 0x3fff;
    height = le16(28) & 0x3fff;
  } else if (chunk === "VP8L") {
    const bits = le16(21) | (le16(23) << 16);
    width = (bits & 0x3fff) + 1;
    height = ((bits >>> 14) & 0x3fff) + 1;
  } else if (chunk === "VP8X") {
    width = le24(24) + 1;
    height = le24(27) + 1;
    animated = ((b[20] ?? 0) & 0x02) !== 0;
  } else {
    throw new HeaderError(`corrupt WebP (unknown chunk ${JSON.stringify(chunk)})`);
  }
  return { format: "webp", width, height, gray: false, orientation: 1, animated };
}

/** Header of a PNM (P2/P3 ASCII, P5/P6 binary) plus where its pixel data starts. */
export function pnmHeader(b: Uint8Array): { header: Header; maxval: number; ascii: boolean; offset: number } {
  const kind = String.fromCharCode(b[1] ?? 0);
  const fields: number[] = [];
  let i = 2;
  while (fields.length < 3) {
    while (i < b.length && /\s/.test(String.fromCharCode(b[i] ?? 0))) i++;
    if (b[i] === 0x23) {
      while (i < b.length && b[i] !== 0x0a && b[i] !== 0x0d) i++;
      continue;
    }
    let s = "";
    while (i < b.length && (b[i] ?? 0) >= 0x30 && (b[i] ?? 0) <= 0x39) s += String.fromCharCode(b[i++] ?? 0);
    if (s === "") throw new HeaderError("truncated or corrupt PNM header");
    fields.push(Number(s));
  }
  i++; // the single whitespace byte before the pixels
  const [width = 0, height = 0, maxval = 0] = fields;
  if (maxval < 1 || maxval > 255) throw new HeaderError(`PNM maxval ${maxval} not supported: only 8-bit`);
  const gray = kind === "2" || kind === "5";
  return {
    header: { format: "pnm", width, height, gray, orientation: 1 },
    maxval,
    ascii: kind === "2" || kind === "3",
    offset: i,
  };
}
