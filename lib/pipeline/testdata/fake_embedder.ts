/**
 * A test-only embedding network, registered nowhere: given to the pipeline's functions (and
 * the cache's, the model folder's and the stores' readers) through {@linkcode FAKE_PARTS},
 * never added to a registry file. Its embeddings are deliberately not the default network's
 * shape: {@linkcode FAKE_SIZE} (64) numbers of norm {@linkcode FAKE_NORM} (0.25), outside
 * dlib's 128 numbers of norm 0.5–3 (a unit norm would lie inside dlib's range, and would not
 * show that the checks follow the network).
 *
 * @module
 */

import { alignmentTransform, type AlignOptions, extractChip, resolveAlignOptions } from "../../embed/align_face.ts";
import type { EmbedderName } from "../../embed/embed_faces.ts";
import type { EmbedderEntry, EmbedderOptionsOf, FaceEmbedder } from "../../embed/embedder_entry.ts";
import { withParts } from "../parts.ts";
import type { PipelineOptions } from "../pipeline.ts";

/** The fake network's chip side: it sees a 32x32 aligned chip. */
export const FAKE_CHIP = 32;
/** Numbers per embedding of the fake network. */
export const FAKE_SIZE = 64;
/** The Euclidean norm of every embedding of the fake network. */
export const FAKE_NORM = 0.25;

/** How many faces the fake network embedded (to show that the pipeline ran it). */
export const fakeRuns = { embedded: 0 };

/**
 * The fake network's entry: each face is aligned by its landmarks into a 32x32 chip (the
 * library's own alignment), and its 64 numbers are the means of 64 stripes of the chip's
 * bytes, centred and scaled to norm 0.25. Deterministic, and it needs no asset.
 */
export const FAKE_EMBEDDER: EmbedderEntry<"fake", Required<AlignOptions>> = Object.freeze({
  name: "fake",
  version: 1,
  description: "a test's stripe-mean embedding of a 32x32 chip: 64 numbers of norm 0.25",
  assets: { files: [], provenance: new URL(import.meta.url) },
  size: FAKE_SIZE,
  norm: { min: 0.2, max: 0.3 },
  distances: { open: 0.1, verify: 0.15 },
  licence: { weights: "a test's own function, no weights", commercial: true },
  recordsName: true,
  resolve: (options: EmbedderOptionsOf<string>) => resolveAlignOptions({ ...options.align, size: FAKE_CHIP }),
  record: (align: Required<AlignOptions>) => ({
    embedder: { network: "fake", stripes: FAKE_SIZE },
    align: { ...align, points: [...align.points] },
  }),
  optionsFrom(recorded: Readonly<Record<string, unknown>>) {
    const { size: _size, ...align } = recorded.align as AlignOptions;
    return { network: "fake", align };
  },
  assetsInUse: () => ({}),
  create(align: Required<AlignOptions>): Promise<FaceEmbedder> {
    const chips: FaceEmbedder["chips"] = (image, faces) =>
      Promise.all(faces.map((f) => extractChip(image, alignmentTransform(f, align), FAKE_CHIP)));
    return Promise.resolve({
      align,
      chips,
      async embed(image, faces) {
        const out = (await chips(image, faces)).map((chip) => {
          const stripe = chip.data.length / FAKE_SIZE;
          const v = Float32Array.from({ length: FAKE_SIZE }, (_, k) => {
            let s = 0;
            for (let i = k * stripe; i < (k + 1) * stripe; i++) s += chip.data[i]!;
            return s / stripe;
          });
          const mean = v.reduce((a, b) => a + b, 0) / FAKE_SIZE;
          const norm = Math.hypot(...Array.from(v, (x) => x - mean)) || 1;
          return v.map((x) => ((x - mean) / norm) * FAKE_NORM);
        });
        fakeRuns.embedded += faces.length;
        return out;
      },
      dispose: () => Promise.resolve(),
    });
  },
});

/** The library's parts and the fake network (no registry edited). */
export const FAKE_PARTS = withParts({ embedders: { fake: FAKE_EMBEDDER } });

/** Pipeline options naming the fake network (which the library's `EmbedderName` does not list). */
export const FAKE_OPTIONS: PipelineOptions = { features: "embedding", embedder: { network: "fake" as EmbedderName } };
