/**
 * The upload half of the sync client (issue 5 items 4–5, DESIGN.md points 6–7):
 * peek the oldest batch, gzip it, POST it signed to /api/v1/sync/batches, and
 * confirm only what the cloud acknowledged after its commit. At most one batch
 * is in flight, so the cloud sees the sequence in order. In the controller the
 * peek, the JSON and the gzip run in the replay worker (replay-reader.ts, off
 * the main thread); here only the signed exchange and the confirm.
 *
 * - 200 {highWaterMark}: confirm it; the next batch follows after one turn of
 *   the event loop (setImmediate), so a backlog drains as fast as the cloud
 *   takes it while scans and fieldbus I/O keep their turns.
 * - 409 (sequence gap or reversal) with the cloud's highWaterMark: when the
 *   cloud already has this batch's start, confirm its mark and go on from
 *   there; when the cloud is behind what this outbox still holds, something
 *   lost acknowledged data: log it loudly and retry with backoff, never skip.
 * - 413 (the body is larger than the cloud, or a proxy before it, accepts):
 *   nothing is confirmed; the batch bounds (records and bytes) are halved from
 *   the refused batch's and the smaller batch is sent at once, down to one
 *   record. The byte bound then grows back after each acknowledged batch: by
 *   half while nothing was refused, else halfway between the largest batch
 *   the cloud took and the smallest it refused, settling a little under the
 *   former once the two are close, so a replay finds the cloud's limit in a
 *   few refusals instead of being refused every few batches.
 * - 413 for a single record: the record is never dropped or skipped (it may
 *   be an event, an alarm, an audit entry or a configuration snapshot, which
 *   are never lost, and the cloud takes the sequence only in order), so
 *   nothing after it can sync until the cloud's body limit is raised. That is
 *   made loud, not silent: `oversized$` names the record (SyncAlarms raises an
 *   alarm and so an event), it is logged once as an error, and it is retried
 *   with backoff (at most every 30 s), so the queue moves on by itself as soon
 *   as the limit is raised, without a restart. Meanwhile the outbox keeps
 *   everything within its cap (thinning telemetry first) and control goes on.
 * - no answer, 5xx, or any other refusal: nothing is confirmed; retry the same
 *   records after a backoff with full jitter (backoff.ts).
 */
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { Timers } from '../commands/timers.js';
import { Backoff } from './backoff.js';
import { CloudTransportError } from './cloud-transport.js';
import type { CloudAnswer } from './cloud-transport.js';
import { problemReason } from './signed-client.js';
import type { SignedCloudClient } from './signed-client.js';
import { batchJsonOf, peekBatch } from './sync-outbox.js';
import type { PeekLimits, SyncOutbox } from './sync-outbox.js';
import type { BatchSource, PreparedBatch } from './replay-reader.js';
import { Waiter } from './waiter.js';

const gzipAsync = promisify(gzip);

export const BATCHES_PATH = '/api/v1/sync/batches';

/** 'shrunk': the cloud refused the batch as too large; a smaller one goes at once. */
export type StepResult = 'sent' | 'idle' | 'retry' | 'shrunk';

/** A record the cloud refuses as too large even on its own (413 for a batch of one). */
export interface OversizedRecord {
  seq: number;
  /** Its size as the outbox counts it (PeekedJson.bytes). */
  bytes: number;
  /** The cloud's reason. */
  detail: string;
}

export interface UploaderOptions {
  client: Pick<SignedCloudClient, 'exchange'>;
  outbox: SyncOutbox;
  site: string;
  limits: PeekLimits;
  timers: Timers;
  log: Logger;
  backoff?: Backoff;
  /** How long to wait for new records when the outbox is empty (a notify() cuts it short). */
  idlePollMs?: number;
  timeoutMs?: number;
  /** Between two batches; setImmediate by default. */
  yieldTurn?: () => Promise<void>;
  /**
   * Main-thread time one batch's peek and serialisation may take, in ms: above it the next
   * batch holds proportionally fewer records, below half of it up to `limits.maxRecords` again,
   * so a replay on a slow or busy machine never blocks the scan loop for long. Off when unset.
   */
  workBudgetMs?: number;
  /** Reads the time that budget is measured in (performance.now by default). */
  workClock?: () => number;
  /**
   * Prepares the batches off the main thread (the replay worker, replay-reader.ts); `outbox` then
   * only confirms, and `workBudgetMs` has nothing to measure. Without it they are peeked here.
   */
  source?: BatchSource;
}

