/** The longest name a person may have, in characters (code points). */
export const MAX_LABEL_LENGTH = 200;

/**
 * Characters a person's name may not hold: C0 controls, DEL, C1 controls, the bidirectional
 * marks, embeddings, overrides and isolates (U+061C, U+200E, U+200F, U+202A–U+202E,
 * U+2066–U+2069), which reorder what a terminal shows, and slashes (a name is a path segment).
 */
// deno-lint-ignore no-control-regex
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]/u;

/**
 * What is wrong with a person's name, or undefined when it may be used. The one rule for names,
 * wherever they come from: `enrol`, the service, a folder or file name.
 *
 * A name is 1–200 characters, not blank, without surrounding white space, control characters
 * (C0, DEL, C1), bidirectional controls (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069)
 * or slashes.
 *
 * @param label The name.
 * @returns The reason it is refused (a few words, quoting no character raw), or undefined.
 * @example
 * ```ts
 * import { labelProblem } from "./labels.ts";
 * if (labelProblem("Zoë") !== undefined) throw new Error();
 * if (labelProblem("ada\u202egpj.exe") !== "holds U+202E") throw new Error();
 * ```
 */
export function labelProblem(label: string): string | undefined {
  if (label.trim() === "") return "empty";
  const bad = label.match(FORBIDDEN)?.[0];
  if (bad !== undefined) {
    return `holds ${
      bad === "/" || bad === "\\"
        ? `a slash (${bad})`
        : `U+${bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`
    }`;
  }
  if (label !== label.trim()) return "has surrounding white space";
  const length = [...label].length;
  if (length > MAX_LABEL_LENGTH) return `${length} characters, at most ${MAX_LABEL_LENGTH}`;
  return undefined;
}

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
 * @throws {RangeError} When a naming rule gives an empty label (e.g. `1.pgm` by file name), or
 *   one {@linkcode labelProblem} refuses (a folder name holding a control character).
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
  const problem = labelProblem(label);
  if (problem !== undefined) throw new RangeError(`label by ${rule} rule ${problem}: not a name`);
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

/**
 * Why a set of labels cannot make a model, when every photo has the same one (a flat folder
 * of camera-named photos, `IMG_0001.jpg` …, is one person "img" by file name), else undefined.
 * A model tells people apart: it needs two at least.
 *
 * @param counts Photos per label.
 * @param rule The rule that gave the labels.
 * @returns A sentence saying why and how to name photos, or undefined for two labels or more (or none).
 * @example
 * ```ts
 * import { singleLabelProblem } from "./labels.ts";
 * if (!singleLabelProblem({ img: 12 }, "filename")?.includes('"img"')) throw new Error();
 * if (singleLabelProblem({ ada: 3, bob: 2 }, "folder") !== undefined) throw new Error();
 * ```
 */
export function singleLabelProblem(counts: Readonly<Record<string, number>>, rule: LabelRule): string | undefined {
  const names = Object.keys(counts);
  if (names.length !== 1 || rule === "none") return undefined;
  const name = names[0]!, photos = counts[name]!;
  const how = rule === "filename"
    ? 'the letters of each file name, so IMG_0001.jpg is "img"'
    : "the folder each photo is in";
  return `all ${photos} photo${photos === 1 ? " is" : "s are"} of one person, ${JSON.stringify(name)} ` +
    `(labels by ${rule}: ${how}), and a model tells two people apart at least: ` +
    "name photos by person, a folder each (kanye/1.jpg, zach/1.jpg) or by name (kanye3.jpg, zach1.jpg), " +
    "or enrol one person's photos into a gallery with `enrol <name> <photos>`";
}
