/** A point in float pixels of the (EXIF-oriented) image. */
export interface Point {
  readonly x: number;
  readonly y: number;
}
