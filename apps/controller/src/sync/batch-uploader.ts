/**
 * The upload half of the sync client (issue 5 items 4–5, DESIGN.md points 6–7):
 * peek the oldest batch, gzip it, POST it signed to /api/v1/sync/batches, and
 * confirm only what the cloud acknowledged after its commit. At most one batch
 * is in flight, so the cloud sees the sequence in order.
 *
 * - 200 {highWaterMark}: confirm it; the next batch follows after one turn of
 *   the event loop (setImmediate), so a backlog drains as fast as the cloud
 *   takes it while scans and fieldbus I/O keep their turns.
 * - 409 (sequence gap or reversal) with the cloud's highWaterMark: when the
 *   cloud already has this batch's start, confirm its mark and go on from
 *   there; when the cloud is behind what this outbox still holds, something
 *   lost acknowledged data: log it loudly and retry with backoff, never skip.
 * - no answer, 5xx, or any other refusal: nothing is confirmed; retry the same
 *   records after a backoff with full jitter (backoff.ts).
 */
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Logger } from 'pino';
import type { Timers } from '../commands/timers.js';
import { Backoff } from './backoff.js';
import { CloudTransportError } from './cloud-transport.js';
import type { CloudAnswer } from './cloud-transport.js';
import { problemReason } from './signed-client.js';
import type { SignedCloudClient } from './signed-client.js';
import { batchJsonOf, peekBatch } from './sync-outbox.js';
import type { PeekLimits, SyncOutbox } from './sync-outbox.js';
import { Waiter } from './waiter.js';

const gzipAsync = promisify(gzip);

export const BATCHES_PATH = '/api/v1/sync/batches';

export type StepResult = 'sent' | 'idle' | 'retry';

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
}

export class BatchUploader {
  readonly backoff: Backoff;
  private readonly waiter: Waiter;
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly stats: UploaderStats = {
    batches: 0,
    records: 0,
    highWaterMark: null,
    lastError: null,
    consecutiveFailures: 0,
  };

  private maxRecords: number;
  private readonly workClock: () => number;

  constructor(private readonly o: UploaderOptions) {
    this.backoff = o.backoff ?? new Backoff();
    this.waiter = new Waiter(o.timers);
    this.maxRecords = o.limits.maxRecords;
    this.workClock = o.workClock ?? (() => performance.now());
  }

  /** The limits of the next batch (maxRecords adapted to the work budget). */
  limits(): PeekLimits {
    return { ...this.o.limits, maxRecords: this.maxRecords };
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
    return { ...this.stats };
  }

  /** One batch: peek, send, confirm. Public for tests, which step without timers. */
  async step(): Promise<StepResult> {
    const started = this.workClock();
    const batch = await peekBatch(this.o.outbox, this.limits());
    if (batch === undefined) return 'idle';
    const json = Buffer.from(batchJsonOf(this.o.site, batch), 'utf8');
    this.spent(batch.count, this.workClock() - started);
    const body = await gzipAsync(json);
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
    const mark = highWaterMarkOf(answer);
    if (answer.status === 200 && mark !== undefined) {
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

  private acknowledged(mark: number): StepResult {
    this.stats.highWaterMark = mark;
    this.stats.lastError = null;
    this.stats.consecutiveFailures = 0;
    this.backoff.reset();
    return 'sent';
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
      if (result === 'sent') await (this.o.yieldTurn ?? nextTurn)();
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
