/**
 * The service's HTTP/1.1 server: its own accept loop over `Deno.listen` and its own reader of
 * requests, so that everything a client controls is bounded (`Deno.serve` has no header or
 * body deadline, no connection cap and dies at the open-file limit; Deno 2.9.6's `node:http`
 * ignores `headersTimeout` and refuses, rather than evicts, past `maxConnections`: measured).
 *
 * - **Deadlines.** The request line and headers must arrive within `headerTimeoutMs` of their
 *   first byte (of the connection's start for the first request), a body within
 *   `bodyTimeoutMs` of its headers, an answer must be taken within `bodyTimeoutMs`, and a
 *   kept-alive connection may wait `idleTimeoutMs` for its next request.
 * - **Sizes.** Headers at most `maxHeaderBytes` (431), a body at most `maxBodyBytes` (413),
 *   by `Content-Length` or chunked; a body is read in full before the handler is called.
 * - **Connections.** At most `maxConnections` open (by default the descriptors the process
 *   can still open, less a reserve for models, workers and the database pool). A new connection past the cap
 *   closes the oldest one that has not finished its headers or waits idle, so a client that
 *   sends its request promptly is served under a flood of slow ones; only when none can go
 *   is the newcomer answered 503 with `Retry-After`.
 * - **Uploads.** At most `maxUploads` bodies are read at once: memory held by uploads is at
 *   most `maxUploads × maxBodyBytes`. Past it, the slowest upload under `minUploadRate`
 *   gives way (408); if none is that slow, 503 with `Retry-After`.
 * - **Open files.** An accept that fails for want of a file descriptor (EMFILE, ENFILE)
 *   closes the oldest idle or unfinished connection, backs off and tries again: never fatal.
 *
 * A client that hangs up while its request is handled aborts the request's `signal`.
 * Answers are buffered and sent with `Content-Length` (the service's are small); `HEAD`
 * gets the headers only. Pipelined requests are answered in turn.
 *
 * @module
 */

/** Options of {@linkcode serveHttp}. */
export interface HttpServerOptions {
  /** The address to bind. Default 127.0.0.1. */
  readonly hostname?: string;
  /** The port (0: any free one). */
  readonly port: number;
  /** Time for a request's line and headers, from their first byte, in ms. Default 10 000. */
  readonly headerTimeoutMs?: number;
  /** Time for a request's body once its headers are in, and for the client to take an answer, in ms. Default 60 000. */
  readonly bodyTimeoutMs?: number;
  /** Time a kept-alive connection waits for its next request, in ms. Default 5 000. */
  readonly idleTimeoutMs?: number;
  /** Largest request line plus headers, in bytes. Default 16 KiB. */
  readonly maxHeaderBytes?: number;
  /** Largest request body, in bytes. Default 20 MiB. */
  readonly maxBodyBytes?: number;
  /**
   * Open connections at most. Default 1,000; `serve` passes {@linkcode defaultMaxConnections},
   * counted at its start before anything else runs.
   */
  readonly maxConnections?: number;
  /** Bodies being read at once at most. Default 16. */
  readonly maxUploads?: number;
  /**
   * An upload slower than this on average (bytes/s, its headers' arrival to now) gives its
   * slot to a new upload when every slot is taken, the slowest first (a slow-upload attack
   * cannot hold them all). Default 10 KiB/s.
   */
  readonly minUploadRate?: number;
}

/** What the server has done, for metrics. */
export interface HttpServerStats {
  /** Connections open now. */
  readonly open: number;
  /** Bodies being read now. */
  readonly uploads: number;
  /** Connections accepted since the start. */
  readonly accepted: number;
  /** Connections closed to make room for a new one (unfinished headers or idle). */
  readonly evicted: number;
  /** New connections answered 503 at the cap (nothing could be evicted). */
  readonly refused: number;
  /** Requests answered 503 because `maxUploads` bodies were being read. */
  readonly uploads_refused: number;
  /** Uploads closed (408) to give their slot to a new one, slower than `minUploadRate`. */
  readonly uploads_evicted: number;
  /** Connections closed at their header deadline. */
  readonly header_timeouts: number;
  /** Connections closed at their body (or answer-taking) deadline. */
  readonly body_timeouts: number;
  /** Accepts that failed for want of a file descriptor (EMFILE, ENFILE). */
  readonly accept_errors: number;
  /** Requests whose client hung up before the answer was sent. */
  readonly hung_up: number;
}

