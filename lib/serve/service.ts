/**
 * The HTTP service (`deno task serve`): detect, recognise, compare and enrol over HTTP, under
 * `/v1/`, against a model folder's gallery (the file store), on a pool of worker threads.
 * Photos come as the raw request body or as `multipart/form-data`; answers are JSON; errors
 * are `{"error": {"code", "message"}}` with a stable `code`. It bounds the request's size, the
 * photo's pixels and the queue (503 with `Retry-After` when full), times requests out, takes
 * an optional bearer token (every endpoint but liveness; the scheme in any case), allows CORS
 * only for the origins given, counts requests and latencies for `/metrics` (Prometheus text),
 * and logs one JSON line per request with its id (never a photo or an embedding). `HEAD` is
 * answered as `GET`. Error bodies say what went wrong in general terms (never a server path,
 * a process id or the database's address; the log line has the detail, a URL's userinfo
 * masked); a client that hangs up before its answer is counted and logged as status 499. It
 * keeps no state of its own: each request reads the gallery as the folder holds it then.
 * The connections themselves (deadlines, caps) are `http_server.ts`'s.
 *
 * @module
 */

import { labelProblem } from "../dataset/labels.ts";
import { DEFAULT_MAX_PIXELS } from "../image/decode_image.ts";
import { EmptyGalleryError } from "../gallery/matcher.ts";
import { fileStore } from "../store/file_store.ts";
import { GalleryError, type GalleryStore } from "../store/gallery_store.ts";
import { euclidean } from "../embed/embed_faces.ts";
import { ModelError } from "../model/model_error.ts";
import { LockError } from "../_lock_error.ts";
import { sha256Hex } from "../_asset.ts";
import { type FaceAnswer, type Job, type JobResult, JobTimeoutError, OverloadedError, WorkerPool } from "./pool.ts";
import { openApiDocument } from "./openapi.ts";

/** Options of {@linkcode createService}. */
export interface ServiceOptions {
  /** The model folder: its gallery is the service's (default `./model`), unless `gallery` is given. */
  readonly model?: string;
  /**
   * The gallery, when not the model folder's file store (a database's, from
   * {@linkcode openStore}); the service closes it.
   */
  readonly gallery?: GalleryStore;
  /** Worker threads. Default: the number of cores. */
  readonly workers?: number;
  /** Largest request body, in bytes. Default 20 MiB. */
  readonly maxBodyBytes?: number;
  /** Largest photo, in pixels. Default 40 megapixels. */
  readonly maxPixels?: number;
  /** Requests waiting for a worker before 503. Default 4 per worker. */
  readonly maxQueue?: number;
  /** A request's time, in ms. Default 30 000. */
  readonly timeoutMs?: number;
  /** The bearer token required on every endpoint but liveness; none: no authentication. */
  readonly token?: string;
  /** Origins allowed by CORS (`*` for any); none: no CORS headers. */
  readonly corsOrigins?: readonly string[];
  /** One JSON line per request (default: nothing). */
  readonly log?: (line: string) => void;
  /** The HTTP server's counters, for `/metrics` (`face2vec_connections{what=…}`). */
  readonly connectionStats?: () => Readonly<Record<string, number>>;
}

/** A running service's handler and its end. */
export interface Service {
  /** Answers one request. */
  handle(request: Request): Promise<Response>;
  /** Stops taking work, waits for what runs, stops the workers. */
  close(): Promise<void>;
}

/** A refusal with its HTTP status and stable code. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: HeadersInit = {},
    /** What went wrong underneath, for the log line only. */
    readonly detail?: string,
  ) {
    super(message);
  }
}

/** The status logged and counted for a request whose client hung up before its answer (nginx's). */
export const CLIENT_CLOSED = 499;

/** A message for a log line: a URL's userinfo masked, whatever it holds (`/`, `@`, …), on one line. */
function forLog(e: unknown): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, "$1***@").replace(/[\r\n]+/g, " ");
}

/**
 * An error for want of file descriptors (EMFILE, ENFILE), by its code (a worker's error
 * carries its code across, `WorkerError.code`): the service is overloaded, not broken.
 */
function outOfFiles(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === "EMFILE" || code === "ENFILE";
}

