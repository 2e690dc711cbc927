import assert from "node:assert/strict";
import {
  createPipeline,
  type PipelineOptions,
  pipelineOptionsFrom,
  pipelineSettings,
  type ProcessedFace,
  settingsDifference,
} from "./pipeline.ts";
import { FEATURE_SET_NAMES, FEATURE_SETS, type FeatureSetName } from "../features/feature_sets.ts";
import { geometryFeatures } from "../features/geometry.ts";
import { DEFAULT_DETECTOR_OPTIONS } from "../detect/detect_faces.ts";
import { DEFAULT_BLAZEFACE_OPTIONS } from "../detect/blazeface.ts";
import { POINTS_CROP } from "../landmarks/detect_landmarks.ts";
import { LANDMARKER_DEFAULTS } from "../detect/landmark_crops.ts";
import { samplePhotos } from "../eval/npm.ts";
import { readImage } from "../image/read_image.ts";

// sample3: three faces of distinct sizes (measured: 294², 255² and 249² px boxes).
const image = await readImage(samplePhotos()[2]!);

/** The largest absolute difference between two arrays of the same length. */
function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

const area = (f: ProcessedFace) => f.box.width * f.box.height;
const unitNorm = (v: ArrayLike<number>) => {
  const n = Math.hypot(...Array.from(v));
  return Array.from(v, (x) => x / n);
};

/** processFaces() and processLargestFace() of one pipeline, disposed after. */
async function run(options: PipelineOptions, embed = false) {
  const pipeline = await createPipeline(options, { embed });
  try {
    const faces = await pipeline.processFaces(image);
    const largest = await pipeline.processLargestFace(image);
    return { faces, largest, hasEmbedder: pipeline.embedder !== undefined };
  } finally {
    await pipeline.dispose();
  }
}

Deno.test("processFaces() returns every face largest first with 68 landmarks, features of the set's length, the embedding iff used", async () => {
  const expected: Record<FeatureSetName, number> = { geometry: 204, embedding: 128, both: 332 };
  const runs = {
    geometry: await run({ features: "geometry" }),
    geometryEmbedded: await run({ features: "geometry" }, true),
    embedding: await run({ features: "embedding" }),
    both: await run({ features: "both" }),
  };
  const geometry = runs.geometry.faces;
  // Measured: 3 faces in sample3, its 3 hand-boxed ones.
  assert.equal(geometry.length, 3);
  for (const [name, r] of Object.entries(runs)) {
    const set = name === "geometryEmbedded" ? "geometry" : name as FeatureSetName;
    assert.equal(r.faces.length, 3, name);
    for (let i = 1; i < r.faces.length; i++) assert.ok(area(r.faces[i - 1]!) > area(r.faces[i]!), `${name}: order`);
    const wantEmbedding = FEATURE_SETS[set].needsEmbedding || name === "geometryEmbedded";
    assert.equal(r.hasEmbedder, wantEmbedding, name);
    r.faces.forEach((f, i) => {
      assert.equal(f.landmarks.length, 68, name);
      assert.equal(f.features.length, expected[set], name);
      assert.equal(f.features.length, FEATURE_SETS[set].length, name);
      assert.equal("embedding" in f, wantEmbedding, `${name}: embedding present`);
      if (f.embedding) assert.equal(f.embedding.length, 128, name);
      // The same detector and landmarker everywhere: the same boxes and points.
      assert.deepEqual(f.box, geometry[i]!.box, name);
      assert.ok(
        maxDiff(f.landmarks.flatMap((p) => [p.x, p.y]), geometry[i]!.landmarks.flatMap((p) => [p.x, p.y])) < 1e-4,
        `${name}: landmarks`,
      );
    });
  }
  // Each set's features are what its registry entry computes from these landmarks and embedding.
  geometry.forEach((f, i) => {
    assert.ok(maxDiff(f.features, geometryFeatures(f.landmarks)) < 1e-6, "geometry features");
    assert.ok(maxDiff(runs.geometryEmbedded.faces[i]!.features, f.features) < 1e-6, "embed: true changes no feature");
    const emb = runs.embedding.faces[i]!;
    assert.ok(maxDiff(emb.features, emb.embedding!) === 0, "embedding features are the embedding");
    const both = runs.both.faces[i]!;
    assert.ok(maxDiff(both.features.subarray(0, 204), unitNorm(f.features)) < 1e-5, "both: geometry part");
    assert.ok(maxDiff(both.features.subarray(204), unitNorm(emb.embedding!)) < 1e-5, "both: embedding part");
  });
  // The largest face alone equals the first of all faces, and the count is all faces'.
  for (const [name, r] of Object.entries(runs)) {
    assert.ok(r.largest, name);
    assert.equal(r.largest.faces, r.faces.length, name);
    const [first, alone] = [r.faces[0]!, r.largest.face];
    assert.deepEqual(alone.box, first.box, name);
    assert.equal(alone.source, first.source, name);
    const pts = (f: ProcessedFace) => f.landmarks.flatMap((p) => [p.x, p.y]);
    assert.ok(maxDiff(pts(alone), pts(first)) < 1e-4, `${name}: landmarks ${maxDiff(pts(alone), pts(first))}`);
    assert.ok(
      maxDiff(alone.features, first.features) < 1e-5,
      `${name}: features ${maxDiff(alone.features, first.features)}`,
    );
    assert.equal("embedding" in alone, "embedding" in first, name);
  }
});

