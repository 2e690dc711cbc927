import assert from "node:assert/strict";
import { ROOT } from "../lib/eval/npm.ts";

/** Every `.ts` file of the project outside node_modules. */
async function sources(): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(".") || e.name === "node_modules" || e.name === "out") continue;
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (p.endsWith(".ts")) out.push(p);
    }
  };
  await walk(ROOT);
  return out;
}

Deno.test("every npm: specifier in the code pins the exact version deno.json lists", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const pinned = new Map<string, string>();
  for (const spec of Object.values(config.imports) as string[]) {
    const m = spec.match(/^npm:((?:@[^/]+\/)?[^@]+)@(\d[^/]*)$/);
    assert.ok(m, `deno.json import ${spec} is not an exact npm:name@version`);
    pinned.set(m[1]!, m[2]!);
  }
  let seen = 0;
  for (const file of await sources()) {
    const text = await Deno.readTextFile(file);
    for (const [, name, version] of text.matchAll(/["']npm:((?:@[^/@"']+\/)?[^@/"']+)(?:@([^/"']+))?[^"']*["']/g)) {
      seen++;
      assert.ok(version !== undefined, `${file}: npm:${name} has no version`);
      assert.equal(version, pinned.get(name!), `${file}: npm:${name}@${version} differs from deno.json`);
    }
  }
  assert.ok(seen >= 8, `only ${seen} npm: specifiers found`);
});

Deno.test("opencv4nodejs (asset build only) is not among the imports: `deno install --frozen` asks for no approve-scripts", async () => {
  const config = JSON.parse(await Deno.readTextFile(`${ROOT}/deno.json`));
  const specs = Object.values(config.imports) as string[];
  assert.ok(specs.every((s) => !s.includes("opencv4nodejs")), specs.join(", "));
  // scripts/make_assets.ts fetches its tarball (npm pack, no script runs), pinned by integrity.
  const script = await Deno.readTextFile(`${ROOT}/scripts/make_assets.ts`);
  assert.match(script, /integrity: "sha512-[A-Za-z0-9+/]{86}=="/);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["install", "--frozen"],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const log = new TextDecoder().decode(stderr);
  assert.equal(code, 0, log);
  assert.doesNotMatch(log, /opencv4nodejs/);
  // protobufjs's and core-js's install scripts (a CLI version check, a funding banner) are denied in deno.json.
  assert.doesNotMatch(log, /approve-scripts|Ignored build scripts/);
  const lock = await Deno.readTextFile(`${ROOT}/deno.lock`);
  assert.doesNotMatch(lock, /opencv4nodejs/);
});
