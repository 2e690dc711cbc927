/**
 * The landmarker behind a named detector: the landmark crop each detector's entry owns
 * (`landmarks` of {@linkcode DETECTOR_REGISTRY}'s entries: one fixed calibration of its box to
 * the crop, fitted on the even half of HELEN by `deno task tune landmarks`), handed to the
 * landmarker, which knows no detector names.
 *
 * @module
 */

import {
  createLandmarker as createLandmarkerWith,
  type FaceLandmarker,
  type LandmarkerOptions,
  resolveLandmarkerOptions as resolveLandmarkerOptionsWith,
} from "../landmarks/detect_landmarks.ts";
import { DEFAULT_LANDMARK_MODEL } from "../landmarks/landmark_networks.ts";
import { DETECTOR_REGISTRY, detectorEntry, type DetectorName } from "./detect_faces.ts";

/** The landmarker's defaults behind each detector (the network and the detector's crop). */
export const LANDMARKER_DEFAULTS: Readonly<Record<DetectorName, Readonly<Required<LandmarkerOptions>>>> = Object.freeze(
  Object.fromEntries(
    Object.values(DETECTOR_REGISTRY).map((
      e,
    ) => [e.name, Object.freeze({ model: DEFAULT_LANDMARK_MODEL, ...e.landmarks })]),
  ) as Record<DetectorName, Readonly<Required<LandmarkerOptions>>>,
);

/**
 * The landmark options in force behind `detector`: its crop's defaults filled in, validated.
 *
 * @param options Partial landmarker options.
 * @param detector The detector whose boxes the landmarker gets; absent: the landmarker's own defaults (the original's crop).
 * @returns Every option.
 * @throws {RangeError} For an unknown detector or out-of-range options.
 * @example
 * ```ts
 * import { resolveLandmarkerOptions } from "./landmark_crops.ts";
 * const o = resolveLandmarkerOptions({}, "blazeface");
 * if (o.scale !== 1.3 || o.shiftY !== 0.1 || !o.mirror) throw new Error(JSON.stringify(o));
 * ```
 */
export function resolveLandmarkerOptions(
  options: LandmarkerOptions = {},
  detector?: DetectorName,
): Required<LandmarkerOptions> {
  return resolveLandmarkerOptionsWith(options, { defaults: detector && detectorEntry(detector).landmarks });
}

/**
 * Creates the landmarker for the boxes of `detector` (its crop's defaults for the options left out).
 *
 * @param options Network and crop.
 * @param detector The detector whose boxes it gets; absent: the landmarker's own defaults (the original's crop).
 * @returns The landmarker; call `dispose()` when done.
 * @throws {RangeError} For an unknown detector or out-of-range options.
 * @example
 * ```ts
 * import { createLandmarker } from "./landmark_crops.ts";
 * const landmarker = await createLandmarker({ model: "tiny" }, "blazeface");
 * try {
 *   if (landmarker.options.scale !== 1.3) throw new Error(JSON.stringify(landmarker.options));
 * } finally {
 *   await landmarker.dispose();
 * }
 * ```
 */
export function createLandmarker(options: LandmarkerOptions = {}, detector?: DetectorName): Promise<FaceLandmarker> {
  return createLandmarkerWith(options, { defaults: detector && detectorEntry(detector).landmarks });
}