Deno.test("a pipeline created with { landmarks: false } detects but refuses processFaces() and processLargestFace() (RangeError)", async () => {
  const pipeline = await createPipeline({}, { landmarks: false });
  try {
    assert.equal(pipeline.landmarker, undefined);
    assert.equal((await pipeline.detector.detect(image)).length, 3);
    await assert.rejects(pipeline.processFaces(image), RangeError, "created without landmarks");
    await assert.rejects(pipeline.processLargestFace(image), RangeError, "created without landmarks");
  } finally {
    await pipeline.dispose();
  }
});

Deno.test("pipelineSettings() records the alignment and the embedding model only for the sets that use the embedding", async () => {
  for (const name of FEATURE_SET_NAMES) {
    const { settings, features } = await pipelineSettings({ features: name, detector: { detector: "haar" } });
    const assets = settings.assets as Record<string, string>;
    assert.deepEqual(features, { name, version: FEATURE_SETS[name].version });
    const uses = FEATURE_SETS[name].needsEmbedding;
    assert.deepEqual(
      Object.keys(settings),
      uses ? ["detector", "landmarks", "align", "assets"] : [
        "detector",
        "landmarks",
        "assets",
      ],
    );
    assert.deepEqual(
      Object.keys(assets),
      uses ? ["cascade", "landmark_model", "embedding_model"] : [
        "cascade",
        "landmark_model",
      ],
    );
    for (const hash of Object.values(assets)) assert.match(hash, /^[0-9a-f]{64}$/, name);
    assert.deepEqual(settings.detector, { ...DEFAULT_DETECTOR_OPTIONS, angles: [...DEFAULT_DETECTOR_OPTIONS.angles] });
  }
  // The learned detector (the default) records its name, its options and its model instead of the cascade.
  const learned = (await pipelineSettings({ features: "embedding" })).settings;
  assert.deepEqual(learned.detector, {
    detector: "blazeface",
    ...DEFAULT_BLAZEFACE_OPTIONS,
    angles: [...DEFAULT_BLAZEFACE_OPTIONS.angles],
  });
  assert.deepEqual(Object.keys(learned.assets as object), ["face_detector", "landmark_model", "embedding_model"]);
  assert.deepEqual(learned.landmarks, LANDMARKER_DEFAULTS.blazeface);
  // The geometry settings are the embedding's without the embedding's parts.
  const geometry = (await pipelineSettings({ features: "geometry", detector: { detector: "haar" } })).settings;
  const { align: _align, assets, ...rest } = (await pipelineSettings({
    features: "embedding",
    detector: { detector: "haar" },
  })).settings as Record<
    string,
    Record<string, unknown>
  >;
  const { embedding_model: _model, ...otherAssets } = assets!;
  assert.deepEqual(geometry, { ...rest, assets: otherAssets });
  // Another cascade has another hash.
  const alt = (await pipelineSettings({ detector: { detector: "haar", cascade: "frontalface_alt2" } })).settings
    .assets as Record<
      string,
      string
    >;
  assert.notEqual(alt.cascade, (geometry.assets as Record<string, string>).cascade);
  await assert.rejects(pipelineSettings({ detector: { detector: "haar", minNeighbors: -1 } }), RangeError);
  await assert.rejects(pipelineSettings({ detector: { minScore: 1.5 } }), RangeError);
  // deno-lint-ignore no-explicit-any
  await assert.rejects(pipelineSettings({ detector: { detector: "hog" as any } }), RangeError, "detector must be");
  // deno-lint-ignore no-explicit-any
  await assert.rejects(pipelineSettings({ features: "colour" as any }), RangeError, "unknown feature set");
});

