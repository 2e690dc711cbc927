import assert from "node:assert/strict";
import { chineseWhispers, dbscan, exactGraph, graphFromPairs, vectorSet } from "./_graph.ts";
import { CLUSTER_ALGORITHMS, clusterFaces, resolveClusterOptions } from "./cluster_faces.ts";
import { seededRandom, shuffled } from "../_random.ts";
import { scoreClustering } from "../eval/clustering.ts";

/** `people` blobs of `each` points in `dim` dimensions: centres 2 apart or more, spread `spread` per axis. */
function blobs(people: number, each: number, dim: number, spread: number, seed = 1) {
  const random = seededRandom(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const vectors: number[][] = [], labels: string[] = [];
  for (let p = 0; p < people; p++) {
    const centre = Array.from({ length: dim }, (_, k) => (k === p % dim ? 2 * (1 + Math.floor(p / dim)) : 0));
    for (let i = 0; i < each; i++) {
      vectors.push(centre.map((c) => c + spread * gauss()));
      labels.push(`p${p}`);
    }
  }
  return { vectors, labels };
}

Deno.test("exactGraph joins exactly the pairs closer than the threshold, with their distances", () => {
  const random = seededRandom(3);
  const vectors = Array.from({ length: 60 }, () => Array.from({ length: 8 }, () => random()));
  const g = exactGraph(vectorSet(vectors), 0.9);
  let edges = 0;
  for (let i = 0; i < 60; i++) {
    const row = [...g.neighbours.subarray(g.offsets[i]!, g.offsets[i + 1]!)];
    const want = vectors.flatMap((v, j) => {
      const d = Math.hypot(...v.map((x, k) => x - vectors[i]![k]!));
      return j !== i && d < 0.9 ? [j] : [];
    });
    assert.deepEqual(row, want, `row ${i}`);
    for (let k = g.offsets[i]!; k < g.offsets[i + 1]!; k++) {
      const j = g.neighbours[k]!;
      const d = Math.hypot(...vectors[j]!.map((x, m) => x - vectors[i]![m]!));
      assert.ok(Math.abs(g.distances[k]! - d) < 1e-5, `distance ${i}–${j}`);
    }
    edges += row.length;
  }
  assert.ok(edges > 100 && edges < 60 * 59, `a graph neither empty nor complete (${edges / 2} edges)`);
});

Deno.test("vectorSet refuses vectors of other lengths and numbers that are not finite", () => {
  assert.throws(() => vectorSet([[1, 2], [3]]), /vector 1 has 1 numbers, not 2/);
  assert.throws(() => vectorSet([[1, NaN]]), /vector 0 holds NaN at 1/);
});

Deno.test("chineseWhispers and dbscan recover well separated people exactly", () => {
  const { vectors, labels } = blobs(12, 8, 16, 0.1);
  const g = exactGraph(vectorSet(vectors), 1);
  for (const groups of [chineseWhispers(g, seededRandom(0)), dbscan(g, 2)]) {
    const s = scoreClustering(groups, labels);
    assert.equal(s.pairwise.precision, 1);
    assert.equal(s.pairwise.recall, 1);
    assert.equal(s.groups, 12);
  }
});

Deno.test("dbscan: a vertex with too few neighbours is a border of its nearest core's group or noise", () => {
  // 0–1–2 dense (each joined to both others), 3 joined to 2 only, 4 alone; minPoints 3.
  const g = graphFromPairs(5, [0, 1, 1, 2, 0, 2, 2, 3], [0.1, 0.1, 0.1, 0.2]);
  const groups = [...dbscan(g, 3)];
  assert.deepEqual(groups, [0, 0, 0, 0, -1]);
});

Deno.test("clusterFaces numbers groups by size, leaves small ones unclustered, measures distances to the centre", async () => {
  const faces = [[0, 0], [3, 3], [0, 0.2], [3, 3.1], [0.2, 0], [8, 8]];
  for (const algorithm of ["chinese-whispers", "dbscan"] as const) {
    const c = await clusterFaces(faces, { algorithm, threshold: 0.5 });
    assert.deepEqual([...c.groups], [0, 1, 0, 1, 0, -1], algorithm);
    assert.deepEqual(c.sizes, [3, 2]);
    assert.equal(c.unclustered, 1);
    // Centre of group 0: (0.2/3, 0.2/3).
    assert.ok(Math.abs(c.distances[0]! - Math.hypot(0.2 / 3, 0.2 / 3)) < 1e-6);
    assert.ok(Math.abs(c.distances[3]! - 0.05) < 1e-6);
    assert.ok(Number.isNaN(c.distances[5]!));
  }
  const big = await clusterFaces(faces, { threshold: 0.5, minSize: 3 });
  assert.deepEqual([...big.groups], [0, -1, 0, -1, 0, -1]);
  assert.equal(big.unclustered, 3);
});

Deno.test("resolveClusterOptions refuses what it cannot use, in one line each", () => {
  assert.throws(
    () => resolveClusterOptions({ algorithm: "kmeans" as "dbscan" }),
    /unknown clustering algorithm kmeans/,
  );
  assert.throws(() => resolveClusterOptions({ threshold: 0 }), /threshold must be above 0/);
  assert.throws(() => resolveClusterOptions({ minSize: 1.5 }), /minimum group size must be an integer/);
});

Deno.test("neighbourGraph equals the all-pairs graph up to its exact limit, and above it finds the near pairs of blobs", async () => {
  const { neighbourGraph } = await import("./_neighbours.ts");
  const { vectors } = blobs(30, 20, 32, 0.05, 5);
  const set = vectorSet(vectors);
  const want = exactGraph(set, 0.5);
  const got = await neighbourGraph(set, 0.5);
  assert.deepEqual([...got.offsets], [...want.offsets]);
  assert.deepEqual([...got.neighbours], [...want.neighbours]);
  assert.deepEqual([...got.distances], [...want.distances]);
  assert.ok(want.neighbours.length > 30 * 20 * 10, `a graph with edges (${want.neighbours.length / 2})`);
  // The inverted file (forced by a limit below the count): only true edges, nearly all of them.
  const approx = await neighbourGraph(set, 0.5, { exactLimit: 100, probes: 4 });
  const edges = (g: typeof want) => {
    const s = new Set<string>();
    for (let i = 0; i < g.count; i++) {
      for (let k = g.offsets[i]!; k < g.offsets[i + 1]!; k++) s.add(`${i} ${g.neighbours[k]}`);
    }
    return s;
  };
  const all = edges(want), found = edges(approx);
  for (const e of found) assert.ok(all.has(e), `edge ${e} is a true edge`);
  assert.ok(found.size / all.size >= 0.95, `recall of edges ${found.size} / ${all.size}`);
});

/** The largest count of faces of one photo in one group (1 when the rule holds). */
function mostPhotoMates(groups: Int32Array, photos: readonly string[]): number {
  const seen = new Map<string, number>();
  groups.forEach((g, i) => {
    if (g >= 0) seen.set(`${g}/${photos[i]}`, (seen.get(`${g}/${photos[i]}`) ?? 0) + 1);
  });
  return Math.max(0, ...seen.values());
}

Deno.test("cannot-link: two faces of one photo are never one group; the face most tied to the group stays", async () => {
  // Person A in photos 1–4; photo 1 also holds a look-alike close to A, nearer the edge.
  const vectors = [[0, 0], [0.05, 0], [0, 0.05], [0.05, 0.05], [0.3, 0.02]];
  const photos = ["1.jpg", "2.jpg", "3.jpg", "4.jpg", "1.jpg"];
  const off = await clusterFaces(vectors, { photos, cannotLink: false, minSize: 1 });
  assert.equal(off.sizes.join(), "5"); // the algorithm alone merges them
  const on = await clusterFaces(vectors, { photos, minSize: 1 });
  assert.deepEqual([...on.groups], [0, 0, 0, 0, 1]);
  assert.equal(on.sizes.join(), "4,1");
  // Without `photos` there is nothing to separate by.
  assert.equal((await clusterFaces(vectors, { minSize: 1 })).sizes.join(), "5");
  await assert.rejects(() => clusterFaces(vectors, { photos: ["1.jpg"] }), /one photo per face: 1 for 5 faces/);
});

Deno.test("cannot-link on group photos: the rule holds for both algorithms, and precision does not fall", async () => {
  // 12 people of 10 faces, spread so that some people touch; photos of 3 faces of different
  // people, and some photos holding 2 faces of one person's blob (a look-alike).
  const { vectors, labels } = blobs(12, 10, 6, 0.28, 5);
  const random = seededRandom(9);
  const order = shuffled(vectors.map((_, i) => i), random);
  const photos: string[] = new Array(vectors.length);
  order.forEach((face, k) => (photos[face] = `photo${Math.floor(k / 3)}.jpg`));
  for (const algorithm of ["chinese-whispers", "dbscan"] as const) {
    const off = await clusterFaces(vectors, { algorithm, photos, cannotLink: false });
    const on = await clusterFaces(vectors, { algorithm, photos });
    assert.equal(mostPhotoMates(on.groups, photos), 1, algorithm);
    if (mostPhotoMates(off.groups, photos) === 1) continue; // nothing was merged across a photo
    // Separating photo mates costs no precision: BCubed precision does not fall.
    const score = (g: Int32Array) => scoreClustering([...g], labels).bcubed.precision;
    assert.ok(score(on.groups) >= score(off.groups) - 1e-9, `${algorithm}: ${score(on.groups)} < ${score(off.groups)}`);
  }
  // Among CW's merged groups at a loose threshold, photo mates did occur (so the rule was tested).
  const loose = await clusterFaces(vectors, { photos, cannotLink: false, threshold: 1.6 });
  assert.ok(mostPhotoMates(loose.groups, photos) > 1, "no photo mates to separate");
  const fixed = await clusterFaces(vectors, { photos, threshold: 1.6 });
  assert.equal(mostPhotoMates(fixed.groups, photos), 1);
});

Deno.test("the default distance follows the embedding network; a network without one asks for a threshold", () => {
  const cw = CLUSTER_ALGORITHMS["chinese-whispers"].networks;
  assert.equal(resolveClusterOptions({}).threshold, cw.dlib_resnet!.threshold);
  const mfn = resolveClusterOptions({ network: "mobilefacenet" });
  assert.deepEqual([mfn.threshold, mfn.power], [0.889, 0]);
  for (const algorithm of ["chinese-whispers", "dbscan"] as const) {
    const own = CLUSTER_ALGORITHMS[algorithm].networks;
    assert.equal(
      resolveClusterOptions({ algorithm, network: "mobilefacenet" }).threshold,
      own.mobilefacenet!.threshold,
    );
    assert.ok(own.mobilefacenet!.threshold > own.dlib_resnet!.threshold, "unit vectors lie farther apart than dlib's");
  }
  assert.throws(
    () => resolveClusterOptions({ network: "constructor" }),
    /^RangeError: chinese-whispers has no default distance for the constructor network's embeddings: give a threshold$/,
  );
  assert.equal(resolveClusterOptions({ network: "other", threshold: 0.3 }).threshold, 0.3);
  assert.throws(
    () => resolveClusterOptions({ algorithm: "constructor" as never }),
    /^RangeError: unknown clustering algorithm constructor/,
  );
  assert.equal("network" in resolveClusterOptions({ network: "mobilefacenet" }), false);
});
