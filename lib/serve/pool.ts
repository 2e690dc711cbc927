/**
 * The service's pool of worker threads (one pipeline each, see `_worker.ts`) with a bounded
 * queue: a job waits for a free worker, a full queue refuses at once (the service answers
 * 503 with `Retry-After`), and a job that takes longer than its time is answered as timed
 * out (its worker finishes it and takes the next).
 *
 * @module
 */

import type { ImageErrorKind } from "../image/image_error.ts";
import type { ModelInfo } from "../model/model.ts";

/** What a worker is asked to do with one photo. */
export interface Job {
  /** "faces": every face with its embedding, for a gallery the main thread searches. */
  readonly op: "detect" | "recognize" | "embed" | "faces";
  readonly bytes: Uint8Array;
  /** The photo's name, for messages. */
  readonly name: string;
  readonly maxPixels: number;
  /**
   * Whose pipeline: a model folder's (read afresh when its `model.json` changes; "recognize"
   * also names faces by its classifier), or a database gallery's recorded settings.
   */
  readonly source: { readonly modelDir: string } | { readonly info: ModelInfo };
}

/** One face as the service answers it. */
export interface FaceAnswer {
  readonly box: { readonly x: number; readonly y: number; readonly width: number; readonly height: number };
  readonly score: number | null;
  readonly landmarks: readonly (readonly [number, number])[];
  readonly label?: string | null;
  readonly method?: string;
  readonly probability?: number | null;
  readonly distance?: number | null;
  readonly runner_up?: { label: string; probability: number | null; distance: number | null } | null;
  /** "faces" only: the face's embedding (never sent to a client). */
  readonly embedding?: number[];
}

/** What a worker answers. */
export type JobResult =
  | { kind: "faces"; size: { width: number; height: number }; faces: FaceAnswer[] }
  | {
    kind: "embedding";
    size: { width: number; height: number };
    embedding: number[];
    /** The model's network's `compare` threshold (its `distances.verify`). */
    verify: number;
    faces: number;
    box: FaceAnswer["box"];
  }
  | { kind: "no_face" }
  | { kind: "no_model" }
  | { kind: "bad_image"; reason: string; image: ImageErrorKind };

/** The queue is full. */
export class OverloadedError extends Error {
  override name = "OverloadedError";
  /** Always "overloaded": retry later (the service answers 503 with `Retry-After`). */
  readonly kind = "overloaded" as const;
}

/** The job took longer than its time. */
export class JobTimeoutError extends Error {
  override name = "JobTimeoutError";
  /** Always "timeout". */
  readonly kind = "timeout" as const;
}

/**
 * A job its worker failed (an error thrown there, or the worker's own failure), with the
 * operating system's error code when the error had one (`EMFILE`, `ENFILE`: out of file
 * descriptors).
 */
export class WorkerError extends Error {
  override name = "WorkerError";
  /** Always "failed". */
  readonly kind = "failed" as const;
  /**
   * @param message The error's message, as the worker had it.
   * @param code Its code (`EMFILE`, `ENOENT`, …), if it had one.
   */
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** What a worker posts back for a job: its result, or its error's message and code. */
export interface WorkerReply {
  readonly id: number;
  readonly result?: JobResult;
  readonly error?: string;
  readonly code?: string;
}

interface Waiting {
  readonly id: number;
  readonly job: Job;
  readonly resolve: (r: JobResult) => void;
  readonly reject: (e: Error) => void;
  settled: boolean;
}

/** Worker threads and a bounded queue. */
export class WorkerPool {
  readonly #workers: { worker: Worker; busy: Waiting | undefined }[];
  readonly #queue: Waiting[] = [];
  readonly #maxQueue: number;
  #next = 0;
  #closed = false;

  /**
   * @param workers The number of threads.
   * @param maxQueue The most jobs waiting for a thread (besides those running).
   */
  constructor(workers: number, maxQueue: number) {
    this.#maxQueue = maxQueue;
    const url = new URL("./_worker.ts", import.meta.url);
    this.#workers = Array.from({ length: workers }, () => {
      const slot = { worker: new Worker(url, { type: "module" }), busy: undefined as Waiting | undefined };
      slot.worker.onmessage = (e: MessageEvent<WorkerReply>) => {
        const w = slot.busy;
        slot.busy = undefined;
        if (w && !w.settled && w.id === e.data.id) {
          w.settled = true;
          if (e.data.result) w.resolve(e.data.result);
          else w.reject(new WorkerError(e.data.error ?? "the worker failed", e.data.code));
        }
        this.#dispatch();
      };
      slot.worker.onerror = (e) => {
        e.preventDefault();
        const w = slot.busy;
        slot.busy = undefined;
        if (w && !w.settled) {
          w.settled = true;
          w.reject(new WorkerError(e.message));
        }
        this.#dispatch();
      };
      return slot;
    });
  }

  /** Jobs waiting and running. */
  get load(): { queued: number; running: number; workers: number } {
    return {
      queued: this.#queue.length,
      running: this.#workers.filter((w) => w.busy).length,
      workers: this.#workers.length,
    };
  }

  /**
   * Runs a job on the next free worker.
   *
   * @param job The job.
   * @param timeoutMs Its time, queueing included.
   * @returns What the worker answered.
   * @throws {OverloadedError} When the queue is full.
   * @throws {JobTimeoutError} When it takes longer than `timeoutMs`.
   */
  run(job: Job, timeoutMs: number): Promise<JobResult> {
    if (this.#closed) return Promise.reject(new Error("the pool is closed"));
    const free = this.#workers.some((w) => !w.busy);
    if (!free && this.#queue.length >= this.#maxQueue) return Promise.reject(new OverloadedError("the queue is full"));
    return new Promise<JobResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (w.settled) return;
        w.settled = true;
        const at = this.#queue.indexOf(w);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new JobTimeoutError(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const w: Waiting = {
        id: this.#next++,
        job,
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
        settled: false,
      };
      this.#queue.push(w);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    for (const slot of this.#workers) {
      if (slot.busy) continue;
      const w = this.#queue.shift();
      if (!w) return;
      slot.busy = w;
      // A copy the worker owns (the request's bytes may be a view of a larger buffer).
      const bytes = w.job.bytes.slice();
      slot.worker.postMessage({ id: w.id, job: { ...w.job, bytes } }, [bytes.buffer]);
    }
  }

  /** Waits for the running jobs, refuses the queued ones, and stops the threads. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#queue.splice(0)) {
      w.settled = true;
      w.reject(new Error("the service is shutting down"));
    }
    while (this.#workers.some((w) => w.busy)) await new Promise((r) => setTimeout(r, 20));
    for (const { worker } of this.#workers) worker.terminate();
  }
}
