/**
 * The scan's telemetry on a real SQLite file: the migrations build the schema
 * (no synchronize), the file runs in WAL mode with synchronous=FULL, and one
 * scan's samples land in the outbox in one transaction.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions, MIGRATIONS } from '../database/data-source.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { HistoryService } from './history.service.js';

describe('HistoryService on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-history-'));
  let db: DataSource;
  let history: HistoryService;

  beforeAll(async () => {
    db = new DataSource(dataSourceOptions(join(dir, 'controller.sqlite')));
    await db.initialize();
    history = new HistoryService(
      new OutboxService(new SqliteJournal(db), { now: () => 0 }, { capBytes: 1024 ** 3 }),
    );
  });
  afterAll(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the schema through migrations and runs in WAL mode', async () => {
    const migrations = await db.query<Array<{ name: string }>>('SELECT name FROM migrations');
    // Every registered migration ran, in timestamp order.
    const expected = MIGRATIONS.map((m) => m.name).sort(
      (a, b) => Number(a.match(/\d+$/)?.[0]) - Number(b.match(/\d+$/)?.[0]),
    );
    expect(migrations.map((m) => m.name)).toEqual(expected);
    expect(expected).toContain('Init1764230400000');
    expect(await db.query('PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    // 2 = FULL: a committed outbox record survives a power loss, not only a crash of the process.
    expect(await db.query('PRAGMA synchronous')).toEqual([{ synchronous: 2 }]);
  });

  it('records a scan and returns the newest samples first', async () => {
    await history.record([
      { pointId: 'vav-1.zone-temp', ts: 1000, value: 21.5, quality: 'good' },
      { pointId: 'vav-1.zone-temp', ts: 2000, value: null, quality: 'comm-fail' },
      { pointId: 'vav-1.damper-cmd', ts: 2000, value: 30, quality: 'good' },
    ]);
    expect(await history.recent('vav-1.zone-temp', 10)).toEqual([
      { pointId: 'vav-1.zone-temp', ts: 2000, value: null, quality: 'comm-fail' },
      { pointId: 'vav-1.zone-temp', ts: 1000, value: 21.5, quality: 'good' },
    ]);
  });

  it('writes a large scan whole, beyond SQLite host-parameter limits', async () => {
    const rows = Array.from({ length: 12000 }, (_, i) => ({
      pointId: `big.p${i % 200}`,
      ts: 5000 + i,
      value: i,
      quality: 'good' as const,
    }));
    await history.record(rows);
    const [{ n }] = await db.query<Array<{ n: number }>>(
      `SELECT count(*) AS n FROM outbox WHERE kind = 'sample' AND point LIKE 'big.%'`,
    );
    expect(n).toBe(12000);
  });

  it('writes nothing of a scan that has a row it cannot store', async () => {
    const count = async () => (await db.query<Array<{ n: number }>>('SELECT count(*) AS n FROM outbox'))[0].n;
    const before = await count();
    const bad = [
      ...Array.from({ length: 600 }, (_, i) => ({
        pointId: `x.p${i}`,
        ts: 1,
        value: 1,
        quality: 'good' as const,
      })),
      { pointId: 'x.b', ts: 1, value: 10n as unknown as number, quality: 'good' as const },
    ];
    await expect(history.record(bad)).rejects.toThrow(/BigInt/);
    expect(await count()).toBe(before);
  });
});
