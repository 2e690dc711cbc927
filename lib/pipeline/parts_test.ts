import assert from "node:assert/strict";
import { canonicalJson, configDifference } from "../_config.ts";
import { sha256Hex } from "../_asset.ts";
import type { AlignOptions } from "../embed/align_face.ts";
import { samplePhotos } from "../eval/npm.ts";
import { readImage } from "../image/read_image.ts";
import { PIPELINE_PARTS, withParts } from "./parts.ts";
import { FAKE_CHIP, FAKE_NORM, FAKE_OPTIONS, FAKE_PARTS, FAKE_SIZE, fakeRuns } from "./testdata/fake_embedder.ts";
import { createPipeline, pipelineOptionsFrom, pipelineSettings, settingsDifference } from "./pipeline.ts";

/** The library's parts and the fake network, given to the pipeline's functions (no registry edited). */
const parts = FAKE_PARTS;
const fake = FAKE_OPTIONS;
const CHIP = FAKE_CHIP, SIZE = FAKE_SIZE;

Deno.test("a test-only embedding network runs through the real pipeline: detect → landmarks → align → its embedding → the features", async () => {
  const image = await readImage(samplePhotos()[0]!);
  const pipeline = await createPipeline(fake, { parts });
  try {
    assert.equal(pipeline.embedder?.align.size, CHIP);
    const before = fakeRuns.embedded;
    const found = await pipeline.processLargestFace(image);
    assert.ok(found, "sample1 has faces");
    // Measured: BlazeFace finds 3 faces in sample1.
    assert.equal(found.faces, 3);
    assert.equal(fakeRuns.embedded - before, 1);
    const { embedding, features, landmarks } = found.face;
    assert.equal(landmarks.length, 68);
    assert.equal(embedding?.length, SIZE);
    assert.ok(Math.abs(Math.hypot(...embedding!) - FAKE_NORM) < 1e-4);
    // The embedding feature set is the embedding as the network gives it, as long as it.
    assert.equal(pipeline.features.length, SIZE);
    assert.deepEqual(pipeline.features.shape, [1, SIZE]);
    assert.deepEqual(Array.from(features), Array.from(embedding!));
    // The same face again gives the same numbers (the chip is deterministic).
    const again = await pipeline.processLargestFace(image);
    assert.deepEqual(Array.from(again!.face.embedding!), Array.from(embedding!));
  } finally {
    await pipeline.dispose();
  }
});

Deno.test("the test-only network's settings are recorded, and a cache or model made with it is told apart from the default network's", async () => {
  const mine = await pipelineSettings(fake, parts);
  const standard = await pipelineSettings({ features: "embedding" });
  // What it records: its name and its own settings, its alignment (chip 32), no embedding model asset.
  assert.deepEqual(mine.settings.embedder, { network: "fake", stripes: SIZE });
  assert.equal((mine.settings.align as AlignOptions).size, CHIP);
  assert.deepEqual(Object.keys(mine.settings.assets as object), ["face_detector", "landmark_model"]);
  assert.deepEqual(Object.keys(standard.settings.assets as object), [
    "face_detector",
    "landmark_model",
    "embedding_model",
  ]);
  // The detector and the landmarks are recorded alike; the two differ in the embedder only.
  assert.deepEqual(mine.settings.detector, standard.settings.detector);
  assert.deepEqual(mine.settings.landmarks, standard.settings.landmarks);
  assert.deepEqual(mine.features, standard.features);
  assert.notEqual(canonicalJson(mine.settings), canonicalJson(standard.settings));
  assert.equal(configDifference(standard.settings, mine.settings), "align.size: 150 → 32");
  // Registering it changes nothing for the default network's caches and models.
  assert.deepEqual(await pipelineSettings({ features: "embedding" }, parts), standard);
  assert.equal(await settingsDifference(standard.settings, standard.features, parts), undefined);
  // Its recorded settings read back as its options, and match where it is registered...
  assert.equal(pipelineOptionsFrom(mine.settings, "embedding", parts).embedder?.network, "fake");
  assert.equal(await settingsDifference(mine.settings, mine.features, parts), undefined);
  // ...and are refused where it is not (the library's parts): it is never taken for the default network.
  assert.equal(pipelineOptionsFrom(mine.settings, "embedding").embedder?.network, "fake");
  await assert.rejects(
    settingsDifference(mine.settings, mine.features),
    RangeError,
    "embedding network must be dlib_resnet | mobilefacenet, got fake",
  );
  // A geometry cache records no embedder, whichever network is named.
  const geometry = await pipelineSettings({ ...fake, features: "geometry" }, parts);
  assert.deepEqual(geometry, await pipelineSettings({ features: "geometry" }));
});

