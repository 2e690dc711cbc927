import assert from "node:assert/strict";
import { defaultCachePath } from "./preprocess.ts";

Deno.test("defaultCachePath() keeps two folders of the same name apart, and still finds a cache named the old way", async () => {
  const root = await Deno.makeTempDir();
  const here = Deno.cwd();
  try {
    await Deno.mkdir(`${root}/a/photos`, { recursive: true });
    await Deno.mkdir(`${root}/b/photos`, { recursive: true });
    Deno.chdir(root);
    const a = await defaultCachePath("a/photos", "embedding"), b = await defaultCachePath("b/photos/", "embedding");
    assert.match(a, /^\.\/\.face2vec\/photos-[0-9a-f]{8}\.embedding\.cache$/);
    assert.notEqual(a, b);
    assert.equal(await defaultCachePath(`${root}/a/photos`, "embedding"), a, "the same folder however it is named");
    // A cache made before the hash: used while no hashed one exists.
    await Deno.mkdir(".face2vec");
    await Deno.writeTextFile(".face2vec/photos.embedding.cache", "");
    assert.equal(await defaultCachePath("a/photos", "embedding"), "./.face2vec/photos.embedding.cache");
    await Deno.writeTextFile(a, "");
    assert.equal(await defaultCachePath("a/photos", "embedding"), a);
  } finally {
    Deno.chdir(here);
    await Deno.remove(root, { recursive: true });
  }
});
