/**
 * A real PostgreSQL with pgvector for tests and the bench, without a server install: PGlite
 * (PostgreSQL compiled to WASM) with its pgvector extension, in this process, served over the
 * PostgreSQL wire protocol by pglite-socket so that the gallery's client and code path are
 * those a real server gets. PGlite has one connection: the socket server multiplexes its
 * clients' messages through one queue, and while one client's transaction is open it runs
 * only that client's messages (the others wait in the queue until it commits or rolls back).
 *
 * @module
 */

import type { PGlite } from "@electric-sql/pglite";

/** A running PGlite: its URL, and its end. */
export interface TestDatabase {
  readonly url: string;
  readonly db: PGlite;
  stop(): Promise<void>;
}

/**
 * Starts an empty database on a free loopback port.
 *
 * @param connections Clients it accepts at once (each process's pool counts).
 * @returns The database.
 */
export async function startPglite(connections = 64): Promise<TestDatabase> {
  // Imported here: loading PGlite opens a message port, which a test not using it would leak.
  const [{ PGlite }, { vector }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-pgvector"),
    import("@electric-sql/pglite-socket"),
  ]);
  const db = await PGlite.create({ extensions: { vector } });
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: connections });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    db,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
