import assert from "node:assert/strict";
import { differingAssets } from "../scripts/make_assets.ts";

Deno.test("the committed cascade assets equal a fresh build from the pinned npm package", async () => {
  assert.deepEqual(await differingAssets(), []);
});
