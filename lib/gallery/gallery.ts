/**
 * The gallery in memory, as columns over its segments (see `segment.ts`): the faces'
 * people, paths, flags and float32 embeddings are views of the files' bytes, so a million
 * faces load without a number parsed or an object made per face. Searches by person (each
 * person's centroid, the open-set rule's level) and by single nearest face, as an exact scan
 * or through the inverted file the segments carry (k-means cells: only the faces of the cells
 * nearest the query are compared).
 *
 * @module
 */

import { type DotKernel, dotKernel, kMeans, nearestCentres, rows } from "../runtime/_kmeans.ts";
import type { GalleryEntry } from "./entry.ts";
import { decodeSegment, encodeSegment, type GallerySegment, type SegmentSource } from "./segment.ts";

/**
 * From this many faces a saved gallery carries an inverted file and is searched through it;
 * below, by an exact scan. Chosen with `deno task bench` (gallery rows, 2 cores): the exact
 * nearest-person query takes 0.08 ms at 10,000 faces (0.16 through the index) and 0.74 ms at
 * 100,000 (0.45 through it), 7.7 ms at 1,000,000 (2.1 through it). Below a few hundred
 * thousand faces the exact scan stays near a millisecond, not worth an index that is built
 * again at every fourfold growth (1.4 s at 100,000 faces, 20 s at 1,000,000).
 */
export const INDEX_MIN_FACES = 200_000;

/**
 * Cells' worth of faces compared per query through the inverted file: recall@1 100% against
 * exact search on 1,000 probes at 10k, 100k and 1M faces (`deno task bench`, synthetic
 * people around LFW's faces).
 */
export const DEFAULT_PROBES = 24;

/** One answer of a search: a person (or a face's person and path) and its distance. */
export interface Hit {
  readonly label: string;
  readonly distance: number;
}

/** Options of a search. */
export interface SearchOptions {
  /** Compare every person (or face), even when the gallery has an inverted file. Default false. */
  readonly exact?: boolean;
  /**
   * Through the inverted file: how many cells' worth of faces (cells of the average size) are
   * compared, from the nearest cells on. Default {@linkcode DEFAULT_PROBES}.
   */
  readonly probes?: number;
}

/**
 * A gallery's inverted file: each cell's centre, as a segment of one face a cell (its
 * embedding the centre). Each face's cell is in its segment.
 */
export interface GalleryIndex {
  readonly centres: GallerySegment;
}

/** What a search needs beyond the files' columns, computed once per gallery. */
interface Prepared {
  /** Per person, the mean of their faces (`people * dim`, in double precision as they are summed). */
  readonly centroids: Float64Array;
  /** Per cell, the mean of its faces (`cells * dim`). */
  readonly centres: Float64Array;
  /**
   * Faces by cell: cell c's faces are entries `cellStart[c] … cellStart[c + 1]` of `cellFaces`
   * (global face numbers), `cellSegment` (their segment) and `cellRow` (their number there).
   */
  readonly cellStart: Uint32Array;
  readonly cellFaces: Uint32Array;
  readonly cellSegment: Uint16Array;
  readonly cellRow: Uint32Array;
}

/**
 * Enrolled faces as columns over segments. Face numbers run through the segments in order.
 *
 * @example
 * ```ts
 * import { Gallery } from "./gallery.ts";
 * const g = Gallery.from([
 *   { label: "ada", path: "a1.jpg", embedding: new Float32Array([0, 0]) },
 *   { label: "ada", path: "a2.jpg", embedding: new Float32Array([0, 2]) },
 *   { label: "bob", path: "b.jpg", embedding: new Float32Array([3, 5]) },
 * ]);
 * // ada's centroid is (0, 1); bob's is 5 away from it.
 * const [first, second] = g.nearestPeople(new Float32Array([0, 1]), 2);
 * if (first!.label !== "ada" || first!.distance !== 0 || second!.distance !== 5) throw new Error();
 * if (g.nearestFace(new Float32Array([0, 1.9]))!.path !== "a2.jpg") throw new Error();
 * ```
 */
