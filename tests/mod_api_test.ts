import assert from "node:assert/strict";

/** Every entry point declared in deno.json's `exports`, with each value it exports and its kind. */
const API: Record<string, Record<string, string>> = {
  ".": {
    CacheError: "function",
    DEFAULT_MAX_DISTANCE: "number",
    DEFAULT_VERIFY_DISTANCE: "number",
    FEATURE_SETS: "object",
    ImageError: "function",
    ModelError: "function",
    createClassifier: "function",
    createEmbedder: "function",
    createFaceDetector: "function",
    createLandmarker: "function",
    createMatcher: "function",
    createPipeline: "function",
    createRecognizer: "function",
    decodeImage: "function",
    euclidean: "function",
    evaluateRecords: "function",
    loadCheckedModel: "function",
    loadModel: "function",
    planTraining: "function",
    preprocessFolder: "function",
    readCache: "function",
    readImage: "function",
    clusterFolder: "function",
    saveModel: "function",
    trainModel: "function",
  },
  "./image": {
    DEFAULT_MAX_PIXELS: "number",
    IMAGE_EXTENSIONS: "array",
    createImage: "function",
    cropImage: "function",
    drawBoxes: "function",
    encodeImage: "function",
    formatForName: "function",
    hasImageExtension: "function",
    listImages: "function",
    orientImage: "function",
  },
  "./detect": {
    CASCADES: "array",
    DEFAULT_DETECTOR_OPTIONS: "object",
    DEFAULT_LANDMARKER_OPTIONS: "object",
    containsPoint: "function",
    enhanceContrast: "function",
    growBox: "function",
    iou: "function",
    landmarkCrop: "function",
    parsePts: "function",
  },
  "./features": {
    DEFAULT_FEATURE_SET: "string",
    FEATURE_SETS: "object",
    FEATURE_SET_NAMES: "array",
    featureSet: "function",
    geometryFeatures: "function",
  },
  "./embed": {
    DEFAULT_ALIGN_OPTIONS: "object",
    EMBEDDING_SIZE: "number",
    alignmentTransform: "function",
    applyAffine: "function",
    extractChip: "function",
    fitSimilarity: "function",
  },
  "./train": {
    DEFAULT_NETWORK: "object",
    Gallery: "function",
    assertEnrollable: "function",
    detectLabelRule: "function",
    labelOf: "function",
    loadGallery: "function",
    modelFromTraining: "function",
    nearestPerson: "function",
    networkFor: "function",
    newGalleryModel: "function",
    resumableModel: "function",
    samplesFromCache: "function",
    saveGallery: "function",
    trainClassifier: "function",
  },
  "./store": {
    GalleryError: "function",
    isDatabaseUrl: "function",
    openStore: "function",
  },
  "./eval": {
    TEST_AUGMENTATIONS: "array",
    TRAIN_AUGMENTATIONS: "array",
    augmentFace: "function",
    boundingBox: "function",
    chooseOpenSetThreshold: "function",
    equalErrorRate: "function",
    evaluateRecords: "function",
    landmarkErrors: "function",
    loadAnnotated: "function",
    minimaxThreshold: "function",
    nearestKfold: "function",
    nme: "function",
    openSetAnswers: "function",
    openSetRates: "function",
    openSetSplit: "function",
    pairDistances: "function",
    centredLabels: "function",
    scoreClustering: "function",
    scoreDetections: "function",
    summarizeNme: "function",
    verificationAt: "function",
  },
  "./cluster": {
    CLUSTER_ALGORITHMS: "object",
    DEFAULT_CLUSTER_ALGORITHM: "string",
    GroupsFileError: "function",
    LINK_MARGIN: "number",
    clusterCachePath: "function",
    clusterFaces: "function",
    clusterName: "function",
    groupsFilePath: "function",
    linkClusters: "function",
    readGroupsFile: "function",
    resolveClusterOptions: "function",
    splitInTwo: "function",
    writeContactSheets: "function",
  },
};

const config = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
const exportsMap: Record<string, string> = config.exports;

Deno.test("deno.json declares exactly the pinned entry points", () => {
  assert.deepEqual(Object.keys(exportsMap).sort(), Object.keys(API).sort());
});

Deno.test("mod.ts is the small front door: at most 25 values", () => {
  assert.ok(Object.keys(API["."]!).length <= 25, `${Object.keys(API["."]!).length} values`);
});

for (const [entry, want] of Object.entries(API)) {
  Deno.test(`entry point ${entry} (${exportsMap[entry]}) exports exactly its pinned API (name and kind)`, async () => {
    const mod = await import(new URL(`../${exportsMap[entry]}`, import.meta.url).href);
    const kinds = Object.fromEntries(
      Object.entries(mod).map(([k, v]) => [k, Array.isArray(v) ? "array" : typeof v]),
    );
    assert.deepEqual(kinds, want);
  });
}

Deno.test("importing any entry point loads no WASM runtime and touches nothing", async () => {
  // A fresh process imports every entry point with no permissions at all: any file, network
  // or env access at import time would throw.
  const urls = Object.values(exportsMap).map((p) => new URL(`../${p}`, import.meta.url).href);
  const cmd = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--no-config",
      `for (const u of ${JSON.stringify(urls)}) await import(u); console.log("ok")`,
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

Deno.test("the README states the number of names mod.ts exports", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const stated = /`mod\.ts` is the front door \((\d+) names:/.exec(readme)?.[1];
  assert.ok(stated, "the README's sentence on mod.ts is gone");
  assert.equal(Number(stated), Object.keys(await import("../mod.ts")).length);
});
