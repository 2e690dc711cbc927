import type { DetectorName } from "../detect/detect_faces.ts";
import { Command } from "npm:@commander-js/extra-typings@15.1.0";
import { type Model, modelOfInfo, modelPipelineOptions, newGalleryModel } from "../model/model.ts";
import { ModelError } from "../model/model_error.ts";
import type { GalleryEntry } from "../gallery/entry.ts";
import { assertEnrollable } from "../model/enrol.ts";
import { LockError } from "../_lock_error.ts";
import { createPipeline, detectorOf } from "../pipeline/pipeline.ts";
import { ImageError, printable } from "../image/image_error.ts";
import { readImage } from "../image/read_image.ts";
import { labelProblem } from "../dataset/labels.ts";
import { type CliIo, detectorOption, EXIT, galleryOptions, listInputs, lockTimeoutOption, waitingLine } from "./_io.ts";
import { openGalleryFor } from "./_model.ts";
import { fileStore } from "../store/file_store.ts";
import { GalleryError, type GalleryStore } from "../store/gallery_store.ts";

/**
 * The `enrol` subcommand: adds a person's photos to a model's embedding gallery, without
 * retraining; they are recognised at once (`predict`, nearest neighbour).
 */
export function enrolCommand(io: CliIo, setExit: (code: number) => void) {
  return new Command("enrol")
    .description(
      "Add a person's photos to a model's embedding gallery (a new folder becomes a gallery-only model).",
    )
    .argument("<label>", "the person")
    .argument("<inputs...>", "image files or folders (the largest face of each is enrolled)")
    .option("--model <dir>", "the model (created when the folder has none)", "./model")
    .addOption(galleryOptions("enrol into")[0])
    .addOption(galleryOptions("enrol into")[1])
    .addOption(detectorOption(true))
    .addOption(lockTimeoutOption())
    .action(async (label, inputs, o) => setExit(await runEnrol(label, inputs, o, io)));
}

async function runEnrol(
  label: string,
  inputs: string[],
  o: { model: string; gallery?: string; passwordFile?: string; lockTimeout: number; detector?: DetectorName },
  io: CliIo,
): Promise<number> {
  const problem = labelProblem(label);
  if (problem !== undefined) {
    io.stderr(
      `error: the label ${
        printable(JSON.stringify(label))
      } ${problem}: a name is 1–200 characters, without control, bidirectional or surrounding space characters or slashes`,
    );
    return EXIT.badArguments;
  }
  let gallery: GalleryStore | undefined;
  if (o.gallery !== undefined) {
    gallery = await openGalleryFor({ ...o, gallery: o.gallery }, io);
    if (!gallery) return EXIT.badArguments;
  } else {
    const at = await Deno.stat(o.model).catch(() => undefined);
    if (at && !at.isDirectory) {
      io.stderr(`${o.model}: not a folder (--model names the folder the model is kept in)`);
      return EXIT.badArguments;
    }
    gallery = fileStore(o.model, o.detector);
  }
  try {
    return await enrolWith(label, inputs, o, io, gallery);
  } finally {
    await gallery.close();
  }
}

async function enrolWith(
  label: string,
  inputs: string[],
  o: { lockTimeout: number; detector?: DetectorName },
  io: CliIo,
  gallery: GalleryStore,
): Promise<number> {
  const where = gallery.kind === "file" ? `${gallery.location}/` : gallery.location;
  let model: Model;
  try {
    // The pipeline and feature set are what is needed here; the gallery reads its faces itself.
    const info = await gallery.info();
    model = info ? modelOfInfo(info) : await newGalleryModel(o.detector);
    assertEnrollable(model, gallery.location);
    const recorded = detectorOf(modelPipelineOptions(model.info));
    if (o.detector !== undefined && o.detector !== recorded) {
      throw new Error(
        `${gallery.location}: its faces were found with the ${recorded} detector, not ${o.detector}: enrol with --detector ${recorded} (or into another ${
          gallery.kind === "file" ? "--model" : "--gallery"
        })`,
      );
    }
  } catch (e) {
    io.stderr(e instanceof Error ? e.message : String(e));
    return EXIT.badArguments;
  }
  const listed = await listInputs(inputs, io);
  let failed = listed.failed;
  const added: GalleryEntry[] = [];
  const pipeline = await createPipeline(modelPipelineOptions(model.info));
  try {
    for (const item of listed.listed) {
      try {
        const image = await readImage(item.path);
        const found = await pipeline.processLargestFace(image);
        if (!found) throw new ImageError(item.path, "no face found");
        if (found.faces > 1) io.stderr(`${item.path}: ${found.faces} faces, enrolling the largest`);
        added.push({ label, path: item.path, embedding: found.face.embedding! });
      } catch (e) {
        if (!(e instanceof ImageError)) throw e;
        failed++;
        io.stderr(e.message);
      }
    }
  } finally {
    await pipeline.dispose();
  }
  if (added.length) {
    let saved: { faces: number; people: number };
    try {
      saved = await gallery.enrol(added, {
        lockTimeoutMs: o.lockTimeout * 1000,
        onWait: (holder) => io.stderr(waitingLine(gallery.location, holder)),
      });
    } catch (e) {
      if (!(e instanceof ModelError || e instanceof LockError || e instanceof GalleryError)) throw e;
      io.stderr(e.message);
      return EXIT.badArguments;
    }
    const { faces, people } = saved;
    io.stderr(
      `enrolled ${added.length} photo${added.length === 1 ? "" : "s"} of ${
        printable(label)
      } into ${where} (gallery: ${faces} face${faces === 1 ? "" : "s"} of ${people} ${
        people === 1 ? "person" : "people"
      })`,
    );
    if (model.info.method !== "nearest") {
      io.stderr(
        `note: this model names faces by its network (${model.info.features.name} features); ` +
          "predict --method nearest names them by the gallery, where the enrolled faces are",
      );
    }
  } else io.stderr(`nothing enrolled into ${where}`);
  return failed > 0 ? EXIT.inputFailed : EXIT.ok;
}
