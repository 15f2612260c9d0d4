/**
 * Thinning the oldest unsent telemetry near the outbox cap (issue 5 item 4,
 * DESIGN.md point 6), one time window per transaction.
 *
 * A level keeps the first sample (lowest seq) of each point in each bucket of
 * a window and deletes the others; events, alarms, audit entries, snapshots
 * and ledger records are never touched. Sequence numbers stay contiguous
 * without renumbering: survivors keep their seqs, and every maximal run of
 * removed rows (with any earlier `thinned` records adjacent to it) becomes one
 * `thinned` record with seq = the run's first seq and through = its last. Rows
 * at or below the fence (peeked by the sync client, in flight) are never
 * rewritten. Each point thinned in a window gets one loss-ledger entry with
 * its exact counts before and after.
 */
import type { LossBody } from '#libs/sync';
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { adjustMeta, appendRecords, recordBytes } from './outbox-append.js';

export interface ThinLevel {
  /** Keep one sample per point per bucket. */
  bucketMs: number;
  /** Thin this much time per transaction; a multiple of bucketMs, so no bucket straddles two windows. */
  windowMs: number;
  reason: string;
}

export const THIN_LEVELS: readonly ThinLevel[] = [
  { bucketMs: 60_000, windowMs: 5 * 60_000, reason: 'outbox-cap: keep 1 per minute' },
  { bucketMs: 15 * 60_000, windowMs: 60 * 60_000, reason: 'outbox-cap: keep 1 per 15 minutes' },
];

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

/** Start of the oldest window of this level with a sample above the fence at or after `fromAt`. */
export function nextWindow(
  conn: SqliteConnection,
  level: ThinLevel,
  fromAt: number,
  fence: number,
): number | undefined {
  const row = prepared(
    conn,
    `SELECT "at" FROM "outbox" WHERE "kind" = 'sample' AND "at" >= ? AND "seq" > ? ORDER BY "at" LIMIT 1`,
  ).get(fromAt, fence) as { at: number } | undefined;
  return row && Math.floor(row.at / level.windowMs) * level.windowMs;
}

interface SpanRow {
  seq: number;
  through: number | null;
  kind: string;
  at: number;
  body: string;
  bytes: number;
}

/** Thins one window at one level; returns the ledger entries (empty when it held nothing to thin). */
export function thinWindow(
  conn: SqliteConnection,
  level: ThinLevel,
  windowStart: number,
  fence: number,
): LedgerEntry[] {
  const windowEnd = windowStart + level.windowMs;
  const rows = prepared(
    conn,
    `SELECT "seq", "point", "at" FROM "outbox" WHERE "kind" = 'sample' AND "at" >= ? AND "at" < ? AND "seq" > ? ORDER BY "seq"`,
  ).all(windowStart, windowEnd, fence) as { seq: number; point: string; at: number }[];
  const kept = new Set<string>();
  const removed = new Set<number>();
  const perPoint = new Map<string, { before: number; after: number }>();
  for (const r of rows) {
    const counts = perPoint.get(r.point) ?? { before: 0, after: 0 };
    perPoint.set(r.point, counts);
    counts.before++;
    const bucket = `${r.point}\u0000${Math.floor(r.at / level.bucketMs)}`;
    if (kept.has(bucket)) removed.add(r.seq);
    else {
      kept.add(bucket);
      counts.after++;
    }
  }
  if (removed.size === 0) return [];
  rewriteRuns(conn, removed, fence);
  const entries: LedgerEntry[] = [];
  for (const [point, c] of perPoint)
    if (c.after < c.before)
      entries.push({
        point,
        from: windowStart,
        to: windowEnd,
        samplesBefore: c.before,
        samplesAfter: c.after,
        reason: level.reason,
      });
  return entries;
}

/** Deletes `removed` and replaces each maximal run of removed and earlier thinned rows by one `thinned` row. */
function rewriteRuns(conn: SqliteConnection, removed: ReadonlySet<number>, fence: number): void {
  const sorted = [...removed].sort((a, b) => a - b);
  const lo = sorted[0];
  const hi = sorted[sorted.length - 1];
  const span = prepared(
    conn,
    `SELECT "seq", "through", "kind", "at", "body", "bytes" FROM "outbox" WHERE "seq" BETWEEN ? AND ? ORDER BY "seq"`,
  ).all(lo, hi) as SpanRow[];
  const before = prepared(
    conn,
    `SELECT "seq", "through", "kind", "at", "body", "bytes" FROM "outbox" WHERE "seq" < ? ORDER BY "seq" DESC LIMIT 1`,
  ).get(lo) as SpanRow | undefined;
  const after = prepared(
    conn,
    `SELECT "seq", "through", "kind", "at", "body", "bytes" FROM "outbox" WHERE "seq" > ? ORDER BY "seq" LIMIT 1`,
  ).get(hi) as SpanRow | undefined;
  if (before?.kind === 'thinned' && before.seq > fence) span.unshift(before);
  if (after?.kind === 'thinned') span.push(after);

  const del = prepared(conn, `DELETE FROM "outbox" WHERE "seq" = ?`);
  const ins = prepared(
    conn,
    `INSERT INTO "outbox" ("seq", "through", "kind", "at", "point", "body", "bytes") VALUES (?, ?, 'thinned', ?, NULL, ?, ?)`,
  );
  let records = 0;
  let bytes = 0;
  let run: SpanRow[] = [];
  const close = (): void => {
    if (run.length === 0 || !run.some((r) => removed.has(r.seq))) {
      run = [];
      return;
    }
    const first = run[0];
    const last = run[run.length - 1];
    const rows = run.reduce(
      (n, r) => n + (r.kind === 'thinned' ? (JSON.parse(r.body) as { rows: number }).rows : 1),
      0,
    );
    for (const r of run) {
      del.run(r.seq);
      records--;
      bytes -= r.bytes;
    }
    const json = JSON.stringify({ rows });
    const b = recordBytes(json);
    ins.run(first.seq, last.through ?? last.seq, first.at, json, b);
    records++;
    bytes += b;
    run = [];
  };
  for (const r of span) {
    if (removed.has(r.seq) || r.kind === 'thinned') run.push(r);
    else close();
  }
  close();
  adjustMeta(conn, records, bytes);
}

/** Appends ledger entries as `loss` outbox records and keeps them in `loss_ledger`. */
export function writeLedger(conn: SqliteConnection, entries: readonly LedgerEntry[], now: number): void {
  if (entries.length === 0) return;
  const { seqs } = appendRecords(
    conn,
    entries.map((e) => ({ kind: 'loss' as const, at: now, body: lossBody(e) })),
  );
  const ins = prepared(
    conn,
    `INSERT INTO "loss_ledger" ("seq", "point", "from_at", "to_at", "samples_before", "samples_after", "reason", "recorded_at") VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  entries.forEach((e, i) =>
    ins.run(seqs[i], e.point, e.from, e.to, e.samplesBefore, e.samplesAfter, e.reason, now),
  );
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
