import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { samplePhotos } from "../lib/eval/npm.ts";

const root = fileURLToPath(new URL("../", import.meta.url));

Deno.test("mod.ts and a subpath entry point work when imported from a URL: modules, the cascade and the ONNX models load over HTTP", async () => {
  let requests = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    requests++;
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (path.includes("..") || path.includes("node_modules")) return new Response("no", { status: 403 });
    try {
      const body = await Deno.readFile(`${root}${path.slice(1)}`);
      const type = path.endsWith(".ts") ? "application/typescript" : "application/octet-stream";
      return new Response(body, { headers: { "content-type": type } });
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/mod.ts`;
    // A separate process with no deno.json: the import map does not apply, as for a user.
    const script = [
      `const m = await import(${JSON.stringify(url)});`,
      `const img = await m.readImage(${JSON.stringify(samplePhotos()[0])});`,
      // The learned detector (the default; its ONNX model), and Haar (its cascade).
      `const d = await m.createFaceDetector();`,
      `const faces = await d.detect(img);`,
      `const h = await m.createFaceDetector({ detector: "haar" });`,
      `const haar = await h.detect(img);`,
      `const lm = await m.createLandmarker({}, d.options.detector);`,
      `const points = await lm.landmarks(img, faces.map((f) => f.box));`,
      `const e = await m.createEmbedder();`,
      `const [v] = await e.embed(img, [points[0]]);`,
      // A subpath entry point (deno.json's "./features") from the same host.
      `const f = await import(${JSON.stringify(url.replace(/mod\.ts$/, "lib/features/mod.ts"))});`,
      `const g = f.geometryFeatures(points[0]);`,
      `console.log(JSON.stringify({ detector: d.options.detector, faces: faces.length, sources: [...new Set([...faces, ...haar].map((f) => f.source))], haar: haar.length, width: img.width, points: points[0].length, embedding: v.length, geometry: g.length }));`,
      `await d.dispose();`,
      `await h.dispose();`,
      `await lm.dispose();`,
      `await e.dispose();`,
    ].join("\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        "--no-config",
        "--quiet",
        "--allow-import=127.0.0.1",
        "--allow-net=127.0.0.1",
        "--allow-read",
        script,
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
      cwd: await Deno.makeTempDir(),
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, stderr);
    const result = JSON.parse(new TextDecoder().decode(out.stdout).trim());
    assert.equal(result.width, 1920);
    assert.equal(result.detector, "blazeface");
    assert.ok(result.faces >= 1, `faces ${result.faces}`);
    assert.ok(result.haar >= 1, `haar faces ${result.haar}`);
    assert.deepEqual(result.sources, ["blazeface", "haar"]);
    assert.equal(result.points, 68);
    assert.equal(result.embedding, 128);
    assert.equal(result.geometry, 204);
    assert.ok(requests > 5, `only ${requests} requests: not loaded over HTTP?`);
  } finally {
    await server.shutdown();
  }
});

Deno.test("the README's library example runs as written from a URL, with the permissions it states (host replaced)", async () => {
  const readme = await Deno.readTextFile(`${root}README.md`);
  const library = readme.split("## The library")[1]!;
  const code = library.split("```ts ignore\n")[1]!.split("```")[0]!;
  const command = library.split("```sh\n")[1]!.split("```")[0]!.trim();
  assert.match(command, /^deno run .*recognize\.ts$/);
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const path = decodeURIComponent(new URL(req.url).pathname);
    if (!path.startsWith("/face2vec/") || path.includes("..")) return new Response("no", { status: 403 });
    try {
      return new Response(await Deno.readFile(`${root}${path.slice("/face2vec/".length)}`));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  const dir = await Deno.makeTempDir();
  try {
    const host = `127.0.0.1:${server.addr.port}`;
    await Deno.writeTextFile(`${dir}/recognize.ts`, code.replaceAll("https://your.host", `http://${host}`));
    // A gallery-only model of the sample photo's faces, and the photo as group.jpg.
    await Deno.copyFile(samplePhotos()[2]!, `${dir}/group.jpg`);
    const { runCli } = await import("./_cli.ts");
    assert.equal((await runCli(["enrol", "--model", `${dir}/model`, "someone", `${dir}/group.jpg`])).code, 0);
    const [deno, ...args] = command.replaceAll("your.host", host).split(/\s+/);
    assert.equal(deno, "deno");
    const env = Deno.env.toObject();
    delete env.INIT_CWD;
    const out = await new Deno.Command(Deno.execPath(), {
      args,
      cwd: dir,
      env: { ...env, NO_COLOR: "1" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    // One line per face: its box, and "someone" for the enrolled face.
    assert.match(stdout, /someone/);
    assert.ok(stdout.trim().split("\n").length >= 1);
  } finally {
    await server.shutdown();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the README's note on hosts holds: .ts served as Python's http.server does is refused and cached until --reload; TypeScript or JavaScript types work", async () => {
  let type = "text/vnd.trolltech.linguist"; // what python3 -m http.server sends for .ts
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
    new Response(
      type === "text/javascript" ? "export const answer = 42;\n" : "export const answer: number = 42;\n",
      { headers: { "content-type": type } },
    ));
  const denoDir = await Deno.makeTempDir();
  try {
    const url = `http://127.0.0.1:${server.addr.port}/m.ts`;
    const run = async (...flags: string[]) => {
      const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
        // From a folder of its own, with no lock file: as a user's script, and the project's deno.lock untouched.
        args: [
          "eval",
          "--no-lock",
          "--no-config",
          ...flags,
          `const m = await import(${JSON.stringify(url)}); console.log(m.answer);`,
        ],
        cwd: denoDir,
        env: { DENO_DIR: `${denoDir}/cache`, NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      return { code, out: new TextDecoder().decode(stdout).trim(), err: new TextDecoder().decode(stderr) };
    };
    const refused = await run();
    assert.notEqual(refused.code, 0);
    assert.match(refused.err, /Expected a JavaScript or TypeScript module, but identified a Unknown module/);
    // The host fixed: Deno still answers from its cache, until --reload.
    type = "application/typescript";
    assert.match((await run()).err, /identified a Unknown module/);
    assert.deepEqual([(await run("--reload")).out], ["42"]);
    for (const t of ["text/typescript", "text/javascript"]) {
      type = t;
      const r = await run("--reload");
      assert.equal(r.out, "42", `${t}: ${r.err}`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(denoDir, { recursive: true });
  }
});
