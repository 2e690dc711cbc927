/**
 * Test helper, run as its own process: preprocesses a folder and SIGKILLs itself as soon as
 * `N` photos have been processed and appended to the cache (a real crash, no sleeps).
 * Usage: deno run -A tests/_crash_child.ts FOLDER CACHE N
 */
import { preprocessFolder } from "../lib/dataset/preprocess.ts";

const [folder, cache, n] = Deno.args;
let processed = 0;
await preprocessFolder(folder!, {
  cache,
  features: "geometry",
  workers: 1,
  onPhoto: ({ cached }) => {
    if (!cached && ++processed === Number(n)) Deno.kill(Deno.pid, "SIGKILL");
  },
});
