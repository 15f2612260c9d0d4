/**
 * Thinning the oldest unsent telemetry near the outbox cap (issue 5 item 4,
 * DESIGN.md point 6), one range of one level per pass.
 *
 * A level keeps the first sample (lowest seq) of each point in each bucket of
 * a window and deletes the others; events, alarms, audit entries, snapshots
 * and ledger records are never touched. Sequence numbers stay contiguous
 * without renumbering: survivors keep their seqs, and every maximal run of
 * removed rows (with any earlier `thinned` records adjacent to it) becomes one
 * `thinned` record with seq = the run's first seq and through = its last. Rows
 * at or below the fence (peeked by the sync client, in flight) are never
 * rewritten. Each point thinned in a range gets one loss-ledger entry with
 * its exact counts before and after.
 */
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { adjustMeta, recordBytes } from './outbox-append.js';
import { OpenLedger } from './outbox-ledger.js';
import type { PlannedEntry } from './outbox-ledger.js';
import { lastSeq } from './outbox-read.js';

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

/**
 * How far a thinning pass may reach: 'windows' takes only whole windows that
 * have ended (the usual case, one ledger entry per point per window); 'now'
 * also takes the ended buckets of the window still filling and, last, the
 * bucket still filling itself (a short outage against a small cap). A bucket
 * still filling may be thinned again as samples keep arriving in it: its
 * first sample per point is kept each time, so a later pass removes only the
 * newcomers, and it extends the point's open ledger entry for that window
 * (outbox-ledger.ts) rather than adding one per pass.
 */
export type Reach = 'windows' | 'now';

/** A range of one level to thin: [from, to), bucket-aligned; the level's cursor may move to `settled`. */
export interface ThinRange {
  from: number;
  to: number;
  /** Everything of the level before this instant is done with (`to`, except for a bucket still filling). */
  settled: number;
}

/** The oldest range of this level, at or after `cursor`, holding a sample above the fence; undefined when none is due. */
export function nextRange(
  conn: SqliteConnection,
  level: ThinLevel,
  cursor: number,
  fence: number,
  now: number,
  reach: Reach,
): ThinRange | undefined {
  const row = prepared(
    conn,
    `SELECT "at" FROM "outbox" WHERE "kind" = 'sample' AND "at" >= ? AND "seq" > ? ORDER BY "at" LIMIT 1`,
  ).get(cursor, fence) as { at: number } | undefined;
  if (!row) return undefined;
  const windowStart = Math.floor(row.at / level.windowMs) * level.windowMs;
  const windowEnd = windowStart + level.windowMs;
  // The cursor is bucket-aligned (a range's `settled`), and so is a window start: `from` always is.
  const from = Math.max(cursor, windowStart);
  if (windowEnd <= now) return { from, to: windowEnd, settled: windowEnd };
  if (reach === 'windows') return undefined;
  const filling = Math.floor(now / level.bucketMs) * level.bucketMs;
  // Ended buckets first, then the filling one on its own, so only the filling bucket's ledger intervals repeat.
  if (from < filling) return { from, to: filling, settled: filling };
  const to = filling + level.bucketMs;
  // A sample stamped ahead of this clock waits until its bucket is reached.
  return from < to ? { from, to, settled: from } : undefined;
}

/** How many ranges with nothing to thin one step may look through before it yields. */
const RANGES_PER_STEP = 64;
/** Whole ended windows at every level first; the recent minutes only when those are used up. */
const REACHES: readonly Reach[] = ['windows', 'now'];

/** Where thinning stands: a cursor per level and the ledger entries still open. */
export class Thinner {
  /** Per level: everything before this instant is thinned at that level (or was not worth it). */
  private cursors: number[];
  private readonly ledger = new OpenLedger();

  constructor(private readonly levels: readonly ThinLevel[]) {
    this.cursors = levels.map(() => -Infinity);
  }

  /**
   * One range thinned and ledgered (true), or a bounded look through ranges
   * with nothing to thin (true: come back for more), or nothing left to thin
   * at any level and reach (false). Never touches rows at or below `fence`.
   */
  step(conn: SqliteConnection, fence: number, now: number): boolean {
    for (const reach of REACHES)
      for (const [i, level] of this.levels.entries())
        for (let looked = 1; ; looked++) {
          const range = nextRange(conn, level, this.cursors[i], fence, now, reach);
          if (range === undefined) break;
          this.cursors[i] = Math.max(this.cursors[i], range.settled);
          if (thinRange(conn, level, range, fence, this.ledger, now)) return true;
          // The bucket still filling was the last range of this level: the same one would come next.
          if (range.settled < range.to) break;
          if (looked >= RANGES_PER_STEP) return true;
        }
    return false;
  }

  /** The state to put back when the transaction the next steps write in rolls back. */
  snapshot(): { cursors: number[]; open: ReturnType<OpenLedger['snapshot']> } {
    return { cursors: [...this.cursors], open: this.ledger.snapshot() };
  }

  restore(state: ReturnType<Thinner['snapshot']>): void {
    this.cursors = [...state.cursors];
    this.ledger.restore(state.open);
  }