/** The fewest records an adaptive batch shrinks to. */
const MIN_ADAPTIVE_RECORDS = 100;

export interface UploaderStats {
  batches: number;
  records: number;
  /** The cloud's last acknowledged high-water mark. */
  highWaterMark: number | null;
  lastError: string | null;
  consecutiveFailures: number;
  /** The batch bounds in force (smaller than configured after a 413). */
  limits: PeekLimits;
  /** The record holding the queue up because the cloud refuses it as too large, if any. */
  oversized: OversizedRecord | null;
}

export class BatchUploader {
  readonly backoff: Backoff;
  private readonly waiter: Waiter;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly stats: Omit<UploaderStats, 'limits' | 'oversized'> = {
    batches: 0,
    records: 0,
    highWaterMark: null,
    lastError: null,
    consecutiveFailures: 0,
  };

  private maxRecords: number;
  private readonly workClock: () => number;
  /** The source failed its last batch (logged once until it delivers again). */
  private sourceFailing = false;
  /** The bounds after a 413; undefined while the configured ones hold. */
  private shrunk: PeekLimits | undefined;
  /** In the outbox's measure (PeekedJson.bytes): the smallest batch refused as too large, the largest taken since. */
  private refusedBytes = Infinity;
  private acceptedBytes = 0;
  private oversized: OversizedRecord | null = null;
  /** Whether a batch has been acknowledged since start (the first one says no record is stuck). */
  private acknowledgedOnce = false;
  private readonly oversizedChanges = new Subject<OversizedRecord | null>();
  /**
   * The record the cloud refuses as too large on its own, when it is found;
   * null when it is acknowledged, and at the first acknowledgement after
   * start (so an alarm left from before a restart clears once all is well).
   */
  readonly oversized$: Observable<OversizedRecord | null> = this.oversizedChanges.asObservable();

  constructor(private readonly o: UploaderOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.waiter = new Waiter(o.timers);
    this.maxRecords = o.limits.maxRecords;
    this.workClock = o.workClock ?? (() => performance.now());
  }

  /** The limits of the next batch (maxRecords adapted to the work budget; both smaller after a 413). */
  limits(): PeekLimits {
    return {
      maxRecords: Math.min(this.maxRecords, this.shrunk?.maxRecords ?? Infinity),
      maxBytes: Math.min(this.o.limits.maxBytes, this.shrunk?.maxBytes ?? Infinity),
    };
  }

  private spent(records: number, ms: number): void {
    const budget = this.o.workBudgetMs;
    if (budget === undefined || records < this.maxRecords / 2) return;
    const cap = this.o.limits.maxRecords;
    const floor = Math.min(cap, MIN_ADAPTIVE_RECORDS);
    if (ms > budget) this.maxRecords = Math.max(floor, Math.floor((records * budget) / ms));
    else if (ms < budget / 2) this.maxRecords = Math.min(cap, Math.ceil(this.maxRecords * 1.5));
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waiter.wakeUp();
    await this.loop;
  }

  /** New records, or the link came back: try now instead of at the end of the wait. */
  wakeUp(): void {
    this.waiter.wakeUp();
  }

  status(): UploaderStats {
    return { ...this.stats, limits: this.limits(), oversized: this.oversized };
  }

  /** One batch: peek, send, confirm. Public for tests, which step without timers. */
  async step(): Promise<StepResult> {
    try {
      return await this.exchangeBatch();
    } finally {
      // The batch is no longer in flight: thinning may take its records again if it was not confirmed (an outage
      // must not fence the backlog from the cap); confirmed ones are trimmed, so lifting the fence costs nothing.
      this.o.outbox.release?.();
    }
  }

