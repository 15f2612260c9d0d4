/**
 * Opening a real controller SQLite file for the outbox tests, with the number
 * of SQLite transactions counted at the connection (not at the journal), so a
 * group-commit test counts what the disk sees.
 */
import { DataSource } from 'typeorm';
import type { OutboxRecord } from '#libs/sync';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import type { SqliteConnection } from '../events/sqlite-journal.js';
import { OutboxService } from './outbox.service.js';
import type { OutboxOptions } from './outbox.service.js';

export interface Opened {
  db: DataSource;
  journal: SqliteJournal;
  outbox: OutboxService;
  /** SQLite transactions begun on the connection since open. */
  transactions(): number;
}

export async function openOutbox(
  file: string,
  clock: { now(): number },
  options: OutboxOptions,
): Promise<Opened> {
  const db = new DataSource(dataSourceOptions(file));
  await db.initialize();
  const conn = (db.driver as unknown as { databaseConnection: SqliteConnection }).databaseConnection;
  let count = 0;
  const original = conn.transaction.bind(conn);
  conn.transaction = <T>(fn: () => T) => {
    const tx = original(fn);
    return () => {
      count++;
      return tx();
    };
  };
  const journal = new SqliteJournal(db);
  return { db, journal, outbox: new OutboxService(journal, clock, options), transactions: () => count };
}

/** Every record of the outbox, oldest first, read in batches as the sync client would. */
export function drain(outbox: OutboxService): OutboxRecord[] {
  const all: OutboxRecord[] = [];
  for (;;) {
    const last = all[all.length - 1];
    const batch = outbox.peek({
      maxRecords: 10_000,
      maxBytes: 64 * 1024 * 1024,
      afterSeq: last ? endOf(last) : 0,
    });
    if (!batch.length) return all;
    all.push(...batch);
  }
}

/** The same, read through peekJson (the bodies spliced, not parsed), in batches of `maxRecords`. */
export function drainJson(outbox: OutboxService, maxRecords = 7): OutboxRecord[] {
  const all: OutboxRecord[] = [];
  for (;;) {
    const last = all[all.length - 1];
    const batch = outbox.peekJson({
      maxRecords,
      maxBytes: 64 * 1024 * 1024,
      afterSeq: last ? endOf(last) : 0,
    });
    if (!batch) return all;
    const records = JSON.parse(batch.recordsJson) as OutboxRecord[];
    if (
      records.length !== batch.count ||
      records[0].seq !== batch.fromSeq ||
      endOf(records.at(-1)!) !== batch.toSeq
    )
      throw new Error(
        `peekJson: count/fromSeq/toSeq ${batch.count}/${batch.fromSeq}/${batch.toSeq} disagree with its records`,
      );
    all.push(...records);
  }
}

export const endOf = (r: OutboxRecord): number => (r.kind === 'thinned' ? r.through : r.seq);

/** The sequence numbers of the records follow each other without gaps. */
export function gaps(records: readonly OutboxRecord[]): string[] {
  const out: string[] = [];
  for (let i = 1; i < records.length; i++)
    if (records[i].seq !== endOf(records[i - 1]) + 1)
      out.push(`${endOf(records[i - 1])} -> ${records[i].seq}`);
  return out;
}
