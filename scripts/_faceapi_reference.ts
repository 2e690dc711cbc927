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

import { FACE_API, npmFile } from "../lib/eval/npm.ts";
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
 * Loads a face-api network from its pinned weight file (dequantised as face-api's own loader
 * does), runs `forwardInput` on each size x size RGB input one at a time, and frees it all.
 */
async function forwardEach(
  faceapi: Any,
  net: Any,
  file: string,
  size: number,
  inputs: readonly Float32Array[],
): Promise<Float32Array[]> {
  const tf = faceapi.tf;
  const weights = await readWeights(npmFile(FACE_API.name, FACE_API.version, `model/${file}-weights_manifest.json`));
  const map: Record<string, unknown> = {};
  // face-api's own loader dequantises as q * scale + min into float32; so does this.
  for (const [k, v] of weights) {
    map[k] = tf.tensor(dequantize(v), v.shape, "float32");
  }
  try {
    net.loadFromWeightMap(map);
    const out: Float32Array[] = [];
    for (const input of inputs) {
      const t = tf.tensor3d(input, [size, size, 3], "float32");
      const result = net.forwardInput(await faceapi.toNetInput(t));
      out.push(new Float32Array(await result.data()));
      result.dispose();
      t.dispose();
    }
    return out;
  } finally {
    if (net.params) net.dispose();
    for (const t of Object.values(map)) (t as Any).dispose();
  }
}

/**
 * Runs face-api's FaceLandmark68Net (or the tiny one) on 112x112 RGB inputs (NHWC floats,
 * 0–255) and returns its 136 outputs per input.
 */
export async function faceApiLandmarks(net: "full" | "tiny", inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const faceapi = await faceApi();
  return net === "full"
    ? await forwardEach(faceapi, new faceapi.FaceLandmark68Net(), "face_landmark_68_model", 112, inputs)
    : await forwardEach(faceapi, new faceapi.FaceLandmark68TinyNet(), "face_landmark_68_tiny_model", 112, inputs);
}

/**
 * Runs face-api's FaceRecognitionNet on 150x150 RGB inputs (NHWC floats, 0–255) and returns
 * its 128-d descriptor per input, as the net outputs it (not L2-normalised).
 *
 * @param inputs 150 · 150 · 3 floats each.
 * @returns One descriptor per input, in order.
 */
export async function faceApiDescriptors(inputs: readonly Float32Array[]): Promise<Float32Array[]> {
  const faceapi = await faceApi();
  return await forwardEach(faceapi, new faceapi.FaceRecognitionNet(), "face_recognition_model", 150, inputs);
}
