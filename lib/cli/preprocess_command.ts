import type { DetectorName, FaceSource } from "../detect/detect_faces.ts";
import type { EmbedderName } from "../embed/embed_faces.ts";
import { Command, Option } from "npm:@commander-js/extra-typings@15.1.0";
import { printable } from "../image/image_error.ts";
import type { CacheRecord } from "../dataset/cache.ts";
import { defaultCachePath, preprocessFolder } from "../dataset/preprocess.ts";
import { mergeCaches } from "../dataset/merge_caches.ts";
import { parseShard, type Shard } from "../dataset/shard.ts";
import { DEFAULT_FEATURE_SET, FEATURE_SET_NAMES, type FeatureSetName } from "../features/feature_sets.ts";
import { decodeImage } from "../image/decode_image.ts";
import { IMAGE_EXTENSIONS, listImages } from "../image/list_images.ts";
import { singleLabelProblem } from "../dataset/labels.ts";
import {
  cacheFailure,
  type CliIo,
  detectorOption,
  embedderOption,
  EXIT,
  lockTimeoutOption,
  waitingLine,
  workersOption,
} from "./_io.ts";
import { startProgress } from "./_progress.ts";
import { writeAnnotated } from "./_draw.ts";
import { drawProblem } from "./_outputs.ts";

/**
 * The `preprocess` subcommand: turns a folder of photos named by person into a cache of
 * features, incrementally and resumably.
 *
 * @param io Where output goes.
 * @param setExit Receives the run's exit code.
 */
export function preprocessCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("preprocess")
    .description("Cache the features of every photo in a folder named by person (kanye3.jpg or kanye/3.jpg).")
    .usage("[options] <folder> | --merge <caches...> --cache <file>")
    .argument("[folder]", "the photos, walked recursively (required, except with --merge)")
    .option("--cache <file>", "the cache file (default ./.face2vec/<folder>-<hash of its path>.<features>.cache)")
    .addOption(new Option("--features <name>", "feature set").choices(FEATURE_SET_NAMES).default(DEFAULT_FEATURE_SET))
    .addOption(detectorOption(true))
    .addOption(embedderOption())
    .addOption(
      new Option("--labels <rule>", "label by folder or by file name (default: folder if photos sit in person folders)")
        .choices(["folder", "filename"] as const),
    )
    .addOption(workersOption("parallel workers"))
    .option(
      "--drop-damaged",
      "drop the cache's damaged lines (their photos are processed again) instead of refusing it",
    )
    .addOption(lockTimeoutOption())
    .option("--draw <dir>", "write annotated copies of the processed photos under DIR, mirroring paths")
    .addOption(
      new Option(
        "--faces <which>",
        "cache the largest face of each photo, or every face (clustering's cache, no labels)",
      )
        .choices(["largest", "all"] as const).default("largest" as const),
    )
    .option("--shard <i/n>", "only shard i of n of the photos (by a hash of each path), into a cache of its own")
    .option("--merge <caches...>", "combine the caches of shards 1/n … n/n into --cache (no folder is read)")
    .action(async (folder, o) => {
      if (o.merge) setExit(await runMerge(folder, o.merge, o, io));
      else if (folder === undefined) {
        io.stderr("error: missing required argument 'folder'");
        setExit(EXIT.badArguments);
      } else setExit(await runPreprocess(folder, o, io));
    });
}

async function runMerge(
  folder: string | undefined,
  inputs: string[],
  o: { cache?: string; shard?: string; lockTimeout: number },
  io: CliIo,
): Promise<number> {
  if (folder !== undefined || o.shard !== undefined || o.cache === undefined) {
    io.stderr(`error: --merge takes the shard caches and --cache FILE for the result, and no folder or --shard`);
    return EXIT.badArguments;
  }
  try {
    const { photos, shards } = await mergeCaches(inputs, o.cache, {
      lockTimeoutMs: o.lockTimeout * 1000,
      onWait: (holder) => io.stderr(waitingLine(o.cache!, holder)),
    });
    io.stderr(`merged ${shards} shard caches: ${photos} photos`);
    io.stderr(`cache: ${o.cache}`);
    return EXIT.ok;
  } catch (e) {
    return cacheFailure(e, io);
  }
}