/**
 * The answer to an error a route did not turn into an {@linkcode HttpError}, by its class and
 * `kind` (never its text): a model that cannot be used 500 `model_unusable`; a database that
 * cannot answer 503 `gallery_unavailable` (`Retry-After: 5`); a writers' lock held too long or
 * a database's `lock_timeout`/`statement_timeout` (GalleryError "busy") 503 `busy`
 * (`Retry-After: 1`); no file descriptor left (by the error's code) 503 `overloaded`; anything
 * else 500 `internal`.
 */
function errorAnswer(e: unknown, id: number): Response {
  const refuse = (status: number, code: string, message: string, retryAfter?: string) =>
    json(status, { error: { code, message } }, retryAfter ? { "retry-after": retryAfter } : {});
  if (e instanceof ModelError) return refuse(500, "model_unusable", "the model cannot be used");
  if (e instanceof GalleryError && e.kind !== "busy") {
    // unreachable, password, url, no_pgvector, mismatch, invalid: the database cannot answer now.
    return refuse(503, "gallery_unavailable", "the gallery is unavailable; retry", "5");
  }
  if ((e instanceof GalleryError && e.kind === "busy") || (e instanceof LockError && e.kind === "timeout")) {
    return refuse(503, "busy", "the gallery is busy; retry", "1");
  }
  if (outOfFiles(e)) return refuse(503, "overloaded", "the server is out of file descriptors; retry", "1");
  return refuse(500, "internal", `internal error (request ${id})`);
}

const json = (status: number, body: unknown, headers: HeadersInit = {}) =>
  new Response(JSON.stringify(body) + "\n", {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });

/**
 * Creates the service.
 *
 * @param options Model folder, workers, limits, token, CORS, log.
 * @returns Its handler (for `serveHttp` of `http_server.ts`, or any `(Request) => Response` server) and its end.
 */
