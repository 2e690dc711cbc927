/**
 * Synthetic people for the bench's large sets, drawn around real faces: a person is a centre
 * (a real face's embedding moved by the spread measured within real people: the pooled
 * per-dimension standard deviation of labelled faces around their person's mean) and faces
 * around it (the centre moved by that spread again), so that two faces of a synthetic person
 * are as far apart as two photos of one real person.
 *
 * @module
 */

import { DEFAULT_DETECTOR } from "../lib/detect/detect_faces.ts";
import { seededRandom } from "../lib/classify/folds.ts";
import { centredLabels } from "../lib/eval/clustering.ts";
import { labelOf } from "../lib/dataset/labels.ts";
import { datasetsDir, datasetsPresent } from "../lib/eval/datasets.ts";
import { everyFaceRecords } from "./_cluster_eval.ts";

/** Real faces to draw around: every face's embedding of a dataset, and the spread within its people. */
export interface RealFaces {
  readonly base: string;
  readonly embeddings: readonly Float32Array[];
  readonly spread: number;
}

/**
 * Every face of a dataset's every-face cache (the report's, default detector) and the spread
 * within its people (over the centred faces its labels name).
 *
 * @param base The dataset's name.
 * @returns The faces, or null without the dataset.
 */
export async function realFaces(base: string): Promise<RealFaces | null> {
  if (!datasetsPresent(base)) return null;
  const records = await everyFaceRecords(base, `${datasetsDir()}/${base}`, DEFAULT_DETECTOR);
  const faces = records.flatMap((r) =>
    r.status === "ok" ? r.all!.map((f, face) => ({ path: r.path, face, box: f.box, e: f.embedding! })) : []
  );
  const { labels } = centredLabels(records, faces, (p) => labelOf(p, "folder"));
  const dim = faces[0]!.e.length;
  const sums = new Map<string, { sum: Float64Array; n: number }>();
  faces.forEach((f, i) => {
    const l = labels[i];
    if (l === undefined) return;
    const s = sums.get(l) ?? { sum: new Float64Array(dim), n: 0 };
    f.e.forEach((v, k) => (s.sum[k]! += v));
    s.n++;
    sums.set(l, s);
  });
  let squares = 0, count = 0;
  faces.forEach((f, i) => {
    const s = labels[i] === undefined ? undefined : sums.get(labels[i]!)!;
    if (!s || s.n < 2) return;
    f.e.forEach((v, k) => (squares += (v - s.sum[k]! / s.n) ** 2));
    count += dim;
  });
  return { base, embeddings: faces.map((f) => Float32Array.from(f.e)), spread: Math.sqrt(squares / count) };
}

/** Synthetic people: their faces one after another, each face's person, and a probe per person. */
export interface SyntheticPeople {
  readonly dim: number;
  /** `faces * dim` numbers. */
  readonly data: Float32Array;
  /** Per face, its person (0, 1, …; `perPerson` faces each). */
  readonly person: Uint32Array;
  /** Per person, one more face of theirs that is not among `data` (a query). */
  readonly probes: Float32Array;
}

/**
 * `people` synthetic people of `perPerson` faces each, around random faces of `real`.
 *
 * @param real The real faces and spread.
 * @param people How many people.
 * @param perPerson Faces a person.
 * @param seed The draw's seed.
 * @returns The faces and one probe a person.
 */
export function syntheticPeople(real: RealFaces, people: number, perPerson: number, seed: number): SyntheticPeople {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const dim = real.embeddings[0]!.length, spread = real.spread;
  const data = new Float32Array(people * perPerson * dim);
  const person = new Uint32Array(people * perPerson);
  const probes = new Float32Array(people * dim);
  const centre = new Float64Array(dim);
  for (let p = 0; p < people; p++) {
    const base = real.embeddings[Math.floor(random() * real.embeddings.length)]!;
    for (let k = 0; k < dim; k++) centre[k] = base[k]! + spread * gauss();
    for (let f = 0; f < perPerson; f++) {
      const at = (p * perPerson + f) * dim;
      person[p * perPerson + f] = p;
      for (let k = 0; k < dim; k++) data[at + k] = centre[k]! + spread * gauss();
    }
    for (let k = 0; k < dim; k++) probes[p * dim + k] = centre[k]! + spread * gauss();
  }
  return { dim, data, person, probes };
}
