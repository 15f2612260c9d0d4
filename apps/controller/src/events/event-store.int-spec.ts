/**
 * The event log on a real SQLite file: append order is the sequence, filters
 * and paging by sequence, sequence numbers never reused, and a recorded event
 * is committed on its own even while other code holds a TypeORM transaction
 * open on the shared connection (and is not lost when that one rolls back).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteEventStore } from './event-store.js';
import { SqliteJournal } from './sqlite-journal.js';

const T0 = Date.parse('2025-06-02T08:00:00Z');

describe('SqliteEventStore', () => {
  let dir: string;
  let db: DataSource;
  let store: SqliteEventStore;
  let now = T0;

  const open = async (): Promise<void> => {
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    store = new SqliteEventStore(new SqliteJournal(db), { now: () => now });
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-events-'));
    now = T0;
    await open();
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const seed = async (): Promise<void> => {
    const rows = [
      { type: 'command', source: 'operator', subject: 'a.p', message: 'c1', data: { value: 1 } },
      { type: 'relinquish', source: 'operator', subject: 'a.p', message: 'r1' },
      { type: 'command', source: 'schedule', subject: 'b.p', message: 'c2' },
      { type: 'mode-change', source: 'link', message: 'm1' },
      { type: 'expiry', source: 'operator', subject: 'a.p', message: 'e1' },
    ] as const;
    for (const r of rows) {
      await store.record(r);
      now += 60_000;
    }
  };

  it('assigns sequence numbers in append order and answers newest first by default', async () => {
    await seed();
    const all = store.list({ limit: 100 });
    expect(all.map((e) => e.message)).toEqual(['e1', 'm1', 'c2', 'r1', 'c1']);
    expect(all.map((e) => e.seq)).toEqual([5, 4, 3, 2, 1]);
    expect(all[4]).toEqual({
      seq: 1,
      at: '2025-06-02T08:00:00.000Z',
      type: 'command',
      source: 'operator',
      subject: 'a.p',
      message: 'c1',
      data: { value: 1 },
    });
    expect(all[1]).toMatchObject({ subject: null, data: null });
  });

  it('filters by type, subject, source and time, and pages forward with after and back with before', async () => {
    await seed();
    const msgs = (q: Parameters<SqliteEventStore['list']>[0]) => store.list(q).map((e) => e.message);
    expect(msgs({ types: ['command'], limit: 100 })).toEqual(['c2', 'c1']);
    expect(msgs({ types: ['command', 'expiry'], subject: 'a.p', limit: 100 })).toEqual(['e1', 'c1']);
    expect(msgs({ source: 'link', limit: 100 })).toEqual(['m1']);
    // since inclusive, until exclusive
    expect(msgs({ since: T0 + 60_000, until: T0 + 180_000, limit: 100 })).toEqual(['c2', 'r1']);
    expect(msgs({ since: T0 + 60_001, until: T0 + 180_001, limit: 100 })).toEqual(['m1', 'c2']);
    // Forward paging: oldest first from the cursor, no gaps, no repeats.
    const page1 = store.list({ after: 0, limit: 2 });
    const page2 = store.list({ after: page1[1].seq, limit: 2 });
    const page3 = store.list({ after: page2[1].seq, limit: 2 });
    expect([...page1, ...page2, ...page3].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(store.list({ after: 5, limit: 2 })).toEqual([]);
    expect(msgs({ before: 4, limit: 2 })).toEqual(['c2', 'r1']);
  });

  it('survives a reopen and never reuses a sequence number, even after the newest rows are deleted', async () => {
    await seed();
    await db.destroy();
    await open();
    expect(store.list({ limit: 1 })[0].seq).toBe(5);
    await db.query(`DELETE FROM "event" WHERE "seq" >= 4`);
    await store.record({ type: 'alarm', source: 'x', message: 'after trim' });
    expect(store.list({ limit: 1 })[0]).toMatchObject({ seq: 6, message: 'after trim' });
  });

  it('commits an event on its own, never inside another open TypeORM transaction', async () => {
    const runner = db.createQueryRunner();
    await runner.startTransaction();
    await runner.query(
      `INSERT INTO "point_sample" ("point_id", "ts", "value", "quality") VALUES ('a.p', 1, 1, 'good')`,
    );
    let recorded = false;
    const pending = store.record({ type: 'command', source: 'operator', message: 'waits' }).then(() => {
      recorded = true;
    });
    await new Promise((r) => setTimeout(r, 30));
    expect(recorded).toBe(false); // it waits for the open transaction instead of joining it
    await runner.rollbackTransaction();
    await pending;
    expect(store.list({ limit: 10 }).map((e) => e.message)).toEqual(['waits']);
    expect(await db.query(`SELECT COUNT(*) AS n FROM "point_sample"`)).toEqual([{ n: 0 }]);
  });
});
