/**
 * A person's corrections to the groups `cluster` found, kept so that the next run keeps them:
 * merge two groups into one, or split one in two. The last run's groups and every correction
 * so far live in a file beside the every-face cache (`<cache>.groups.json`), by face (photo
 * path and face number), not by group number, since numbers change as photos come and go.
 * Each run applies the corrections in the order they were made, after the algorithm and
 * before the cannot-link rule.
 *
 * @module
 */

import { FileKindError, readRegularTextFile, writeFileAtomic } from "../_fs.ts";

/** A face of the folder: its photo's path relative to the folder, `#`, its number in the photo. */
export type FaceKey = string;

/** The key of face `face` of photo `path`. */
export const faceKey = (path: string, face: number): FaceKey => `${path}#${face}`;

/** One correction: these sets of faces are one person (`merge`), or each set another (`split`). */
export type Correction =
  | { readonly merge: readonly (readonly FaceKey[])[] }
  | { readonly split: readonly (readonly FaceKey[])[] };

/** The file kept beside the cache. */
export interface GroupsFile {
  readonly format: "face2vec-cluster-groups";
  readonly version: 1;
  /** The last run's groups, largest first: group `k + 1` is `groups[k]`. */
  readonly groups: readonly (readonly FaceKey[])[];
  /** Every correction, oldest first. */
  readonly corrections: readonly Correction[];
}

/** A groups file that cannot be used, or a correction that names no group: one line, naming the file. */
export class GroupsFileError extends Error {
  override name = "GroupsFileError";
  /** `invalid`: the file cannot be used; `argument`: a correction names no group of the last run. */
  readonly kind: "invalid" | "argument";
  constructor(message: string, kind: "invalid" | "argument" = "invalid") {
    super(message);
    this.kind = kind;
  }
}

/** Where the groups of a cache are kept. */
export const groupsFilePath = (cache: string): string => `${cache}.groups.json`;

// Any path (newlines and all, as Linux allows), `#`, the face number.
const KEY = /^.+#(0|[1-9][0-9]{0,5})$/s;

/** The problem of a list of face sets, or undefined. */
function setsProblem(v: unknown, at: string, min: number): string | undefined {
  if (!Array.isArray(v) || v.length < min) return `${at}: expected an array of ${min} or more face lists`;
  for (const [i, set] of v.entries()) {
    if (!Array.isArray(set) || set.length === 0) return `${at}.${i}: expected a non-empty array of faces`;
    const bad = set.findIndex((k) => typeof k !== "string" || !KEY.test(k));
    if (bad >= 0) return `${at}.${i}.${bad}: expected "path#face", got ${JSON.stringify(set[bad])}`;
  }
  return undefined;
}

/**
 * The problems of a parsed groups file, field by field (none when valid).
 *
 * @example
 * ```ts
 * import { groupsFileProblems } from "./corrections.ts";
 * const ok = { format: "face2vec-cluster-groups", version: 1, groups: [["a.jpg#0", "b.jpg#0"]], corrections: [] };
 * if (groupsFileProblems(ok).length !== 0) throw new Error();
 * if (groupsFileProblems({ ...ok, corrections: [{ merge: [["a.jpg#0"]] }] })[0] !== "corrections.0.merge: expected an array of 2 or more face lists") throw new Error();
 * ```
 */
