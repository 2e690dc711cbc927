import assert from "node:assert/strict";
import * as mod from "../mod.ts";

Deno.test("mod.ts exports exactly the documented API (name and kind)", () => {
  const kinds = Object.fromEntries(Object.entries(mod).map(([k, v]) => [k, Array.isArray(v) ? "array" : typeof v]));
  assert.deepEqual(kinds, {
    CACHE_FORMAT: "object",
    CASCADES: "array",
    CacheError: "function",
    DEFAULT_DETECTOR_OPTIONS: "object",
    DEFAULT_LANDMARKER_OPTIONS: "object",
    DEFAULT_MAX_PIXELS: "number",
    DEFAULT_MIN_PROB: "number",
    DEFAULT_NETWORK: "object",
    EventWriter: "function",
    FEATURE_SETS: "object",
    GEOMETRY_CENTRE: "number",
    IMAGE_EXTENSIONS: "array",
    MODEL_FORMAT: "object",
    ImageError: "function",
    containsPoint: "function",
    createFaceDetector: "function",
    createClassifier: "function",
    createImage: "function",
    createLandmarker: "function",
    createNadam: "function",
    cropImage: "function",
    decodeImage: "function",
    defaultCachePath: "function",
    detectLabelRule: "function",
    drawBoxes: "function",
    encodeImage: "function",
    enhanceContrast: "function",
    featureSet: "function",
    formatForName: "function",
    geometryFeatures: "function",
    growBox: "function",
    hasImageExtension: "function",
    iou: "function",
    labelOf: "function",
    largestFace: "function",
    landmarkCrop: "function",
    listImages: "function",
    loadModel: "function",
    modelFromTraining: "function",
    orientImage: "function",
    parseCache: "function",
    parsePts: "function",
    preprocessFolder: "function",
    readCache: "function",
    readImage: "function",
    samplesFromCache: "function",
    saveModel: "function",
    seededRandom: "function",
    stratifiedFolds: "function",
    DEFAULT_ALIGN_OPTIONS: "object",
    DEFAULT_MAX_DISTANCE: "number",
    DEFAULT_VERIFY_DISTANCE: "number",
    createMatcher: "function",
    EMBEDDING_SIZE: "number",
    GALLERY_FORMAT: "object",
    alignmentTransform: "function",
    applyAffine: "function",
    createEmbedder: "function",
    createPipeline: "function",
    createRecognizer: "function",
    defaultMinProb: "function",
    defaultNetwork: "function",
    euclidean: "function",
    evaluateRecords: "function",
    extractChip: "function",
    faceFeatures: "function",
    fitSimilarity: "function",
    invertAffine: "function",
    loadCheckedModel: "function",
    loadGallery: "function",
    modelMismatch: "function",
    modelPipeline: "function",
    nearestPerson: "function",
    pipelineConfig: "function",
    saveGallery: "function",
    templatePoint: "function",
    trainClassifier: "function",
  });
});

Deno.test("importing mod.ts loads no WASM runtime and touches nothing", async () => {
  // A fresh process imports mod.ts with no permissions at all: any file, network or env
  // access at import time would throw.
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      `await import(${JSON.stringify(new URL("../mod.ts", import.meta.url).href)}); console.log("ok")`,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  });
  const out = await cmd.output();
  const text = new TextDecoder().decode(out.stdout).trim();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  assert.equal(text, "ok");
});
