/**
 * The HTTP service over loopback: every endpoint, the bad requests (non-image, truncated,
 * oversize, too many pixels, wrong content type, missing token, unknown path or method), the
 * queue's 503, and every answer checked against the OpenAPI document it serves.
 */
import assert from "node:assert/strict";
import { createService, type ServiceOptions } from "../lib/serve/service.ts";
import { openApiDocument } from "../lib/serve/openapi.ts";
import { serveHttp } from "../lib/serve/http_server.ts";
import { samplePhotos } from "../lib/eval/npm.ts";
import { runCli } from "./_cli.ts";
import { openStore } from "../lib/store/open_store.ts";
import { startPglite } from "../scripts/_pglite.ts";

type Schema = { type?: string | string[]; required?: string[]; properties?: Record<string, Schema>; items?: Schema };

/** The value's problems against a (small subset of) JSON Schema: types, required properties, items. */
function problems(schema: Schema, value: unknown, at = "$"): string[] {
  const types = schema.type === undefined ? [] : [schema.type].flat();
  const kind = value === null ? "null" : Array.isArray(value) ? "array" : typeof value;
  if (types.length && !types.includes(kind) && !(kind === "number" && types.includes("integer"))) {
    return [`${at}: ${kind}, not ${types.join(" or ")}`];
  }
  const out: string[] = [];
  if (kind === "object") {
    const o = value as Record<string, unknown>;
    for (const k of schema.required ?? []) if (!(k in o)) out.push(`${at}.${k}: missing`);
    for (const [k, s] of Object.entries(schema.properties ?? {})) {
      if (k in o) out.push(...problems(s, o[k], `${at}.${k}`));
    }
  }
  if (kind === "array" && schema.items) {
    (value as unknown[]).forEach((v, i) => out.push(...problems(schema.items!, v, `${at}[${i}]`)));
  }
  return out;
}