/** A running server. */
export interface HttpServer {
  /** The address it listens on. */
  readonly addr: Deno.NetAddr;
  /** The connection cap in force. */
  readonly maxConnections: number;
  /** Its counters. */
  stats(): HttpServerStats;
  /** Stops accepting, lets the requests being handled finish and be sent, closes every connection. */
  shutdown(): Promise<void>;
}

/** Descriptors kept for everything but connections: models, workers, the database pool, logs. */
const RESERVE = (free: number) => Math.max(64, Math.min(512, Math.floor(free / 4)));

/**
 * The file descriptors this process can still open, counted by opening `/dev/null` until the
 * table is full (at most `max`) and closing them again. Deno refuses to read
 * `/proc/self/limits` without `--allow-all`, and has no `getrlimit`; this needs only read
 * access to `/dev/null`. For a moment the table is full: call it before other threads
 * (workers, module loads, database connections) start.
 *
 * @param max Stop counting here.
 * @returns The count, or undefined if `/dev/null` cannot be opened at all.
 */
export function freeDescriptors(max = 65_536): number | undefined {
  const files: Deno.FsFile[] = [];
  try {
    while (files.length < max) files.push(Deno.openSync("/dev/null", { read: true }));
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (files.length === 0 || (code !== "EMFILE" && code !== "ENFILE")) {
      for (const f of files) f.close();
      return undefined;
    }
  }
  for (const f of files) f.close();
  return files.length;
}

/**
 * The default connection cap: the descriptors the process can still open
 * ({@linkcode freeDescriptors}) less a reserve of a quarter (at least 64, at most 512) for
 * model files, workers, the database pool and logs; 1,000 where they cannot be counted.
 *
 * @param free The free descriptors (counted when not given).
 * @returns Connections at most (at least 16).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultMaxConnections } from "./http_server.ts";
 * assert.equal(defaultMaxConnections(1024), 768);
 * ```
 */
export function defaultMaxConnections(free: number | undefined = freeDescriptors()): number {
  if (free === undefined || !Number.isFinite(free) || free <= 0) return 1000;
  return Math.max(16, free - RESERVE(free));
}

const REASONS: Record<number, string> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HOST = /^[A-Za-z0-9.\-:[\]]{1,255}$/;

