/**
 * The interlock engine's state on a real SQLite file built by the migrations:
 * a running delay-on timer saved by one process is still running in the next
 * (reopened file), and a newer save replaces the older one.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { RuleEngine } from '#libs/rules';
import type { Interlock } from '#libs/rules';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteInterlockStateStore } from './interlock-state.store.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-interlocks-'));
const file = join(dir, 'controller.sqlite');
const open: DataSource[] = [];

async function openStore(): Promise<SqliteInterlockStateStore> {
  const db = new DataSource(dataSourceOptions(file));
  await db.initialize();
  open.push(db);
  return new SqliteInterlockStateStore(db);
}

afterAll(async () => {
  for (const db of open) if (db.isInitialized) await db.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const RULE: Interlock = {
  id: 'no-airflow',
  when: { point: 'ahu.fan', equals: 0, forSeconds: 60 },
  then: [{ point: 'boiler.enable', value: 0, priority: 2 }],
};
const fanOff = (now: number) => ({
  now,
  points: new Map([['ahu.fan', { value: 0, quality: 'good' as const }]]),
});

describe('SqliteInterlockStateStore', () => {
  it('has nothing before the first save', async () => {
    expect(await (await openStore()).load()).toBeUndefined();
  });

  it('keeps a running delay across closing and reopening the file', async () => {
    const engine = new RuleEngine([RULE]);
    engine.evaluate(fanOff(1_000_000));
    engine.evaluate(fanOff(1_040_000));
    const store = await openStore();
    await store.save(engine.toJSON(), 1_040_000);
    await open.pop()!.destroy();

    const restored = RuleEngine.fromJSON([RULE], await (await openStore()).load());
    expect(restored.evaluate(fanOff(1_059_000)).commands).toEqual([]);
    expect(restored.evaluate(fanOff(1_060_000)).commands).toEqual([
      { point: 'boiler.enable', priority: 2, value: 0, ruleId: 'no-airflow' },
    ]);
  });

  it('a newer save replaces the older one', async () => {
    const store = await openStore();
    const engine = new RuleEngine([RULE]);
    await store.save(engine.toJSON(), 1);
    engine.evaluate(fanOff(5000));
    await store.save(engine.toJSON(), 2);
    expect(await store.load()).toEqual(JSON.parse(JSON.stringify(engine.toJSON())));
  });
});
