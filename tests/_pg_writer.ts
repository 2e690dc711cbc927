/**
 * Test helper, run as its own process: a writer of a PostgreSQL gallery through the library.
 *
 *   deno run -A tests/_pg_writer.ts enrol URL FACES_JSON FROM STEP [RETRY_SECONDS]
 *     enrols faces FROM, FROM+STEP, … of FACES_JSON ({label, path, embedding}[]) one per call,
 *     printing `enrolled PATH` once each is acknowledged; a failed call prints
 *     `failed PATH: MESSAGE` and, within RETRY_SECONDS of the first failure (default 0: never),
 *     is tried again after 100 ms; past that, the process exits 1.
 *   deno run -A tests/_pg_writer.ts erase URL LABEL[,LABEL…] TIMES
 *     erases the labels in turn, TIMES in all, printing `erased LABEL COUNT` after each.
 *
 * @module
 */
import { openStore } from "../lib/store/open_store.ts";

const [mode, url, ...rest] = Deno.args;
const print = (line: string) => console.log(line);
const gallery = await openStore(url!, { connections: 2 });
let code = 0;
try {
  if (mode === "enrol") {
    const [file, from, step, retry] = rest;
    const faces = (JSON.parse(await Deno.readTextFile(file!)) as { label: string; path: string; embedding: number[] }[])
      .map((f) => ({ ...f, embedding: Float32Array.from(f.embedding) }));
    for (let i = Number(from); i < faces.length; i += Number(step)) {
      let firstFailure: number | undefined;
      while (true) {
        try {
          await gallery.enrol([faces[i]!]);
          print(`enrolled ${faces[i]!.path}`);
          break;
        } catch (e) {
          print(`failed ${faces[i]!.path}: ${e instanceof Error ? e.message : e}`);
          firstFailure ??= Date.now();
          if (Date.now() - firstFailure > Number(retry ?? 0) * 1000) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
  } else if (mode === "erase") {
    const labels = rest[0]!.split(",");
    for (let k = 0; k < Number(rest[1]); k++) {
      const label = labels[k % labels.length]!;
      print(`erased ${label} ${await gallery.remove(label)}`);
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
} catch (e) {
  console.error(e instanceof Error ? e.message : e);
  code = 1;
} finally {
  await gallery.close().catch(() => {});
}
Deno.exit(code);
