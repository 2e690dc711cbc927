/**
 * The 68-point landmark networks, one registry entry each ({@linkcode LANDMARK_NETWORKS}):
 * face-api.js's full and tiny networks, converted to ONNX. Each entry owns its name, version,
 * assets, input size, the settings it records and its factory; nothing else branches on a
 * network's name. The crop a network is fed (and its defaults behind each detector) belongs
 * to the landmarker (`detect_landmarks.ts`) and the detectors, not to the network.
 *
 * @module
 */

import { type PartAssets, readAsset } from "../_asset.ts";
import { createOnnxSession } from "../runtime/onnx.ts";

/** A loaded landmark network: square RGB crops in, 68 points per crop out (0–1 of the crop). */
export interface LandmarkNetwork {
  /** The side of the square crops it takes, in pixels. */
  readonly inputSize: number;
  /**
   * One batched run.
   * @param input `count` crops, `inputSize`² RGB floats 0–255 each (NHWC).
   * @param count How many crops.
   * @returns 136 numbers per crop: x0, y0, x1, y1, … relative to the crop (0–1).
   */
  run(input: Float32Array, count: number): Promise<Float32Array>;
  /** Frees its runtime memory. Idempotent. */
  dispose(): Promise<void>;
}

/** One landmark network's registry entry. */
export interface LandmarkNetworkEntry<Name extends string = string> {
  /** The name `--landmark-model` takes and caches and models record (as `landmarks.model`). */
  readonly name: Name;
  /**
   * Bumped when its points change for the same crops and asset; recorded (as
   * `landmarks.version`) from 2 on, so that settings recorded at version 1 read as before.
   */
  readonly version: number;
  /** One line for the docs. */
  readonly description: string;
  readonly assets: PartAssets;
  /** The side of the square crops it takes, in pixels. */
  readonly inputSize: number;
  /** The assets it loads, by the key under which their sha256 is recorded in `assets`. */
  assetsInUse(): Readonly<Record<string, URL>>;
  /**
   * Loads the network.
   * @throws {Error} When its asset or the runtime cannot be loaded.
   */
  create(): Promise<LandmarkNetwork>;
}

/** face-api.js's landmark networks as converted: input `input` [N, 112, 112, 3], output `landmarks` [N, 136]. */
const FACE_API_INPUT = 112;

/** A network that runs one of the converted face-api.js ONNX models. */
async function faceApiNetwork(url: URL): Promise<LandmarkNetwork> {
  const session = await createOnnxSession(await readAsset(url));
  let disposed = false;
  return {
    inputSize: FACE_API_INPUT,
    async run(input, count) {
      if (disposed) throw new Error("FaceLandmarker.landmarks() called after dispose()");
      const out = await session.run({ input: { data: input, dims: [count, FACE_API_INPUT, FACE_API_INPUT, 3] } });
      return out.landmarks!.data;
    },
    async dispose() {
      if (!disposed) {
        disposed = true;
        await session.release();
      }
    },
  };
}

/** The entry of one converted face-api.js network, from its file under `models/`. */
function faceApiEntry<Name extends string>(name: Name, file: string, description: string): LandmarkNetworkEntry<Name> {
  const url = new URL(`./models/${file}`, import.meta.url);
  return Object.freeze({
    name,
    version: 1,
    description,
    assets: Object.freeze({
      files: Object.freeze([url]),
      provenance: new URL("./models/PROVENANCE.md", import.meta.url),
    }),
    inputSize: FACE_API_INPUT,
    assetsInUse: () => ({ landmark_model: url }),
    create: () => faceApiNetwork(url),
  });
}

/**
 * Every landmark network by name, the default first: `full` (more accurate) and `tiny`
 * (about twice as fast), face-api.js's 68-point networks (`@vladmandic/face-api`, MIT).
 */
export const LANDMARK_NETWORKS = Object.freeze({
  full: faceApiEntry("full", "face_landmark_68.onnx", "face-api.js's 68-point landmark network"),
  tiny: faceApiEntry("tiny", "face_landmark_68_tiny.onnx", "face-api.js's tiny 68-point landmark network"),
});

/** Which 68-point network: `"full"` (more accurate) or `"tiny"` (about twice as fast). */
export type LandmarkModel = keyof typeof LANDMARK_NETWORKS;

/** The networks, the default first (for `--landmark-model`'s choices and the measures). */
export const LANDMARK_MODELS: readonly LandmarkModel[] = Object.freeze(
  Object.keys(LANDMARK_NETWORKS) as LandmarkModel[],
);

/** The network used when none is named. */
export const DEFAULT_LANDMARK_MODEL: LandmarkModel = "full";

/**
 * A set of landmark network entries by name: {@linkcode LANDMARK_NETWORKS}, or another one
 * given to the landmarker (a test's own network, injected without editing the registry).
 */
export type LandmarkNetworks = Readonly<Record<string, LandmarkNetworkEntry>>;

/**
 * A landmark network's entry by name.
 *
 * @param name A network's name.
 * @param networks The entries to look in. Default {@linkcode LANDMARK_NETWORKS}.
 * @returns The entry.
 * @throws {RangeError} For an unknown name, listing the known ones.
 * @example
 * ```ts
 * import { landmarkNetwork } from "./landmark_networks.ts";
 * if (landmarkNetwork("tiny").inputSize !== 112) throw new Error();
 * ```
 */
export function landmarkNetwork(name: string, networks: LandmarkNetworks = LANDMARK_NETWORKS): LandmarkNetworkEntry {
  const entry = Object.hasOwn(networks, name) ? networks[name] : undefined;
  if (!entry) throw new RangeError(`landmark model must be ${Object.keys(networks).join(" | ")}, got ${name}`);
  return entry;
}
