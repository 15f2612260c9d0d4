/**
 * Appending to the outbox inside a caller's SqliteJournal transaction: the
 * event store, the alarm store and the OutboxService all write through these,
 * so a state change and the outbox record of it commit or fail together
 * (DESIGN.md point 6). `outbox_meta` is kept in step in the same transaction.
 */
import type { OutboxKind } from '#libs/sync';
import { prepared } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';

/**
 * Accounted per row on top of its JSON body: the envelope's seq, at and kind
 * on the wire, and the row's keys and index entry on disk. An estimate, but
 * the same one everywhere, so the cap and the batch bounds agree.
 */
export const ROW_OVERHEAD_BYTES = 64;

export interface NewOutboxRecord {
  kind: Exclude<OutboxKind, 'thinned'>;
  /** Epoch ms. */
  at: number;
  body: unknown;
  /** Samples only: the point key, for thinning. */
  point?: string;
}

export function recordBytes(bodyJson: string): number {
  return Buffer.byteLength(bodyJson) + ROW_OVERHEAD_BYTES;
}

/** A record with its body serialised once, for both the cap check and the INSERT. */
export interface SerialisedRecord {
  kind: NewOutboxRecord['kind'];
  at: number;
  point: string | null;
  json: string;
  bytes: number;
}

export function serialiseRecords(records: readonly NewOutboxRecord[]): {
  rows: SerialisedRecord[];
  bytes: number;
} {
  let bytes = 0;
  const rows = records.map((r) => {
    const json = JSON.stringify(r.body);
    const b = recordBytes(json);
    bytes += b;
    return { kind: r.kind, at: r.at, point: r.point ?? null, json, bytes: b };
  });
  return { rows, bytes };
}

/** Appends records in order with new sequence numbers; returns them and the bytes added. */
export function appendRecords(
  conn: SqliteConnection,
  records: readonly NewOutboxRecord[],
): { seqs: number[]; bytes: number } {
  return appendSerialised(conn, serialiseRecords(records));
}

export function appendSerialised(
  conn: SqliteConnection,
  { rows, bytes }: { rows: readonly SerialisedRecord[]; bytes: number },
): { seqs: number[]; bytes: number } {
  const insert = prepared(
    conn,
    `INSERT INTO "outbox" ("kind", "at", "point", "body", "bytes") VALUES (?, ?, ?, ?, ?)`,
  );
  const seqs = rows.map((r) => Number(insert.run(r.kind, r.at, r.point, r.json, r.bytes).lastInsertRowid));
  if (rows.length > 0)
    prepared(
      conn,
      `UPDATE "outbox_meta" SET "records" = "records" + ?, "bytes" = "bytes" + ?, "appended" = "appended" + ? WHERE "id" = 1`,
    ).run(rows.length, bytes, bytes);
  return { seqs, bytes };
}

export function appendRecord(conn: SqliteConnection, record: NewOutboxRecord): number {
  return appendRecords(conn, [record]).seqs[0];
}

export function adjustMeta(conn: SqliteConnection, records: number, bytes: number): void {
  if (records === 0 && bytes === 0) return;
  prepared(
    conn,
    `UPDATE "outbox_meta" SET "records" = "records" + ?, "bytes" = "bytes" + ? WHERE "id" = 1`,
  ).run(records, bytes);
}

export interface OutboxMeta {
  records: number;
  bytes: number;
  /** Bytes ever appended (never decreases). */
  appended: number;
}

export function readMeta(conn: SqliteConnection): OutboxMeta {
  return prepared(
    conn,
    `SELECT "records", "bytes", "appended" FROM "outbox_meta" WHERE "id" = 1`,
  ).get() as OutboxMeta;
}
