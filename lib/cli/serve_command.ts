import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { createService } from "../serve/service.ts";
import { defaultMaxConnections, type HttpServer, serveHttp } from "../serve/http_server.ts";
import { type CliIo, EXIT, galleryOptions, numberIn, workersOption } from "./_io.ts";
import { openGalleryFor } from "./_model.ts";
import type { GalleryStore } from "../store/gallery_store.ts";

/**
 * The `serve` subcommand: the HTTP service (see `lib/serve/service.ts`) on its own HTTP/1.1
 * server (`lib/serve/http_server.ts`: read deadlines, connection and upload caps), bound to
 * 127.0.0.1 unless told otherwise; it stops gracefully on SIGINT or SIGTERM.
 *
 * @param io Where output goes.
 * @param setExit Receives the exit code.
 */
export function serveCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("serve")
    .description("Serve detect, recognize, compare and enrol over HTTP (/v1/), against --model's gallery.")
    .option("--model <dir>", "the model folder whose gallery is served (enrolments go there)", "./model")
    .addOption(galleryOptions("serve")[0])
    .addOption(galleryOptions("serve")[1])
    .option("--host <address>", "the address to bind (0.0.0.0: every interface; put TLS in front)", "127.0.0.1")
    .option("--port <n>", "the port (0: any free one)", numberIn("--port", 0, 65535, true), 8080)
    .addOption(workersOption("worker threads, each with its own pipeline"))
    .option("--max-body-mb <n>", "largest request body, MB", numberIn("--max-body-mb", 0.001, 1024), 20)
    .option("--max-megapixels <n>", "largest photo, megapixels", numberIn("--max-megapixels", 0.001, 1000), 40)
    .option(
      "--queue <n>",
      "requests waiting for a worker before 503 (default 4 per worker)",
      numberIn("--queue", 0, 1e6, true),
    )
    .option("--timeout <s>", "a request's time before 504, once its body is in", numberIn("--timeout", 0.1, 3600), 30)
    .option(
      "--header-timeout <s>",
      "time for a request's line and headers before the connection closes",
      numberIn("--header-timeout", 0.1, 3600),
      10,
    )
    .option("--body-timeout <s>", "time for a request's body before 408", numberIn("--body-timeout", 0.1, 3600), 60)
    .option(
      "--idle-timeout <s>",
      "time a kept-alive connection waits for its next request",
      numberIn("--idle-timeout", 0.1, 3600),
      5,
    )
    .option(
      "--max-connections <n>",
      "open connections at most; past it the oldest unfinished or idle one closes (default: the open-file limit less a reserve)",
      numberIn("--max-connections", 1, 1e7, true),
    )
    .option(
      "--max-uploads <n>",
      "request bodies read at once before 503 (memory: this × --max-body-mb)",
      numberIn("--max-uploads", 1, 1e5, true),
      16,
    )
    .option("--token-file <file>", "require `Authorization: Bearer <the file's first line>` (all but liveness)")
    .option("--cors-origin <origin...>", "allow these origins (or *) by CORS; default: no CORS")
    .option("--log", "one JSON line per request on stderr (request id, method, path, status, ms)")
    .action(async (o) => setExit(await runServe(o, io)));
}

async function runServe(
  o: {
    model: string;
    gallery?: string;
    passwordFile?: string;
    host: string;
    port: number;
    workers: number;
    maxBodyMb: number;
    maxMegapixels: number;
    queue?: number;
    timeout: number;
    headerTimeout: number;
    bodyTimeout: number;
    idleTimeout: number;
    maxConnections?: number;
    maxUploads: number;
    tokenFile?: string;
    corsOrigin?: string[];
    log?: true;
  },
  io: CliIo,
): Promise<number> {
  // Counted first, while nothing else (workers, the database pool) can want a descriptor.
  const maxConnections = o.maxConnections ?? defaultMaxConnections();
  let token: string | undefined;
  if (o.tokenFile !== undefined) {
    try {
      token = (await Deno.readTextFile(o.tokenFile)).split("\n")[0]!.trim();
    } catch (e) {
      io.stderr(`${o.tokenFile}: cannot read the token (${e instanceof Error ? e.message : e})`);
      return EXIT.badArguments;
    }
    if (token.length < 16) {
      io.stderr(`${o.tokenFile}: the token is under 16 characters`);
      return EXIT.badArguments;
    }
  }
  let gallery: GalleryStore | undefined;
  if (o.gallery !== undefined) {
    // --timeout bounds the database too: each transaction's lock_timeout and statement_timeout.
    gallery = await openGalleryFor(
      { gallery: o.gallery, passwordFile: o.passwordFile },
      io,
      2 * o.workers + 2,
      o.timeout * 1000,
    );
    if (!gallery) return EXIT.badArguments;
  }
  let server: HttpServer | undefined;
  const service = createService({
    model: o.model,
    ...(gallery ? { gallery } : {}),
    workers: o.workers,
    maxBodyBytes: Math.round(o.maxBodyMb * 2 ** 20),
    maxPixels: Math.round(o.maxMegapixels * 1e6),
    ...(o.queue !== undefined ? { maxQueue: o.queue } : {}),
    timeoutMs: o.timeout * 1000,
    ...(token !== undefined ? { token } : {}),
    ...(o.corsOrigin ? { corsOrigins: o.corsOrigin } : {}),
    ...(o.log ? { log: (line: string) => io.stderr(line) } : {}),
    connectionStats: () => server?.stats() ?? {},
  });
  const stopped = Promise.withResolvers<void>();
  try {
    server = serveHttp({
      hostname: o.host,
      port: o.port,
      headerTimeoutMs: o.headerTimeout * 1000,
      bodyTimeoutMs: o.bodyTimeout * 1000,
      idleTimeoutMs: o.idleTimeout * 1000,
      maxBodyBytes: Math.round(o.maxBodyMb * 2 ** 20),
      maxConnections,
      maxUploads: o.maxUploads,
    }, (req) => service.handle(req));
    const { hostname, port } = server.addr;
    const host = hostname.includes(":") ? `[${hostname}]` : hostname;
    io.stderr(
      `serving ${
        gallery?.location ?? `${o.model}/`
      } on http://${host}:${port}/v1/ (at most ${server.maxConnections} connections)`,
    );
  } catch (e) {
    await service.close();
    io.stderr(`cannot listen on ${o.host}:${o.port} (${e instanceof Error ? e.message : e})`);
    return EXIT.badArguments;
  }
  const stop = () => stopped.resolve();
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.addSignalListener(signal, stop);
  await stopped.promise;
  io.stderr("shutting down: finishing the requests in flight");
  for (const signal of ["SIGINT", "SIGTERM"] as const) Deno.removeSignalListener(signal, stop);
  await server.shutdown();
  await service.close();
  return EXIT.ok;
}