Deno.test("a detector or landmark network at version 2 records its version: settings recorded at version 1 then differ", async () => {
  const v1 = await pipelineSettings({ features: "geometry", detector: { detector: "haar" } });
  const haar = PIPELINE_PARTS.detectors.haar!, full = PIPELINE_PARTS.landmarks.full!;
  const bumped = withParts({
    detectors: { haar: { ...haar, version: 2 } },
    landmarks: { full: { ...full, version: 2 } },
  });
  const v2 = await pipelineSettings({ features: "geometry", detector: { detector: "haar" } }, bumped);
  assert.equal((v2.settings.detector as { version?: number }).version, 2);
  assert.equal((v2.settings.landmarks as { version?: number }).version, 2);
  assert.equal("version" in (v1.settings.detector as object), false);
  assert.equal(await settingsDifference(v1.settings, v1.features, bumped), "detector.version: undefined → 2");
  assert.equal(await settingsDifference(v2.settings, v2.features, bumped), undefined);
});

Deno.test("withParts() adds entries to a copy of the library's parts and leaves the registries as they are", () => {
  assert.deepEqual(Object.keys(parts.embedders), ["dlib_resnet", "mobilefacenet", "fake"]);
  assert.equal(parts.detectors, PIPELINE_PARTS.detectors);
  assert.equal(parts.landmarks, PIPELINE_PARTS.landmarks);
  assert.deepEqual(Object.keys(PIPELINE_PARTS.embedders), ["dlib_resnet", "mobilefacenet"]);
  assert.ok(Object.isFrozen(parts.embedders));
});

/** Every entry of every kind, with its kind. */
const entries = [
  ...Object.entries(PIPELINE_PARTS.detectors).map(([key, e]) => ({ kind: "detector", key, e })),
  ...Object.entries(PIPELINE_PARTS.landmarks).map(([key, e]) => ({ kind: "landmark network", key, e })),
  ...Object.entries(PIPELINE_PARTS.embedders).map(([key, e]) => ({ kind: "embedding network", key, e })),
];

Deno.test("every registry entry is keyed by its name, at a version ≥ 1, and exactly one detector and one embedding network record no name", () => {
  assert.equal(entries.length, 6);
  for (const { kind, key, e } of entries) {
    assert.equal(e.name, key, kind);
    assert.ok(Number.isInteger(e.version) && e.version >= 1, `${kind} ${key}: version ${e.version}`);
    assert.ok(e.description.length > 10, `${kind} ${key} has no description`);
  }
  const unnamed = (kind: string) =>
    entries.filter((x) => x.kind === kind && !(x.e as { recordsName: boolean }).recordsName).map((x) => x.key);
  assert.deepEqual(unnamed("detector"), ["haar"]);
  assert.deepEqual(unnamed("embedding network"), ["dlib_resnet"]);
});

Deno.test("every registered part's asset files exist and are listed, with their size and sha256, in its folder's PROVENANCE.md", async () => {
  let files = 0;
  for (const { kind, key, e } of entries) {
    assert.ok(e.assets.files.length > 0, `${kind} ${key} lists no asset`);
    const provenance = await Deno.readTextFile(e.assets.provenance);
    for (const url of e.assets.files) {
      const bytes = await Deno.readFile(url);
      const name = url.pathname.split("/").pop()!;
      const row = provenance.split("\n").find((l) => l.startsWith(`| \`${name}\` |`));
      assert.ok(row, `${kind} ${key}: ${name} is not in ${e.assets.provenance.pathname}`);
      assert.ok(row.includes(`| ${bytes.length} |`), `${name}: ${bytes.length} bytes, not as PROVENANCE.md says`);
      assert.ok(row.includes(`\`${await sha256Hex(bytes)}\``), `${name}: sha256 not as PROVENANCE.md says`);
      files++;
    }
  }
  // 1 BlazeFace model, 3 Haar cascades, 2 landmark networks, 2 embedding networks.
  assert.equal(files, 8);
});