export class Gallery implements Iterable<GalleryEntry> {
  /** The segments, in order (where they are kept is their store's business, not the gallery's). */
  readonly segments: readonly GallerySegment[];
  /** The number of faces. */
  readonly size: number;
  /** The embeddings' length (0 for an empty gallery). */
  readonly dim: number;
  /** The people, each once, in the order they first appear. */
  readonly labels: readonly string[];
  /** The inverted file's cells (0: none, searched exactly). */
  readonly cells: number;
  /** The inverted file, if any. */
  readonly index: GalleryIndex | undefined;
  /** Per face, its person (an index into `labels`). */
  readonly person: Uint32Array;
  readonly #starts: number[];
  #prepared?: Prepared;

  /**
   * A gallery over segments (see {@linkcode Gallery.from} for a list of entries).
   *
   * @param segments The segments: one embedding length; each with the index's cells, or none
   * without one (empty segments are left out).
   * @param index The inverted file: its cells' centres (a segment of one face a cell).
   * @param segmentNames Per segment given, what to call it in a message (default `segment i`).
   * @throws {RangeError} When the segments disagree on the embedding's length or the cells.
   */
  constructor(
    segments: readonly GallerySegment[],
    index?: GalleryIndex,
    segmentNames: readonly string[] = [],
  ) {
    const kept = segments.map((s, i) => ({ s, at: segmentNames[i] ?? `segment ${i}` })).filter(({ s }) => s.count > 0);
    const used = kept.map(({ s }) => s);
    this.segments = used;
    this.index = used.length ? index : undefined;
    this.dim = used[0]?.dim ?? 0;
    this.cells = this.index?.centres.count ?? 0;
    if (this.index && this.index.centres.dim !== this.dim) {
      throw new RangeError(`index: centres of ${this.index.centres.dim}, the faces' ${this.dim}`);
    }
    for (const [i, s] of used.entries()) {
      const at = kept[i]!.at;
      if (s.dim !== this.dim) throw new RangeError(`${at}: embeddings of ${s.dim}, the gallery's are ${this.dim}`);
      if (s.cells !== this.cells) {
        throw new RangeError(`${at}: ${s.cells} cells, the gallery's index has ${this.cells}`);
      }
    }
    this.#starts = [];
    let n = 0;
    for (const s of used) {
      this.#starts.push(n);
      n += s.count;
    }
    this.size = n;
    const labels: string[] = [], names = new Map<string, number>();
    this.person = new Uint32Array(n);
    for (const [k, s] of used.entries()) {
      const global = s.labels.map((l) => {
        let p = names.get(l);
        if (p === undefined) names.set(l, p = labels.push(l) - 1);
        return p;
      });
      const start = this.#starts[k]!;
      for (let i = 0; i < s.count; i++) this.person[start + i] = global[s.person[i]!]!;
    }
    this.labels = labels;
  }

  /**
   * A gallery of entries (one segment, not saved).
   *
   * @param entries The faces, all with embeddings of one length.
   * @returns The gallery.
   */
  static from(entries: readonly GalleryEntry[]): Gallery {
    return entries.length ? new Gallery([decodeSegment(encodeSegment(entries), "gallery")]) : EMPTY;
  }

