/**
 * Atomic file writes: a reader sees the old file or the whole new one, never half of it.
 *
 * @module
 */

/**
 * Writes `bytes` to `path` through a temporary file in the same folder, synced to the disk,
 * and a rename, creating parent folders as needed.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
      for (let done = 0; done < data.length;) done += await file.write(data.subarray(done));
      // On the disk before the rename makes it the file: a power cut leaves the old or the new one.
      await file.syncData();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
