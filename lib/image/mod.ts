/**
 * Images beyond reading one: the `Image` type's constructor, cropping, EXIF orientation,
 * encoding, drawing boxes and landmarks, and listing the photos of a folder.
 *
 * ```ts
 * import { createImage, cropImage, encodeImage } from "./mod.ts";
 * const image = createImage(8, 6, 3);
 * const crop = cropImage(image, { x: 2, y: 1, width: 4, height: 4 });
 * const png = await encodeImage(crop, "png");
 * if (crop.width !== 4 || png[1] !== 0x50) throw new Error("a 4x4 PNG");
 * ```
 *
 * @module
 */

export { type Channels, createImage, type Image } from "./image.ts";
export { DEFAULT_MAX_PIXELS } from "./decode_image.ts";
export { orientImage } from "./orient_image.ts";
export { cropImage, type Rect } from "./crop_image.ts";
export { type EncodeFormat, encodeImage, formatForName } from "./encode_image.ts";
export { type Dot, drawBoxes, type Outline, type Rgb } from "./draw_boxes.ts";
export { hasImageExtension, IMAGE_EXTENSIONS, type ListedImage, listImages } from "./list_images.ts";