  /** The segment holding face `i`, and its number there. */
  #locate(i: number): [GallerySegment, number] {
    if (!(Number.isInteger(i) && i >= 0 && i < this.size)) throw new RangeError(`face ${i} of ${this.size}`);
    let lo = 0, hi = this.#starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    return [this.segments[lo]!, i - this.#starts[lo]!];
  }

  /** Face `i`'s person. */
  label(i: number): string {
    this.#locate(i);
    return this.labels[this.person[i]!]!;
  }

  /** Face `i`'s path. */
  path(i: number): string {
    const [s, j] = this.#locate(i);
    return s.path(j);
  }

  /** Face `i`'s embedding (a view: do not change it). */
  embedding(i: number): Float32Array {
    const [s, j] = this.#locate(i);
    return s.embeddings.subarray(j * s.dim, (j + 1) * s.dim);
  }

  /** Whether face `i` was added by `enrol`. */
  enrolled(i: number): boolean {
    const [s, j] = this.#locate(i);
    return s.enrolled[j] === 1;
  }

  /** Face `i` as an entry. */
  entry(i: number): GalleryEntry {
    const [s, j] = this.#locate(i);
    const e = {
      label: this.labels[this.person[i]!]!,
      path: s.path(j),
      embedding: s.embeddings.subarray(j * s.dim, (j + 1) * s.dim),
    };
    return s.enrolled[j] === 1 ? { ...e, enrolled: true } : e;
  }

  /** Every face as an entry (for small galleries; a million faces are better read by column). */
  entries(): GalleryEntry[] {
    return Array.from({ length: this.size }, (_, i) => this.entry(i));
  }

  *[Symbol.iterator](): Iterator<GalleryEntry> {
    for (let i = 0; i < this.size; i++) yield this.entry(i);
  }

  /**
   * Computes what searches need (each person's centroid; the faces of each cell), once:
   * `load` then `prepare` is the time to a first answer.
   *
   * @throws {Error} For a gallery read without its embeddings.
   */
  prepare(): void {
    if (this.#prepared) return;
    const { dim, cells } = this;
    if (this.segments.some((s) => !s.complete)) throw new Error("the gallery was read without its embeddings");
    const people = this.labels.length;
    const sums = new Float64Array(people * dim), counts = new Uint32Array(people);
    for (const [k, s] of this.segments.entries()) {
      const start = this.#starts[k]!, e = s.embeddings;
      for (let i = 0; i < s.count; i++) {
        const p = this.person[start + i]!, at = p * dim, r = i * dim;
        counts[p]!++;
        for (let j = 0; j < dim; j++) sums[at + j]! += e[r + j]!;
      }
    }
    for (let p = 0; p < people; p++) for (let j = 0; j < dim; j++) sums[p * dim + j]! /= counts[p]!;
    const centres = Float64Array.from(this.index?.centres.embeddings ?? []);
    const cellStart = new Uint32Array(cells + 1);
    for (const s of this.segments) for (let i = 0; i < s.cell.length; i++) cellStart[s.cell[i]! + 1]!++;
    for (let c = 0; c < cells; c++) cellStart[c + 1]! += cellStart[c]!;
    const listed = cells > 0 ? this.size : 0;
    const cellFaces = new Uint32Array(listed), cellSegment = new Uint16Array(listed), cellRow = new Uint32Array(listed);
    const fill = cellStart.slice(0, cells);
    for (const [k, s] of this.segments.entries()) {
      for (let i = 0; i < s.cell.length; i++) {
        const at = fill[s.cell[i]!]!++;
        cellFaces[at] = this.#starts[k]! + i;
        cellSegment[at] = k;
        cellRow[at] = i;
      }
    }
    this.#prepared = { centroids: sums, centres, cellStart, cellFaces, cellSegment, cellRow };
  }

  /**
   * The cells to search for `q` through the inverted file: the nearest ones, until they hold
   * as many faces as `probes` cells of the average size (dense regions have smaller cells).
   */
  #nearestCells(q: Float64Array, probes: number): Uint32Array {
    const { centres, cellStart } = this.#prepared!;
    const d = new Float64Array(this.cells);
    for (let c = 0; c < this.cells; c++) d[c] = distance64(centres, c * this.dim, q);
    const order = Uint32Array.from({ length: this.cells }, (_, c) => c).sort((a, b) => d[a]! - d[b]!);
    const budget = (Math.max(1, probes) * this.size) / this.cells;
    let n = 0, taken = 0;
    while (taken < order.length && (taken === 0 || n < budget)) {
      const c = order[taken++]!;
      n += cellStart[c + 1]! - cellStart[c]!;
    }
    return order.subarray(0, taken);
  }

  /** Whether a search goes through the inverted file. */
  #indexed(options: SearchOptions): boolean {
    return this.cells > 0 && !options.exact;
  }

  /**
   * The `k` people whose centroids are nearest `q`, nearest first (ties by name). Through the
   * inverted file, the people compared are those with a face in the probed cells.
   *
   * @param q The query's embedding.
   * @param k How many. Default 1.
   * @param options Exact or through the index, and its probes.
   * @returns Up to `k` hits.
   */
  nearestPeople(query: ArrayLike<number>, k = 1, options: SearchOptions = {}): Hit[] {
    if (this.size === 0) return [];
    const q = this.checkQuery(query);
    this.prepare();
    const { centroids, cellStart, cellFaces } = this.#prepared!;
    const top = new TopK(k, this.labels);
    if (this.#indexed(options)) {
      const seen = new Uint8Array(this.labels.length);
      for (const c of this.#nearestCells(q, options.probes ?? DEFAULT_PROBES)) {
        for (let i = cellStart[c]!; i < cellStart[c + 1]!; i++) {
          const p = this.person[cellFaces[i]!]!;
          if (seen[p]) continue;
          seen[p] = 1;
          top.offer(p, distance64(centroids, p * this.dim, q));
        }
      }
    } else {
      for (let p = 0; p < this.labels.length; p++) top.offer(p, distance64(centroids, p * this.dim, q));
    }
    return top.sorted().map(([p, d]) => ({ label: this.labels[p]!, distance: Math.sqrt(d) }));
  }

  /**
   * The single nearest enrolled face to `q` (ties by face number).
   *
   * @param query The query's embedding.
   * @param options Exact or through the index, and its probes.
   * @returns The face's number, person, path and distance; undefined for an empty gallery.
   */
  nearestFace(
    query: ArrayLike<number>,
    options: SearchOptions = {},
  ): { face: number; label: string; path: string; distance: number } | undefined {
    if (this.size === 0) return undefined;
    const q = this.checkQuery(query);
    const dim = this.dim;
    let best = -1, bestD = Infinity;
    if (this.#indexed(options)) {
      this.prepare();
      const { cellStart, cellFaces, cellSegment, cellRow } = this.#prepared!;
      const data = this.segments.map((s) => s.embeddings);
      for (const c of this.#nearestCells(q, options.probes ?? DEFAULT_PROBES)) {
        for (let i = cellStart[c]!; i < cellStart[c + 1]!; i++) {
          const d = distance32(data[cellSegment[i]!]!, cellRow[i]! * dim, q, bestD);
          const f = cellFaces[i]!;
          if (d < bestD || (d === bestD && f < best)) [best, bestD] = [f, d];
        }
      }
    } else {
      for (const [k, s] of this.segments.entries()) {
        const e = s.embeddings, start = this.#starts[k]!;
        for (let j = 0; j < s.count; j++) {
          const d = distance32(e, j * dim, q, bestD);
          if (d < bestD) [best, bestD] = [start + j, d];
        }
      }
    }
    if (best < 0) return undefined;
    return { face: best, label: this.label(best), path: this.path(best), distance: Math.sqrt(bestD) };
  }

  /**
   * Checks a query: the gallery's length, every number finite.
   *
   * @param q The query.
   * @returns Its numbers in double precision.
   * @throws {RangeError} For another length or a number that is not finite.
   */
  checkQuery(q: ArrayLike<number>): Float64Array {
    if (q.length !== this.dim) throw new RangeError(`a query of ${q.length} numbers, the gallery's are ${this.dim}`);
    const out = Float64Array.from(q);
    for (let j = 0; j < out.length; j++) {
      if (!Number.isFinite(out[j])) throw new RangeError(`query number ${j} is ${q[j]}, not finite`);
    }
    return out;
  }

  /**
   * The gallery after enrolling `added`: a face enrolled again under the same name and path
   * replaces its earlier entry (the segments that held one are written again without it);
   * the others stay as they are, and the new faces are a new segment, put in their nearest
   * cells when the gallery has an inverted file. Small segments at the end are then merged
   * (each at least as large as the ones after it), so a gallery has a few segments, not one
   * per enrolment.
   *
   * @param added The new faces, with embeddings of the gallery's length.
   * @returns The new gallery (the segments it keeps are the same objects; the others are new).
   */
  withAdded(added: readonly GalleryEntry[]): Gallery {
    if (added.length === 0) return this;
    const { drops } = this.#plan(added);
    const parts: { segment: GallerySegment }[] = [];
    for (const [k, s] of this.segments.entries()) {
      const drop = drops.get(k);
      if (!drop) parts.push({ segment: s });
      else if (drop.size < s.count) {
        const keep = Int32Array.from({ length: s.count }, (_, i) => i).filter((i) => !drop.has(i));
        parts.push({ segment: reencode([{ segment: s, faces: keep }], s.cells) });
      }
    }
    const fresh = decodeSegment(encodeSegment(added), "gallery");
    const cells = this.cells;
    if (cells > 0) {
      const centres = Float64Array.from(this.index!.centres.embeddings);
      const cell = Array.from({ length: fresh.count }, (_, i) => {
        const q = Float64Array.from(fresh.embeddings.subarray(i * fresh.dim, (i + 1) * fresh.dim));
        let best = 0, bestD = Infinity;
        for (let c = 0; c < cells; c++) {
          const d = distance64(centres, c * fresh.dim, q);
          if (d < bestD) [best, bestD] = [c, d];
        }
        return best;
      });
      parts.push({ segment: reencode([{ segment: fresh }], cells, cell) });
    } else parts.push({ segment: fresh });
    // Merge from the end while a segment is no larger than the one after it.
    while (parts.length > 1 && parts.at(-2)!.segment.count <= parts.at(-1)!.segment.count) {
      const b = parts.pop()!, a = parts.pop()!;
      parts.push({ segment: reencode([{ segment: a.segment }, { segment: b.segment }], cells) });
    }
    return new Gallery(parts.map((p) => p.segment), this.index);
  }

  /**
   * The segments that {@linkcode Gallery.withAdded} would write again for `added` (those
   * holding a face it replaces, and those it merges): the only ones it needs with their
   * embeddings, for a gallery read without them.
   *
   * @param added The new faces.
   * @returns Their numbers, increasing.
   */
  rewrites(added: readonly GalleryEntry[]): number[] {
    if (added.length === 0) return [];
    const { drops, merged } = this.#plan(added);
    return this.segments.map((_, k) => k).filter((k) => drops.has(k) || merged.has(k));
  }

  /**
   * The same gallery with some segments read again (with their embeddings).
   *
   * @param read Segment number → the segment as read from its file.
   * @returns The gallery.
   * @throws {RangeError} When a segment read differs in its count.
   */
  withSegments(read: ReadonlyMap<number, GallerySegment>): Gallery {
    const segments = this.segments.map((s, k) => {
      const r = read.get(k);
      if (r && r.count !== s.count) throw new RangeError(`segment ${k}: ${r.count} faces, not ${s.count}`);
      return r ?? s;
    });
    return new Gallery(segments, this.index);
  }

  /** Which faces `added` replaces (per segment), and which segments the merge after it takes. */
  #plan(added: readonly GalleryEntry[]): { drops: Map<number, Set<number>>; merged: Set<number> } {
    const again = new Map<string, Set<string>>();
    for (const e of added) {
      if (this.size > 0 && e.embedding.length !== this.dim) {
        throw new RangeError(`${e.path}: an embedding of ${e.embedding.length}, the gallery's are ${this.dim}`);
      }
      again.set(e.label, (again.get(e.label) ?? new Set()).add(e.path));
    }
    const drops = new Map<number, Set<number>>();
    for (const [k, s] of this.segments.entries()) {
      const local = s.labels.map((l) => again.get(l));
      if (!local.some((x) => x)) continue;
      const drop = new Set<number>();
      for (let i = 0; i < s.count; i++) if (local[s.person[i]!]?.has(s.path(i))) drop.add(i);
      if (drop.size) drops.set(k, drop);
    }
    // The merge, on counts: [segment, count] of what stays, then the new faces (segment -1).
    const parts = this.segments.map((s, k) => [[k], s.count - (drops.get(k)?.size ?? 0)] as [number[], number])
      .filter(([, n]) => n > 0);
    parts.push([[-1], added.length]);
    while (parts.length > 1 && parts.at(-2)![1] <= parts.at(-1)![1]) {
      const b = parts.pop()!, a = parts.pop()!;
      parts.push([[...a[0], ...b[0]], a[1] + b[1]]);
    }
    return { drops, merged: new Set(parts.at(-1)![0].filter((k) => k >= 0)) };
  }

  /**
   * The gallery without the faces of some people (their segments written again).
   *
   * @param labels The people to remove.
   * @returns The new gallery.
   */
  without(labels: ReadonlySet<string>): Gallery {
    const parts: GallerySegment[] = [];
    for (const s of this.segments) {
      const keep = Int32Array.from({ length: s.count }, (_, i) => i).filter((i) =>
        !labels.has(s.labels[s.person[i]!]!)
      );
      if (keep.length === s.count) parts.push(s);
      else if (keep.length > 0) parts.push(reencode([{ segment: s, faces: keep }], s.cells));
    }
    return new Gallery(parts, this.index);
  }

  /**
   * The gallery with an inverted file of about √size cells: k-means on a sample, every face in
   * its nearest cell, and each cell of more than three times the average size split by
   * k-means of its own faces (so that dense regions get smaller cells); computed with the
   * project's onnxruntime. Every segment is written again with its faces' cells.
   *
   * @param seed The k-means start's seed. Default 0.
   * @returns The indexed gallery (every segment and the index new).
   */
  async indexed(seed = 0): Promise<Gallery> {
    if (this.size === 0) return this;
    const { dim, size } = this;
    const target = Math.min(32768, Math.max(1, Math.round(Math.sqrt(size))));
    const kernel: DotKernel = await dotKernel(dim);
    try {
      // One block of every face's embedding (the k-means and the splits read rows of it).
      const data = new Float32Array(size * dim);
      for (const [k, s] of this.segments.entries()) data.set(s.embeddings, this.#starts[k]! * dim);
      const all = { data, count: size, dim };
      const step = Math.max(1, Math.floor(size / (64 * target)));
      const sample = Int32Array.from({ length: Math.ceil(size / step) }, (_, i) => i * step);
      const first = await kMeans({ data: rows(all, sample), count: sample.length, dim }, target, seed, kernel);
      const owner = await nearestCentres(all, Int32Array.from({ length: size }, (_, i) => i), first, kernel);
      const members: number[][] = Array.from({ length: target }, () => []);
      owner.forEach((c, i) => members[c]!.push(i));
      const average = size / target;
      const cells: number[][] = [];
      // A segment's cell numbers are 16-bit: the splits add at most this many cells.
      let spare = 65536 - target;
      for (const m of members) {
        if (m.length === 0) continue;
        const parts = Math.min(spare + 1, Math.ceil(m.length / average));
        if (m.length <= 3 * average || parts < 2) {
          cells.push(m);
          continue;
        }
        const index = Int32Array.from(m);
        const local = { data: rows(all, index), count: m.length, dim };
        const centres = await kMeans(local, parts, seed + cells.length + 1, kernel);
        const split = await nearestCentres(local, Int32Array.from({ length: m.length }, (_, i) => i), centres, kernel);
        spare -= parts - 1;
        const pieces: number[][] = Array.from({ length: parts }, () => []);
        split.forEach((c, i) => pieces[c]!.push(m[i]!));
        cells.push(...pieces.filter((p) => p.length > 0));
      }
      const cellOf = new Int32Array(size);
      cells.forEach((m, c) => m.forEach((i) => (cellOf[i] = c)));
      const centres = cells.map((m) => {
        const c = new Float64Array(dim);
        for (const i of m) for (let j = 0; j < dim; j++) c[j]! += data[i * dim + j]! / m.length;
        return Float32Array.from(c);
      });
      const segments = this.segments.map((s, k) =>
        reencode([{ segment: s }], cells.length, [...cellOf.subarray(this.#starts[k]!, this.#starts[k]! + s.count)])
      );
      const centreSegment = decodeSegment(
        encodeSegment(centres.map((embedding, c) => ({ label: "cell", path: String(c), embedding }))),
        "index",
      );
      return new Gallery(segments, { centres: centreSegment });
    } finally {
      await kernel.release();
    }
  }
}

const EMPTY = new Gallery([]);

/** Squared distance between the row of float32 `a` at `at` and `q`; stops early past `limit`. */
function distance32(a: Float32Array, at: number, q: Float64Array, limit: number): number {
  let s = 0;
  const dim = q.length;
  for (let j = 0; j < dim; j += 8) {
    for (let t = j; t < j + 8 && t < dim; t++) {
      const v = a[at + t]! - q[t]!;
      s += v * v;
    }
    if (s > limit) return s;
  }
  return s;
}

/** Squared distance between the row of float64 `a` at `at` and `q`. */
function distance64(a: Float64Array, at: number, q: Float64Array): number {
  let s = 0;
  for (let j = 0; j < q.length; j++) {
    const v = a[at + j]! - q[j]!;
    s += v * v;
  }
  return s;
}

/** The k smallest (item, value) pairs offered, ties by label. */
class TopK {
  readonly #k: number;
  readonly #labels: readonly string[];
  readonly #items: [number, number][] = [];
  constructor(k: number, labels: readonly string[]) {
    this.#k = Math.max(1, k);
    this.#labels = labels;
  }
  offer(item: number, value: number): void {
    const xs = this.#items, labels = this.#labels;
    if (xs.length === this.#k && value > xs.at(-1)![1]) return;
    const before = (a: [number, number]) => value < a[1] || (value === a[1] && labels[item]! < labels[a[0]]!);
    if (xs.length === this.#k && !before(xs.at(-1)!)) return;
    let i = xs.length;
    while (i > 0 && before(xs[i - 1]!)) i--;
    xs.splice(i, 0, [item, value]);
    if (xs.length > this.#k) xs.pop();
  }
  sorted(): [number, number][] {
    return this.#items;
  }
}

/** Faces of segments (all, or those listed) as one new segment, with `cells` cells. */
function reencode(
  parts: readonly { segment: GallerySegment; faces?: Int32Array }[],
  cells: number,
  cellOf?: readonly number[],
): GallerySegment {
  if (parts.some((p) => !p.segment.complete)) {
    throw new Error("a segment read without its embeddings cannot be rewritten");
  }
  const map: [GallerySegment, number][] = [];
  for (const { segment, faces } of parts) {
    if (faces) { for (const i of faces) map.push([segment, i]); }
    else for (let i = 0; i < segment.count; i++) map.push([segment, i]);
  }
  const dim = parts[0]!.segment.dim;
  const source: SegmentSource = {
    count: map.length,
    dim,
    label: (i) => {
      const [s, j] = map[i]!;
      return s.labels[s.person[j]!]!;
    },
    path: (i) => map[i]![0].path(map[i]![1]),
    embedding: (i) => {
      const [s, j] = map[i]!;
      return s.embeddings.subarray(j * dim, (j + 1) * dim);
    },
    enrolled: (i) => map[i]![0].enrolled[map[i]![1]] === 1,
  };
  const of = cellOf ?? map.map(([s, j]) => s.cell[j]!);
  return decodeSegment(encodeSegment(source, cells > 0 ? { count: cells, of } : undefined), "gallery");
}