/** Checks a response against the document: its status is documented for the path, its JSON fits. */
async function documented(template: string, method: string, r: Response): Promise<unknown> {
  const doc = openApiDocument() as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
  const op = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${template} is in the document`);
  const answer = op.responses[String(r.status)] as { content?: Record<string, { schema: Schema }> } | undefined;
  assert.ok(answer, `${method} ${template}: status ${r.status} is documented`);
  const type = r.headers.get("content-type") ?? "";
  if (!type.startsWith("application/json")) return await r.text();
  const body = await r.json();
  const schema = answer.content!["application/json"]!.schema;
  assert.deepEqual(problems(schema, body), [], `${method} ${template} ${r.status}: ${JSON.stringify(body)}`);
  return body;
}

async function withService(
  options: ServiceOptions,
  fn: (base: string, dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "face2vec_serve_" });
  const service = createService({ model: `${dir}/model`, workers: 1, ...options });
  const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, (r) => service.handle(r));
  try {
    await fn(`http://127.0.0.1:${server.addr.port}`, dir);
  } finally {
    await server.shutdown();
    await service.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const jpeg = (bytes: Uint8Array) => ({
  method: "POST",
  headers: { "content-type": "image/jpeg" },
  body: bytes as Uint8Array<ArrayBuffer>,
});

for (const backend of ["file", "postgres"] as const) {
  Deno.test({
    name:
      `serve (${backend} gallery): detect, enrol, recognise, people, compare, erase, metrics; a CLI enrolment is seen on the next request`,
    // The PostgreSQL client's pool and PGlite's socket server outlive a test's own timers.
    ...(backend === "postgres" ? { sanitizeResources: false, sanitizeOps: false } : {}),
    fn: () => endToEnd(backend),
  });
}

async function endToEnd(backend: "file" | "postgres") {
  const database = backend === "postgres" ? await startPglite() : undefined;
  try {
    const gallery = database ? { gallery: await openStore(database.url) } : {};
    await endToEndWith(gallery, (dir) => database ? ["--gallery", database.url] : ["--model", `${dir}/model`]);
  } finally {
    await database?.stop();
  }
}

async function endToEndWith(options: ServiceOptions, galleryArgs: (dir: string) => string[]) {
  await withService(options, async (base, dir) => {
    const [one, two, three] = await Promise.all(samplePhotos().slice(0, 3).map((p) => Deno.readFile(p)));
    assert.deepEqual(await documented("/v1/health/live", "GET", await fetch(`${base}/v1/health/live`)), {
      status: "ok",
    });
    const ready = await documented("/v1/health/ready", "GET", await fetch(`${base}/v1/health/ready`));
    assert.deepEqual(ready, { status: "ready", gallery: options.gallery?.kind ?? "file", faces: 0, workers: 1 });
    const doc = await fetch(`${base}/v1/openapi.json`);
    assert.deepEqual(await doc.json(), openApiDocument());
    // Detection answers as the CLI's detect does for the same photo (which rounds to 0.001 px).
    const detected = await documented("/v1/detect", "POST", await fetch(`${base}/v1/detect`, jpeg(one!))) as {
      faces: { box: Record<string, number> }[];
    };
    const cli = JSON.parse((await runCli(["detect", samplePhotos()[0]!, "--json"])).stdout[0]!);
    assert.equal(detected.faces.length, cli.faces.length);
    detected.faces.forEach((f, i) => {
      for (const k of ["x", "y", "width", "height"]) assert.ok(Math.abs(f.box[k]! - cli.faces[i].box[k]) <= 5e-4);
    });
    // Nobody enrolled yet: recognise says so.
    const none = await fetch(`${base}/v1/recognize`, jpeg(one!));
    assert.equal(none.status, 409);
    assert.equal(
      ((await documented("/v1/recognize", "POST", none)) as { error: { code: string } }).error.code,
      "no_model",
    );
    // Enrol the largest face of sample 1 as ada, raw body; sample 3 as bea, multipart.
    const enrolled = await fetch(`${base}/v1/people/ada/faces`, jpeg(one!));
    assert.equal(enrolled.status, 201);
    const e = await documented("/v1/people/{label}/faces", "POST", enrolled) as Record<string, unknown>;
    assert.equal(e.faces_in_photo, 3);
    assert.equal(e.gallery_faces, 1);
    const form = new FormData();
    form.append("photo", new Blob([three!]), "sample3.jpg");
    const bea = await fetch(`${base}/v1/people/${encodeURIComponent("Béa Ünïcode")}/faces`, {
      method: "POST",
      body: form,
    });
    assert.equal(bea.status, 201, await bea.clone().text());
    const named = await documented("/v1/recognize", "POST", await fetch(`${base}/v1/recognize`, jpeg(one!))) as {
      faces: { label: string | null; distance: number }[];
    };
    // The enrolled face at distance 0; the photo's two others are not ada (measured: one unknown,
    // one taken for the person of sample 3's largest face, who is in sample 1 too).
    assert.equal(named.faces[0]!.label, "ada");
    assert.ok(named.faces[0]!.distance < 1e-6);
    assert.ok(named.faces.slice(1).every((f) => f.label !== "ada"));
    // A person enrolled by the CLI into the same folder is seen on the next request.
    const c = await runCli(["enrol", "cy", samplePhotos()[1]!, ...galleryArgs(dir)]);
    assert.equal(c.code, 0, c.stderr.join("\n"));
    const people = await documented("/v1/people", "GET", await fetch(`${base}/v1/people`));
    assert.deepEqual(people, {
      people: [{ label: "Béa Ünïcode", faces: 1 }, { label: "ada", faces: 1 }, { label: "cy", faces: 1 }],
    });
    const cy = await documented("/v1/recognize", "POST", await fetch(`${base}/v1/recognize`, jpeg(two!))) as {
      faces: { label: string | null }[];
    };
    assert.equal(cy.faces[0]!.label, "cy");
    // Compare: the same photo twice is distance 0; sample 1 against 2 is two people (measured 0.72).
    const pair = (a: Uint8Array, b: Uint8Array) => {
      const f = new FormData();
      f.append("a", new Blob([a as Uint8Array<ArrayBuffer>]), "a.jpg");
      f.append("b", new Blob([b as Uint8Array<ArrayBuffer>]), "b.jpg");
      return fetch(`${base}/v1/compare`, { method: "POST", body: f });
    };
    const same = await documented("/v1/compare", "POST", await pair(one!, one!)) as Record<string, unknown>;
    assert.deepEqual([same.distance, same.same], [0, true]);
    const other = await documented("/v1/compare", "POST", await pair(one!, two!)) as Record<string, number | boolean>;
    assert.equal(other.same, false);
    assert.ok(Math.abs((other.distance as number) - 0.717) < 0.01, String(other.distance));
    // Erase ada: gone from the gallery and from the answers.
    const erased = await documented(
      "/v1/people/{label}",
      "DELETE",
      await fetch(`${base}/v1/people/ada`, { method: "DELETE" }),
    );
    assert.deepEqual(erased, { label: "ada", removed_faces: 1 });
    const again = await fetch(`${base}/v1/people/ada`, { method: "DELETE" });
    assert.equal(again.status, 404);
    await documented("/v1/people/{label}", "DELETE", again);
    const after = await (await fetch(`${base}/v1/recognize`, jpeg(one!))).json();
    assert.notEqual(after.faces[0].label, "ada");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^face2vec_requests_total\{route="POST \/v1\/recognize",status="200"\} 3$/m);
    assert.match(metrics, /^face2vec_request_duration_ms_count\{.*\} \d+$/m);
  });
}

