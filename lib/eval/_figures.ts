/**
 * Small helpers the measures share: rounding to the report's 4 decimals, mean and standard
 * deviation, and a figure with its even and odd halves beside it.
 *
 * @module
 */

import { half } from "./datasets.ts";

/** The mean of `xs` (NaN when empty). */
export const avg = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The population standard deviation of `xs`. */
export const sd = (xs: readonly number[]): number => Math.sqrt(avg(xs.map((x) => (x - avg(xs)) ** 2)));

/** `v` rounded to 4 decimals. */
export const r4 = (v: number): number => Math.round(v * 10000) / 10000;

/** Every number of a flat object of numbers rounded to 4 decimals. */
export function rounded<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, r4(v)])) as T;
}

/** A figure of a sorted list, with the figure of its even and odd halves beside it. */
export function withHalves<T, S extends object>(
  items: readonly T[],
  figure: (items: readonly T[]) => S,
): S & { even: S; odd: S } {
  return { ...figure(items), even: figure(half(items, "even")), odd: figure(half(items, "odd")) };
}

/** The faces of the people at even or odd positions of their sorted names. */
export function peopleHalf<T extends { readonly label: string }>(faces: readonly T[], which: "even" | "odd"): T[] {
  const keep = new Set(half([...new Set(faces.map((f) => f.label))].sort(), which));
  return faces.filter((f) => keep.has(f.label));
}
