/**
 * The drawings' legend (printed by the demo) names the colours the boxes are drawn in.
 *
 * @module
 */
import assert from "node:assert/strict";
import { runCli } from "./_cli.ts";
import { drawingLegend } from "../lib/cli/_draw.ts";
import { readImage } from "../lib/image/read_image.ts";
import { samplePhotos } from "../lib/eval/npm.ts";

/** What a colour name means, loosely (the drawing is saved as JPEG). */
const LOOKS: Record<string, (rgb: number[]) => boolean> = {
  cyan: ([r, g, b]) => r! < 90 && g! > 140 && b! > 190,
  green: ([r, g, b]) => r! < 90 && g! > 170 && b! < 90,
};

Deno.test("the legend names each detector's box colour as drawn: cyan for BlazeFace, green for Haar (not the demo's old 'green')", async () => {
  const out = await Deno.makeTempDir();
  try {
    for (const detector of ["blazeface", "haar"] as const) {
      const photo = samplePhotos()[0]!;
      const r = await runCli([
        "detect",
        photo,
        "--detector",
        detector,
        "--json",
        "--no-landmarks",
        "--draw",
        `${out}/${detector}`,
      ]);
      assert.equal(r.code, 0, r.stderr.join("\n"));
      const faces = JSON.parse(r.stdout[0]!).faces as {
        box: { x: number; y: number; width: number };
        source: string;
      }[];
      assert.ok(faces.length > 0);
      const drawn = await readImage(`${out}/${detector}/${photo.split("/").pop()}`);
      const named = new RegExp(`(\\w+): ${detector === "haar" ? "Haar" : "BlazeFace"} box`).exec(drawingLegend())?.[1];
      assert.ok(named && LOOKS[named], drawingLegend());
      for (const f of faces.filter((f) => f.source === detector)) {
        // The top edge's middle, on the drawn line.
        const x = Math.round(f.box.x + f.box.width / 2), y = Math.round(f.box.y);
        const i = (y * drawn.width + x) * drawn.channels;
        const rgb = [...drawn.data.subarray(i, i + 3)];
        assert.ok(LOOKS[named]!(rgb), `${detector}: ${rgb} at ${x},${y} is not ${named}`);
      }
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
