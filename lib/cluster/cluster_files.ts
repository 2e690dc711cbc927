/**
 * What `cluster` writes for people to look at and to name: a contact sheet per group (a grid
 * of its aligned face chips) and the faces laid out one folder per group, each as a crop with
 * a margin, so that renaming the folders to people's names makes a training folder.
 *
 * @module
 */

import { alignmentTransform, extractChip } from "../embed/align_face.ts";
import { cropImage } from "../image/crop_image.ts";
import { encodeImage } from "../image/encode_image.ts";
import { createImage, type Image } from "../image/image.ts";
import { readImage } from "../image/read_image.ts";
import { writeFileAtomic } from "../_fs.ts";
import type { ClusteredFace, FolderClustering } from "./cluster_folder.ts";

/**
 * A group's folder or sheet name: `cluster_007`, or the enrolled person's name it matched
 * (made safe as one file name: no `/`, `\\` or control characters, never `.` or `..`).
 *
 * @param clustering From {@linkcode clusterFolder}.
 * @param id The group's id (1 is the largest).
 * @returns The name.
 * @example
 * ```ts
 * import { clusterName } from "./cluster_files.ts";
 * const c = { clusters: [{ id: 1, size: 2, name: "../ada", nameDistance: 0.3 }, { id: 2, size: 2, name: null, nameDistance: null }] };
 * if (clusterName(c as never, 1) !== ".._ada" || clusterName(c as never, 2) !== "cluster_002") throw new Error();
 * ```
 */
export function clusterName(clustering: Pick<FolderClustering, "clusters">, id: number): string {
  const named = clustering.clusters[id - 1]?.name;
  if (named === null || named === undefined) return `cluster_${String(id).padStart(3, "0")}`;
  // deno-lint-ignore no-control-regex
  const safe = named.replace(/[/\\\x00-\x1f]/g, "_");
  return safe === "." || safe === ".." ? `_${safe}` : safe;
}

/** Each photo of `faces` decoded once; `use` gets each of its faces with it. */
async function eachFace(
  folder: string,
  faces: readonly ClusteredFace[],
  use: (image: Image, face: ClusteredFace) => Promise<void>,
): Promise<void> {
  const byPhoto = Map.groupBy(faces, (f) => f.path);
  for (const [path, those] of byPhoto) {
    const image = await readImage(`${folder.replace(/\/+$/, "")}/${path}`);
    for (const f of those) await use(image, f);
  }
}

/** Options of {@linkcode writeContactSheets}. */
export interface ContactSheetOptions {
  /** Faces shown per group, nearest to the group's centre first. Default 48. */
  readonly perSheet?: number;
  /** Chips per row. Default 8. */
  readonly columns?: number;
  /** Chip side in pixels. Default 112. */
  readonly chip?: number;
}

/**
 * Writes `dir/<group>.jpg` for every group, largest first (`cluster_001.jpg`, …; a named
 * group by its person, `<person>_<group>` when several groups are named after one), and
 * `dir/unclustered.jpg` when faces are left over: a grid of aligned face chips, nearest to the
 * group's centre first.
 *
 * @param folder The photos' folder (the clustering's paths are relative to it).
 * @param clustering From {@linkcode clusterFolder}.
 * @param dir Where the sheets go (created).
 * @param options Faces per sheet, columns, chip size.
 * @returns The sheets written, in the order of the groups.
 */
export async function writeContactSheets(
  folder: string,
  clustering: FolderClustering,
  dir: string,
  options: ContactSheetOptions = {},
): Promise<string[]> {
  const perSheet = options.perSheet ?? 48, columns = options.columns ?? 8, side = options.chip ?? 112;
  const gap = Math.max(2, Math.round(side / 28));
  const groups = [
    ...clustering.clusters.map((c) => ({ name: clusterName(clustering, c.id), id: c.id as number | null })),
    ...(clustering.unclustered > 0 ? [{ name: "unclustered", id: null }] : []),
  ];
  // Each sheet with the faces it shows; two groups named after one person (or a person named
  // "unclustered") get the group's number after the name, so no sheet overwrites another.
  const sheets = groups.map((g) => ({
    file: groups.filter((o) => o.name === g.name).length > 1 && g.id !== null ? `${g.name}_${g.id}` : g.name,
    members: clustering.faces.filter((f) => f.cluster === g.id)
      .sort((a, b) => (a.distance ?? 0) - (b.distance ?? 0) || (a.path < b.path ? -1 : 1))
      .slice(0, perSheet),
  }));
  const chips = new Map<ClusteredFace, Image>();
  await eachFace(folder, sheets.flatMap((s) => s.members), async (image, f) => {
    const points = f.landmarks.map(([x, y]) => ({ x, y }));
    chips.set(f, await extractChip(image, alignmentTransform(points, { size: side }), side));
  });
  const written: string[] = [];
  for (const { file: name, members } of sheets) {
    const cols = Math.min(columns, members.length), rows = Math.ceil(members.length / columns);
    const sheet = createImage(cols * (side + gap) + gap, rows * (side + gap) + gap, 3);
    sheet.data.fill(40);
    members.forEach((f, i) => {
      const chip = chips.get(f)!;
      const x0 = gap + (i % columns) * (side + gap), y0 = gap + Math.floor(i / columns) * (side + gap);
      for (let y = 0; y < side; y++) {
        sheet.data.set(chip.data.subarray(y * side * 3, (y + 1) * side * 3), ((y0 + y) * sheet.width + x0) * 3);
      }
    });
    const file = `${dir}/${name}.jpg`;
    await writeFileAtomic(file, await encodeImage(sheet, "jpeg"));
    written.push(file);
  }
  return written;
}

/** How much of a face's box is added on each side of its crop in {@linkcode linkClusters}. */
export const LINK_MARGIN = 0.5;

/**
 * Lays the grouped faces out as `dir/<group>/<photo>_<face>.png`: each face cropped with a
 * margin of {@linkcode LINK_MARGIN} of its box on every side (lossless PNG), so that it is the
 * largest face of its crop and `preprocess` finds it again. Rename the folders to people's
 * names, then `preprocess` + `train` (or `enrol`) on `dir`. Unclustered faces are not written.
 *
 * @param folder The photos' folder.
 * @param clustering From {@linkcode clusterFolder}.
 * @param dir Where the group folders go (created).
 * @returns The files written.
 */
export async function linkClusters(folder: string, clustering: FolderClustering, dir: string): Promise<string[]> {
  const written: string[] = [];
  await eachFace(folder, clustering.faces.filter((f) => f.cluster !== null), async (image, f) => {
    const { x, y, width, height } = f.box;
    const m = LINK_MARGIN * Math.max(width, height);
    const crop = cropImage(image, { x: x - m, y: y - m, width: width + 2 * m, height: height + 2 * m });
    const stem = f.path.replace(/\.[^./]+$/, "").replaceAll("/", "__");
    const file = `${dir}/${clusterName(clustering, f.cluster!)}/${stem}_${f.face + 1}.png`;
    await writeFileAtomic(file, await encodeImage(crop, "png"));
    written.push(file);
  });
  return written;
}