/** The error body every refusal of this layer has: the service's `{"error": {"code", "message"}}`. */
function refusal(status: number, code: string, message: string, extra: Record<string, string> = {}): Uint8Array {
  const body = JSON.stringify({ error: { code, message } }) + "\n";
  const head = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? ""}`,
    "content-type: application/json; charset=utf-8",
    `content-length: ${encoder.encode(body).length}`,
    "connection: close",
    ...Object.entries(extra).map(([k, v]) => `${k}: ${v}`),
  ];
  return encoder.encode(head.join("\r\n") + "\r\n\r\n" + body);
}

/** A request this layer refuses itself; the connection closes after it. */
class Refusal extends Error {
  constructor(readonly bytes: Uint8Array) {
    super("refused");
  }
}

/** The connection closed (by the client, a deadline or an eviction). */
class Closed extends Error {
  constructor() {
    super("closed");
  }
}

type State = "headers" | "idle" | "body" | "handling" | "writing";

/**
 * Serves HTTP/1.1 with `handler`, every client-controlled quantity bounded (see the module).
 *
 * @param options Address, deadlines, sizes, caps.
 * @param handler Answers one request (the service's `handle`).
 * @returns The running server.
 * @throws {Deno.errors.AddrInUse} (and the like) When it cannot listen.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveHttp } from "./http_server.ts";
 * const server = serveHttp({ hostname: "127.0.0.1", port: 0 }, () => new Response("hi"));
 * const r = await fetch(`http://127.0.0.1:${server.addr.port}/`);
 * assert.equal(await r.text(), "hi");
 * await server.shutdown();
 * ```
 */
export function serveHttp(
  options: HttpServerOptions,
  handler: (request: Request) => Response | Promise<Response>,
): HttpServer {
  const hostname = options.hostname ?? "127.0.0.1";
  const headerTimeout = options.headerTimeoutMs ?? 10_000;
  const bodyTimeout = options.bodyTimeoutMs ?? 60_000;
  const idleTimeout = options.idleTimeoutMs ?? 5_000;
  const maxHeader = options.maxHeaderBytes ?? 16 * 1024;
  const maxBody = options.maxBodyBytes ?? 20 * 2 ** 20;
  const maxConnections = Math.max(1, options.maxConnections ?? 1000);
  const maxUploads = Math.max(0, options.maxUploads ?? 16);
  const minUploadRate = options.minUploadRate ?? 10 * 1024;
  const listener = Deno.listen({ hostname, port: options.port, transport: "tcp" });
  const stats = {
    accepted: 0,
    evicted: 0,
    refused: 0,
    uploads_refused: 0,
    uploads_evicted: 0,
    header_timeouts: 0,
    body_timeouts: 0,
    accept_errors: 0,
    hung_up: 0,
  };
  /** Open connections, oldest request first (a connection moves to the end when a request starts). */
  const open = new Map<number, Connection>();
  let uploads = 0;
  let nextId = 0;
  let stopping = false;
  const running = new Set<Promise<void>>();

  /** Closes the oldest connection that has not finished its headers or waits idle; false if none. */
  const evictOne = (): boolean => {
    for (const c of open.values()) {
      if (c.state === "headers" || c.state === "idle") {
        stats.evicted++;
        c.close();
        return true;
      }
    }
    return false;
  };

  /** Closes (408) the slowest upload under `minUploadRate` (of equals, the oldest); false if none. */
  const evictSlowUpload = (): boolean => {
    const now = performance.now();
    let slowest: Connection | undefined;
    let slowestRate = minUploadRate;
    for (const c of open.values()) {
      if (c.state !== "body") continue;
      const rate = c.bodyBytes / Math.max(0.001, (now - c.bodyStarted) / 1000);
      if (rate < slowestRate || (slowest && rate === slowestRate && c.bodyStarted < slowest.bodyStarted)) {
        [slowest, slowestRate] = [c, rate];
      }
    }
    if (!slowest) return false;
    stats.uploads_evicted++;
    const c = slowest;
    c.enter("writing", 1000);
    c.conn.write(refusal(408, "body_timeout", "the body came too slowly while others waited"))
      .catch(() => {}).finally(() => c.close());
    return true;
  };

  class Connection {
    readonly id = ++nextId;
    state: State = "headers";
    /** When its body began to be read, and the body's bytes so far. */
    bodyStarted = 0;
    bodyBytes = 0;
    /** Bytes read and not yet consumed. */
    buffered: Uint8Array = new Uint8Array(0);
    eof = false;
    closed = false;
    #timer: ReturnType<typeof setTimeout> | undefined;
    #reading: Promise<void> | undefined;
    #hangUp: AbortController | undefined;

    constructor(readonly conn: Deno.TcpConn) {}

    close(): void {
      if (this.closed) return;
      this.closed = true;
      this.#clearTimer();
      if (this.state === "body") uploads--;
      open.delete(this.id);
      this.#hangUp?.abort();
      try {
        this.conn.close();
      } catch { /* already closed */ }
    }

    /**
     * Enters a state, with its deadline: `onTimeout` runs at it, then the connection closes
     * (once what `onTimeout` returns settles, or after 1 s).
     */
    enter(state: State, ms: number | undefined, onTimeout: () => void | Promise<void> = () => {}): void {
      if (this.closed) return;
      if (this.state === "body" && state !== "body") uploads--;
      if (state === "body" && this.state !== "body") uploads++;
      this.state = state;
      this.#clearTimer();
      if (ms !== undefined) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          const last = onTimeout();
          if (!last) return this.close();
          const cap = setTimeout(() => this.close(), 1000);
          last.catch(() => {}).finally(() => {
            clearTimeout(cap);
            this.close();
          });
        }, ms);
      }
    }

    #clearTimer(): void {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#timer = undefined;
    }

    /** Reads more bytes into `buffered` (one read at a time; a read under way is shared). */
    fill(size = 2048): Promise<void> {
      this.#reading ??= (async () => {
        const chunk = new Uint8Array(size);
        let n: number | null;
        try {
          n = await this.conn.read(chunk);
        } catch {
          n = null;
        }
        if (n === null) {
          this.eof = true;
          this.#hangUp?.abort();
        } else {
          const joined = new Uint8Array(this.buffered.length + n);
          joined.set(this.buffered);
          joined.set(chunk.subarray(0, n), this.buffered.length);
          this.buffered = joined;
        }
      })().finally(() => this.#reading = undefined);
      return this.#reading;
    }

    /** Watches for the client hanging up while a request is handled (reading ahead a little). */
    watch(controller: AbortController): void {
      this.#hangUp = controller;
      const loop = async () => {
        while (!this.eof && !this.closed && this.#hangUp === controller && this.buffered.length < maxHeader) {
          await this.fill();
        }
      };
      loop();
    }

    unwatch(): void {
      this.#hangUp = undefined;
    }

    async write(bytes: Uint8Array): Promise<void> {
      let o = 0;
      while (o < bytes.length) {
        if (this.closed) throw new Closed();
        try {
          o += await this.conn.write(bytes.subarray(o));
        } catch {
          throw new Closed();
        }
      }
    }
  }

  /** The request line and headers: the bytes before the blank line, or throws. */
  const readHead = async (c: Connection): Promise<string> => {
    let scanned = 0;
    while (true) {
      const b = c.buffered;
      for (let i = Math.max(0, scanned - 3); i + 3 < b.length; i++) {
        if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) {
          if (i + 4 > maxHeader) break;
          c.buffered = b.subarray(i + 4);
          return decoder.decode(b.subarray(0, i));
        }
      }
      scanned = b.length;
      if (b.length > maxHeader) {
        throw new Refusal(
          refusal(431, "headers_too_large", `the request line and headers are over ${maxHeader} bytes`),
        );
      }
      if (c.eof || c.closed) throw new Closed();
      const before = b.length;
      await c.fill();
      if (c.state === "idle" && c.buffered.length > before) {
        open.delete(c.id);
        open.set(c.id, c);
        c.enter("headers", headerTimeout, () => {
          stats.header_timeouts++;
        });
      }
    }
  };

  /** Exactly `n` bytes (or throws if the connection ends first), read straight into chunks: linear in `n`. */
  const readExactly = async (c: Connection, n: number): Promise<Uint8Array> => {
    const parts: Uint8Array[] = [];
    let got = Math.min(n, c.buffered.length);
    c.bodyBytes += got;
    if (got > 0) parts.push(c.buffered.slice(0, got));
    c.buffered = c.buffered.subarray(got);
    while (got < n) {
      if (c.eof || c.closed) throw new Closed();
      const chunk = new Uint8Array(Math.min(64 * 1024, n - got));
      let r: number | null;
      try {
        r = await c.conn.read(chunk);
      } catch {
        r = null;
      }
      if (r === null) {
        c.eof = true;
        throw new Closed();
      }
      // A short read is copied, so that a client trickling bytes holds no more than it sent.
      parts.push(r < chunk.length / 4 ? chunk.slice(0, r) : chunk.subarray(0, r));
      got += r;
      c.bodyBytes += r;
    }
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };

  /** One CRLF-ended line (a chunk size or a trailer), at most `maxHeader` bytes. */
  const readLine = async (c: Connection): Promise<string> => {
    while (true) {
      const i = c.buffered.indexOf(10);
      if (i >= 0) {
        const line = decoder.decode(c.buffered.subarray(0, i)).replace(/\r$/, "");
        c.buffered = c.buffered.subarray(i + 1);
        return line;
      }
      if (c.buffered.length > maxHeader) {
        throw new Refusal(refusal(400, "bad_request", "a chunk's size line is too long"));
      }
      if (c.eof || c.closed) throw new Closed();
      await c.fill();
    }
  };

  const tooLarge = () => new Refusal(refusal(413, "payload_too_large", `the body is over ${maxBody} bytes`));

  const readChunked = async (c: Connection): Promise<Uint8Array> => {
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const line = await readLine(c);
      const size = /^[0-9A-Fa-f]{1,8}(;.*)?$/.test(line) ? parseInt(line, 16) : NaN;
      if (!Number.isFinite(size)) throw new Refusal(refusal(400, "bad_request", "a chunk's size is not hexadecimal"));
      if (size === 0) break;
      total += size;
      if (total > maxBody) throw tooLarge();
      chunks.push(await readExactly(c, size));
      if ((await readExactly(c, 2)).join() !== "13,10") {
        throw new Refusal(refusal(400, "bad_request", "a chunk does not end with CRLF"));
      }
    }
    // Trailers, ignored, up to the blank line.
    for (let n = 0; (await readLine(c)) !== ""; n++) {
      if (n > 100) throw new Refusal(refusal(400, "bad_request", "too many trailers"));
    }
    const out = new Uint8Array(total);
    let o = 0;
    for (const ch of chunks) {
      out.set(ch, o);
      o += ch.length;
    }
    return out;
  };

  const bad = (message: string) => new Refusal(refusal(400, "bad_request", message));

  /** Serves one connection's requests until it closes. */
  const serve = async (c: Connection) => {
    let first = true;
    try {
      while (!c.closed && !stopping) {
        if (!first) c.enter("idle", idleTimeout);
        first = false;
        const head = await readHead(c);
        const [requestLine, ...lines] = head.split("\r\n");
        const m = requestLine!.match(/^([A-Z]{1,20}) (\S{1,8192}) HTTP\/1\.([01])$/);
        if (!m) {
          if (/^\S+ \S+ HTTP\/\d/.test(requestLine!)) {
            throw new Refusal(refusal(505, "http_version", "HTTP/1.0 and HTTP/1.1 only"));
          }
          throw bad("the request line is not METHOD TARGET HTTP/1.x");
        }
        const [, method, target, minor] = m;
        const headers = new Headers();
        for (const line of lines) {
          const colon = line.indexOf(":");
          const name = line.slice(0, colon);
          if (colon <= 0 || !TOKEN.test(name)) throw bad("a header line is malformed");
          try {
            headers.append(name, line.slice(colon + 1).trim());
          } catch {
            throw bad(`the header ${name} has an invalid value`);
          }
        }
        const te = headers.get("transfer-encoding");
        const cl = headers.get("content-length");
        if (te !== null && cl !== null) throw bad("both Transfer-Encoding and Content-Length");
        if (te !== null && te.toLowerCase() !== "chunked") {
          throw new Refusal(refusal(501, "not_implemented", "only the chunked transfer coding is understood"));
        }
        let length = 0;
        if (cl !== null) {
          if (!/^\d{1,15}$/.test(cl)) throw bad("Content-Length is not one decimal number");
          length = Number(cl);
          if (length > maxBody) throw tooLarge();
        }
        const hasBody = te !== null || length > 0;
        let body: Uint8Array | null = null;
        if (hasBody) {
          if (uploads >= maxUploads && !evictSlowUpload()) {
            stats.uploads_refused++;
            throw new Refusal(
              refusal(503, "overloaded", "too many uploads are in progress; retry", { "retry-after": "1" }),
            );
          }
          c.bodyStarted = performance.now();
          c.bodyBytes = 0;
          c.enter("body", bodyTimeout, async () => {
            stats.body_timeouts++;
            await c.conn.write(refusal(408, "body_timeout", `the body did not arrive within ${bodyTimeout} ms`));
          });
          if ((headers.get("expect") ?? "").toLowerCase() === "100-continue") {
            await c.write(encoder.encode("HTTP/1.1 100 Continue\r\n\r\n"));
          }
          body = te !== null ? await readChunked(c) : await readExactly(c, length);
          // Closed, or evicted for being slow while its last bytes came.
          if (c.closed || c.state !== "body") throw new Closed();
        }
        // Handle it.
        c.enter("handling", undefined);
        const host = headers.get("host") ?? "";
        const authority = HOST.test(host) ? host : hostname.includes(":") ? `[${hostname}]` : hostname;
        let url: string;
        try {
          url = target!.startsWith("/") ? new URL(`http://${authority}${target}`).href : new URL(target!).href;
        } catch {
          throw bad("the request target is not a path");
        }
        const hangUp = new AbortController();
        const request = new Request(url, {
          method,
          headers,
          signal: hangUp.signal,
          ...(body && method !== "GET" && method !== "HEAD" ? { body: body as Uint8Array<ArrayBuffer> } : {}),
        });
        const keepAlive = minor === "1" && !/\bclose\b/i.test(headers.get("connection") ?? "") && !stopping;
        c.watch(hangUp);
        let response: Response;
        try {
          response = await handler(request);
        } catch {
          response = new Response(JSON.stringify({ error: { code: "internal", message: "internal error" } }) + "\n", {
            status: 500,
            headers: { "content-type": "application/json; charset=utf-8" },
          });
        }
        c.unwatch();
        const payload = new Uint8Array(await response.arrayBuffer());
        if (c.closed || c.eof) {
          stats.hung_up++;
          throw new Closed();
        }
        const status = response.status;
        const noBody = status === 204 || status === 304 || status < 200;
        const out = [`HTTP/1.1 ${status} ${REASONS[status] ?? ""}`];
        for (const [k, v] of response.headers) {
          if (k !== "content-length" && k !== "transfer-encoding" && k !== "connection") out.push(`${k}: ${v}`);
        }
        if (!noBody) out.push(`content-length: ${payload.length}`);
        out.push(keepAlive ? "connection: keep-alive" : "connection: close");
        const headBytes = encoder.encode(out.join("\r\n") + "\r\n\r\n");
        const sendBody = !noBody && method !== "HEAD" && payload.length > 0;
        const all = new Uint8Array(headBytes.length + (sendBody ? payload.length : 0));
        all.set(headBytes);
        if (sendBody) all.set(payload, headBytes.length);
        c.enter("writing", bodyTimeout, () => {
          stats.body_timeouts++;
        });
        await c.write(all);
        if (!keepAlive) break;
      }
    } catch (e) {
      if (e instanceof Refusal && !c.closed) {
        // The refusal, then a lingering close: what the client still sends is read and dropped
        // for up to 2 s (1 MiB), so that it reads the answer rather than a reset.
        c.enter("writing", 2_000);
        try {
          await c.write(e.bytes);
          await c.conn.closeWrite();
          c.buffered = new Uint8Array(0);
          for (let n = 0; n < 2 ** 20 && !c.eof && !c.closed; n += c.buffered.length) {
            c.buffered = new Uint8Array(0);
            await c.fill(16 * 1024);
          }
        } catch { /* closed */ }
      } else if (!(e instanceof Refusal) && !(e instanceof Closed)) {
        // A bug of this layer: the connection goes, the server stays.
        console.error(`http: connection ${c.id}: ${e instanceof Error ? e.message : e}`);
      }
    } finally {
      c.close();
    }
  };

  /** Answers a connection past the cap 503 (when nothing could be evicted) and closes it. */
  const refuse = (conn: Deno.Conn) => {
    stats.refused++;
    const timer = setTimeout(() => conn.close(), 1000);
    conn.write(refusal(503, "overloaded", "too many connections; retry", { "retry-after": "1" }))
      .catch(() => {})
      .finally(() => {
        clearTimeout(timer);
        try {
          conn.close();
        } catch { /* closed by the timer */ }
      });
  };

  const acceptLoop = (async () => {
    let backoff = 0;
    while (!stopping) {
      let conn: Deno.TcpConn;
      try {
        conn = await listener.accept();
        backoff = 0;
      } catch (e) {
        if (stopping) break;
        const code = (e as { code?: string }).code;
        if (code === "EMFILE" || code === "ENFILE") {
          stats.accept_errors++;
          evictOne();
        } else if (e instanceof Deno.errors.BadResource || e instanceof Deno.errors.Interrupted) {
          break;
        }
        // Back off (5 ms, doubling to 1 s) and try again: a full descriptor table is never fatal.
        backoff = Math.min(1000, backoff ? backoff * 2 : 5);
        await new Promise((r) => setTimeout(r, backoff));
        continue;
      }
      stats.accepted++;
      if (open.size >= maxConnections && !evictOne()) {
        refuse(conn);
        continue;
      }
      try {
        conn.setNoDelay(true);
      } catch { /* not a TCP socket */ }
      const c = new Connection(conn);
      open.set(c.id, c);
      c.enter("headers", headerTimeout, () => {
        stats.header_timeouts++;
      });
      const p = serve(c);
      running.add(p);
      p.finally(() => running.delete(p));
    }
  })();

  return {
    addr: listener.addr as Deno.NetAddr,
    maxConnections,
    stats: () => ({ open: open.size, uploads, ...stats }),
    async shutdown() {
      stopping = true;
      try {
        listener.close();
      } catch { /* closed */ }
      await acceptLoop;
      for (const c of [...open.values()]) {
        if (c.state === "headers" || c.state === "idle" || c.state === "body") c.close();
      }
      await Promise.all([...running]);
    },
  };
}
