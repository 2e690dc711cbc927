/**
 * Atomic file writes: a reader sees the old file or the whole new one, never half of it.
 *
 * @module
 */

/**
 * Writes `bytes` to `path` through a temporary file in the same folder and a rename,
 * creating parent folders as needed.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  try {
    if (typeof bytes === "string") await Deno.writeTextFile(tmp, bytes);
    else await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
}
