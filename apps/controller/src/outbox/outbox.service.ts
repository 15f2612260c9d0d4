/**
 * The controller's durable outbox (issue 5 item 4, DESIGN.md point 6): the
 * sync client's OUTBOX port (outbox.port.ts) over the `outbox` table, the
 * telemetry path from the scan, and the cap policy.
 *
 * Group commit: samples handed over in one turn of the event loop (every
 * device whose read finished in it) are committed in ONE journal transaction,
 * not one per sample or per device. Events, alarms and snapshots are appended
 * by their own stores inside their own transactions (outbox-append.ts).
 *
 * The cap (`capBytes`, accounted bytes of the rows): above `thinAbove` the
 * oldest unsent telemetry is thinned in the background, one range per
 * transaction, down to `thinTo` (outbox-thinning.ts: 1 per minute first, then
 * 1 per 15 minutes; whole windows that have ended first, then, only when
 * those are used up, the recent minutes and the minute still filling, oldest
 * first); `nearCap$` turns true at `alarmAbove` and false again below
 * `alarmClearBelow` once the cloud has taken data (hysteresis, so a trim at
 * the boundary does not flap the alarm; thinning never clears it). A tick that does not fit is appended and thinned in its own
 * transaction, its own samples included, as far as needed; only when even
 * that cannot bring the outbox under the cap is the tick undone and refused
 * (counted and ledgered), never events. appendSamples resolves either way,
 * so the scan is never blocked nor failed by a full outbox. Refusals are
 * gathered per point in memory and ledgered when telemetry is accepted
 * again, after 15 minutes, or at shutdown: a crash while refusing loses that
 * tally (the refused samples themselves were never durable).
 */
import type { OnApplicationShutdown } from '@nestjs/common';
import { BehaviorSubject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { OutboxRecord, SampleBody } from '#libs/sync';
import type { Clock } from '../common/clock.js';
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection, SqliteJournal } from '../events/sqlite-journal.js';
import { adjustMeta, appendSerialised, readMeta, serialiseRecords } from './outbox-append.js';
import { lastSeq, oldestRow, peekedJsonOf, peekRows, toRecord } from './outbox-read.js';
import type { OutboxRow } from './outbox-read.js';
import { readLedger, writeLedger } from './outbox-ledger.js';
import type { LedgerEntry, LedgerRowDto } from './outbox-ledger.js';
import { THIN_LEVELS, Thinner } from './outbox-thinning.js';
import type { ThinLevel } from './outbox-thinning.js';
import type { OutboxPort, OutboxStats, PeekedJson, PeekOptions, ReservedRange } from './outbox.port.js';

export const DEFAULT_OUTBOX_CAP_BYTES = 1024 ** 3;
export const REFUSED_REASON = 'outbox-cap: refused, outbox full';
const REFUSAL_LEDGER_MS = 15 * 60_000;
/** Thrown inside the savepoint of a tick that even thinning cannot make room for, to undo it. */
class NoRoom extends Error {}

export interface OutboxOptions {
  capBytes: number;
  thinAbove?: number;
  thinTo?: number;
  alarmAbove?: number;
  alarmClearBelow?: number;
  rateWindowMs?: number;
  levels?: readonly ThinLevel[];
}

export interface OutboxSample extends SampleBody {
  /** Epoch ms: when it was read. */
  at: number;
}

export type { LedgerRowDto } from './outbox-ledger.js';