Deno.test("pipelineOptionsFrom() inverts pipelineSettings(): settingsDifference() finds no difference", async () => {
  const cases: PipelineOptions[] = [
    { features: "geometry" },
    { features: "embedding" },
    {
      features: "both",
      detector: { detector: "haar", minNeighbors: 3, rotate: "never" },
      embedder: { align: { padding: 0.3 } },
    },
    { features: "geometry", detector: { detector: "haar" }, landmarks: { refine: true } },
    { features: "embedding", detector: { minScore: 0.6 }, landmarks: { refine: false, mirror: true } },
  ];
  for (const options of cases) {
    const { settings, features } = await pipelineSettings(options);
    const back = pipelineOptionsFrom(settings, features.name);
    assert.deepEqual((await pipelineSettings(back)).settings, settings, JSON.stringify(options));
    assert.equal(await settingsDifference(settings, features), undefined, JSON.stringify(options));
  }
});

Deno.test("settings recorded before the learned detector existed (Haar's, no detector name, no refine) show no difference", async () => {
  for (const name of FEATURE_SET_NAMES) {
    const { settings, features } = await pipelineSettings({ features: name, detector: { detector: "haar" } });
    const s = settings as Record<string, Record<string, unknown>>;
    // As every cache and model before it recorded them: Haar's options, the three landmark options, the cascade's hash.
    assert.equal("detector" in s.detector!, false);
    assert.deepEqual(Object.keys(s.landmarks!), ["model", "scale", "shiftY"]);
    assert.equal(await settingsDifference(settings, features), undefined);
    assert.equal(pipelineOptionsFrom(settings, name).detector?.detector, "haar");
  }
});

Deno.test("settingsDifference() names the first setting recorded otherwise than this Face2Vec would record it", async () => {
  const { settings, features } = await pipelineSettings({ features: "embedding", detector: { detector: "haar" } });
  const s = settings as Record<string, Record<string, unknown>>;
  // A model recorded before minNeighbors existed: it now has its default.
  const { minNeighbors: _n, ...olderDetector } = s.detector!;
  assert.equal(
    await settingsDifference({ ...s, detector: olderDetector }, features),
    `detector.minNeighbors: undefined → ${DEFAULT_DETECTOR_OPTIONS.minNeighbors}`,
  );
  // A setting this Face2Vec no longer has (the landmark options are rebuilt field by field).
  assert.equal(
    await settingsDifference({ ...s, landmarks: { ...s.landmarks, gamma: 2 } }, features),
    "landmarks.gamma: 2 → undefined",
  );
  assert.equal(await settingsDifference({ ...s, colour: true }, features), "colour: true → undefined");
  // A changed asset (the cascade file is another now).
  const stale = { ...s, assets: { ...s.assets, cascade: "0".repeat(64) } };
  assert.equal(
    await settingsDifference(stale, features),
    `assets.cascade: "${"0".repeat(64)}" → "${(s.assets as Record<string, string>).cascade}"`,
  );
  // Another version of the feature set.
  assert.equal(await settingsDifference(settings, { ...features, version: 0 }), "version: 0 → 1");
});

Deno.test("with the refinement pass on, its crop is recorded: a cache made with another one shows the difference", async () => {
  const { settings, features } = await pipelineSettings({ features: "geometry", landmarks: { refine: true } });
  const s = settings as Record<string, Record<string, unknown>>;
  assert.deepEqual(s.landmarks!.points_crop, { ...POINTS_CROP });
  assert.equal(await settingsDifference(settings, features), undefined);
  const older = { ...s, landmarks: { ...s.landmarks, points_crop: { scale: 1.1, shiftY: 0 } } };
  assert.equal(await settingsDifference(older, features), `landmarks.points_crop.scale: 1.1 → ${POINTS_CROP.scale}`);
  // Without the pass, nothing about its crop is recorded (Haar's settings stay as before).
  const off = (await pipelineSettings({ features: "geometry", detector: { detector: "haar" } })).settings;
  assert.equal("points_crop" in (off.landmarks as object), false);
});
