/**
 * The one owner of TensorFlow.js (`@tensorflow/tfjs` on its WASM backend, SIMD, one
 * thread): loads it once, lazily, on the first call. Importing this module does nothing.
 *
 * In Deno, tfjs takes its Node path (Deno sets `process.versions.node`): the backend reads
 * its `.wasm` from its own `dist/` folder with `fs` (read permission, no network), and its
 * multi-threaded build is off (Deno's worker_threads cannot run its blob-URL workers).
 *
 * @module
 */

import type * as Tf from "npm:@tensorflow/tfjs@4.22.0";

/** The tfjs module. */
export type Tfjs = typeof Tf;

let loading: Promise<Tfjs> | undefined;

/**
 * Loads tfjs with the WASM backend active, once per process.
 *
 * @returns The tfjs module, backend `"wasm"`.
 * @throws {Error} When the WASM backend cannot initialise (e.g. no read permission).
 * @example
 * ```ts
 * import { loadTfjs } from "./tfjs.ts";
 * const tf = await loadTfjs();
 * const y = tf.tidy(() => tf.mul(tf.tensor1d([1, 2, 3]), 2));
 * if (tf.getBackend() !== "wasm" || (await y.data())[2] !== 6) throw new Error("tfjs");
 * y.dispose();
 * ```
 */
export async function loadTfjs(): Promise<Tfjs> {
  loading ??= (async () => {
    // The union package: core with its gradients registered, and layers. (tfjs-core alone
    // has no gradients, and its ESM build cannot register them under Deno.)
    const tf = await import("npm:@tensorflow/tfjs@4.22.0");
    // Importing the backend registers it ("wasm") with tfjs-core.
    await import("npm:@tensorflow/tfjs-backend-wasm@4.22.0");
    tf.enableProdMode();
    if (!(await tf.setBackend("wasm"))) throw new Error("tfjs: the WASM backend failed to initialise");
    await tf.ready();
    return tf;
  })();
  return await loading;
}