  /** An empty outbox starts afresh: the next outage's windows may lie before old cursors (a clock set back). */
  reset(): void {
    this.cursors.fill(-Infinity);
    this.ledger.clear();
  }
}

interface SpanRow {
  seq: number;
  through: number | null;
  kind: string;
  at: number;
  body: string;
  bytes: number;
}

/**
 * Thins [from, to) at one level and ledgers it in the caller's transaction
 * (a new entry per point, or the point's open entry extended: outbox-ledger.ts);
 * false when the range held nothing worth thinning. A point whose removed
 * samples take fewer bytes than ledgering them is left alone in this pass, and
 * so is a pass whose `thinned` records and ledger together would take as many
 * bytes as it frees: thinning that brings the outbox no nearer its cap would
 * only lose data (a point polled once a minute, say).
 */
export function thinRange(
  conn: SqliteConnection,
  level: ThinLevel,
  range: { from: number; to: number },
  fence: number,
  ledger: OpenLedger,
  now: number,
): boolean {
  const { from, to } = range;
  const rows = prepared(
    conn,
    `SELECT "seq", "point", "at", "bytes" FROM "outbox" WHERE "kind" = 'sample' AND "at" >= ? AND "at" < ? AND "seq" > ? ORDER BY "seq"`,
  ).all(from, to, fence) as { seq: number; point: string; at: number; bytes: number }[];
  const kept = new Set<string>();
  const perPoint = new Map<
    string,
    { seen: { seq: number; at: number }[]; removed: number[]; bytes: number }
  >();
  for (const r of rows) {
    let p = perPoint.get(r.point);
    if (!p) perPoint.set(r.point, (p = { seen: [], removed: [], bytes: 0 }));
    p.seen.push(r);
    const bucket = `${r.point}\u0000${Math.floor(r.at / level.bucketMs)}`;
    if (kept.has(bucket)) {
      p.removed.push(r.seq);
      p.bytes += r.bytes;
    } else kept.add(bucket);
  }
  const planned: PlannedEntry[] = [];
  const removed = new Set<number>();
  let ledgerBytes = 0;
  for (const [point, p] of perPoint) {
    if (p.removed.length === 0) continue;
    const plan = ledger.plan(
      conn,
      {
        point,
        from,
        to,
        reason: level.reason,
        windowMs: level.windowMs,
        seen: p.seen,
        removed: p.removed.length,
      },
      fence,
    );
    if (p.bytes <= plan.bytes) continue;
    planned.push(plan);
    ledgerBytes += plan.bytes;
    for (const seq of p.removed) removed.add(seq);
  }
  if (removed.size === 0) return false;
  const runs = planRuns(conn, removed, fence);
  if (-runs.bytes <= ledgerBytes) return false;
  const seenThrough = lastSeq(conn);
  applyRuns(conn, runs);
  ledger.write(conn, planned, now, seenThrough);
  return true;
}

interface RunPlan {
  /** Each run: the rows it replaces by one `thinned` record, and that record's body. */
  runs: Array<{ rows: SpanRow[]; json: string; bytes: number }>;
  /** Change in the outbox's records and accounted bytes once applied. */
  records: number;
  bytes: number;
}

/** Each maximal run of `removed` and earlier thinned rows, to be replaced by one `thinned` row; nothing written. */
function planRuns(conn: SqliteConnection, removed: ReadonlySet<number>, fence: number): RunPlan {
  let lo = Infinity;
  let hi = -Infinity;
  // A loop, not Math.min(...removed): a spread of some 100 000 arguments overflows the stack.
  for (const seq of removed) {
    if (seq < lo) lo = seq;
    if (seq > hi) hi = seq;
  }
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

  const plan: RunPlan = { runs: [], records: 0, bytes: 0 };
  let run: SpanRow[] = [];
  const close = (): void => {
    if (run.length > 0 && run.some((r) => removed.has(r.seq))) {
      const rows = run.reduce(
        (n, r) => n + (r.kind === 'thinned' ? (JSON.parse(r.body) as { rows: number }).rows : 1),
        0,
      );
      const json = JSON.stringify({ rows });
      const bytes = recordBytes(json);
      plan.runs.push({ rows: run, json, bytes });
      plan.records += 1 - run.length;
      plan.bytes += bytes - run.reduce((n, r) => n + r.bytes, 0);
    }
    run = [];
  };
  for (const r of span) {
    if (removed.has(r.seq) || r.kind === 'thinned') run.push(r);
    else close();
  }
  close();
  return plan;
}

function applyRuns(conn: SqliteConnection, plan: RunPlan): void {
  const del = prepared(conn, `DELETE FROM "outbox" WHERE "seq" = ?`);
  const ins = prepared(
    conn,
    `INSERT INTO "outbox" ("seq", "through", "kind", "at", "point", "body", "bytes") VALUES (?, ?, 'thinned', ?, NULL, ?, ?)`,
  );
  for (const { rows, json, bytes } of plan.runs) {
    for (const r of rows) del.run(r.seq);
    const first = rows[0];
    const last = rows[rows.length - 1];
    ins.run(first.seq, last.through ?? last.seq, first.at, json, bytes);
  }
  adjustMeta(conn, plan.records, plan.bytes);
}
