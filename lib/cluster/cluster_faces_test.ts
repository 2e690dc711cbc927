import assert from "node:assert/strict";
import { chineseWhispers, dbscan, exactGraph, graphFromPairs, vectorSet } from "./_graph.ts";
import { clusterFaces, resolveClusterOptions } from "./cluster_faces.ts";
import { seededRandom } from "../_random.ts";
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
