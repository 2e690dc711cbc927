/**
 * Builds image files in memory for the tests: no binary fixtures to keep in sync.
 *
 * @module
 */

import encodeJpeg from "npm:@jsquash/jpeg@1.6.0/encode.js";
import type { Image } from "./image.ts";

/** A 40x30 RGB image whose four quadrants are red, green, blue and white (for orientation tests). */
export function quadrants(width = 40, height = 30): Image {
  const data = new Uint8Array(width * height * 3);
  const colors = [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const q = (y < height / 2 ? 0 : 2) + (x < width / 2 ? 0 : 1);
      data.set(colors[q]!, (y * width + x) * 3);
    }
  }
  return { width, height, channels: 3, data };
}

/** Encodes an RGB image as a baseline JPEG (quality 95). */
export async function jpegOf(image: Image): Promise<Uint8Array> {
  const rgba = new Uint8ClampedArray(image.width * image.height * 4);
  for (let i = 0; i < image.width * image.height; i++) {
    rgba.set(image.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  const pixels = { width: image.width, height: image.height, data: rgba, colorSpace: "srgb" } as ImageData;
  return new Uint8Array(await encodeJpeg(pixels, { quality: 95, progressive: false }));
}

/** Inserts an EXIF APP1 segment holding only the orientation tag, right after SOI. */
export function withOrientation(jpeg: Uint8Array, orientation: number, littleEndian = false): Uint8Array {
  const tiff = littleEndian
    ? [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
    : [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [0x45, 0x78, 0x69, 0x66, 0, 0, ...tiff];
  const len = payload.length + 2;
  const app1 = [0xff, 0xe1, len >> 8, len & 0xff, ...payload];
  const out = new Uint8Array(jpeg.length + app1.length);
  out.set(jpeg.subarray(0, 2));
  out.set(app1, 2);
  out.set(jpeg.subarray(2), 2 + app1.length);
  return out;
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A hand-built 8-bit PNG (colour type 0 gray or 2 RGB) — exercises the gray path. */
export async function pngOf(image: Image, override?: { width?: number; height?: number }): Promise<Uint8Array> {
  const { width, height, channels } = image;
  const raw = new Uint8Array((width * channels + 1) * height);
  for (let y = 0; y < height; y++) {
    raw.set(image.data.subarray(y * width * channels, (y + 1) * width * channels), y * (width * channels + 1) + 1);
  }
  const z = new Uint8Array(
    await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer(),
  );
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array(4 + data.length);
    body.set(new TextEncoder().encode(type));
    body.set(data, 4);
    const out = new Uint8Array(12 + data.length);
    const v = new DataView(out.buffer);
    v.setUint32(0, data.length);
    out.set(body, 4);
    v.setUint32(8 + data.length, crc32(body));
    return out;
  };
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, override?.width ?? width);
  v.setUint32(4, override?.height ?? height);
  ihdr.set([8, channels === 1 ? 0 : 2, 0, 0, 0], 8);
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", z),
    chunk("IEND", new Uint8Array()),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** A binary PGM (P5) or PPM (P6). */
export function pnmOf(image: Image): Uint8Array {
  const head = new TextEncoder().encode(
    `P${image.channels === 1 ? 5 : 6}\n# made by a test\n${image.width} ${image.height}\n255\n`,
  );
  const out = new Uint8Array(head.length + image.data.length);
  out.set(head);
  out.set(image.data, head.length);
  return out;
}
