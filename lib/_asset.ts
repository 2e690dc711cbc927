/**
 * Reads a bundled asset located from `import.meta.url`: from disk in a checkout, over
 * HTTP(S) when `mod.ts` was imported from a URL.
 *
 * @module
 */

/**
 * @param url The asset's URL, `new URL("./file", import.meta.url)`.
 * @returns The asset's bytes.
 * @throws {Error} When the asset is missing or the server answers with an error status.
 */
export async function readAsset(url: URL): Promise<Uint8Array> {
  if (url.protocol === "file:") return await Deno.readFile(url);
  const response = await fetch(url);
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`${url.href}: HTTP ${response.status} ${response.statusText}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/** sha256 of bytes, as lowercase hex. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice()));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Asset hashes by URL, once per process (the bundled assets do not change while it runs). */
const assetHashes = new Map<string, Promise<string>>();

/**
 * The sha256 of a bundled asset, read and hashed once per process.
 *
 * @param url The asset's URL.
 * @returns Its sha256, lowercase hex.
 * @throws {Error} As {@linkcode readAsset}.
 */
export function assetSha256(url: URL): Promise<string> {
  let hash = assetHashes.get(url.href);
  if (!hash) {
    hash = readAsset(url).then(sha256Hex);
    assetHashes.set(url.href, hash);
    hash.catch(() => assetHashes.delete(url.href)); // a failed read is tried again next time
  }
  return hash;
}

/** The files of a pipeline part: every asset it may load, and the PROVENANCE.md that says where they come from. */
export interface PartAssets {
  /** Every file under the part's `models/` or `cascades/` folder (none for a part built in memory) that it may load. */
  readonly files: readonly URL[];
  /** That folder's PROVENANCE.md (made by `deno task assets`: package, licence, conversion, sha256). */
  readonly provenance: URL;
}
