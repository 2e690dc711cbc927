/**
 * What a face detector is to the rest of Face2Vec: the plain data it returns, and the shape of
 * its registry entry ({@linkcode DetectorEntry}), which owns everything about one detector: its
 * name, version, assets, defaults, the landmark crop calibrated behind it, the settings it
 * records in caches and models, and its factory. The registry itself is in `detect_faces.ts`.
 *
 * @module
 */

import type { Box } from "../image/box.ts";
import type { Image } from "../image/image.ts";
import type { Point } from "../image/point.ts";
import type { LandmarkCropDefaults } from "../landmarks/detect_landmarks.ts";
import type { PartAssets } from "../_asset.ts";

/** When a detector's rotated passes run: never, only when the upright pass finds nothing, or always. */
export type RotateMode = "never" | "when-none" | "always";

/**
 * A face found by the detector named `Name`: plain data, in float pixels of the EXIF-oriented
 * image. `source` is the detector's name (the plain pass), `"padded"` (a pass on the image
 * with a border, tried only when the plain pass finds nothing) or `"fallback"` (the whole
 * image, when nothing was found and the fallback is on).
 */
export interface FaceOf<Name extends string> {
  /** The detector's box, mapped back to the full-resolution image and clamped to it. */
  readonly box: Box;
  /** How the box was found. */
  readonly source: Name | "padded" | "fallback";
  /** The detector's confidence (0–1), for detectors that give one. */
  readonly score?: number;
  /**
   * The detector's keypoints in image pixels, for detectors that give them (BlazeFace: the
   * right eye, left eye, nose tip, mouth, right ear and left ear; the person's right and left).
   */
  readonly keypoints?: readonly Point[];
}

/** A loaded detector as its entry's factory returns it. */
export interface LoadedDetector<Name extends string> {
  /**
   * Every face of an image, largest first.
   * @throws {Error} After `dispose()`.
   */
  detect(image: Image): Promise<FaceOf<Name>[]>;
  /** Frees its runtime memory. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * One detector's registry entry. `Options` are its own load-time options (every field
 * optional); the settings in force are `Required<Options>`.
 */
export interface DetectorEntry<Name extends string = string, Options extends object = object> {
  /** The name `--detector` takes and caches and models record. */
  readonly name: Name;
  /**
   * Bumped when the faces it finds change for the same options and assets; recorded (as
   * `version`) from 2 on, so that settings recorded at version 1 read as before.
   */
  readonly version: number;
  /** One line for the docs. */
  readonly description: string;
  readonly assets: PartAssets;
  /** Every option's default. */
  readonly defaults: Readonly<Required<Options>>;
  /**
   * The landmark crop calibrated behind this detector's boxes (its boxes sit differently on
   * the face): the pipeline hands it to the landmarker as the defaults of its crop.
   */
  readonly landmarks: LandmarkCropDefaults;
  /**
   * Whether its recorded settings carry its name (a `detector` field). Exactly one entry, the
   * original's Haar, records none, so that the settings recorded before there was a choice of
   * detector read as its.
   */
  readonly recordsName: boolean;
  /** How `--draw` shows its boxes: the colour (RGB), the colour's name and what a box is called, for legends. */
  readonly drawing: {
    readonly color: readonly [number, number, number];
    readonly colorName: string;
    readonly legend: string;
  };
  /**
   * The settings in force: `options` (its own fields only, undefined ones left out) over
   * {@linkcode defaults}, validated.
   * @throws {RangeError} For out-of-range options.
   */
  resolve(options: Partial<Options>): Required<Options>;
  /** The settings as caches and models record them under `detector` (plain, JSON-ready). */
  record(settings: Required<Options>): Record<string, unknown>;
  /**
   * The landmark settings as recorded behind this detector, from the landmarker's own record
   * (for Haar: `refine` and `mirror` only when on, as before they existed). Absent: unchanged.
   */
  recordLandmarks?(recorded: Readonly<Record<string, unknown>>): Record<string, unknown>;
  /** The assets the settings load, by the key under which their sha256 is recorded in `assets`. */
  assetsInUse(settings: Required<Options>): Readonly<Record<string, URL>>;
  /**
   * Loads the detector.
   * @throws {Error} When an asset or a runtime cannot be loaded.
   */
  create(settings: Required<Options>): Promise<LoadedDetector<Name>>;
}