  private async exchangeBatch(): Promise<StepResult> {
    const prepared = await this.prepare();
    if (prepared === undefined) return 'idle';
    const { body, ...batch } = prepared;
    let answer: CloudAnswer;
    try {
      answer = await this.o.client.exchange('POST', BATCHES_PATH, {
        body,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
        timeoutMs: this.o.timeoutMs ?? 15_000,
      });
    } catch (err) {
      if (!(err instanceof CloudTransportError)) throw err;
      return this.failed(`batch ${batch.fromSeq}..${batch.toSeq}: ${err.message}`);
    }
    if (answer.status === 413) return this.tooLarge(batch, problemReason(answer));
    const mark = highWaterMarkOf(answer);
    if (answer.status === 200 && mark !== undefined) {
      // A batch as large as one refused went through: the cloud's limit was raised.
      if (batch.bytes >= this.refusedBytes) this.refusedBytes = Infinity;
      this.acceptedBytes = Math.max(this.acceptedBytes, batch.bytes);
      await this.o.outbox.confirm(mark);
      this.stats.batches++;
      this.stats.records += batch.count;
      return this.acknowledged(mark);
    }
    if (answer.status === 409 && mark !== undefined) {
      if (mark >= batch.fromSeq) {
        this.o.log.warn(
          { fromSeq: batch.fromSeq, toSeq: batch.toSeq, highWaterMark: mark },
          `cloud already holds up to seq ${mark}: resuming after it`,
        );
        await this.o.outbox.confirm(mark);
        return this.acknowledged(mark);
      }
      this.o.log.error(
        { fromSeq: batch.fromSeq, highWaterMark: mark },
        `SEQUENCE GAP: the cloud holds up to seq ${mark} but the oldest unsent record is ${batch.fromSeq}: ` +
          `records ${mark + 1}..${batch.fromSeq - 1} were trimmed here yet are missing in the cloud; retrying`,
      );
      return this.failed(`sequence gap: cloud at ${mark}, outbox starts at ${batch.fromSeq}`, true);
    }
    return this.failed(
      `batch ${batch.fromSeq}..${batch.toSeq}: ${answer.status} ${problemReason(answer)}`.trim(),
      answer.status < 500,
    );
  }

  /** A 413: halve the bounds from the refused batch's and go again at once; a lone record waits loudly. */
  private tooLarge(batch: Omit<PreparedBatch, 'body'>, detail: string): StepResult {
    const bytes = batch.bytes;
    this.refusedBytes = Math.min(this.refusedBytes, bytes);
    // A size taken before is refused now: the cloud's limit was lowered, what it took says nothing.
    if (bytes <= this.acceptedBytes) this.acceptedBytes = 0;
    if (batch.count > 1) {
      const limits = {
        maxRecords: Math.max(1, Math.floor(batch.count / 2)),
        maxBytes: Math.max(1, Math.floor(bytes / 2)),
      };
      const log = this.shrunk ? 'debug' : 'warn';
      this.shrunk = limits;
      this.o.log[log](
        { fromSeq: batch.fromSeq, toSeq: batch.toSeq, bytes, ...limits },
        `cloud refused a batch of ${batch.count} records (${bytes} bytes) as too large: ` +
          `sending at most ${limits.maxRecords} records, ${limits.maxBytes} bytes (${detail})`,
      );
      return 'shrunk';
    }
    const known = this.oversized?.seq === batch.fromSeq;
    if (!known) this.oversizedChanges.next((this.oversized = { seq: batch.fromSeq, bytes, detail }));
    return this.failed(
      `record ${batch.fromSeq} alone is ${bytes} bytes, more than the cloud accepts (${detail}): ` +
        `nothing after it syncs until the cloud's body limit is raised; retrying`,
      !known,
    );
  }

