/**
 * Opens a gallery's store from what the user named: a model folder (the file store) or a
 * `postgres://` URL (the PostgreSQL + pgvector store, whose client is imported only then).
 *
 * @module
 */

import { fileStore } from "./file_store.ts";
import { type GalleryStore, isDatabaseUrl, type OpenStoreOptions } from "./gallery_store.ts";

/**
 * Opens a gallery: the file store of a model folder, or a PostgreSQL + pgvector database
 * (its client is imported only then).
 *
 * @param spec A model folder, or `postgres://user@host:port/database`.
 * @param options A new gallery's detector and embedding network, the registries, the
 * password's file, the connection count.
 * @returns The store.
 * @throws {GalleryError} When the database cannot be reached or used (no pgvector, another schema).
 * @example
 * ```ts
 * import { openStore } from "./open_store.ts";
 * const dir = await Deno.makeTempDir();
 * const gallery = await openStore(dir);
 * try {
 *   // A folder without a model is an empty file store; enrolling would create the model.
 *   if (gallery.kind !== "file" || (await gallery.people()).length !== 0) throw new Error();
 * } finally {
 *   await gallery.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function openStore(spec: string, options: OpenStoreOptions = {}): Promise<GalleryStore> {
  if (!isDatabaseUrl(spec)) return fileStore(spec, options.detector, options);
  const { openPostgresStore } = await import("./postgres.ts");
  return await openPostgresStore(spec, options);
}
