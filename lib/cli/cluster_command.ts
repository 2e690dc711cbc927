import { Command, Option } from "npm:@commander-js/extra-typings@15.1.0";
import type { DetectorName } from "../detect/detect_faces.ts";
import { printable } from "../image/image_error.ts";
import { writeFileAtomic } from "../_fs.ts";
import { CLUSTER_ALGORITHMS, type ClusterAlgorithm, DEFAULT_CLUSTER_ALGORITHM } from "../cluster/cluster_faces.ts";
import { clusterFolder, type ClusterFolderOptions, type FolderClustering } from "../cluster/cluster_folder.ts";
import { linkClusters, writeContactSheets } from "../cluster/cluster_files.ts";
import { GroupsFileError } from "../cluster/corrections.ts";
import { type ModelInfo, modelPipelineOptions } from "../model/model.ts";
import { detectorOf, recordedEmbedderOf } from "../pipeline/pipeline.ts";
import { DEFAULT_EMBEDDER, type EmbedderName, type EmbedderOptions } from "../embed/embed_faces.ts";
import {
  cacheFailure,
  type CliIo,
  detectorOption,
  embedderOption,
  EXIT,
  galleryOptions,
  lockTimeoutOption,
  numberIn,
  waitingLine,
  workersOption,
} from "./_io.ts";
import { loadModelFor, openGalleryFor } from "./_model.ts";
import type { GalleryStore } from "../store/gallery_store.ts";
import type { Gallery } from "../gallery/gallery.ts";
import { drawProblem, fileOutputProblem } from "./_outputs.ts";
import { startProgress } from "./_progress.ts";

const ALGORITHMS = Object.keys(CLUSTER_ALGORITHMS) as ClusterAlgorithm[];
const defaults = CLUSTER_ALGORITHMS[DEFAULT_CLUSTER_ALGORITHM];

/**
 * The `cluster` subcommand: groups every face of a folder of unsorted photos into people.
 *
 * @param io Where output goes.
 * @param setExit Receives the run's exit code.
 */
export function clusterCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("cluster")
    .description("Group every face of a folder of unsorted photos into people (no names needed).")
    .argument("<folder>", "the photos, walked recursively")
    .addOption(
      new Option("--algorithm <name>", `how faces are grouped (default ${DEFAULT_CLUSTER_ALGORITHM})`).choices(
        ALGORITHMS,
      ),
    )
    .addOption(
      new Option(
        "--threshold <d>",
        `largest embedding distance joining two faces (default: the algorithm's for the cache's network, ${
          defaults.networks[DEFAULT_EMBEDDER]!.threshold
        } for the default network)`,
      )
        .argParser(numberIn("--threshold", 0.01, 3.99)),
    )
    .addOption(
      new Option(
        "--min-size <n>",
        `smallest group; faces of smaller ones are unclustered (default ${defaults.minSize})`,
      )
        .argParser(numberIn("--min-size", 1, 1e6, true)),
    )
    .addOption(
      new Option(
        "--power <p>",
        `chinese-whispers: an edge of length d weighs (threshold − d)^p; 0: every edge 1, as dlib (default: the algorithm's for the cache's network, ${
          defaults.networks[DEFAULT_EMBEDDER]!.power
        } for the default network)`,
      ).argParser(numberIn("--power", 0, 8)),
    )
    .option(
      "--no-cannot-link",
      "let two faces of one photo be one person (by default they never are)",
    )
    .addOption(
      new Option(
        "--merge <groups...>",
        "merge two groups of the last run (their ids, e.g. --merge 3 7) into one; kept for later runs",
      ).argParser((v: string, prev: number[] | undefined) => {
        const n = numberIn("--merge", 1, 1e9, true)(v);
        return [...(prev ?? []), n];
      }),
    )
    .addOption(
      new Option("--split <group>", "split a group of the last run in two; kept for later runs")
        .argParser(numberIn("--split", 1, 1e9, true)),
    )
    .option("--model <dir>", "name the groups that match a person enrolled in this model")
    .addOption(galleryOptions("name the groups after people enrolled in")[0])
    .addOption(galleryOptions("name the groups after people enrolled in")[1])
    .addOption(detectorOption(true))
    .addOption(embedderOption())
    .option(
      "--cache <file>",
      "the every-face cache (default ./.face2vec/cluster/<folder>-<hash of its path>.embedding.cache)",
    )
    .addOption(workersOption("parallel workers"))
    .addOption(lockTimeoutOption())
    .option(
      "--drop-damaged",
      "drop the cache's damaged lines (their photos are processed again) instead of refusing it",
    )
    .option("--json", "one JSON object per face on stdout (JSON lines)")
    .option("--json-out <file>", "write the JSON lines to a file instead")
    .option("--sheets <dir>", "write a contact sheet per group (a grid of its faces), largest groups first")
    .option("--link <dir>", "lay the faces out as DIR/cluster_001/… (crops) to rename to people and train on")
    .action(async (folder, o) => setExit(await runCluster(folder, o, io)));
}

