/**
 * Makes the project's model assets from pinned npm packages, reproducibly.
 *
 * - `lib/detect/cascades/haarcascade_*.xml`: OpenCV's Haar face cascades, copied byte for
 *   byte (licence header kept) from `opencv4nodejs@5.6.0` (MIT; the files carry Intel's
 *   OpenCV licence), plus `PROVENANCE.md` with each file's sha256.
 *
 * Usage: `deno task assets` writes them; `deno task assets --check` exits 1 when a
 * committed asset differs from a fresh build.
 *
 * @module
 */

import { npmFile, ROOT } from "./_npm.ts";

const OPENCV4NODEJS = {
  name: "opencv4nodejs",
  version: "5.6.0",
  licence:
    "MIT (package); Intel License Agreement for Open Source Computer Vision Library (cascade files, header kept)",
} as const;
const CASCADE_FILES = ["frontalface_default", "frontalface_alt", "frontalface_alt2"];

/** One asset: its path relative to the project root and its bytes. */
export interface Asset {
  readonly path: string;
  readonly bytes: Uint8Array;
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice()));
  return Array.from(d, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Builds every asset in memory from the installed pinned packages. */
export async function buildAssets(): Promise<Asset[]> {
  const assets: Asset[] = [];
  const rows: string[] = [];
  for (const name of CASCADE_FILES) {
    const file = `haarcascade_${name}.xml`;
    const bytes = await Deno.readFile(npmFile(OPENCV4NODEJS.name, OPENCV4NODEJS.version, `lib/haarcascades/${file}`));
    assets.push({ path: `lib/detect/cascades/${file}`, bytes });
    rows.push(`| \`${file}\` | ${bytes.length} | \`${await sha256(bytes)}\` |`);
  }
  const provenance = [
    "# Provenance of the Haar cascades",
    "",
    "Made by `deno task assets` (`scripts/make_assets.ts`); do not edit by hand.",
    "",
    `- Package: \`${OPENCV4NODEJS.name}@${OPENCV4NODEJS.version}\` from the npm registry, path \`lib/haarcascades/\``,
    `- Licence: ${OPENCV4NODEJS.licence}`,
    "- Conversion: none; each file is copied byte for byte.",
    "",
    "| file | bytes | sha256 |",
    "| --- | ---: | --- |",
    ...rows,
    "",
  ].join("\n");
  assets.push({ path: "lib/detect/cascades/PROVENANCE.md", bytes: new TextEncoder().encode(provenance) });
  return assets;
}

/** Paths of committed assets that differ from a fresh build (empty when all match). */
export async function differingAssets(): Promise<string[]> {
  const out: string[] = [];
  for (const a of await buildAssets()) {
    let committed: Uint8Array | undefined;
    try {
      committed = await Deno.readFile(`${ROOT}/${a.path}`);
    } catch {
      committed = undefined;
    }
    if (!committed || committed.length !== a.bytes.length || committed.some((b, i) => b !== a.bytes[i])) {
      out.push(a.path);
    }
  }
  return out;
}

if (import.meta.main) {
  if (Deno.args.includes("--check")) {
    const diff = await differingAssets();
    for (const p of diff) console.error(`${p}: differs from a fresh build`);
    console.log(diff.length === 0 ? "assets: all match a fresh build" : `assets: ${diff.length} differ`);
    Deno.exit(diff.length === 0 ? 0 : 1);
  }
  for (const a of await buildAssets()) {
    const path = `${ROOT}/${a.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    const tmp = `${path}.tmp`;
    await Deno.writeFile(tmp, a.bytes);
    await Deno.rename(tmp, path);
    console.log(`wrote ${a.path} (${a.bytes.length} bytes)`);
  }
}
