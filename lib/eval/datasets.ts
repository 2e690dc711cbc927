/**
 * The evaluation datasets in `../shared/datasets/` (never copied into the repo), their
 * kinds, and the even/odd halves used to choose defaults and to report.
 *
 * @module
 */

import { listImages } from "../image/list_images.ts";
import { ROOT } from "./npm.ts";

/** Where the shared datasets live: `$FACE2VEC_DATASETS`, else `../shared/datasets` beside the project. */
export function datasetsDir(): string {
  return Deno.env.get("FACE2VEC_DATASETS") ?? `${ROOT}/../shared/datasets`;
}

/** How detection is scored on a dataset. */
export type DetectionKind = "centred" | "any-face" | "boxes";

/** A dataset (a folder of the shared datasets) and how detection is scored on it. */
export interface Dataset {
  readonly name: string;
  readonly kind: DetectionKind;
  /** For kind `"boxes"`: the fixture (from the project's root) with every face boxed by hand. */
  readonly truth?: string;
}

/** The shared datasets and how the report scores detection on each. */
export const DATASETS: readonly Dataset[] = [
  { name: "lfw_min10", kind: "centred" },
  { name: "orl_att_faces", kind: "centred" },
  { name: "bbt", kind: "centred" },
  { name: "face2vec", kind: "any-face" },
  { name: "scenes", kind: "boxes", truth: "fixtures/scene_faces.json" },
  { name: "helen_landmarks", kind: "any-face" },
];

/** Whether the shared datasets folder exists, or with `name` that dataset's folder. */
export function datasetsPresent(name?: string): boolean {
  try {
    return Deno.statSync(name === undefined ? datasetsDir() : `${datasetsDir()}/${name}`).isDirectory;
  } catch {
    return false;
  }
}

/** The photos of a dataset, sorted by relative path. */
export async function datasetPhotos(dir: string): Promise<{ path: string; relative: string }[]> {
  return await listImages([dir]);
}

/** Which half of a sorted list: even positions (0, 2, …) choose defaults; odd report. */
export type Half = "even" | "odd";

/** Items at even or odd positions of a sorted list. */
export function half<T>(items: readonly T[], which: Half): T[] {
  return items.filter((_, i) => i % 2 === (which === "even" ? 0 : 1));
}

/**
 * Registers a test that needs the datasets. Where they are missing it is registered as
 * ignored (Deno reports it so) after printing why, unless `FACE2VEC_REQUIRE_DATASETS=1`,
 * where it runs and fails on the missing folder.
 */
export function datasetTest(name: string, fn: () => Promise<void>): void {
  const present = datasetsPresent();
  const required = Deno.env.get("FACE2VEC_REQUIRE_DATASETS") === "1";
  if (!present && !required) {
    console.log(`skipping "${name}": ${datasetsDir()} not found (the shared datasets are not on this machine)`);
  }
  Deno.test({
    name,
    ignore: !present && !required,
    fn: async () => {
      if (!present) throw new Error(`${datasetsDir()} is missing and FACE2VEC_REQUIRE_DATASETS=1`);
      await fn();
    },
  });
}
