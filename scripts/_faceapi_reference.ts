/**
 * face-api.js's own forward pass (its bundled tfjs, CPU backend), as the reference that the
 * converted ONNX models are tested against. For tests only.
 *
 * face-api's bundle is made for browsers and Node; under Deno three things are set up by
 * hand: `process` is hidden while the bundle is imported (else tfjs takes its Node path and
 * needs Node's `util`), tfjs gets a minimal platform, and face-api gets a minimal environment
 * (no canvas is ever used: inputs are tensors).
 *
 * @module
 */

import { FACE_API, npmFile } from "./_npm.ts";
import { dequantize, readWeights } from "./_faceapi.ts";

// deno-lint-ignore no-explicit-any
type Any = any;
let loaded: Promise<Any> | undefined;

function faceApi(): Promise<Any> {
  loaded ??= (async () => {
    const g = globalThis as Any;
    const saved = g.process;
    g.process = undefined;
    let faceapi: Any;
    try {
      faceapi = await import("npm:@vladmandic/face-api@1.7.15/dist/face-api.esm.js");
    } finally {
      g.process = saved;
    }
    const tf = faceapi.tf;
    tf.env().setPlatform("deno", {
      fetch: (u: string, i?: RequestInit) => fetch(u, i),
      now: () => performance.now(),
      encode: (t: string) => new TextEncoder().encode(t),
      decode: (b: Uint8Array, e: string) => new TextDecoder(e).decode(b),
      isTypedArray: (a: unknown) => ArrayBuffer.isView(a) && !(a instanceof DataView),
      setTimeoutCustom: (f: () => void, d: number) => setTimeout(f, d),
    });
    await tf.setBackend("cpu");
    await tf.ready();
    class Unused {}
    const no = () => {
      throw new Error("no canvas in the reference harness");
    };
    faceapi.env.setEnv({
      Canvas: Unused,
      CanvasRenderingContext2D: Unused,
      Image: Unused,
      ImageData: Unused,
      Video: Unused,
      createCanvasElement: no,
      createImageElement: no,
      createVideoElement: no,
      fetch,
      readFile: no,
    });
    return faceapi;
  })();
  return loaded;
}

/**
 * Runs face-api's FaceLandmark68Net (or the tiny one) on 112x112 RGB inputs (NHWC floats,
 * 0–255) and returns its 136 outputs per input.
 */
export async function faceApiLandmarks(net: "full" | "tiny", inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const faceapi = await faceApi();
  const tf = faceapi.tf;
  const file = net === "full" ? "face_landmark_68_model" : "face_landmark_68_tiny_model";
  const weights = await readWeights(npmFile(FACE_API.name, FACE_API.version, `model/${file}-weights_manifest.json`));
  const map: Record<string, unknown> = {};
  // face-api's own loader dequantises as q * scale + min into float32; so does this.
  for (const [k, v] of weights) {
    map[k] = tf.tensor(dequantize(v), v.shape, "float32");
  }
  const model = net === "full" ? new faceapi.FaceLandmark68Net() : new faceapi.FaceLandmark68TinyNet();
  model.loadFromWeightMap(map);
  try {
    const out: Float32Array[] = [];
    for (const input of inputs) {
      const t = tf.tensor3d(input, [112, 112, 3], "float32");
      const result = model.forwardInput(await faceapi.toNetInput(t));
      out.push(new Float32Array(await result.data()));
      result.dispose();
      t.dispose();
    }
    return out;
  } finally {
    model.dispose();
    for (const t of Object.values(map)) (t as Any).dispose();
  }
}
