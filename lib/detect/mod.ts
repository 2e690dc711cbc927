/**
 * Detection and landmarks in detail: the detector's and landmarker's options with their
 * defaults, the Haar cascades, contrast enhancement, box geometry, the landmark crop, and
 * reading iBUG `.pts` annotations.
 *
 * ```ts
 * import { DEFAULT_DETECTOR_OPTIONS, iou, landmarkCrop } from "./mod.ts";
 * const box = { x: 10, y: 10, width: 100, height: 100 };
 * if (iou(box, box) !== 1) throw new Error("a box overlaps itself wholly");
 * const crop = landmarkCrop(box);
 * if (!(crop.size > 0) || DEFAULT_DETECTOR_OPTIONS.cascade !== "frontalface_default") throw new Error();
 * ```
 *
 * @module
 */

export { type Box, containsPoint, growBox, iou } from "../image/box.ts";
export { type ContrastMethod, type ContrastOptions, enhanceContrast } from "./enhance.ts";
export {
  type CascadeName,
  CASCADES,
  DEFAULT_DETECTOR_OPTIONS,
  type DetectorOptions,
  type Face,
  type FaceDetector,
  type FaceSource,
  type RotateMode,
} from "./detect_faces.ts";
export {
  type Crop,
  DEFAULT_LANDMARKER_OPTIONS,
  landmarkCrop,
  type LandmarkerOptions,
  type LandmarkModel,
} from "../landmarks/detect_landmarks.ts";
export { parsePts } from "../landmarks/read_pts.ts";
export type { Point } from "../image/point.ts";
