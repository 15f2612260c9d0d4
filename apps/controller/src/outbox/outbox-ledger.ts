/**
 * The loss ledger (issue 5 item 4): every thinning and every refusal of
 * telemetry, per point and interval, with the samples before and after. Each
 * entry is a `loss` record of the outbox (mirrored to the cloud) and a row of
 * `loss_ledger` (the controller's own copy), written in the transaction that
 * lost the samples.
 *
 * Open entries: a level thins one point's time in several passes when the
 * outbox is short of room during the window still filling (a minute thinned,
 * then the next one, then the minute still filling again as samples keep
 * arriving in it). One entry per pass would cost more bytes than the samples
 * it accounts for, and fill a small cap with ledger alone; so a pass extends
 * the point's entry of the same level and window instead, for as long as that
 * entry's record is still in the outbox and above the sync client's fence
 * (never sent, nor in flight: the cloud only ever sees its final counts).
 * The counts stay exact: `samplesBefore` counts every sample of the point the
 * entry's passes saw in its interval (a sample is new to the entry when it
 * lies outside the interval it had or arrived after its last pass), and
 * `samplesBefore − samplesAfter` is every sample they removed. Open entries
 * live in memory only: after a restart the next pass starts a new entry.
 */
import type { LossBody } from '#libs/sync';
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { adjustMeta, appendRecords, recordBytes } from './outbox-append.js';

export interface LedgerEntry {
  point: string;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  samplesBefore: number;
  samplesAfter: number;
  reason: string;
}

/** A row of `loss_ledger` as GET /api/v1/outbox/ledger answers it: the wire's loss body with its id and seq. */
export interface LedgerRowDto extends LossBody {
  id: number;
  seq: number;
  recordedAt: string;
}

/** The loss ledger, oldest first, after the entry id `after`. */
export function readLedger(conn: SqliteConnection, after: number, limit: number): LedgerRowDto[] {
  const rows = prepared(conn, `SELECT * FROM "loss_ledger" WHERE "id" > ? ORDER BY "id" LIMIT ?`).all(
    after,
    limit,
  ) as Array<{
    id: number;
    seq: number;
    point: string;
    from_at: number;
    to_at: number;
    samples_before: number;
    samples_after: number;
    reason: string;
    recorded_at: number;
  }>;
  return rows.map((r) => ({
    id: r.id,
    seq: r.seq,
    ...lossBody({
      point: r.point,
      from: r.from_at,
      to: r.to_at,
      samplesBefore: r.samples_before,
      samplesAfter: r.samples_after,
      reason: r.reason,
    }),
    recordedAt: new Date(r.recorded_at).toISOString(),
  }));
}

