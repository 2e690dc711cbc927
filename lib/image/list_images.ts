import { sniffImage } from "./_header.ts";

/** File extensions (lower case) treated as photos when walking folders. Unsupported ones are listed too, so that each is reported with its reason instead of being skipped silently. */
export const IMAGE_EXTENSIONS: readonly string[] = [
  ".jpg",
  ".jpeg",
  ".jfif",
  ".png",
  ".webp",
  ".gif",
  ".bmp",
  ".dib",
  ".tif",
  ".tiff",
  ".pgm",
  ".ppm",
  ".pnm",
  ".heic",
  ".heif",
  ".avif",
  ".jxl",
];

/**
 * File extensions (lower case) of things that are not photos, skipped when walking folders
 * without reading them. Every other file without an image extension has its first bytes read.
 */
export const NON_IMAGE_EXTENSIONS: readonly string[] = [
  ".txt",
  ".md",
  ".csv",
  ".tsv",
  ".json",
  ".jsonl",
  ".xml",
  ".html",
  ".htm",
  ".yml",
  ".yaml",
  ".toml",
  ".ini",
  ".log",
  ".pdf",
  ".doc",
  ".docx",
  ".xls",
  ".xlsx",
  ".zip",
  ".gz",
  ".tgz",
  ".bz2",
  ".xz",
  ".zst",
  ".7z",
  ".tar",
  ".rar",
  ".mp4",
  ".mov",
  ".avi",
  ".mkv",
  ".webm",
  ".mp3",
  ".wav",
  ".ogg",
  ".flac",
  ".m4a",
  ".ts",
  ".js",
  ".mjs",
  ".py",
  ".sh",
  ".c",
  ".h",
  ".rs",
  ".go",
  ".java",
  ".onnx",
  ".bin",
  ".npy",
  ".npz",
  ".pt",
  ".pts",
  ".mat",
  ".cache",
  ".lock",
  ".tmp",
  ".db",
  ".sqlite",
  ".svg",
  ".ds_store",
  ".exe",
  ".dll",
  ".so",
];

/** One photo found by {@linkcode listImages}. */
export interface ListedImage {
  /** The path to open (as given, or joined under the given folder). */
  readonly path: string;
  /**
   * The path relative to the folder it was found in; for a file named directly, the path as
   * given when it is relative and stays inside the working folder, else its file name.
   */
  readonly relative: string;
}

/**
 * Expands files and folders into the photos to process: folders are walked recursively in
 * sorted order (by code point, so runs are reproducible), keeping files whose extension is
 * an image's (case-insensitive: `.JPG` counts) and regular files with any other name whose
 * leading bytes are an image signature (a GIF named `subject01` or `subject01.glasses`, as the
 * Yale faces are); files with a known extension of something else (`.txt`, `.json`, `.cache`,
 * `.pts`, `.mp4`, … see {@linkcode NON_IMAGE_EXTENSIONS}) are skipped unread. Unsupported images (HEIC, AVIF, JPEG XL) are kept, so that the run reports each.
 * Files named directly are kept whatever their extension. Hidden entries (a leading dot)
 * inside folders are skipped.
 *
 * @param inputs Files and folders.
 * @returns The photos, folder contents in sorted order, inputs in the order given.
 * @throws {Deno.errors.NotFound} When an input does not exist.
 * @example
 * ```ts
 * import { listImages } from "./list_images.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/kanye`);
 * await Deno.writeFile(`${dir}/kanye/3.JPG`, new Uint8Array());
 * await Deno.writeFile(`${dir}/notes.txt`, new Uint8Array());
 * const found = await listImages([dir]);
 * if (found.length !== 1 || found[0]?.relative !== "kanye/3.JPG") throw new Error(JSON.stringify(found));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function listImages(inputs: readonly string[]): Promise<ListedImage[]> {
  const out: ListedImage[] = [];
  for (const input of inputs) {
    const info = await Deno.stat(input);
    if (info.isDirectory) {
      await walk(input.replace(/\/+$/, "") || "/", "", out);
    } else {
      out.push({ path: input, relative: fileRelative(input) });
    }
  }
  return out;
}

function fileRelative(input: string): string {
  const parts = input.split("/").filter((p) => p !== "" && p !== ".");
  if (input.startsWith("/") || parts.includes("..")) return parts.at(-1) ?? input;
  return parts.join("/");
}

async function walk(root: string, rel: string, out: ListedImage[], seen = new Set<string>()): Promise<void> {
  const dir = rel === "" ? root : `${root}/${rel}`;
  // A folder reached twice through links (a link to an ancestor) is walked once.
  const real = await Deno.realPath(dir).catch(() => dir);
  if (seen.has(real)) return;
  seen.add(real);
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) if (!e.name.startsWith(".")) entries.push(e);
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel === "" ? e.name : `${rel}/${e.name}`;
    let isDir = e.isDirectory;
    // A broken link or a link loop is that entry's problem (reading it says which), not the folder's.
    if (e.isSymlink) isDir = await Deno.stat(`${root}/${r}`).then((s) => s.isDirectory, () => false);
    if (isDir) await walk(root, r, out, seen);
    else if (hasImageExtension(e.name)) out.push({ path: `${root}/${r}`, relative: r });
    else if (!hasOtherExtension(e.name) && await hasImageSignature(`${root}/${r}`)) {
      out.push({ path: `${root}/${r}`, relative: r });
    }
  }
}

/** Whether a regular file's first bytes are an image signature; false for anything unreadable. */
async function hasImageSignature(path: string): Promise<boolean> {
  // Only regular files are opened: opening a FIFO would wait for a writer.
  const info = await Deno.stat(path).catch(() => undefined);
  if (info === undefined || !info.isFile || info.size === 0) return false;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path);
    const head = new Uint8Array(32);
    let n = 0;
    while (n < head.length) {
      const got = await file.read(head.subarray(n));
      if (got === null) break;
      n += got;
    }
    return sniffImage(head.subarray(0, n)) !== undefined;
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

/** Whether a file name's extension is one of {@linkcode NON_IMAGE_EXTENSIONS}. */
function hasOtherExtension(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot > 0 && NON_IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}

/**
 * Whether a file name has one of {@linkcode IMAGE_EXTENSIONS}, case-insensitively.
 *
 * @param name A file name or path.
 * @returns True for `kanye3.jpg`, `Carrie8.JPG`, `1.pgm`.
 * @example
 * ```ts
 * import { hasImageExtension } from "./list_images.ts";
 * if (!hasImageExtension("Carrie8.JPG") || hasImageExtension("notes.txt")) throw new Error();
 * ```
 */
export function hasImageExtension(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot >= 0 && IMAGE_EXTENSIONS.includes(name.slice(dot).toLowerCase());
}