async function runPreprocess(
  folder: string,
  o: {
    cache?: string;
    features: FeatureSetName;
    detector?: DetectorName;
    embedder?: EmbedderName;
    labels?: "folder" | "filename";
    workers: number;
    draw?: string;
    lockTimeout: number;
    dropDamaged?: true;
    shard?: string;
    faces: "largest" | "all";
  },
  io: CliIo,
): Promise<number> {
  if (o.faces === "all" && o.labels !== undefined) {
    io.stderr("error: --faces all caches unnamed faces (as cluster does): it takes no --labels");
    return EXIT.badArguments;
  }
  let shard: Shard | undefined;
  try {
    shard = o.shard === undefined ? undefined : parseShard(o.shard);
  } catch (e) {
    io.stderr(`error: --shard: ${(e as Error).message}`);
    return EXIT.badArguments;
  }
  try {
    if (!(await Deno.stat(folder)).isDirectory) {
      io.stderr(`${folder}: not a folder`);
      return EXIT.badArguments;
    }
  } catch {
    io.stderr(`${folder}: folder not found`);
    return EXIT.badArguments;
  }
  // A folder of no photos would leave an empty cache behind (which then blocks a bare `train`).
  if ((await listImages([folder])).length === 0) {
    io.stderr(
      `${printable(folder)}: no photos in this folder (nothing cached): photos are ${
        IMAGE_EXTENSIONS.slice(0, 6).join(" ")
      } … files, or files whose first bytes are an image's`,
    );
    return EXIT.badArguments;
  }
  const problem = o.draw !== undefined ? await drawProblem(o.draw, [folder]) : undefined;
  if (problem) {
    io.stderr(`error: ${problem}`);
    return EXIT.badArguments;
  }
  let progress = startProgress(io, 0, false);
  let done = 0;
  const root = folder.replace(/\/+$/, "");
  try {
    const summary = await preprocessFolder(folder, {
      features: o.features,
      ...(o.detector ? { detector: { detector: o.detector } } : {}),
      ...(o.embedder ? { embedder: { network: o.embedder } } : {}),
      labels: o.faces === "all" ? "none" : o.labels,
      faces: o.faces,
      workers: o.workers,
      lockTimeoutMs: o.lockTimeout * 1000,
      dropDamaged: o.dropDamaged,
      shard,
      cache: o.cache ?? (shard ? await shardCachePath(folder, o.features, shard) : undefined),
      onWait: (holder, cache) => io.stderr(waitingLine(cache, holder)),
      onStart: (total) => (progress = startProgress(io, total, true)),
      onPhoto: async ({ record, cached, total }) => {
        done++;
        if (!cached && record.status === "error") {
          progress.error(`${printable(`${root}/${record.path}`)}: ${record.reason}`);
        } else if (!cached && record.status === "no_face") {
          progress.error(`${printable(`${root}/${record.path}`)}: no face found`);
        } else if (!io.stderrIsTerminal) {
          progress.log(`${done}/${total} ${printable(record.path)}: ${cached ? "cached" : record.status}`);
        }
        progress.tick();
        if (o.draw !== undefined && !cached && record.status === "ok") {
          // A drawing that cannot be made is that photo's note; the run goes on.
          await draw(o.draw, root, record).catch((e) =>
            progress.error(`${printable(`${root}/${record.path}`)}: not drawn (${e instanceof Error ? e.message : e})`)
          );
        }
      },
    });
    progress.stop();
    const s = summary;
    if (s.removed.length > 0) {
      io.stderr(`dropped ${s.removed.length} photo(s) no longer in the folder: ${s.removed.join(", ")}`);
    }
    if (s.droppedLines.length > 0) {
      io.stderr(
        `dropped ${s.droppedLines.length} damaged line(s) of ${s.cache} (${
          s.droppedLines.join(", ")
        }); their photos were processed again`,
      );
    }
    if (s.recoveredPartialLine) {
      io.stderr(`note: the previous run was interrupted; its last, incomplete record was dropped`);
    }
    if (s.multiFace.length > 0) {
      io.stderr(`${s.multiFace.length} photo(s) have several faces; the largest face of each was used`);
    }
    const labels = Object.entries(s.labels).map(([k, v]) => `${k} ${v}`).join(", ");
    io.stderr(
      `${s.processed} processed, ${s.cached} cached, ${s.noFace} no face, ${s.errors.length} errors; ` +
        `labels by ${s.labelRule}: ${labels || "none"}`,
    );
    io.stderr(`cache: ${s.cache}${shard ? ` (shard ${shard.index}/${shard.count} of the folder's photos)` : ""}`);
    const one = shard ? undefined : singleLabelProblem(s.labels, s.labelRule);
    if (one) io.stderr(`warning: ${root}: ${one}`);
    return s.errors.length > 0 ? EXIT.inputFailed : EXIT.ok;
  } catch (e) {
    progress.stop();
    return cacheFailure(e, io);
  }
}

async function draw(dir: string, root: string, record: CacheRecord) {
  const image = await decodeImage(await Deno.readFile(`${root}/${record.path}`), { name: record.path });
  const points = [(record.landmarks ?? []).map(([x, y]) => ({ x, y }))];
  await writeAnnotated(dir, record.path, image, [{ box: record.box!, source: record.source as FaceSource }], points);
}

/** A shard's default cache: the folder's, with `.shard-<i>-of-<n>` before `.cache`. */
async function shardCachePath(folder: string, features: string, shard: Shard): Promise<string> {
  return (await defaultCachePath(folder, features)).replace(
    /\.cache$/,
    `.shard-${shard.index}-of-${shard.count}.cache`,
  );
}
