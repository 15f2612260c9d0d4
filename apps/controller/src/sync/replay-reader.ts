/**
 * The main thread's side of the replay worker (replay-worker.ts): the sync
 * client asks it for the next batch, ready to send (range, size, gzipped
 * body), and only signs, sends and confirms on the main thread.
 *
 * Before each ask the range the batch may come from is reserved in the outbox
 * (OutboxService.reserve: fenced from cap thinning, which runs on the main
 * thread), so the worker never reads records that thinning may rewrite while
 * the batch is in flight. The range is sized from the last batch: a thinned
 * run stands for many sequence numbers, so where the backlog was thinned it
 * spans more of them for the same number of records.
 *
 * The worker is started on the first ask and started again after it dies: an
 * ask that was waiting fails, and the uploader reads that batch on the main
 * thread instead (batch-uploader.ts). It keeps the process alive only while an
 * ask is waiting.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { findRepoRoot } from '#libs/profiles';
import type { OutboxPort } from '../outbox/outbox.port.js';
import type { PeekLimits } from './sync-outbox.js';
import type { PreparedBatch, ReplayReply, ReplayRequest, ReplayWorkerData } from './replay-worker.js';

export type { PreparedBatch } from './replay-worker.js';

/** Where the sync client's batches come from when not peeked on the main thread. */
export interface BatchSource {
  /** The next batch within `limits`, ready to send; undefined when nothing is unsent. */
  next(limits: PeekLimits): Promise<PreparedBatch | undefined>;
  close(): Promise<void>;
}

/** The replay's nice value: a lower priority than the scan loop's (nice 0), so a busy box runs the scans first. */
export const REPLAY_NICE = 10;

/** Headroom on the range: a few more sequence numbers than the last batch's mix suggests. */
const RANGE_HEADROOM = 1.25;
/** Keeps the range's end a safe integer however far a thinned run reaches. */
const MAX_SPAN = 2 ** 40;

export interface ReplayReaderOptions {
  /** The controller's SQLite file (not ':memory:': the worker opens it on a connection of its own). */
  file: string;
  site: string;
  outbox: Pick<OutboxPort, 'reserve'>;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  nice?: number;
  /** The worker's script; default workerScript(). */
  workerUrl?: URL;
}

/**
 * The built replay-worker.js beside this file; when this file runs from its
 * TypeScript source (the test runner, which builds dist/ first), the one in
 * dist/: a worker thread cannot load TypeScript.
 */
export function workerScript(): URL {
  const beside = new URL('./replay-worker.js', import.meta.url);
  if (existsSync(beside)) return beside;
  return pathToFileURL(join(findRepoRoot(), 'dist/apps/controller/src/sync/replay-worker.js'));
}

interface Waiting {
  resolve: (batch: PreparedBatch | undefined) => void;
  reject: (err: Error) => void;
}

export class ReplayReader implements BatchSource {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private lastId = 0;
  /** Sequence numbers per record in the last batch (1 for plain records; more where runs were thinned). */
  private seqsPerRecord = 1;
  private closed = false;

  constructor(private readonly o: ReplayReaderOptions) {}

  async next(limits: PeekLimits): Promise<PreparedBatch | undefined> {
    if (this.closed) throw new Error('the replay reader is closed');
    const span = Math.ceil(limits.maxRecords * this.seqsPerRecord * RANGE_HEADROOM);
    const range = this.o.outbox.reserve(Math.min(span, MAX_SPAN));
    if (!range) return undefined;
    const batch = await this.ask({ ...range, ...limits });
    if (batch) this.seqsPerRecord = (batch.toSeq - batch.fromSeq + 1) / batch.count;
    return batch;
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failWaiting(new Error('the replay reader is closed'));
    await worker?.terminate();
  }

  private ask(req: Omit<ReplayRequest, 'id'>): Promise<PreparedBatch | undefined> {
    const worker = this.worker ?? this.spawn();
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, ...req } satisfies ReplayRequest);
    });
  }

  private spawn(): Worker {
    const workerData: ReplayWorkerData = {
      file: this.o.file,
      site: this.o.site,
      nice: this.o.nice ?? REPLAY_NICE,
    };
    const worker = new Worker(this.o.workerUrl ?? workerScript(), { workerData });
    worker.on('message', (reply: ReplayReply) => this.received(worker, reply));
    worker.on('error', (err) => this.died(worker, err));
    worker.on('exit', (code) => this.died(worker, new Error(`the replay worker exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  private received(worker: Worker, reply: ReplayReply): void {
    if (reply.kind === 'ready') {
      if (reply.nice === null)
        this.o.log.warn(
          { reason: reply.reason },
          `sync: replay worker at normal CPU priority (could not lower it: ${reply.reason})`,
        );
      else this.o.log.info({ nice: reply.nice }, `sync: replay worker started (nice ${reply.nice})`);
      return;
    }
    const waiting = this.waiting.get(reply.id);
    this.waiting.delete(reply.id);
    if (this.waiting.size === 0) worker.unref();
    if (!waiting) return;
    if (reply.kind === 'failed') waiting.reject(new Error(`replay worker: ${reply.message}`));
    else waiting.resolve(reply.batch);
  }

  private died(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.failWaiting(err);
  }

  private failWaiting(err: Error): void {
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }
}
