/**
 * The outbox on a real SQLite file: group commit (one SQLite transaction per
 * scan tick, counted at the connection), sequence numbers never reused after
 * a trim and a restart, contiguous peeks bounded by count and bytes, confirm
 * trimming only up to the high-water mark, events and alarms appended in the
 * same transaction as their own rows, and nothing half-written when a
 * transaction fails or the process closes mid-tick.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AlarmStore } from '../alarms/alarm-store.js';
import { SqliteEventStore } from '../events/event-store.js';
import { readMeta } from './outbox-append.js';
import type { OutboxSample } from './outbox.service.js';
import { drain, drainJson, endOf, gaps, openOutbox } from './test-support.js';
import type { Opened } from './test-support.js';

const T0 = Date.parse('2025-06-02T08:00:00Z');
const CAP = 1024 ** 3;

const tick = (at: number, points: number, device = 'd'): OutboxSample[] =>
  Array.from({ length: points }, (_, i) => ({
    point: `${device}.p${i}`,
    at,
    value: i,
    quality: 'good' as const,
  }));

describe('OutboxService on SQLite', () => {
  let dir: string;
  let o: Opened;
  let now = T0;
  const clock = { now: () => now };
  const open = async () => (o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes: CAP }));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-outbox-'));
    now = T0;
    await open();
  });
  afterEach(async () => {
    if (o.db.isInitialized) await o.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the samples of one tick in one transaction, whatever the number of devices and samples', async () => {
    const before = o.transactions();
    // Three devices whose reads finished in the same turn of the event loop: one group commit.
    await Promise.all([
      o.outbox.appendSamples(tick(T0, 400, 'a')),
      o.outbox.appendSamples(tick(T0, 300, 'b')),
      o.outbox.appendSamples(tick(T0, 1, 'c')),
    ]);
    expect(o.transactions() - before).toBe(1);
    // The next tick is its own transaction.
    await o.outbox.appendSamples(tick(T0 + 1000, 50, 'a'));
    expect(o.transactions() - before).toBe(2);
    const records = drain(o.outbox);
    expect(records).toHaveLength(751);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 751 }, (_, i) => i + 1));
    expect(records[0]).toEqual({
      seq: 1,
      at: '2025-06-02T08:00:00.000Z',
      kind: 'sample',
      body: { point: 'a.p0', value: 0, quality: 'good' },
    });
  });

  it('never reuses a sequence number, after a trim of everything and a restart', async () => {
    await o.outbox.appendSamples(tick(T0, 10));
    await o.outbox.confirm(10);
    expect(o.outbox.stats()).toMatchObject({ backlog: 0, backlogBytes: 0, oldestUnsent: null, lastSeq: 10 });
    await o.db.destroy();
    await open();
    expect(o.outbox.stats()).toMatchObject({ lastSeq: 10, confirmedSeq: 10 });
    await o.outbox.appendSamples(tick(T0 + 1000, 2));
    expect(drain(o.outbox).map((r) => r.seq)).toEqual([11, 12]);
  });

  it('peeks contiguous batches bounded by count and by bytes, and at least one record', async () => {
    await o.outbox.appendSamples(tick(T0, 100));
    expect(o.outbox.peek({ maxRecords: 7, maxBytes: 1e9 }).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(o.outbox.peek({ maxRecords: 7, maxBytes: 1e9, afterSeq: 95 }).map((r) => r.seq)).toEqual([
      96, 97, 98, 99, 100,
    ]);
    const rowBytes = (
      o.journal.read((c) => c.prepare('SELECT bytes FROM outbox WHERE seq = 1').get()) as {
        bytes: number;
      }
    ).bytes;
    // Bytes bound: three rows fit, the fourth would not.
    expect(o.outbox.peek({ maxRecords: 100, maxBytes: rowBytes * 3 + rowBytes - 1 })).toHaveLength(3);
    // A single record larger than maxBytes still goes, alone (else the outbox would stall on it).
    expect(o.outbox.peek({ maxRecords: 100, maxBytes: 1 })).toHaveLength(1);
    expect(o.outbox.peek({ maxRecords: 100, maxBytes: 1e9, afterSeq: 100 })).toEqual([]);
    expect(() => o.outbox.peek({ maxRecords: 0, maxBytes: 1 })).toThrow(/maxRecords/);
  });

  it('confirm trims only records at or below the high-water mark', async () => {
    await o.outbox.appendSamples(tick(T0, 20));
    const total = o.outbox.stats().backlogBytes;
    await o.outbox.confirm(12);
    const after = drain(o.outbox);
    expect(after.map((r) => r.seq)).toEqual([13, 14, 15, 16, 17, 18, 19, 20]);
    expect(o.outbox.stats()).toMatchObject({ backlog: 8, confirmedSeq: 12, oldestUnsent: { seq: 13 } });
    expect(o.outbox.stats().backlogBytes).toBeLessThan(total);
    // A lower mark changes nothing; a mark past the end trims what exists and no more.
    await o.outbox.confirm(5);
    expect(drain(o.outbox)).toHaveLength(8);
    await expect(o.outbox.confirm(-1)).rejects.toThrow(/high-water mark/);
    // The running totals match the rows.
    const actual = o.journal.read(
      (c) => c.prepare('SELECT count(*) AS records, sum(bytes) AS bytes FROM outbox').get() as object,
    );
    expect(actual).toEqual({ records: 8, bytes: o.journal.read(readMeta).bytes });
  });

  it('appends events and alarm changes in the same transaction as their own rows', async () => {
    const events = new SqliteEventStore(o.journal, clock);
    const alarms = new AlarmStore(o.journal);
    await o.outbox.appendSamples(tick(T0, 2));
    await events.record({
      type: 'command',
      source: 'operator',
      subject: 'd.p0',
      message: 'set 21',
      data: { v: 21 },
    });
    const alarm = await alarms.raise(
      { kind: 'comm-fail', subject: 'd', severity: 'major', message: 'd does not answer' },
      'scanner',
      T0 + 5,
    );
    const kinds = drain(o.outbox).map((r) => [r.seq, r.kind]);
    expect(kinds).toEqual([
      [1, 'sample'],
      [2, 'sample'],
      [3, 'event'],
      [4, 'alarm'],
      [5, 'event'],
    ]);
    const records = drain(o.outbox);
    expect(records[2].body).toEqual({
      type: 'command',
      source: 'operator',
      subject: 'd.p0',
      message: 'set 21',
      data: { v: 21 },
    });
    expect(records[3].body).toMatchObject({ id: alarm!.id, kind: 'comm-fail', state: 'active' });
    expect(drainJson(o.outbox, 2)).toEqual(records);
    // A failing alarm transition writes neither its row, its event nor its outbox records.
    await expect(alarms.acknowledge(999, 'ann', 'x', T0 + 6)).rejects.toThrow();
    expect(drain(o.outbox)).toHaveLength(5);
  });

  it('loses no committed record and half-writes none when a transaction fails or the file closes mid-tick', async () => {
    await o.outbox.appendSamples(tick(T0, 30));
    // A group commit that fails after its inserts: rolled back whole.
    await expect(
      o.journal.write((conn) => {
        conn
          .prepare(`INSERT INTO outbox (kind, at, point, body, bytes) VALUES ('sample', 1, 'x', '{}', 66)`)
          .run();
        throw new Error('disk said no');
      }),
    ).rejects.toThrow('disk said no');
    // A tick handed over but not yet committed when the file closes (a crash before its COMMIT).
    const lost = o.outbox.appendSamples(tick(T0 + 1000, 30));
    await o.db.destroy();
    await expect(lost).rejects.toThrow();
    await open();
    const records = drain(o.outbox);
    expect(records.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(gaps(records)).toEqual([]);
    expect(o.outbox.stats()).toMatchObject({ backlog: 30 });
    await o.outbox.appendSamples(tick(T0 + 2000, 1));
    // AUTOINCREMENT did not keep the rolled-back seq: the next one follows without a gap.
    expect(endOf(drain(o.outbox).at(-1)!)).toBe(31);
  });

  it('reports the append rate over the last minute and the runway to the cap', async () => {
    const small = await openOutbox(join(dir, 'r.sqlite'), clock, { capBytes: 1_000_000 });
    try {
      expect(small.outbox.stats()).toMatchObject({ ratePerSecond: 0, runwaySeconds: null });
      for (let s = 0; s <= 30; s++) {
        now = T0 + s * 1000;
        await small.outbox.appendSamples(tick(now, 10));
      }
      const st = small.outbox.stats();
      // Observed first at T0 with nothing appended; 31 ticks appended over the 30 s since.
      expect(st.ratePerSecond).toBeCloseTo(st.usedBytes / 30, 6);
      expect(st.runwaySeconds).toBeCloseTo((1_000_000 - st.usedBytes) / st.ratePerSecond, 3);
    } finally {
      await small.db.destroy();
    }
  });
});
