import assert from "node:assert/strict";
import { applyCorrections, groupsFileProblems, readGroupsFile, splitInTwo, writeGroupsFile } from "./corrections.ts";
import { clusterFaces } from "./cluster_faces.ts";

const valid = {
  format: "face2vec-cluster-groups",
  version: 1,
  groups: [["a.jpg#0", "b.jpg#1"], ["c.jpg#0"]],
  corrections: [{ merge: [["a.jpg#0"], ["c.jpg#0"]] }, { split: [["a.jpg#0"], ["b.jpg#1"]] }],
} as const;

Deno.test("groups file: checked field by field; each problem named by its field", () => {
  assert.deepEqual(groupsFileProblems(valid), []);
  // A photo's name may hold a newline (Linux allows it): its key is still valid.
  assert.deepEqual(groupsFileProblems({ ...valid, groups: [["odd\nname.jpg#0"]] }), []);
  const cases: [unknown, string][] = [
    [[], "(top level): expected an object"],
    [{ ...valid, format: "x" }, `format: expected "face2vec-cluster-groups"`],
    [{ ...valid, version: 2 }, "version: expected 1, got 2"],
    [{ ...valid, groups: [["a.jpg"]] }, `groups.0.0: expected "path#face", got "a.jpg"`],
    [{ ...valid, groups: [["a.jpg#-1"]] }, `groups.0.0: expected "path#face", got "a.jpg#-1"`],
    [{ ...valid, groups: [[]] }, "groups.0: expected a non-empty array of faces"],
    [{ ...valid, groups: [["a.jpg#0"], ["a.jpg#0"]] }, "groups: face a.jpg#0 is in two groups"],
    [{ ...valid, corrections: {} }, "corrections: expected an array"],
    [{ ...valid, corrections: [{ join: [] }] }, "corrections.0: expected { merge: [...] } or { split: [...] }"],
    [{ ...valid, corrections: [{ merge: [["a.jpg#0"]], split: [] }] }, "corrections.0: expected { merge"],
    [{ ...valid, corrections: [{ split: [["a.jpg#0"]] }] }, "corrections.0.split: expected an array of 2 or more"],
    [
      { ...valid, corrections: [{ merge: [["a.jpg#0"], [7]] }] },
      `corrections.0.merge.1.0: expected "path#face", got 7`,
    ],
  ];
  for (const [v, problem] of cases) {
    const got = groupsFileProblems(v);
    assert.ok(got.length > 0 && got[0]!.startsWith(problem), `${JSON.stringify(v)}: ${got}`);
  }
});

Deno.test("groups file: written whole and read back; none is undefined; a damaged one is one line naming it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/c.cache.groups.json`;
    assert.equal(await readGroupsFile(path), undefined);
    await writeGroupsFile(path, valid);
    assert.deepEqual(await readGroupsFile(path), valid);
    await Deno.writeTextFile(path, '{"format": "face2vec-cluster-gr');
    await assert.rejects(() => readGroupsFile(path), (e: Error) => {
      assert.equal(e.name, "GroupsFileError");
      assert.equal(e.message, `${path}: not JSON (delete it to forget the corrections)`);
      return true;
    });
    await Deno.writeTextFile(path, JSON.stringify({ ...valid, version: 9 }));
    await assert.rejects(() => readGroupsFile(path), /c\.cache\.groups\.json: version: expected 1, got 9 \(delete it/);
    await Deno.remove(path);
    await Deno.mkdir(path);
    await assert.rejects(
      () => readGroupsFile(path),
      (e: Error) => e.name === "GroupsFileError" && !e.message.includes("\n") && e.message.split(path).length === 2,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("applyCorrections: in order; merges join whole groups; splits take their faces out; gone faces pass", () => {
  const keys = ["a#0", "b#0", "c#0", "d#0", "e#0", "f#0"];
  const groups = Int32Array.of(0, 0, 0, 1, 1, -1);
  // Merge a face of group 0 with a face of group 1: both groups whole, and f (in none) with them.
  assert.deepEqual([...applyCorrections(groups, keys, [{ merge: [["a#0"], ["d#0", "f#0"]] }])], [0, 0, 0, 0, 0, 0]);
  // Split group 0: c and b each out, a stays.
  assert.deepEqual([...applyCorrections(groups, keys, [{ split: [["a#0"], ["b#0"], ["c#0"]] }])], [0, 2, 3, 1, 1, -1]);
  // The order counts: a split after a merge undoes only what it names.
  assert.deepEqual(
    [...applyCorrections(groups, keys, [{ merge: [["a#0"], ["d#0"]] }, {
      split: [["a#0", "b#0", "c#0"], ["d#0", "e#0"]],
    }])],
    [0, 0, 0, 2, 2, -1],
  );
  // A face whose photo was removed is passed over.
  assert.deepEqual([...applyCorrections(groups, keys, [{ merge: [["gone#0"], ["d#0"]] }])], [0, 0, 0, 1, 1, -1]);
});

Deno.test("splitInTwo: two blobs apart; one face or identical faces cannot be split", () => {
  const a = Array.from({ length: 7 }, (_, i) => [i * 0.01, 0, 0]);
  const b = Array.from({ length: 4 }, (_, i) => [1, 1, i * 0.01]);
  const mixed = [a[0]!, b[0]!, a[1]!, a[2]!, b[1]!, a[3]!, b[2]!, a[4]!, a[5]!, b[3]!, a[6]!];
  const [p, q] = splitInTwo(mixed);
  assert.deepEqual(p, [0, 2, 3, 5, 7, 8, 10]);
  assert.deepEqual(q, [1, 4, 6, 9]);
  assert.throws(() => splitInTwo([[1, 2]]), /a group of 1 face cannot be split/);
  assert.throws(() => splitInTwo([[1, 2], [1, 2]]), /all alike/);
});

Deno.test("clusterFaces with corrections: applied after the algorithm, before the cannot-link rule", async () => {
  const vectors = [[0, 0], [0.05, 0], [3, 3], [3, 3.05]];
  const keys = ["1.jpg#0", "2.jpg#0", "3.jpg#0", "1.jpg#1"];
  const photos = keys.map((k) => k.split("#")[0]);
  const plain = await clusterFaces(vectors, { photos, corrections: { keys, list: [] } });
  assert.deepEqual([...plain.groups], [0, 0, 1, 1]);
  // Merged, the two groups hold two faces of 1.jpg: the rule moves the less tied one out.
  const merged = await clusterFaces(vectors, {
    photos,
    minSize: 1,
    corrections: { keys, list: [{ merge: [["1.jpg#0"], ["3.jpg#0"]] }] },
  });
  assert.deepEqual(merged.sizes, [3, 1]);
  assert.notEqual(merged.groups[0], merged.groups[3]);
  await assert.rejects(
    () => clusterFaces(vectors, { corrections: { keys: keys.slice(1), list: [] } }),
    /corrections must key every face: 3 keys for 4 faces/,
  );
});
