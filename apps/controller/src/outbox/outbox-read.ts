/**
 * Reading the outbox for the sync client: contiguous batches bounded by count
 * and bytes (outbox.port.ts says the contract), and the figures for stats.
 */
import type { OutboxKind, OutboxRecord } from '#libs/sync';
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import type { PeekedJson } from './outbox.port.js';

export interface OutboxRow {
  seq: number;
  through: number | null;
  kind: OutboxKind;
  at: number;
  point: string | null;
  body: string;
  bytes: number;
}

/**
 * The rows of the batch: the oldest after `afterSeq` (and with `seq` at most
 * `maxSeq`: a reader on another connection stays inside the range fenced for
 * it, OutboxService.reserve), stopping at a gap (which the invariants rule out).
 */
export function peekRows(
  conn: SqliteConnection,
  afterSeq: number,
  maxRecords: number,
  maxBytes: number,
  maxSeq = Number.MAX_SAFE_INTEGER,
): OutboxRow[] {
  if (!Number.isInteger(maxRecords) || maxRecords < 1)
    throw new RangeError(`peek: maxRecords must be a whole number ≥ 1, got ${maxRecords}`);
  if (!(maxBytes >= 1)) throw new RangeError(`peek: maxBytes must be ≥ 1, got ${maxBytes}`);
  const candidates = prepared(
    conn,
    `SELECT * FROM "outbox" WHERE "seq" > ? AND "seq" <= ? ORDER BY "seq" LIMIT ?`,
  ).all(afterSeq, maxSeq, maxRecords) as OutboxRow[];
  const out: OutboxRow[] = [];
  let bytes = 0;
  let next: number | undefined;
  for (const row of candidates) {
    if (next !== undefined && row.seq !== next) break;
    if (out.length > 0 && bytes + row.bytes > maxBytes) break;
    out.push(row);
    bytes += row.bytes;
    next = (row.through ?? row.seq) + 1;
  }
  return out;
}

export function toRecord(row: OutboxRow): OutboxRecord {
  const base = { seq: row.seq, at: new Date(row.at).toISOString(), body: JSON.parse(row.body) as never };
  if (row.kind === 'thinned') return { ...base, kind: 'thinned', through: row.through! };
  return { ...base, kind: row.kind };
}

/**
 * The wire form of one row (an OutboxRecord as JSON) without parsing its body:
 * the body column already holds the JSON that JSON.stringify wrote, so it is
 * spliced in as it is. Parsing 2000 bodies and stringifying them again cost
 * the event loop about 5 ms a batch during a replay.
 */
export function recordJson(row: OutboxRow): string {
  const through = row.kind === 'thinned' ? `,"through":${row.through!}` : '';
  return `{"seq":${row.seq},"at":"${new Date(row.at).toISOString()}","kind":"${row.kind}","body":${row.body}${through}}`;
}

/** The batch's rows in their wire form (outbox.port.ts PeekedJson); undefined when there are none. */
export function peekedJsonOf(rows: readonly OutboxRow[]): PeekedJson | undefined {
  if (!rows.length) return undefined;
  const last = rows[rows.length - 1];
  return {
    count: rows.length,
    fromSeq: rows[0].seq,
    toSeq: last.through ?? last.seq,
    recordsJson: `[${rows.map(recordJson).join(',')}]`,
    bytes: rows.reduce((n, r) => n + r.bytes, 0),
  };
}

export function oldestRow(conn: SqliteConnection): { seq: number; at: number } | undefined {
  return prepared(conn, `SELECT "seq", "at" FROM "outbox" ORDER BY "seq" LIMIT 1`).get() as
    { seq: number; at: number } | undefined;
}

/** The highest sequence number ever assigned (AUTOINCREMENT's counter survives trims and restarts). */
export function lastSeq(conn: SqliteConnection): number {
  const row = prepared(conn, `SELECT "seq" FROM "sqlite_sequence" WHERE "name" = 'outbox'`).get() as
    { seq: number } | undefined;
  return row?.seq ?? 0;
}
