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
      `const d = await m.createFaceDetector();`,
      `const faces = d.detect(img);`,
      `const lm = await m.createLandmarker();`,
      `const points = await lm.landmarks(img, faces.map((f) => f.box));`,
      `const e = await m.createEmbedder();`,
      `const [v] = await e.embed(img, [points[0]]);`,
      // A subpath entry point (deno.json's "./features") from the same host.
      `const f = await import(${JSON.stringify(url.replace(/mod\.ts$/, "lib/features/mod.ts"))});`,
      `const g = f.geometryFeatures(points[0]);`,
      `console.log(JSON.stringify({ faces: faces.length, width: img.width, points: points[0].length, embedding: v.length, geometry: g.length }));`,
      `d.dispose();`,
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
    assert.ok(result.faces >= 1, `faces ${result.faces}`);
    assert.equal(result.points, 68);
    assert.equal(result.embedding, 128);
    assert.equal(result.geometry, 204);
    assert.ok(requests > 5, `only ${requests} requests: not loaded over HTTP?`);
  } finally {
    await server.shutdown();
  }
});