interface ClusterRun {
  algorithm?: ClusterAlgorithm;
  threshold?: number;
  minSize?: number;
  power?: number;
  cannotLink: boolean;
  merge?: number[];
  split?: number;
  model?: string;
  gallery?: string;
  passwordFile?: string;
  detector?: DetectorName;
  embedder?: EmbedderName;
  cache?: string;
  workers: number;
  lockTimeout: number;
  dropDamaged?: true;
  json?: true;
  jsonOut?: string;
  sheets?: string;
  link?: string;
}

async function runCluster(folder: string, o: ClusterRun, io: CliIo): Promise<number> {
  const isDir = await Deno.stat(folder).then((s) => s.isDirectory, () => undefined);
  if (isDir !== true) {
    io.stderr(`${printable(folder)}: ${isDir === false ? "not a folder" : "folder not found"}`);
    return EXIT.badArguments;
  }
  if (o.merge !== undefined && o.merge.length !== 2) {
    io.stderr(`error: --merge takes two group ids, got ${o.merge.length}`);
    return EXIT.badArguments;
  }
  if (o.merge !== undefined && o.split !== undefined) {
    io.stderr("error: give --merge or --split, not both (each names groups of the last run)");
    return EXIT.badArguments;
  }
  const problem = await outputsProblem(folder, o);
  if (problem) {
    io.stderr(`error: ${problem}`);
    return EXIT.badArguments;
  }
  const naming = await namingGallery(o, io);
  if (!naming) return EXIT.badArguments;
  try {
    return await clusterWith(folder, o, io, naming.gallery, naming.detector, naming.embedder);
  } finally {
    await naming.database?.close();
  }
}

/**
 * The people to name groups after (`--model`'s gallery or `--gallery`'s database) and the
 * detector their faces were found with; undefined, with the reason printed, when they cannot be used.
 */
async function namingGallery(o: ClusterRun, io: CliIo): Promise<
  | {
    gallery?: ClusterFolderOptions["gallery"];
    detector?: DetectorName;
    embedder?: EmbedderOptions;
    database?: GalleryStore;
  }
  | undefined
> {
  if (o.gallery === undefined && o.model === undefined) {
    return { detector: o.detector, ...(o.embedder ? { embedder: { network: o.embedder } } : {}) };
  }
  if (o.gallery !== undefined && o.model !== undefined) {
    io.stderr("error: give --model or --gallery, not both");
    return undefined;
  }
  let database: GalleryStore | undefined;
  let named: { where: string; info: ModelInfo; faces: number; entries: Gallery | GalleryStore; hint: string };
  if (o.gallery !== undefined) {
    database = await openGalleryFor({ ...o, gallery: o.gallery, detector: undefined }, io);
    if (!database) return undefined;
    const faces = await database.check().then((c) => c.faces, (e: Error) => e);
    if (faces instanceof Error) {
      io.stderr(faces.message);
      await database.close();
      return undefined;
    }
    const info = (await database.info())!;
    named = { where: database.location, info, faces, entries: database, hint: "enrol people" };
  } else {
    const model = await loadModelFor(o.model!, io);
    if (!model) return undefined;
    named = {
      where: o.model!,
      info: model.info,
      faces: model.gallery.size,
      entries: model.gallery,
      hint: "enrol people, or train on the embedding",
    };
  }
  const refuse = async (line: string) => {
    io.stderr(line);
    await database?.close();
    return undefined;
  };
  const maxDistance = named.info.maxDistance;
  if (named.faces === 0 || maxDistance === null) {
    return await refuse(`${named.where}: no enrolled embeddings to name groups after (${named.hint})`);
  }
  const recorded = detectorOf(modelPipelineOptions(named.info));
  if (o.detector !== undefined && o.detector !== recorded) {
    return await refuse(`${named.where}: its faces were found with the ${recorded} detector, not ${o.detector}`);
  }
  // The faces must be embedded as the gallery's were: its network, alignment and mirror.
  const network = recordedEmbedderOf(named.info.pipeline).name as EmbedderName;
  if (o.embedder !== undefined && o.embedder !== network) {
    return await refuse(`${named.where}: its faces were embedded by the ${network} network, not ${o.embedder}`);
  }
  const embedder = { ...modelPipelineOptions(named.info).embedder, network };
  return { gallery: { entries: named.entries, maxDistance }, detector: recorded, embedder, database };
}

