/**
 * Writes real TensorBoard event files (`tensorboard --logdir DIR` shows the curves): the
 * TFRecord framing (length, masked CRC-32C of the length, the data, masked CRC-32C of the
 * data) around `Event` protocol buffers holding scalar `Summary` values.
 *
 * @module
 */

import { ProtoWriter } from "../_protobuf.ts";
import { crc32With } from "../_crc.ts";

const crc32cBytes = crc32With(0x82f63b78);

/**
 * CRC-32C (Castagnoli), the checksum TFRecord uses.
 *
 * @param bytes The data.
 * @returns The checksum as an unsigned 32-bit integer.
 * @example
 * ```ts
 * import { crc32c } from "./tensorboard.ts";
 * if (crc32c(new TextEncoder().encode("123456789")) !== 0xe3069283) throw new Error("check value");
 * ```
 */
export function crc32c(bytes: Uint8Array): number {
  return crc32cBytes(bytes);
}

/**
 * TFRecord's masked CRC: rotate right by 15 bits and add 0xa282ead8 (mod 2^32).
 *
 * @param bytes The data.
 * @returns The masked checksum.
 * @example
 * ```ts
 * import { maskedCrc32c } from "./tensorboard.ts";
 * // crc32c of 8 zero bytes is 0x8c28b28a; rotated right by 15: 0x65151851; + 0xa282ead8 = 0x07980329.
 * if (maskedCrc32c(new Uint8Array(8)) !== 0x07980329) throw new Error();
 * ```
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One TFRecord: 8-byte little-endian length, its masked CRC, the data, the data's masked CRC. */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(data.length), true);
  v.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** An `Event` with `file_version` (the first record of every events file). */
function fileVersionEvent(wallTime: number): Uint8Array {
  return new ProtoWriter().double(1, wallTime).int(2, 0).str(3, "brain.Event:2").done();
}

/** An `Event` holding one scalar summary value. */
export function scalarEvent(tag: string, value: number, step: number, wallTime: number): Uint8Array {
  const summaryValue = new ProtoWriter().str(1, tag).float(2, value);
  const summary = new ProtoWriter().msg(1, summaryValue);
  return new ProtoWriter().double(1, wallTime).int(2, step).msg(5, summary).done();
}

/** Writes one run's events file (`events.out.tfevents.<time>.face2vec`) in a folder. */
export class EventWriter {
  readonly path: string;
  #file: Deno.FsFile;

  private constructor(path: string, file: Deno.FsFile) {
    this.path = path;
    this.#file = file;
  }

  /**
   * Creates `dir` (and parents) and a new events file in it, starting with the file-version event.
   *
   * @param dir The run's folder, e.g. `logs/fold_1`.
   * @param now Wall time in seconds (injectable for tests).
   */
  static async create(dir: string, now: number = Date.now() / 1000): Promise<EventWriter> {
    await Deno.mkdir(dir, { recursive: true });
    const path = `${dir}/events.out.tfevents.${Math.floor(now)}.face2vec`;
    const file = await Deno.open(path, { write: true, create: true, truncate: true });
    const w = new EventWriter(path, file);
    await w.#write(tfRecord(fileVersionEvent(now)));
    return w;
  }

  async #write(bytes: Uint8Array): Promise<void> {
    let n = 0;
    while (n < bytes.length) n += await this.#file.write(bytes.subarray(n));
  }

  /** Appends scalars for one step (e.g. `{ loss, accuracy, val_loss, val_accuracy }` of an epoch). */
  async scalars(
    values: Readonly<Record<string, number>>,
    step: number,
    now: number = Date.now() / 1000,
  ): Promise<void> {
    for (const [tag, value] of Object.entries(values)) await this.#write(tfRecord(scalarEvent(tag, value, step, now)));
  }

  /** Flushes and closes the file. */
  close(): void {
    this.#file.close();
  }
}

/**
 * Reads TFRecord framing back, verifying both checksums of every record.
 *
 * @throws {Error} For a truncated file or a checksum mismatch.
 */
export function readTfRecords(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at < bytes.length) {
    if (at + 12 > bytes.length) throw new Error(`truncated record header at byte ${at}`);
    const len = Number(v.getBigUint64(at, true));
    if (v.getUint32(at + 8, true) !== maskedCrc32c(bytes.subarray(at, at + 8))) {
      throw new Error(`bad length CRC at byte ${at}`);
    }
    const data = bytes.subarray(at + 12, at + 12 + len);
    if (at + 16 + len > bytes.length) throw new Error(`truncated record at byte ${at}`);
    if (v.getUint32(at + 12 + len, true) !== maskedCrc32c(data)) throw new Error(`bad data CRC at byte ${at}`);
    out.push(data);
    at += 16 + len;
  }
  return out;
}
