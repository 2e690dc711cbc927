/** How a photo's label (the person) is found; `"none"`: unnamed photos (every label empty). */
export type LabelRule = "folder" | "filename" | "none";

/** Folders that split a dataset rather than name a person. */
const SPLIT_FOLDERS = new Set(["train", "test"]);

/**
 * The label of a photo from its path relative to the dataset folder.
 * - `"folder"`: the nearest enclosing folder that is not `train`/`test`
 *   (`people/kanye/3.jpg` → `kanye`, `s7/1.pgm` → `s7`, `kanye/train/3.jpg` → `kanye`).
 * - `"filename"`: the letters a–z of the file name (without extension), lower-cased: the
 *   original Face2Vec's rule (`kanye3.jpg` → `kanye`, `Carrie8.JPG` → `carrie`).
 * - `"none"`: no label (`""`), for photos of people not yet named (clustering).
 *
 * @param relative The photo's path relative to the dataset folder, `/`-separated.
 * @param rule Which rule.
 * @returns The label.
 * @throws {RangeError} When a naming rule gives an empty label (e.g. `1.pgm` by file name).
 * @example
 * ```ts
 * import { labelOf } from "./labels.ts";
 * if (labelOf("train/Carrie8.JPG", "filename") !== "carrie") throw new Error();
 * if (labelOf("orl/s7/1.pgm", "folder") !== "s7") throw new Error();
 * ```
 */
export function labelOf(relative: string, rule: LabelRule): string {
  if (rule === "none") return "";
  const parts = relative.split("/");
  const file = parts.pop() ?? "";
  let label = "";
  if (rule === "folder") {
    label = [...parts].reverse().find((p) => !SPLIT_FOLDERS.has(p.toLowerCase())) ?? "";
  } else {
    const stem = file.includes(".") ? file.slice(0, file.lastIndexOf(".")) : file;
    label = stem.toLowerCase().replace(/[^a-z]/g, "");
  }
  if (label === "") throw new RangeError(`empty label by ${rule} rule`);
  return label;
}

/**
 * The rule to use for a whole dataset when none is given: `"folder"` when any photo sits in
 * a subfolder other than `train`/`test`, else `"filename"`.
 *
 * @param relatives Every photo's path relative to the dataset folder.
 * @returns The rule.
 * @example
 * ```ts
 * import { detectLabelRule } from "./labels.ts";
 * if (detectLabelRule(["train/kanye3.jpg", "test/zach2.jpg"]) !== "filename") throw new Error();
 * if (detectLabelRule(["people/kanye/3.jpg"]) !== "folder") throw new Error();
 * ```
 */
export function detectLabelRule(relatives: readonly string[]): LabelRule {
  return relatives.some((r) => r.split("/").slice(0, -1).some((p) => !SPLIT_FOLDERS.has(p.toLowerCase())))
    ? "folder"
    : "filename";
}