async function clusterWith(
  folder: string,
  o: ClusterRun,
  io: CliIo,
  gallery: ClusterFolderOptions["gallery"],
  detector: DetectorName | undefined,
  embedder: EmbedderOptions | undefined,
): Promise<number> {
  const root = folder.replace(/\/+$/, "");
  let progress = startProgress(io, 0, false);
  let clustering: FolderClustering;
  try {
    clustering = await clusterFolder(folder, {
      algorithm: o.algorithm,
      threshold: o.threshold,
      minSize: o.minSize,
      power: o.power,
      cannotLink: o.cannotLink,
      ...(o.merge ? { merge: [o.merge[0]!, o.merge[1]!] as const } : {}),
      ...(o.split !== undefined ? { split: o.split } : {}),
      cache: o.cache,
      gallery,
      ...(detector || embedder
        ? {
          pipeline: {
            ...(detector ? { detector: { detector } } : {}),
            ...(embedder ? { embedder } : {}),
          },
        }
        : {}),
      preprocess: {
        workers: o.workers,
        lockTimeoutMs: o.lockTimeout * 1000,
        dropDamaged: o.dropDamaged,
        onWait: (holder, cache) => io.stderr(waitingLine(cache, holder)),
        onStart: (total) => (progress = startProgress(io, total, !o.json || !io.stdoutIsTerminal)),
        onPhoto: ({ record, cached }) => {
          if (!cached && record.status === "error") {
            progress.error(`${printable(`${root}/${record.path}`)}: ${record.reason}`);
          }
          progress.tick();
        },
      },
    });
  } catch (e) {
    progress.stop();
    if (e instanceof GroupsFileError) {
      io.stderr(e.message);
      return EXIT.badArguments;
    }
    return cacheFailure(e, io);
  }
  progress.stop();
  const lines = clustering.faces.map((f) => {
    const name = f.cluster === null ? null : clustering.clusters[f.cluster - 1]!.name;
    return JSON.stringify({
      path: `${root}/${f.path}`,
      face: f.face,
      box: f.box,
      cluster: f.cluster,
      ...(gallery ? { name } : {}),
      distance: f.distance,
    });
  });
  if (o.json) { for (const l of lines) io.stdout(l); }
  if (o.jsonOut !== undefined) await writeFileAtomic(o.jsonOut, lines.map((l) => `${l}\n`).join(""));
  if (o.sheets !== undefined) {
    const sheets = await writeContactSheets(root, clustering, o.sheets);
    io.stderr(`${sheets.length} contact sheet(s) in ${o.sheets}`);
  }
  if (o.link !== undefined) {
    const files = await linkClusters(root, clustering, o.link);
    io.stderr(
      `${files.length} face(s) in ${clustering.clusters.length} folder(s) under ${o.link}: ` +
        "rename each to the person's name, then preprocess and train on it",
    );
  }
  io.stderr(summaryLine(clustering));
  io.stderr(`cache: ${clustering.cache}`);
  return clustering.errors.length > 0 ? EXIT.inputFailed : EXIT.ok;
}

/** The run's summary: photos, faces, groups by size (named ones by name), unclustered. */
function summaryLine(c: FolderClustering): string {
  const sizes = c.clusters.slice(0, 12).map((g) => `${g.name ? `${g.name} ` : ""}${g.size}`).join(", ");
  const more = c.clusters.length > 12 ? ", …" : "";
  const o = c.options;
  return `${c.photos} photos, ${c.faces.length} faces (${c.noFace} photos without a face, ${c.errors.length} errors): ` +
    `${c.clusters.length} groups${c.clusters.length ? ` (${sizes}${more})` : ""}, ${c.unclustered} unclustered; ` +
    `${o.algorithm} at distance ${o.threshold}${
      o.algorithm === "chinese-whispers" && o.power > 0 ? ` (edges weighted by (${o.threshold} − d)^${o.power})` : ""
    }, groups of ${o.minSize} or more`;
}

/** Why an output cannot be written: inside the folder read, or (for folders) not empty. */
async function outputsProblem(folder: string, o: ClusterRun): Promise<string | undefined> {
  if (o.jsonOut !== undefined) {
    const p = await fileOutputProblem("--json-out", o.jsonOut, [folder]);
    if (p) return p;
  }
  for (const [flag, dir] of [["--sheets", o.sheets], ["--link", o.link]] as const) {
    if (dir === undefined) continue;
    const p = await drawProblem(dir, [folder], flag);
    if (p) return p;
    // A folder of an earlier run would mix its groups with this run's.
    const entries = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
    if (entries.length > 0) {
      return `${flag} ${printable(dir)}: not empty; give a new folder (groups of an earlier run would mix with these)`;
    }
  }
  return undefined;
}
