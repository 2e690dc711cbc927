/**
 * The registries the pipeline takes its parts from: detectors, landmark networks and
 * embedding networks. {@linkcode PIPELINE_PARTS} is the library's; a caller (a test) may give
 * the pipeline's functions another set, made by {@linkcode withParts}, to run an entry of its
 * own through the real pipeline without editing a registry (dependency injection through
 * options).
 *
 * @module
 */

import { DETECTOR_REGISTRY, type DetectorRegistry } from "../detect/detect_faces.ts";
import { EMBEDDER_REGISTRY, type EmbedderRegistry } from "../embed/embed_faces.ts";
import { LANDMARK_NETWORKS, type LandmarkNetworks } from "../landmarks/landmark_networks.ts";

/** The entries of each kind of pipeline part, by name. */
export interface PipelineParts {
  readonly detectors: DetectorRegistry;
  readonly landmarks: LandmarkNetworks;
  readonly embedders: EmbedderRegistry;
}

/** The library's parts: every registry as it is. */
export const PIPELINE_PARTS: PipelineParts = Object.freeze({
  detectors: DETECTOR_REGISTRY,
  landmarks: LANDMARK_NETWORKS,
  embedders: EMBEDDER_REGISTRY,
});

/**
 * The library's parts with more entries (an entry of a name already there replaces it).
 *
 * @param extra Entries to add, by kind and name.
 * @param base The parts to add to. Default {@linkcode PIPELINE_PARTS}.
 * @returns The combined parts.
 * @example
 * ```ts
 * import { PIPELINE_PARTS, withParts } from "./parts.ts";
 * const parts = withParts({ embedders: { other: PIPELINE_PARTS.embedders.dlib_resnet! } });
 * if (Object.keys(parts.embedders).join() !== "dlib_resnet,mobilefacenet,other") throw new Error();
 * if (parts.detectors !== PIPELINE_PARTS.detectors) throw new Error();
 * ```
 */
export function withParts(extra: Partial<PipelineParts>, base: PipelineParts = PIPELINE_PARTS): PipelineParts {
  const merge = <T extends object>(a: T, b: T | undefined): T => b ? Object.freeze({ ...a, ...b }) : a;
  return Object.freeze({
    detectors: merge(base.detectors, extra.detectors),
    landmarks: merge(base.landmarks, extra.landmarks),
    embedders: merge(base.embedders, extra.embedders),
  });
}