export function createService(options: ServiceOptions = {}): Service {
  const modelDir = options.model ?? "./model";
  const gallery = options.gallery ?? fileStore(modelDir);
  // A folder's workers read its model (and name faces by its classifier); a database's get
  // its recorded pipeline, and the gallery is searched here.
  let source: Promise<Job["source"]> | undefined;
  const jobSource = () =>
    source ??= gallery.kind === "file"
      ? Promise.resolve({ modelDir })
      : gallery.info().then((info) => ({ info: info! }));
  const workers = Math.max(1, options.workers ?? navigator.hardwareConcurrency);
  const maxBody = options.maxBodyBytes ?? 20 * 2 ** 20;
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pool = new WorkerPool(workers, options.maxQueue ?? 4 * workers);
  const metrics = new Metrics();
  let closing = false;
  let requestId = 0;

  const job = async (op: Job["op"], photo: { bytes: Uint8Array; name: string }): Promise<JobResult> => {
    try {
      const result = await pool.run(
        { op, bytes: photo.bytes, name: photo.name, maxPixels, source: await jobSource() },
        timeoutMs,
      );
      if (result.kind === "bad_image") {
        const big = result.image === "too_many_pixels";
        throw new HttpError(big ? 413 : 400, big ? "too_many_pixels" : "bad_image", `${photo.name}: ${result.reason}`);
      }
      if (result.kind === "no_model") throw new HttpError(409, "no_model", "no one is enrolled yet");
      return result;
    } catch (e) {
      if (e instanceof OverloadedError) {
        throw new HttpError(503, "overloaded", "too many requests are waiting; retry", { "retry-after": "1" });
      }
      if (e instanceof JobTimeoutError) throw new HttpError(504, "timeout", e.message);
      throw e;
    }
  };

  const routes: {
    method: string;
    path: RegExp;
    /** The path as the OpenAPI document writes it (and as metrics name it). */
    template: string;
    auth: boolean;
    run: (req: Request, match: RegExpMatchArray) => Promise<Response>;
  }[] = [
    {
      method: "GET",
      path: /^\/v1\/health\/live$/,
      template: "/v1/health/live",
      auth: false,
      run: () => Promise.resolve(json(200, { status: "ok" })),
    },
    {
      method: "GET",
      path: /^\/v1\/health\/ready$/,
      template: "/v1/health/ready",
      auth: true,
      run: async () => {
        try {
          const { faces } = await gallery.check();
          return json(200, { status: "ready", gallery: gallery.kind, faces, workers: pool.load.workers });
        } catch (e) {
          throw new HttpError(503, "not_ready", "the gallery cannot be read", {}, forLog(e));
        }
      },
    },
    {
      method: "GET",
      path: /^\/v1\/openapi\.json$/,
      template: "/v1/openapi.json",
      auth: true,
      run: () => Promise.resolve(json(200, openApiDocument())),
    },
    {
      method: "POST",
      path: /^\/v1\/detect$/,
      template: "/v1/detect",
      auth: true,
      run: async (req) => {
        const r = await job("detect", (await photos(req, maxBody, ["photo"]))[0]!);
        return json(200, r);
      },
    },
    {
      method: "POST",
      path: /^\/v1\/recognize$/,
      template: "/v1/recognize",
      auth: true,
      run: async (req) => {
        const photo = (await photos(req, maxBody, ["photo"]))[0]!;
        if (gallery.kind === "file") return json(200, await job("recognize", photo));
        const found = await job("faces", photo);
        if (found.kind !== "faces") throw new Error(`unexpected ${found.kind}`);
        const answers = await gallery.match(found.faces.map((f) => f.embedding!)).catch((e) => {
          if (e instanceof EmptyGalleryError) throw new HttpError(409, "no_model", "no one is enrolled yet");
          throw e;
        });
        const faces = found.faces.map(({ embedding: _, ...f }, i): FaceAnswer => {
          const a = answers[i]!;
          return {
            ...f,
            label: a.label,
            method: "nearest",
            probability: null,
            distance: a.distance,
            runner_up: a.runnerUp && { label: a.runnerUp.label, probability: null, distance: a.runnerUp.distance },
          };
        });
        return json(200, { kind: "faces", size: found.size, faces });
      },
    },
    {
      method: "POST",
      path: /^\/v1\/compare$/,
      template: "/v1/compare",
      auth: true,
      run: async (req) => {
        const [a, b] = await photos(req, maxBody, ["a", "b"]);
        const [ea, eb] = await Promise.all([job("embed", a!), job("embed", b!)]);
        for (const [e, p] of [[ea, a!], [eb, b!]] as const) {
          if (e.kind !== "embedding") throw new HttpError(422, "no_face", `${p.name}: no face found`);
        }
        if (ea.kind !== "embedding" || eb.kind !== "embedding") throw new Error("unreachable");
        const distance = euclidean(ea.embedding, eb.embedding);
        // Both photos went through the same model's pipeline: one network, one threshold.
        const threshold = ea.verify;
        return json(200, { distance, same: distance <= threshold, threshold });
      },
    },
    {
      method: "GET",
      path: /^\/v1\/people$/,
      template: "/v1/people",
      auth: true,
      run: async () => json(200, { people: await gallery.people() }),
    },
    {
      method: "POST",
      path: /^\/v1\/people\/([^/]+)\/faces$/,
      template: "/v1/people/{label}/faces",
      auth: true,
      run: async (req, m) => {
        const label = personLabel(m[1]!);
        const photo = (await photos(req, maxBody, ["photo"]))[0]!;
        const e = await job("embed", photo);
        if (e.kind !== "embedding") throw new HttpError(422, "no_face", `${photo.name}: no face found`);
        // The largest face of the photo is enrolled; the answer says how many the photo had.
        // Named by its content: the same photo enrolled again replaces its face.
        const path = `http/${(await sha256Hex(photo.bytes)).slice(0, 16)}`;
        const saved = await gallery.enrol([{ label, path, embedding: Float32Array.from(e.embedding) }], {
          lockTimeoutMs: timeoutMs,
        });
        return json(201, { label, path, box: e.box, faces_in_photo: e.faces, gallery_faces: saved.faces });
      },
    },
    {
      method: "DELETE",
      path: /^\/v1\/people\/([^/]+)$/,
      template: "/v1/people/{label}",
      auth: true,
      run: async (_req, m) => {
        const label = personLabel(m[1]!);
        const removed = await gallery.remove(label, { lockTimeoutMs: timeoutMs });
        if (removed === 0) throw new HttpError(404, "no_such_person", `${label} is not enrolled`);
        return json(200, { label, removed_faces: removed });
      },
    },
    {
      method: "GET",
      path: /^\/metrics$/,
      template: "/metrics",
      auth: true,
      run: () =>
        Promise.resolve(
          new Response(metrics.text(pool.load, options.connectionStats?.()), {
            headers: { "content-type": "text/plain; version=0.0.4" },
          }),
        ),
    },
  ];

  return {
    async handle(req) {
      const id = ++requestId;
      const t0 = performance.now();
      const url = new URL(req.url);
      const origin = req.headers.get("origin");
      const cors: Record<string, string> = {};
      const allowed = options.corsOrigins ?? [];
      if (origin && (allowed.includes("*") || allowed.includes(origin))) {
        cors["access-control-allow-origin"] = allowed.includes("*") ? "*" : origin;
        cors["vary"] = "Origin";
      }
      let response: Response;
      let route = "unmatched";
      // What went wrong, for the log line only (error bodies stay general).
      let detail: string | undefined;
      try {
        if (closing) throw new HttpError(503, "shutting_down", "the service is shutting down", { "retry-after": "5" });
        if (req.method === "OPTIONS" && cors["access-control-allow-origin"]) {
          response = new Response(null, {
            status: 204,
            headers: {
              ...cors,
              "access-control-allow-methods": "GET, POST, DELETE",
              "access-control-allow-headers": "authorization, content-type",
            },
          });
        } else {
          const matching = routes.filter((r) => r.path.test(url.pathname));
          if (matching.length === 0) throw new HttpError(404, "not_found", `no endpoint ${url.pathname}`);
          // HEAD is GET without the body (the server sends the headers only).
          const method = req.method === "HEAD" ? "GET" : req.method;
          const r = matching.find((r) => r.method === method);
          if (!r) {
            throw new HttpError(
              405,
              "method_not_allowed",
              `${req.method} ${url.pathname}: use ${allowMethods(matching)}`,
              { allow: allowMethods(matching) },
            );
          }
          route = `${r.method} ${r.template}`;
          if (r.auth && options.token !== undefined) {
            // RFC 7235: the scheme is case-insensitive; one or more spaces before the token.
            const given = (req.headers.get("authorization") ?? "").match(/^bearer +(\S+) *$/i)?.[1] ?? "";
            if (!timingSafeEqual(given, options.token)) {
              throw new HttpError(401, "unauthorized", "a valid bearer token is required", {
                "www-authenticate": "Bearer",
              });
            }
          }
          response = await r.run(req, url.pathname.match(r.path)!);
        }
      } catch (e) {
        detail = e instanceof HttpError ? e.detail : forLog(e);
        if (e instanceof HttpError) {
          response = json(e.status, { error: { code: e.code, message: e.message } }, e.headers);
        } else response = errorAnswer(e, id);
      }
      for (const [k, v] of Object.entries(cors)) response.headers.set(k, v);
      response.headers.set("x-request-id", String(id));
      const ms = performance.now() - t0;
      // A client gone before its answer is its own outcome, not the answer it did not get.
      const status = req.signal.aborted ? CLIENT_CLOSED : response.status;
      metrics.observe(route, status, ms);
      options.log?.(JSON.stringify({
        time: new Date().toISOString(),
        request_id: id,
        method: req.method,
        path: url.pathname,
        status,
        ms: Math.round(ms * 10) / 10,
        ...(detail !== undefined ? { error: detail } : {}),
      }));
      return response;
    },
    async close() {
      closing = true;
      await pool.close();
      await gallery.close();
    },
  };
}

