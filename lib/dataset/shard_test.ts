import assert from "node:assert/strict";
import { parseShard, shardOf } from "./shard.ts";

Deno.test("parseShard() reads i/n and refuses the rest in one line", () => {
  assert.deepEqual(parseShard("1/1"), { index: 1, count: 1 });
  assert.deepEqual(parseShard(" 3/16 "), { index: 3, count: 16 });
  for (const bad of ["0/4", "5/4", "1/0", "a/b", "2", "1/4/2", "-1/4", "1/10001", "01/4"]) {
    assert.throws(() => parseShard(bad), /is not a shard i\/n with 1 ≤ i ≤ n ≤ 10000/, bad);
  }
});

Deno.test("shardOf() is pinned (a photo never changes shard between versions) and spreads paths evenly", () => {
  // Pinned values: changing the hash would move photos between the shards of running jobs.
  assert.deepEqual(
    ["ada/1.jpg", "bob/2.png", "kanye3.jpg", "Ünïcödé/ß.png"].map((p) => [shardOf(p, 4), shardOf(p, 7)]),
    [[2, 4], [4, 4], [2, 7], [1, 5]],
  );
  for (const n of [2, 3, 7, 16]) {
    const counts = new Array(n).fill(0);
    for (let i = 0; i < 10_000; i++) counts[shardOf(`person${i % 97}/${i}.jpg`, n) - 1]++;
    // Within 10% of an even split (measured: within 6.5% at 16 shards).
    for (const c of counts) assert.ok(Math.abs(c - 10_000 / n) <= 1000 / n, `${n} shards: ${counts}`);
  }
});
