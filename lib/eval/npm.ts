/**
 * Locates files inside the pinned npm packages that Deno installs into `node_modules/`
 * (deno.json sets `"nodeModulesDir": "auto"`). For scripts and tests run from a checkout.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The project's root folder. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(/\/$/, "");

/**
 * Absolute path of a file inside an installed npm package, after checking that the
 * installed version is the pinned one.
 *
 * @throws {Error} When the package is missing or not at `version`.
 */
export function npmFile(pkg: string, version: string, file: string): string {
  const dir = `${ROOT}/node_modules/${pkg}`;
  let installed: string;
  try {
    installed = JSON.parse(Deno.readTextFileSync(`${dir}/package.json`)).version;
  } catch {
    throw new Error(`npm package ${pkg} is not installed under node_modules: run \`deno install\``);
  }
  if (installed !== version) {
    throw new Error(`npm package ${pkg} is ${installed}, expected the pinned ${version}: run \`deno install\``);
  }
  return `${dir}/${file}`;
}

/** The pinned package that ships the sample photos. */
export const FACE_API = { name: "@vladmandic/face-api", version: "1.7.15" } as const;

/** The six 1920px group photos shipped in `@vladmandic/face-api`'s `demo/` folder. */
export function samplePhotos(): string[] {
  return [1, 2, 3, 4, 5, 6].map((i) => npmFile(FACE_API.name, FACE_API.version, `demo/sample${i}.jpg`));
}
