/**
 * The one owner of onnxruntime-web (WASM, CPU, one thread): loads it once, lazily, on the
 * first session; creates sessions from model bytes; and runs them one at a time through a
 * queue, so WASM sessions never run concurrently. Importing this module does nothing.
 *
 * In Deno, onnxruntime-web takes its Node path (Deno sets `process.versions.node`): it
 * imports its `.mjs` glue from its own `dist/` folder in the npm cache and reads the `.wasm`
 * from disk (read permission, no network). That glue also swaps the global `Worker` for
 * node:worker_threads' one; this module puts the web `Worker` back.
 *
 * @module
 */

import type * as Ort from "npm:onnxruntime-web@1.30.0";

/** A loaded model; free it with `release()`. */
export interface OnnxSession {
  /** Input names, in the model's order. */
  readonly inputNames: readonly string[];
  /** Output names, in the model's order. */
  readonly outputNames: readonly string[];
  /**
   * Runs the model on float32 inputs (name → data and shape) and returns float32 outputs
   * (name → data and shape). Calls from anywhere in the process are queued, one at a time.
   */
  run(
    inputs: Record<string, { data: Float32Array; dims: readonly number[] }>,
  ): Promise<Record<string, { data: Float32Array; dims: readonly number[] }>>;
  /** Frees the session's WASM memory. Idempotent. */
  release(): Promise<void>;
}

let loading: Promise<typeof Ort> | undefined;
let queue: Promise<unknown> = Promise.resolve();

async function loadOrt(): Promise<typeof Ort> {
  loading ??= (async () => {
    const ort = await import("npm:onnxruntime-web@1.30.0");
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    ort.env.logLevel = "error";
    return ort;
  })();
  return await loading;
}

/** Runs `fn` after every earlier queued call has finished. */
function exclusive<T>(fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn);
  queue = next.catch(() => {});
  return next;
}

/**
 * Creates an ONNX Runtime session (WASM backend) from model bytes.
 *
 * @param model The `.onnx` file's bytes.
 * @returns The session; call `release()` when done.
 * @throws {Error} When onnxruntime-web cannot load or the model is invalid.
 * @example
 * ```ts
 * import { createOnnxSession } from "./onnx.ts";
 * const bytes = await Deno.readFile(new URL("../landmarks/models/face_landmark_68_tiny.onnx", import.meta.url));
 * const session = await createOnnxSession(bytes);
 * try {
 *   const out = await session.run({ input: { data: new Float32Array(112 * 112 * 3).fill(128), dims: [1, 112, 112, 3] } });
 *   if (out.landmarks?.data.length !== 136) throw new Error("expected 136 numbers");
 * } finally {
 *   await session.release();
 * }
 * ```
 */
export async function createOnnxSession(model: Uint8Array): Promise<OnnxSession> {
  const ort = await loadOrt();
  // "all" must be asked for: it folds the in-graph uint8 dequantisation into constants and
  // pre-packs the conv weights (several times faster per face than without it).
  // onnxruntime-web's Emscripten glue, on its Node path, replaces the global `Worker` with
  // node:worker_threads' (for pthreads, unused with one thread); after that, Deno workers
  // created by anyone in this process would lack `self`. Put the web Worker back.
  const webWorker = globalThis.Worker;
  let session: Ort.InferenceSession;
  try {
    session = await exclusive(() =>
      ort.InferenceSession.create(model, { executionProviders: ["wasm"], graphOptimizationLevel: "all" })
    );
  } finally {
    if (globalThis.Worker !== webWorker) globalThis.Worker = webWorker;
  }
  let released = false;
  return {
    inputNames: [...session.inputNames],
    outputNames: [...session.outputNames],
    run(inputs) {
      return exclusive(async () => {
        if (released) throw new Error("OnnxSession.run() called after release()");
        const feeds: Record<string, Ort.Tensor> = {};
        for (const [k, v] of Object.entries(inputs)) feeds[k] = new ort.Tensor("float32", v.data, [...v.dims]);
        const results = await session.run(feeds);
        const out: Record<string, { data: Float32Array; dims: readonly number[] }> = {};
        for (const [k, t] of Object.entries(results)) {
          out[k] = { data: (t.data as Float32Array).slice(), dims: [...t.dims] };
          t.dispose();
        }
        return out;
      });
    },
    release() {
      if (released) return Promise.resolve();
      released = true;
      return exclusive(() => session.release());
    },
  };
}
