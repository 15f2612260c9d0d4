/**
 * Every configuration version goes to the outbox as a 'snapshot' record, in
 * the same SQLite transaction as the version itself (DESIGN.md points 6 and 8:
 * the cloud keeps a copy of every version). Installed as the
 * SqliteSnapshotStore's commit hook; the store works without it.
 *
 * A record carries the blobs the cloud does not have yet: those not sent with
 * an earlier record (`snapshot_blob.outboxed = 0`, migration 1764921600000).
 * That is every blob new in this transaction, plus blobs stored earlier
 * without a version (the site file's own configuration at boot) that this
 * version may share. They all travel with the transaction's first version, so
 * no version reaches the cloud before a blob it refers to.
 */
import type { SnapshotBody } from '#libs/sync';
import type { Version } from '#libs/snapshots';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { appendRecord } from '../outbox/outbox-append.js';

export function appendSnapshotRecords(conn: SqliteConnection, versions: readonly Version[]): void {
  const pending = conn
    .prepare(`SELECT "hash", "json" FROM "snapshot_blob" WHERE "outboxed" = 0 ORDER BY "hash"`)
    .all() as Array<{ hash: string; json: string }>;
  let blobs: Record<string, unknown> = Object.fromEntries(pending.map((b) => [b.hash, JSON.parse(b.json)]));
  for (const version of versions) {
    const body: SnapshotBody = { version: { ...version }, blobs };
    appendRecord(conn, { kind: 'snapshot', at: Date.parse(version.createdAt), body });
    blobs = {};
  }
  if (pending.length > 0)
    conn.prepare(`UPDATE "snapshot_blob" SET "outboxed" = 1 WHERE "outboxed" = 0`).run();
}
