import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { makeDataset } from "./_photos.ts";

/** Every file under `dir` with its bytes' length, to see that nothing changed. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else out.push(`${d}/${e.name}:${Deno.statSync(`${d}/${e.name}`).size}`);
    }
  };
  walk(dir);
  return out.sort().join("\n");
}

Deno.test("--draw into, or around, a folder being read is refused before any work (exit 2), the photos untouched", async () => {
  const ds = await makeDataset();
  try {
    const before = snapshot(ds);
    for (
      const args of [
        ["detect", `${ds}/people`, "--draw", `${ds}/people`],
        ["detect", `${ds}/people`, "--draw", `${ds}/people/ann`],
        ["detect", `${ds}/people/ann/1.jpg`, "--draw", `${ds}/people`],
        ["preprocess", `${ds}/people`, "--draw", `${ds}/people/drawn`, "--cache", `${ds}/x.cache`],
      ]
    ) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr.join("\n")}`);
      assert.match(r.stderr.join("\n"), /^error: --draw .*: inside or around .*, which is being read/);
    }
    assert.equal(snapshot(ds), before);
    // Beside the folder it is fine.
    assert.equal((await runCli(["detect", `${ds}/people/ann`, "--no-landmarks", "--draw", `${ds}/drawn`])).code, 0);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("an output that cannot be written is refused before any work: --json-out a folder, --model a file (exit 2)", async () => {
  const ds = await makeDataset();
  try {
    const json = await runCli(["detect", `${ds}/people/ann`, "--json-out", ds]);
    assert.equal(json.code, 2);
    assert.match(json.stderr.join("\n"), /--json-out .*: is a folder/);
    await Deno.writeTextFile(`${ds}/afile`, "");
    const under = await runCli(["detect", `${ds}/people/ann`, "--json-out", `${ds}/afile/out.jsonl`]);
    assert.equal(under.code, 2);
    assert.match(under.stderr.join("\n"), /afile is a file/);
    const model = await runCli(["train", "--cache", `${ds}/none.cache`, "--model", `${ds}/afile`]);
    assert.equal(model.code, 2);
    assert.match(model.stderr.join("\n"), /afile: not a folder \(--model names the folder/);
    const enrol = await runCli(["enrol", "ada", `${ds}/people/ann/1.jpg`, "--model", `${ds}/afile`]);
    assert.equal(enrol.code, 2);
    assert.match(enrol.stderr.join("\n"), /afile: not a folder \(--model names the folder/);
    // --json-out over the photo being read, or into the folder being read.
    const photo = `${ds}/people/ann/1.jpg`;
    const before = await Deno.readFile(photo);
    for (const [input, out] of [[photo, photo], [`${ds}/people`, `${ds}/people/faces.jsonl`]]) {
      const r = await runCli(["detect", input!, "--json-out", out!]);
      assert.equal(r.code, 2, r.stderr.join("\n"));
      assert.match(r.stderr.join("\n"), /--json-out .*: would be written over or into .*, which is being read/);
    }
    assert.deepEqual(await Deno.readFile(photo), before);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("evaluate exits 2 for a missing folder and for a corrupt cache, naming it", async () => {
  const ds = await makeDataset();
  try {
    assert.equal((await runCli(["enrol", "--model", `${ds}/m`, "ann", `${ds}/people/ann/1.jpg`])).code, 0);
    const missing = await runCli(["evaluate", `${ds}/nowhere`, "--model", `${ds}/m`]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr.join("\n"), /nowhere: not found/);
    await Deno.writeTextFile(`${ds}/bad.cache`, "00000000 {not json\n");
    const corrupt = await runCli(["evaluate", `${ds}/bad.cache`, "--model", `${ds}/m`]);
    assert.equal(corrupt.code, 2, corrupt.stderr.join("\n"));
    assert.match(corrupt.stderr.join("\n"), /bad\.cache/);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});

Deno.test("a file name with terminal escape sequences is printed escaped", async () => {
  const ds = await makeDataset();
  try {
    const name = `${ds}/evil\x1b[2J\x07.jpg`;
    await Deno.writeTextFile(name, "not a photo");
    const r = await runCli(["detect", name]);
    assert.equal(r.code, 1);
    const line = r.stderr.find((l) => l.includes("evil"))!;
    assert.ok(![...line].some((c) => c.charCodeAt(0) < 0x20), JSON.stringify(line));
    assert.ok(line.includes("evil\\x1b[2J\\x07.jpg: not an image"), line);
  } finally {
    await Deno.remove(ds, { recursive: true });
  }
});