export function groupsFileProblems(v: unknown): string[] {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return ["(top level): expected an object"];
  const o = v as Record<string, unknown>;
  const problems: string[] = [];
  if (o.format !== "face2vec-cluster-groups") problems.push(`format: expected "face2vec-cluster-groups"`);
  if (o.version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(o.version)}`);
  const groups = setsProblem(o.groups, "groups", 0);
  if (groups) problems.push(groups);
  else {
    const seen = new Set<string>();
    for (const k of (o.groups as string[][]).flat()) {
      if (seen.has(k)) problems.push(`groups: face ${k} is in two groups`);
      seen.add(k);
    }
  }
  if (!Array.isArray(o.corrections)) problems.push("corrections: expected an array");
  else {
    for (const [i, c] of o.corrections.entries()) {
      const keys = typeof c === "object" && c !== null ? Object.keys(c) : [];
      if (keys.length !== 1 || (keys[0] !== "merge" && keys[0] !== "split")) {
        problems.push(`corrections.${i}: expected { merge: [...] } or { split: [...] }`);
        continue;
      }
      const p = setsProblem((c as Record<string, unknown>)[keys[0]!], `corrections.${i}.${keys[0]}`, 2);
      if (p) problems.push(p);
    }
  }
  return problems;
}

/**
 * Reads a groups file, checked field by field.
 *
 * @param path The file.
 * @returns It, or undefined when there is none.
 * @throws {GroupsFileError} When it is not a valid groups file (one line: the file and the first problem).
 */
export async function readGroupsFile(path: string): Promise<GroupsFile | undefined> {
  let text: string;
  try {
    text = await readRegularTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    // A FileKindError's message already starts with the path.
    throw new GroupsFileError(
      e instanceof FileKindError ? e.message : `${path}: ${e instanceof Error ? e.message : e}`,
    );
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new GroupsFileError(`${path}: not JSON (delete it to forget the corrections)`);
  }
  const problems = groupsFileProblems(v);
  if (problems.length) throw new GroupsFileError(`${path}: ${problems[0]} (delete it to forget the corrections)`);
  return v as GroupsFile;
}

/** Writes a groups file atomically (the old or the new one is there, whole, at any moment). */
export async function writeGroupsFile(path: string, file: GroupsFile): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(file) + "\n");
}

/**
 * Applies corrections to groups, in order. A merge joins every group holding a face of its
 * sets (and those of its faces in no group) into one; a split moves the faces of its second
 * and later sets each into a group of its own, out of whatever group they are in. Faces the
 * corrections name that are not here any more (photos removed) are passed over.
 *
 * @param groups Group per face (-1: none).
 * @param keys Each face's key.
 * @param corrections Oldest first.
 * @returns New group numbers (groups' own, and new ones past them).
 * @example
 * ```ts
 * import { applyCorrections } from "./corrections.ts";
 * const g = applyCorrections(Int32Array.of(0, 0, 1, 2), ["a#0", "b#0", "c#0", "d#0"], [
 *   { merge: [["c#0"], ["d#0"]] },
 *   { split: [["a#0"], ["b#0"]] },
 * ]);
 * if ([...g].join() !== "0,3,1,1") throw new Error([...g].join());
 * ```
 */
export function applyCorrections(
  groups: Int32Array,
  keys: readonly FaceKey[],
  corrections: readonly Correction[],
): Int32Array {
  const out = Int32Array.from(groups);
  const index = new Map(keys.map((k, i) => [k, i]));
  let next = out.reduce((m, g) => Math.max(m, g), -1) + 1;
  const faces = (sets: readonly (readonly FaceKey[])[]) =>
    sets.map((s) => s.map((k) => index.get(k)).filter((i): i is number => i !== undefined));
  for (const c of corrections) {
    if ("merge" in c) {
      const listed = faces(c.merge).flat();
      if (listed.length === 0) continue;
      const joined = new Set(listed.map((i) => out[i]!).filter((g) => g >= 0));
      const target = joined.size ? Math.min(...joined) : next++;
      out.forEach((g, i) => {
        if (joined.has(g)) out[i] = target;
      });
      for (const i of listed) out[i] = target;
    } else {
      for (const part of faces(c.split).slice(1)) {
        if (part.length === 0) continue;
        const g = next++;
        for (const i of part) out[i] = g;
      }
    }
  }
  return out;
}

/**
 * Splits vectors in two: 2-means from the two farthest-apart vectors (the first one's
 * farthest, then that one's farthest), 20 rounds at most.
 *
 * @param vectors At least 2, all of one length.
 * @returns The indices of each part, each non-empty, the part of vector 0 first.
 * @throws {RangeError} For fewer than 2 vectors, or all of them equal.
 * @example
 * ```ts
 * import { splitInTwo } from "./corrections.ts";
 * const [a, b] = splitInTwo([[0, 0], [5, 5], [0.1, 0], [5, 5.1]]);
 * if (a.join() !== "0,2" || b.join() !== "1,3") throw new Error(`${a} | ${b}`);
 * ```
 */
export function splitInTwo(vectors: readonly ArrayLike<number>[]): [number[], number[]] {
  if (vectors.length < 2) throw new RangeError(`a group of ${vectors.length} face cannot be split`);
  const d2 = (a: ArrayLike<number>, b: ArrayLike<number>) => {
    let s = 0;
    for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
    return s;
  };
  const farthest = (from: ArrayLike<number>) =>
    vectors.reduce((best, v, i) => (d2(from, v) > d2(from, vectors[best]!) ? i : best), 0);
  const p = farthest(vectors[0]!), q = farthest(vectors[p]!);
  if (d2(vectors[p]!, vectors[q]!) === 0) throw new RangeError("the group's faces are all alike; nothing to split");
  let centres: ArrayLike<number>[] = [vectors[p]!, vectors[q]!];
  let side = new Uint8Array(vectors.length);
  for (let round = 0; round < 20; round++) {
    const next = Uint8Array.from(vectors, (v) => (d2(v, centres[1]!) < d2(v, centres[0]!) ? 1 : 0));
    if (round > 0 && next.every((s, i) => s === side[i])) break;
    side = next;
    centres = [0, 1].map((s) => {
      const members = vectors.filter((_, i) => side[i] === s);
      const c = new Float64Array(vectors[0]!.length);
      for (const v of members) for (let k = 0; k < c.length; k++) c[k]! += v[k]! / members.length;
      return c;
    });
    if (!side.includes(0) || !side.includes(1)) break;
  }
  const a: number[] = [], b: number[] = [];
  side.forEach((s, i) => (s === side[0] ? a : b).push(i));
  if (b.length === 0) throw new RangeError("the group's faces are all alike; nothing to split");
  return [a, b];
}
