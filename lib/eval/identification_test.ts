import assert from "node:assert/strict";
import { accuracyFigures, foldCount, nearestAccuracy, preparedSet } from "./identification.ts";
import type { Labelled } from "./embedding.ts";

/** `people` people of `photos` photos each on a line, person p around 10·p, each photo `spread` further. */
function line(people: number, photos: number, spread: number): Labelled[] {
  return Array.from({ length: people * photos }, (_, i) => {
    const p = Math.floor(i / photos), k = i % photos;
    return { label: `p${p}`, path: `p${p}/${k}.jpg`, embedding: Float32Array.of(10 * p + spread * k, 0) };
  });
}

Deno.test("foldCount() is the smallest class, between 2 and 10", () => {
  assert.equal(foldCount([0, 0, 0, 1, 1, 1, 1]), 3);
  assert.equal(foldCount([0, 1, 1, 1]), 2); // a class of one photo still gives 2 folds
  assert.equal(foldCount(Array.from({ length: 60 }, (_, i) => i % 2)), 10);
  assert.equal(foldCount([0, 0, 0], 2), 2); // class 1 is empty
});

Deno.test("nearestAccuracy() is 1 for people far apart and drops when they overlap", () => {
  assert.equal(nearestAccuracy(line(3, 4, 0.1), 0), 1);
  // Spread 4 on people 10 apart: each person's last photo (at +12) is nearer the next person's centroid.
  const mixed = nearestAccuracy(line(3, 4, 4), 0);
  assert.ok(mixed > 0.4 && mixed < 1, String(mixed));
  // The same folds for the same seed, and the labels may be given.
  const faces = line(3, 4, 4), labels = faces.map((f) => Number(f.label.slice(1)));
  assert.equal(nearestAccuracy(faces, 0, labels, 4), nearestAccuracy(faces, 0));
});

Deno.test("preparedSet() sorts the faces, splits train/ and test/ and counts photos without a face", () => {
  const features = Array.from({ length: 204 }, (_, i) => i / 204);
  const ok = (path: string, label: string) => ({ path, hash: "", label, status: "ok" as const, features });
  const cache = {
    config: { features: { name: "geometry" } },
    records: new Map<string, unknown>([
      ["test/b.jpg", ok("test/b.jpg", "bob")],
      ["train/a.jpg", ok("train/a.jpg", "ann")],
      ["test/c.jpg", { path: "test/c.jpg", hash: "", label: "ann", status: "no_face" as const }],
    ]),
  };
  const p = preparedSet(cache as never);
  assert.deepEqual(p.faces.map((f) => f.path), ["test/b.jpg", "train/a.jpg"]);
  assert.deepEqual([p.train.length, p.test.length, p.noFace, p.testNoFace], [1, 1, 1, 1]);
  assert.deepEqual(p.samples.names, ["ann", "bob"]);
  assert.equal(p.faces[0]!.embedding.length, 0); // geometry has no embedding
  assert.ok(Math.abs(p.faces[0]!.features[1]! - 1 / 204) < 1e-7);
});

/** A cache of `people` × `photos` photos whose features (of `length`) and embedding (128) mark the person. */
function cache(name: "geometry" | "both", length: number, people: number, photos: number) {
  const records = new Map<string, unknown>();
  for (let p = 0; p < people; p++) {
    for (let k = 0; k < photos; k++) {
      const path = `p${p}/${k}.jpg`;
      const features = Array.from({ length }, (_, i) => (i % people === p ? 1 : 0) + 0.01 * ((i * 7 + k) % 5));
      const embedding = Array.from({ length: 128 }, (_, i) => (i === p ? 1 : 0) + 0.001 * k);
      records.set(path, { path, hash: "", label: `p${p}`, status: "ok", features, embedding });
    }
  }
  records.set("p0/none.jpg", { path: "p0/none.jpg", hash: "", label: "p0", status: "no_face" });
  return preparedSet({ config: { features: { name } }, records } as never);
}

Deno.test("accuracyFigures(): the gallery and the networks on people told apart by their features", async () => {
  const geometry = cache("geometry", 204, 3, 4), both = cache("both", 332, 3, 4);
  const figures = await accuracyFigures(geometry, both, [0], 5);
  assert.deepEqual(Object.keys(figures), ["geometry", "embedding", "both"]);
  const e = figures.embedding!;
  assert.deepEqual([e.kfold_mean, e.kfold_std, e.k, e.faces, e.no_face, e.people], [1, 0, 4, 12, 1, 3]);
  assert.equal(e.kfold_mean_all, 0.9231); // 12 of 13 photos had a face
  assert.equal(e.method, "nearest");
  assert.equal(e.train_test, null); // no train/ and test/ folders
  assert.ok(e.same_folds);
  for (const set of ["geometry", "both"]) {
    const f = figures[set]!;
    assert.equal(f.method, "network");
    assert.equal(f.epochs, 5);
    assert.ok(f.kfold_mean >= 0 && f.kfold_mean <= 1, JSON.stringify(f));
    assert.ok(Math.abs(f.kfold_mean_all - f.kfold_mean * 12 / 13) < 1e-4);
  }
});
