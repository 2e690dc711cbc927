/**
 * Outputs checked before the work starts: a path that cannot be written, or annotated copies
 * that would land in a folder being read, is refused at once (exit 2), not after the work.
 *
 * @module
 */

import { printable } from "../image/image_error.ts";

/** `path` made absolute and normalised, links resolved as far as it exists. */
async function resolved(path: string): Promise<string> {
  const parts = (path.startsWith("/") ? path : `${Deno.cwd()}/${path}`).split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  // The longest prefix that exists, with its links resolved, then the rest as written.
  for (let n = out.length; n > 0; n--) {
    const real = await Deno.realPath(`/${out.slice(0, n).join("/")}`).catch(() => undefined);
    if (real !== undefined) return [real.replace(/\/$/, ""), ...out.slice(n)].join("/") || "/";
  }
  return `/${out.join("/")}`;
}

/**
 * Why an output folder (`--draw DIR`, and `cluster`'s `--sheets` and `--link`) cannot be used
 * with these inputs: it is, or is inside, a folder being read (the copies would be read back,
 * or written over the photos), or it holds an input.
 *
 * @param draw The output folder.
 * @param inputs The files and folders read.
 * @param flag The option's name, for the message. Default `--draw`.
 * @returns The one-line reason, or undefined when it is fine.
 */
export async function drawProblem(
  draw: string,
  inputs: readonly string[],
  flag = "--draw",
): Promise<string | undefined> {
  const target = await resolved(draw);
  const info = await Deno.stat(target).catch(() => undefined);
  if (info && !info.isDirectory) return `${flag} ${printable(draw)}: not a folder`;
  for (const input of inputs) {
    const source = await resolved(input);
    const isDir = (await Deno.stat(source).catch(() => undefined))?.isDirectory ?? false;
    const inside = (a: string, b: string) => a === b || a.startsWith(`${b}/`);
    if ((isDir && inside(target, source)) || inside(source, target)) {
      return `${flag} ${printable(draw)}: inside or around ${printable(input)}, which is being read; ` +
        `${flag === "--draw" ? "annotated copies" : "what it writes"} must go to a folder of ${
          flag === "--draw" ? "their" : "its"
        } own`;
    }
  }
  return undefined;
}

/**
 * Why a file output (`--json-out`) cannot be written: it is an input or inside an input
 * folder, it is a folder, or a folder on its way is a file.
 *
 * @param flag The option's name, for the message.
 * @param path The path given.
 * @param inputs The files and folders read.
 * @returns The one-line reason, or undefined when it is fine.
 */
export async function fileOutputProblem(
  flag: string,
  path: string,
  inputs: readonly string[] = [],
): Promise<string | undefined> {
  const target = await resolved(path);
  for (const input of inputs) {
    const source = await resolved(input);
    if (target === source || target.startsWith(`${source}/`)) {
      return `${flag} ${printable(path)}: would be written over or into ${printable(input)}, which is being read`;
    }
  }
  if ((await Deno.stat(target).catch(() => undefined))?.isDirectory) return `${flag} ${printable(path)}: is a folder`;
  const parts = target.split("/");
  for (let n = parts.length - 1; n > 1; n--) {
    const at = await Deno.stat(parts.slice(0, n).join("/")).catch(() => undefined);
    if (at) return at.isDirectory ? undefined : `${flag} ${printable(path)}: ${parts.slice(0, n).join("/")} is a file`;
  }
  return undefined;
}
