/**
 * Table-driven reflected CRC-32 for any polynomial: IEEE (0xedb88320, zlib's crc32) for the
 * cache, Castagnoli (0x82f63b78, CRC-32C) for TensorBoard's TFRecords.
 *
 * @module
 */

/** A reflected CRC-32 with the given (reflected) polynomial, over bytes. */
export function crc32With(poly: number): (bytes: Uint8Array) => number {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? poly ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = table[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
}
