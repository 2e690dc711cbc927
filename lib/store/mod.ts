/**
 * Where a gallery is kept, behind one interface ({@linkcode GalleryStore}): a model folder's
 * file store, or PostgreSQL + pgvector shared by many processes. `openStore` opens either from
 * what the user named (a folder, or a `postgres://` URL: its client is imported only then).
 *
 * ```ts
 * import { isDatabaseUrl, openStore } from "./mod.ts";
 * if (!isDatabaseUrl("postgres://face2vec@db:5432/faces")) throw new Error();
 * const dir = await Deno.makeTempDir();
 * const store = await openStore(dir);
 * try {
 *   if (store.kind !== "file" || (await store.people()).length !== 0) throw new Error("an empty folder");
 * } finally {
 *   await store.close();
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 *
 * @module
 */

export {
  GalleryError,
  type GalleryErrorKind,
  type GalleryStore,
  isDatabaseUrl,
  type MatchOptions,
  type OpenStoreOptions,
  type PersonFaces,
  type StoreWriteOptions,
} from "./gallery_store.ts";
export { openStore } from "./open_store.ts";