/** The methods a path answers, for `Allow` (GET's routes answer HEAD too). */
const allowMethods = (routes: readonly { method: string }[]) =>
  routes.flatMap((r) => r.method === "GET" ? ["GET", "HEAD"] : [r.method]).join(", ");

/** The person named in a path segment, decoded and checked. */
function personLabel(segment: string): string {
  let label: string;
  try {
    label = decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, "bad_label", "the person's name is not valid percent-encoding");
  }
  // One rule for names (lib/dataset/labels.ts), as enrol's.
  const problem = labelProblem(label);
  if (problem !== undefined) {
    throw new HttpError(
      400,
      "bad_label",
      `a person's name is 1–200 characters, no control, bidirectional or surrounding space characters or slashes (this one ${problem})`,
    );
  }
  return label;
}

/** Equal strings, compared in a time that does not depend on where they differ. */
function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a), y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * The photos of a request: the raw body (an image content type, or
 * `application/octet-stream`) for one photo, or `multipart/form-data` fields of the names
 * asked for; bounded by `maxBody` bytes.
 */
async function photos(
  req: Request,
  maxBody: number,
  fields: readonly string[],
): Promise<{ bytes: Uint8Array; name: string }[]> {
  const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  const length = Number(req.headers.get("content-length") ?? NaN);
  if (length > maxBody) throw new HttpError(413, "payload_too_large", `the body is over ${maxBody} bytes`);
  const body = await readBounded(req, maxBody);
  if (type === "multipart/form-data") {
    let form: FormData;
    try {
      form = await new Response(body as Uint8Array<ArrayBuffer>, {
        headers: { "content-type": req.headers.get("content-type")! },
      }).formData();
    } catch {
      throw new HttpError(400, "bad_form", "the multipart body cannot be read");
    }
    return await Promise.all(fields.map(async (f) => {
      const v = form.get(f);
      if (!(v instanceof File)) throw new HttpError(400, "missing_photo", `the form has no file field "${f}"`);
      return { bytes: new Uint8Array(await v.arrayBuffer()), name: v.name || f };
    }));
  }
  if (fields.length > 1) {
    throw new HttpError(415, "unsupported_media_type", `send multipart/form-data with the fields ${fields.join(", ")}`);
  }
  if (!(type.startsWith("image/") || type === "application/octet-stream")) {
    throw new HttpError(
      415,
      "unsupported_media_type",
      `content type ${
        JSON.stringify(type)
      }: send the photo as image/* or application/octet-stream, or multipart/form-data`,
    );
  }
  if (body.length === 0) throw new HttpError(400, "empty_body", "the request has no photo");
  return [{ bytes: body, name: "photo" }];
}