Deno.test("serve: bad requests are 4xx with a JSON error and a stable code, never a 500", async () => {
  const token = "a-token-of-at-least-16";
  await withService({ token, maxBodyBytes: 200_000, maxPixels: 500_000 }, async (base) => {
    const auth = { authorization: `Bearer ${token}` };
    // 1920 x 1280 = 2.5 MP, 145 kB: under the body limit, over the pixel limit.
    const photo = await Deno.readFile(samplePhotos()[0]!);
    const small = photo;
    const cases: [string, string, RequestInit, number, string][] = [
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { "content-type": "image/jpeg" }, body: small },
        401,
        "unauthorized",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        {
          method: "POST",
          headers: { ...auth, "content-type": "image/jpeg", authorization: "Bearer wrong" },
          body: small,
        },
        401,
        "unauthorized",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "text/plain" }, body: "hello" },
        415,
        "unsupported_media_type",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "image/png" }, body: "not a photo" },
        400,
        "bad_image",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" }, body: photo.slice(0, 2000) },
        400,
        "bad_image",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" }, body: new Uint8Array(300_000) },
        413,
        "payload_too_large",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" }, body: photo },
        413,
        "too_many_pixels",
      ],
      [
        "/v1/detect",
        "/v1/detect",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" } },
        400,
        "empty_body",
      ],
      [
        "/v1/compare",
        "/v1/compare",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" }, body: small },
        415,
        "unsupported_media_type",
      ],
      [
        "/v1/people/{label}/faces",
        "/v1/people/%E0%A4%A/faces",
        { method: "POST", headers: { ...auth, "content-type": "image/jpeg" }, body: small },
        400,
        "bad_label",
      ],
    ];
    for (const [template, path, init, status, code] of cases) {
      const r = await fetch(`${base}${path}`, init);
      assert.equal(r.status, status, `${path} ${code}`);
      const body = await documented(template, "POST", r) as { error: { code: string; message: string } };
      assert.equal(body.error.code, code);
      assert.ok(body.error.message.length > 0);
    }
    // A multipart form without the field asked for; unknown path; wrong method.
    const form = new FormData();
    form.append("other", new Blob([small as Uint8Array<ArrayBuffer>]), "x.jpg");
    const missing = await fetch(`${base}/v1/recognize`, { method: "POST", headers: auth, body: form });
    assert.equal(missing.status, 400);
    assert.equal((await missing.json()).error.code, "missing_photo");
    const unknown = await fetch(`${base}/v1/nothing`, { headers: auth });
    assert.deepEqual([unknown.status, (await unknown.json()).error.code], [404, "not_found"]);
    const wrong = await fetch(`${base}/v1/detect`, { headers: auth });
    assert.deepEqual([wrong.status, wrong.headers.get("allow"), (await wrong.json()).error.code], [
      405,
      "POST",
      "method_not_allowed",
    ]);
    // Liveness needs no token; readiness and the OpenAPI document do.
    assert.equal((await fetch(`${base}/v1/health/live`)).status, 200);
    const doc = await fetch(`${base}/v1/openapi.json`);
    assert.equal(doc.status, 401);
    await documented("/v1/openapi.json", "GET", doc);
    assert.equal((await fetch(`${base}/v1/openapi.json`, { headers: auth })).status, 200);
    const ready = await fetch(`${base}/v1/health/ready`);
    assert.equal(ready.status, 401);
    await ready.body?.cancel();
  });
});

Deno.test("serve: a full queue answers 503 with Retry-After; CORS only for the origins allowed", async () => {
  await withService({ maxQueue: 0, corsOrigins: ["https://app.example"] }, async (base) => {
    const photo = await Deno.readFile(samplePhotos()[0]!);
    // Warm the worker, then eight at once at one worker and no queue: the first runs, the rest are refused.
    await (await fetch(`${base}/v1/detect`, jpeg(photo))).body?.cancel();
    const answers = await Promise.all(Array.from({ length: 8 }, () => fetch(`${base}/v1/detect`, jpeg(photo))));
    const refused = answers.filter((r) => r.status === 503);
    assert.ok(refused.length >= 1 && answers.some((r) => r.status === 200), answers.map((r) => r.status).join());
    assert.equal(refused[0]!.headers.get("retry-after"), "1");
    for (const r of answers) {
      const body = await documented("/v1/detect", "POST", r) as { error?: { code: string } };
      if (r.status === 503) assert.equal(body.error!.code, "overloaded");
    }
    const allowed = await fetch(`${base}/v1/health/live`, { headers: { origin: "https://app.example" } });
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://app.example");
    await allowed.body?.cancel();
    const other = await fetch(`${base}/v1/health/live`, { headers: { origin: "https://evil.example" } });
    assert.equal(other.headers.get("access-control-allow-origin"), null);
    await other.body?.cancel();
  });
});