/** Appends ledger entries as `loss` outbox records and keeps them in `loss_ledger`; answers their ids and seqs. */
export function writeLedger(
  conn: SqliteConnection,
  entries: readonly LedgerEntry[],
  now: number,
): Array<{ id: number; seq: number }> {
  if (entries.length === 0) return [];
  const { seqs } = appendRecords(
    conn,
    entries.map((e) => ({ kind: 'loss' as const, at: now, body: lossBody(e) })),
  );
  const ins = prepared(
    conn,
    `INSERT INTO "loss_ledger" ("seq", "point", "from_at", "to_at", "samples_before", "samples_after", "reason", "recorded_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return entries.map((e, i) => ({
    id: Number(
      ins.run(seqs[i], e.point, e.from, e.to, e.samplesBefore, e.samplesAfter, e.reason, now).lastInsertRowid,
    ),
    seq: seqs[i],
  }));
}

export function lossBody(e: LedgerEntry): LossBody {
  return {
    point: e.point,
    from: new Date(e.from).toISOString(),
    to: new Date(e.to).toISOString(),
    samplesBefore: e.samplesBefore,
    samplesAfter: e.samplesAfter,
    reason: e.reason,
  };
}

const lossBytes = (e: LedgerEntry): number => recordBytes(JSON.stringify(lossBody(e)));

/** One point's part of one thinning pass over [from, to) at one level. */
export interface PointPass {
  point: string;
  from: number;
  to: number;
  reason: string;
  /** The level's window: an open entry never grows past the window it started in. */
  windowMs: number;
  /** The point's samples the pass saw (above the fence), and how many of them it removed. */
  seen: ReadonlyArray<{ seq: number; at: number }>;
  removed: number;
}

/** How a pass would be ledgered for one point, and what that adds to the outbox's accounted bytes. */
export interface PlannedEntry {
  entry: LedgerEntry;
  bytes: number;
  /** The open entry it extends (absent: a new entry). */
  extends?: OpenEntry;
}

interface OpenEntry {
  readonly id: number;
  readonly seq: number;
  readonly entry: LedgerEntry;
  /** The highest outbox seq when the entry was last written: samples above it are new to it. */
  readonly seenThrough: number;
}

export class OpenLedger {
  private open = new Map<string, OpenEntry>();

  /** A copy to put back if the transaction writing after it rolls back. */
  snapshot(): Map<string, OpenEntry> {
    return new Map(this.open);
  }

  restore(snapshot: Map<string, OpenEntry>): void {
    this.open = snapshot;
  }

  clear(): void {
    this.open.clear();
  }

  plan(conn: SqliteConnection, pass: PointPass, fence: number): PlannedEntry {
    const key = `${pass.reason}\u0000${pass.point}`;
    const o = this.open.get(key);
    if (o && this.extendable(conn, o, pass, fence)) {
      const was = o.entry;
      const fresh = pass.seen.filter((r) => r.at >= was.to || r.seq > o.seenThrough).length;
      const before = was.samplesBefore + fresh;
      const entry: LedgerEntry = {
        ...was,
        to: Math.max(was.to, pass.to),
        samplesBefore: before,
        samplesAfter: before - (was.samplesBefore - was.samplesAfter) - pass.removed,
      };
      return { entry, bytes: lossBytes(entry) - lossBytes(was), extends: o };
    }
    const entry: LedgerEntry = {
      point: pass.point,
      from: pass.from,
      to: pass.to,
      samplesBefore: pass.seen.length,
      samplesAfter: pass.seen.length - pass.removed,
      reason: pass.reason,
    };
    return { entry, bytes: lossBytes(entry) };
  }

  /** Writes the planned entries of one pass, in the transaction that removed their samples. */
  write(conn: SqliteConnection, planned: readonly PlannedEntry[], now: number, seenThrough: number): void {
    const fresh = planned.filter((p) => !p.extends);
    const written = writeLedger(
      conn,
      fresh.map((p) => p.entry),
      now,
    );
    fresh.forEach((p, i) => this.remember({ ...written[i], entry: p.entry, seenThrough }));
    const body = prepared(conn, `UPDATE "outbox" SET "body" = ?, "bytes" = ? WHERE "seq" = ?`);
    const row = prepared(
      conn,
      `UPDATE "loss_ledger" SET "to_at" = ?, "samples_before" = ?, "samples_after" = ?, "recorded_at" = ? WHERE "id" = ?`,
    );
    let bytes = 0;
    for (const p of planned) {
      const o = p.extends;
      if (!o) continue;
      const e = p.entry;
      body.run(JSON.stringify(lossBody(e)), lossBytes(e), o.seq);
      row.run(e.to, e.samplesBefore, e.samplesAfter, now, o.id);
      bytes += p.bytes;
      this.remember({ id: o.id, seq: o.seq, entry: e, seenThrough });
    }
    adjustMeta(conn, 0, bytes);
  }

  private remember(o: OpenEntry): void {
    this.open.set(`${o.entry.reason}\u0000${o.entry.point}`, o);
  }

  /** Same window, touching or overlapping, and its record still unsent and not in flight. */
  private extendable(conn: SqliteConnection, o: OpenEntry, pass: PointPass, fence: number): boolean {
    const e = o.entry;
    const window = Math.floor(e.from / pass.windowMs);
    if (pass.from < e.from || pass.from > e.to) return false;
    if (Math.floor((Math.max(e.to, pass.to) - 1) / pass.windowMs) !== window) return false;
    if (o.seq <= fence) return false;
    return (
      prepared(conn, `SELECT 1 FROM "outbox" WHERE "seq" = ? AND "kind" = 'loss'`).get(o.seq) !== undefined
    );
  }
}