interface Log {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

interface Pending {
  samples: OutboxSample[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class OutboxService implements OutboxPort, OnApplicationShutdown {
  readonly capBytes: number;
  private readonly o: Required<OutboxOptions>;
  private pending?: Pending;
  private maintaining?: Promise<void>;
  /** Highest seq handed to the sync client by peek or reserve and still in flight: never thinned under it. */
  private fence = 0;
  private readonly thinner: Thinner;
  private readonly refusals = new Map<string, { from: number; to: number; count: number }>();
  private refusedTotal = 0;
  private readonly rate: Array<{ t: number; appended: number }> = [];
  private readonly near: BehaviorSubject<boolean>;
  /** True from `alarmAbove` of the cap until below `alarmClearBelow`. */
  readonly nearCap$: Observable<boolean>;

  constructor(
    private readonly journal: SqliteJournal,
    private readonly clock: Clock,
    options: OutboxOptions,
    private readonly log?: Log,
  ) {
    if (!Number.isInteger(options.capBytes) || options.capBytes < 1)
      throw new RangeError(`outbox.capBytes must be a whole number of bytes ≥ 1, got ${options.capBytes}`);
    this.o = {
      thinAbove: 0.9,
      thinTo: 0.85,
      alarmAbove: 0.8,
      alarmClearBelow: 0.75,
      rateWindowMs: 60_000,
      levels: THIN_LEVELS,
      ...options,
    };
    this.capBytes = options.capBytes;
    this.thinner = new Thinner(this.o.levels);
    this.near = new BehaviorSubject(this.usedBytes() >= this.o.alarmAbove * this.capBytes);
    this.nearCap$ = this.near.asObservable();
  }

  /** Appends one scan tick's samples; resolves once committed (or refused for want of room). */
  appendSamples(samples: readonly OutboxSample[]): Promise<void> {
    if (samples.length === 0) return Promise.resolve();
    if (!this.pending) {
      let resolve!: () => void;
      let reject!: (err: unknown) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const p: Pending = { samples: [], promise, resolve, reject };
      this.pending = p;
      // Every read that finished in this turn of the event loop joins the same transaction.
      setImmediate(() => this.flush(p));
    }
    // A loop, not push(...samples): a spread of some 100 000 arguments overflows the stack.
    for (const s of samples) this.pending.samples.push(s);
    return this.pending.promise;
  }

  peek(opts: PeekOptions): OutboxRecord[] {
    return this.peekFenced(opts).map(toRecord);
  }

  peekJson(opts: PeekOptions): PeekedJson | undefined {
    return peekedJsonOf(this.peekFenced(opts));
  }

  reserve(span: number): ReservedRange | undefined {
    if (!Number.isInteger(span) || span < 1)
      throw new RangeError(`reserve: span must be a whole number ≥ 1, got ${span}`);
    const oldest = this.journal.read(oldestRow);
    if (!oldest) return undefined;
    const range = { afterSeq: oldest.seq - 1, throughSeq: oldest.seq - 1 + span };
    this.fence = Math.max(this.fence, range.throughSeq);
    return range;
  }

  private peekFenced(opts: PeekOptions): OutboxRow[] {
    const rows = this.journal.read((conn) =>
      peekRows(conn, opts.afterSeq ?? 0, opts.maxRecords, opts.maxBytes),
    );
    if (rows.length) {
      const last = rows[rows.length - 1];
      this.fence = Math.max(this.fence, last.through ?? last.seq);
    }
    return rows;
  }

  release(): void {
    this.fence = 0; // everything at or below the confirmed mark is trimmed already
  }

  async confirm(highWaterMark: number): Promise<void> {
    if (!Number.isInteger(highWaterMark) || highWaterMark < 0)
      throw new RangeError(`confirm: the high-water mark must be a whole number ≥ 0, got ${highWaterMark}`);
    const left = await this.journal.write((conn) => {
      const gone = prepared(
        conn,
        `SELECT count(*) AS n, coalesce(sum("bytes"), 0) AS b FROM "outbox" WHERE "seq" <= ? AND coalesce("through", "seq") <= ?`,
      ).get(highWaterMark, highWaterMark) as { n: number; b: number };
      prepared(conn, `DELETE FROM "outbox" WHERE "seq" <= ? AND coalesce("through", "seq") <= ?`).run(
        highWaterMark,
        highWaterMark,
      );
      adjustMeta(conn, -gone.n, -gone.b);
      return readMeta(conn).records;
    });
    if (left === 0) this.thinner.reset();
    this.afterChange(true);
  }

  stats(): OutboxStats {
    const { meta, oldest, last } = this.journal.read((conn) => ({
      meta: readMeta(conn),
      oldest: oldestRow(conn),
      last: lastSeq(conn),
    }));
    const rate = this.ratePerSecond(meta.appended);
    const room = Math.max(0, this.capBytes - meta.bytes);
    return {
      backlog: meta.records,
      backlogBytes: meta.bytes,
      oldestUnsent: oldest ? { seq: oldest.seq, at: new Date(oldest.at).toISOString() } : null,
      confirmedSeq: oldest ? oldest.seq - 1 : last,
      lastSeq: last,
      capBytes: this.capBytes,
      usedBytes: meta.bytes,
      ratePerSecond: rate,
      runwaySeconds: room === 0 ? 0 : rate > 0 ? room / rate : null,
      refusedSamples: this.refusedTotal,
    };
  }

  /** A point's samples still in the outbox, newest first. */
  recentSamples(point: string, limit: number): OutboxSample[] {
    const rows = this.journal.read((conn) =>
      prepared(
        conn,
        `SELECT "at", "body" FROM "outbox" WHERE "kind" = 'sample' AND "point" = ? ORDER BY "at" DESC, "seq" DESC LIMIT ?`,
      ).all(point, limit),
    ) as Array<{ at: number; body: string }>;
    return rows.map((r) => ({ ...(JSON.parse(r.body) as SampleBody), at: r.at }));
  }

  /** The loss ledger, oldest first, after the entry id `after`. */
  ledger(after: number, limit: number): LedgerRowDto[] {
    return this.journal.read((conn) => readLedger(conn, after, limit));
  }

  /** Resolves when the pending tick is committed and background thinning has stopped (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending || this.maintaining) {
      await this.pending?.promise.catch(() => undefined);
      await this.maintaining;
    }
  }

  /** Commits what is pending and ledgers the refusals gathered so far. */
  async flushAll(): Promise<void> {
    await this.idle();
    if (this.refusals.size) await this.journal.write((conn) => this.ledgerRefusals(conn));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.flushAll().catch((err: unknown) =>
      this.log?.error({ err: (err as Error).message }, 'outbox: flush at shutdown failed'),
    );
  }

  private flush(p: Pending): void {
    this.journal
      .write((conn) => {
        if (this.pending === p) this.pending = undefined;
        return this.commitSamples(conn, p.samples);
      })
      .then(
        () => {
          p.resolve();
          this.afterChange();
        },
        (err: unknown) => p.reject(err),
      );
  }

  private commitSamples(conn: SqliteConnection, samples: readonly OutboxSample[]): void {
    const records = samples.map((s) => ({
      kind: 'sample' as const,
      at: s.at,
      point: s.point,
      body: { point: s.point, value: s.value, quality: s.quality },
    }));
    const serialised = serialiseRecords(records);
    if (readMeta(conn).bytes + serialised.bytes <= this.capBytes) appendSerialised(conn, serialised);
    else if (!this.appendThinning(conn, serialised)) {
      this.refuse(conn, samples);
      return;
    }
    if (this.refusals.size) this.ledgerRefusals(conn);
  }

  /**
   * A tick that does not fit: appended, then thinned oldest first, this tick
   * included, until the outbox is under the cap, all in a savepoint of the
   * tick's transaction. When even the last level everywhere cannot make room
   * the savepoint is rolled back (tick, thinning and cursors) and false
   * answered: the tick is refused. Appending before thinning means every
   * thinning pass sees the samples that arrived up to its instant, the same
   * as a background pass does, so the ledger reads the same either way.
   */
  private appendThinning(conn: SqliteConnection, serialised: ReturnType<typeof serialiseRecords>): boolean {
    const state = this.thinner.snapshot();
    const now = this.clock.now();
    try {
      conn.transaction(() => {
        appendSerialised(conn, serialised);
        while (readMeta(conn).bytes > this.capBytes)
          if (!this.thinner.step(conn, this.fence, now)) throw new NoRoom();
      })();
    } catch (err) {
      if (!(err instanceof NoRoom)) throw err;
      this.thinner.restore(state);
      return false;
    }
    return true;
  }

  private refuse(conn: SqliteConnection, samples: readonly OutboxSample[]): void {
    if (this.refusedTotal === 0 || this.refusals.size === 0)
      this.log?.warn({ capBytes: this.capBytes }, 'outbox full even after thinning: refusing telemetry');
    this.refusedTotal += samples.length;
    for (const s of samples) {
      const r = this.refusals.get(s.point);
      if (!r) this.refusals.set(s.point, { from: s.at, to: s.at + 1, count: 1 });
      else {
        r.from = Math.min(r.from, s.at);
        r.to = Math.max(r.to, s.at + 1);
        r.count++;
      }
    }
    // A loop, not Math.min(...spread): a tick of some 100 000 points would overflow the stack.
    let oldest = Infinity;
    for (const r of this.refusals.values()) if (r.from < oldest) oldest = r.from;
    if (this.clock.now() - oldest >= REFUSAL_LEDGER_MS) this.ledgerRefusals(conn);
  }

  private ledgerRefusals(conn: SqliteConnection): void {
    const entries: LedgerEntry[] = [...this.refusals].map(([point, r]) => ({
      point,
      from: r.from,
      to: r.to,
      samplesBefore: r.count,
      samplesAfter: 0,
      reason: REFUSED_REASON,
    }));
    writeLedger(conn, entries, this.clock.now());
    this.refusals.clear();
  }

  /** After every commit: the rate window, the near-cap state, and thinning when above its threshold. */
  private afterChange(confirmed = false): void {
    const { bytes, appended } = this.journal.read(readMeta);
    this.ratePerSecond(appended);
    this.updateNear(bytes, confirmed);
    if (bytes > this.o.thinAbove * this.capBytes && !this.maintaining)
      this.maintaining = this.maintain()
        .catch((err: unknown) => this.log?.error({ err: (err as Error).message }, 'outbox: thinning failed'))
        .finally(() => {
          this.maintaining = undefined;
        });
  }

  /** Thins window after window, one transaction each, yielding between, until under `thinTo` or nothing is left. */
  private async maintain(): Promise<void> {
    for (;;) {
      if (this.usedBytes() <= this.o.thinTo * this.capBytes) break;
      const progressed = await this.journal.write((conn) =>
        this.thinner.step(conn, this.fence, this.clock.now()),
      );
      if (!progressed) break;
      await new Promise<void>((r) => setImmediate(r));
    }
    this.updateNear(this.usedBytes(), false);
  }

  /**
   * Raised at `alarmAbove`; cleared below `alarmClearBelow` only by what the cloud took (a confirm), never by
   * thinning: one thinned window can drop the outbox far below the mark and it refills within seconds, so an
   * alarm cleared by thinning would flap all through an outage (seen on the demo at a 256 KiB cap).
   */
  private updateNear(bytes: number, confirmed: boolean): void {
    if (!this.near.value && bytes >= this.o.alarmAbove * this.capBytes) this.near.next(true);
    else if (confirmed && this.near.value && bytes < this.o.alarmClearBelow * this.capBytes)
      this.near.next(false);
  }

  private usedBytes(): number {
    return this.journal.read(readMeta).bytes;
  }

  /** Bytes per second appended over the sliding window, from the `appended` counter's slope. */
  private ratePerSecond(appendedNow: number): number {
    const now = this.clock.now();
    const last = this.rate[this.rate.length - 1];
    if (!last || now - last.t >= 1000) this.rate.push({ t: now, appended: appendedNow });
    while (this.rate.length > 2 && this.rate[1].t <= now - this.o.rateWindowMs) this.rate.shift();
    const first = this.rate[0];
    const dt = now - first.t;
    return dt >= 1000 ? ((appendedNow - first.appended) * 1000) / dt : 0;
  }
}