  /** The next batch, gzipped: from the source (the replay worker) when there is one, else peeked here. */
  private async prepare(): Promise<PreparedBatch | undefined> {
    if (this.o.source)
      try {
        const batch = await this.o.source.next(this.limits());
        this.sourceFailing = false;
        return batch;
      } catch (err) {
        // The replay never stalls on its worker: this batch is peeked here (and the worker started again for the next).
        const message = (err as Error).message;
        if (!this.sourceFailing)
          this.o.log.warn({ err: message }, `sync: ${message}; reading on the main thread`);
        this.sourceFailing = true;
      }
    const started = this.workClock();
    const peeked = await peekBatch(this.o.outbox, this.limits());
    if (peeked === undefined) return undefined;
    const json = Buffer.from(batchJsonOf(this.o.site, peeked), 'utf8');
    this.spent(peeked.count, this.workClock() - started);
    const { count, fromSeq, toSeq, bytes } = peeked;
    return { count, fromSeq, toSeq, bytes, body: await gzipAsync(json) };
  }

  private acknowledged(mark: number): StepResult {
    if ((this.oversized && mark >= this.oversized.seq) || !this.acknowledgedOnce)
      this.oversizedChanges.next((this.oversized = null));
    this.acknowledgedOnce = true;
    if (this.shrunk) this.shrunk = this.grown(this.shrunk);
    this.stats.highWaterMark = mark;
    this.stats.lastError = null;
    this.stats.consecutiveFailures = 0;
    this.backoff.reset();
    return 'sent';
  }

  /** The bounds after an acknowledged batch; undefined once back at the configured ones. */
  private grown(b: PeekLimits): PeekLimits | undefined {
    const max = this.o.limits;
    const maxRecords = Math.min(max.maxRecords, Math.ceil(b.maxRecords * 1.5));
    const [took, refused] = [this.acceptedBytes, this.refusedBytes];
    let maxBytes: number;
    if (refused === Infinity) maxBytes = Math.ceil(b.maxBytes * 1.5);
    // Within 1/16 of each other: close enough, stay at the largest taken.
    else if ((refused - took) * 16 <= refused) maxBytes = took;
    else maxBytes = Math.max(b.maxBytes, Math.floor((took + refused) / 2));
    maxBytes = Math.max(1, Math.min(max.maxBytes, refused - 1, maxBytes));
    return maxRecords >= max.maxRecords && maxBytes >= max.maxBytes ? undefined : { maxRecords, maxBytes };
  }

  private failed(reason: string, loud = false): StepResult {
    this.stats.lastError = reason;
    this.stats.consecutiveFailures++;
    // The first failure of a run is worth a warning; the retries after it only at debug, or logs flood an outage.
    if (loud) this.o.log.error({ reason }, `batch refused: ${reason}`);
    else if (this.stats.consecutiveFailures === 1)
      this.o.log.warn({ reason }, `batch not delivered: ${reason}`);
    else this.o.log.debug({ reason, failures: this.stats.consecutiveFailures }, 'batch retry failed');
    return 'retry';
  }

  private async run(): Promise<void> {
    while (this.running) {
      let result: StepResult;
      try {
        result = await this.step();
      } catch (err) {
        this.o.log.error({ err }, `sync upload step failed: ${(err as Error).message}`);
        result = 'retry';
      }
      if (!this.running) break;
      if (result === 'sent' || result === 'shrunk') await (this.o.yieldTurn ?? nextTurn)();
      else if (result === 'idle') await this.waiter.wait(this.o.idlePollMs ?? 500);
      else await this.waiter.wait(this.backoff.next());
    }
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function highWaterMarkOf(answer: CloudAnswer): number | undefined {
  try {
    const parsed = JSON.parse(answer.body.toString('utf8')) as { highWaterMark?: unknown };
    const mark = parsed.highWaterMark;
    return typeof mark === 'number' && Number.isInteger(mark) && mark >= 0 ? mark : undefined;
  } catch {
    return undefined;
  }
}
