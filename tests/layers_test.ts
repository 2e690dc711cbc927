import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { cycles, importGraph, type LayerOrder, layerViolations, libModules, stageOf } from "./_layers.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const order = JSON.parse(await Deno.readTextFile(join(root, "lib/layers.json"))) as LayerOrder;

Deno.test("lib's import graph (deno info) has no cycle", async () => {
  const graph = await importGraph(root, await libModules(root));
  assert.ok(graph.files.length > 100, `only ${graph.files.length} files read`);
  assert.deepEqual(cycles(graph), []);
});

Deno.test("every import in lib/ follows lib/layers.json (order, one-layer peers, the lock's importers)", async () => {
  const graph = await importGraph(root, await libModules(root));
  const found = layerViolations(graph, order).map((v) => `${v.from} → ${v.to}: ${v.why}`);
  assert.deepEqual(found, []);
});

Deno.test("every folder of lib/ has its place in lib/layers.json", async () => {
  const declared = new Set(order.layers.flat());
  const folders: string[] = [];
  for await (const e of Deno.readDir(join(root, "lib"))) if (e.isDirectory) folders.push(e.name);
  assert.deepEqual(folders.filter((f) => !declared.has(f)).sort(), []);
  assert.deepEqual([...declared].filter((f) => !folders.includes(f)).sort(), []);
});

Deno.test("the check fails on a cycle and on an upward import added on purpose", async () => {
  const dir = await Deno.makeTempDir({ prefix: "face2vec-layers-test-" });
  try {
    await Deno.mkdir(join(dir, "lib/image"), { recursive: true });
    await Deno.mkdir(join(dir, "lib/detect"), { recursive: true });
    await Deno.writeTextFile(join(dir, "deno.json"), "{}");
    // image/a.ts ↔ image/b.ts is a cycle; image/b.ts → detect/c.ts runs up the layers; detect/c.ts → _lock.ts is refused.
    await Deno.writeTextFile(join(dir, "lib/image/a.ts"), 'import { b } from "./b.ts";\nexport const a = () => b;\n');
    await Deno.writeTextFile(
      join(dir, "lib/image/b.ts"),
      'import type { a } from "./a.ts";\nimport { c } from "../detect/c.ts";\nexport const b: typeof a | number = c;\n',
    );
    await Deno.writeTextFile(
      join(dir, "lib/detect/c.ts"),
      'import { lock } from "../_lock.ts";\nexport const c = lock;\n',
    );
    await Deno.writeTextFile(join(dir, "lib/_lock.ts"), "export const lock = 1;\n");
    const files = ["lib/_lock.ts", "lib/detect/c.ts", "lib/image/a.ts", "lib/image/b.ts"];
    const graph = await importGraph(dir, files);
    assert.deepEqual(cycles(graph), [["lib/image/a.ts", "lib/image/b.ts"]]);
    const toy: LayerOrder = { layers: [["image"], ["detect"]], lock: ["model"] };
    assert.deepEqual(layerViolations(graph, toy), [
      { from: "lib/detect/c.ts", to: "lib/_lock.ts", why: "only model may take the lock" },
      { from: "lib/image/b.ts", to: "lib/detect/c.ts", why: "image imports the higher stage detect" },
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("stageOf() names lib's folders, its base files and the top", () => {
  assert.equal(stageOf("lib/model/model_folder.ts"), "model");
  assert.equal(stageOf("lib/_fs.ts"), "base");
  assert.equal(stageOf("mod.ts"), "top");
  assert.equal(stageOf("scripts/report.ts"), "outside");
});