/** The body, refused past `max` bytes (whatever the request says its length is). */
async function readBounded(req: Request, max: number): Promise<Uint8Array<ArrayBuffer>> {
  if (!req.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let n = 0;
  for await (const chunk of req.body) {
    n += chunk.length;
    if (n > max) throw new HttpError(413, "payload_too_large", `the body is over ${max} bytes`);
    chunks.push(chunk);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Request counts and latency histograms, by route and status, in the Prometheus text format. */
class Metrics {
  static readonly BUCKETS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];
  readonly #counts = new Map<string, number>();
  readonly #histograms = new Map<string, { buckets: number[]; sum: number; count: number }>();

  observe(route: string, status: number, ms: number): void {
    const key = `route="${route.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}",status="${status}"`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
    const h = this.#histograms.get(key) ?? { buckets: Metrics.BUCKETS.map(() => 0), sum: 0, count: 0 };
    Metrics.BUCKETS.forEach((b, i) => ms <= b && h.buckets[i]!++);
    h.sum += ms;
    h.count++;
    this.#histograms.set(key, h);
  }

  text(
    load: { queued: number; running: number; workers: number },
    connections: Readonly<Record<string, number>> = {},
  ): string {
    const lines = [
      "# HELP face2vec_requests_total Requests answered, by route and status.",
      "# TYPE face2vec_requests_total counter",
      ...[...this.#counts].map(([k, v]) => `face2vec_requests_total{${k}} ${v}`),
      "# HELP face2vec_request_duration_ms Time to answer, by route and status.",
      "# TYPE face2vec_request_duration_ms histogram",
    ];
    for (const [k, h] of this.#histograms) {
      Metrics.BUCKETS.forEach((b, i) =>
        lines.push(`face2vec_request_duration_ms_bucket{${k},le="${b}"} ${h.buckets[i]}`)
      );
      lines.push(`face2vec_request_duration_ms_bucket{${k},le="+Inf"} ${h.count}`);
      lines.push(
        `face2vec_request_duration_ms_sum{${k}} ${h.sum}`,
        `face2vec_request_duration_ms_count{${k}} ${h.count}`,
      );
    }
    lines.push(
      "# HELP face2vec_queue Jobs waiting for a worker and running.",
      "# TYPE face2vec_queue gauge",
      `face2vec_queue{state="queued"} ${load.queued}`,
      `face2vec_queue{state="running"} ${load.running}`,
      `face2vec_workers ${load.workers}`,
      `face2vec_resident_memory_bytes ${Deno.memoryUsage().rss}`,
    );
    if (Object.keys(connections).length) {
      lines.push(
        "# HELP face2vec_connections The HTTP server's connections: open now, and counts since the start.",
        "# TYPE face2vec_connections gauge",
        ...Object.entries(connections).map(([k, v]) => `face2vec_connections{what="${k}"} ${v}`),
      );
    }
    return lines.join("\n") + "\n";
  }
}
