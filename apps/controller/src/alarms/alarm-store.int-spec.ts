/**
 * Alarm occurrences on a real SQLite file: each raise, clear and
 * acknowledgement is one transaction with the event recording it, in order;
 * one uncleared occurrence per condition; acknowledgement once; state filters;
 * everything survives a reopen.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../database/data-source.js';
import { SqliteEventStore } from '../events/event-store.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { AlarmAlreadyAcknowledgedError, UnknownAlarmError } from './alarm-errors.js';
import { ALARM_STATE_FILTERS, matchesState } from './alarm-state.js';
import { AlarmStore } from './alarm-store.js';
import type { AlarmCondition } from './alarm-store.js';

const T0 = Date.parse('2025-06-02T08:00:00Z');
const commFail = (subject: string): AlarmCondition => ({
  kind: 'comm-fail',
  subject,
  severity: 'major',
  message: `device ${subject} does not answer`,
});

describe('AlarmStore', () => {
  let dir: string;
  let db: DataSource;
  let alarms: AlarmStore;
  let events: SqliteEventStore;

  const open = async (): Promise<void> => {
    db = new DataSource(dataSourceOptions(join(dir, 'c.sqlite')));
    await db.initialize();
    const journal = new SqliteJournal(db);
    alarms = new AlarmStore(journal);
    events = new SqliteEventStore(journal, { now: () => T0 });
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-alarms-'));
    await open();
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records raise, acknowledge and clear as events in the order they happened, each with its alarm change', async () => {
    const raised = await alarms.raise(commFail('vav-1'), 'scanner', T0);
    expect(raised).toMatchObject({ id: 1, state: 'active', raisedAt: '2025-06-02T08:00:00.000Z' });
    const acked = await alarms.acknowledge(1, 'Dana', 'breaker tripped', T0 + 1000);
    expect(acked).toMatchObject({
      state: 'acknowledged',
      acknowledgedBy: 'Dana',
      acknowledgementComment: 'breaker tripped',
    });
    const cleared = await alarms.clear('comm-fail', 'vav-1', 'scanner', T0 + 2000, 'answers again');
    expect(cleared).toMatchObject({ state: 'closed', clearedAt: '2025-06-02T08:00:02.000Z' });
    const log = events.list({ after: 0, limit: 10 });
    expect(log.map((e) => [e.type, e.source, e.subject, e.data?.action, e.data?.state, e.at])).toEqual([
      ['alarm', 'scanner', 'vav-1', 'raised', 'active', '2025-06-02T08:00:00.000Z'],
      ['alarm', 'Dana', 'vav-1', 'acknowledged', 'acknowledged', '2025-06-02T08:00:01.000Z'],
      ['alarm', 'scanner', 'vav-1', 'cleared', 'closed', '2025-06-02T08:00:02.000Z'],
    ]);
    expect(log[1].data).toMatchObject({ alarmId: 1, comment: 'breaker tripped' });
    expect(log[2].message).toBe('alarm cleared: comm-fail vav-1: answers again');
  });

  it('keeps one uncleared occurrence per condition; a condition that returns after clearing is a new occurrence', async () => {
    expect(await alarms.raise(commFail('vav-1'), 'scanner', T0)).not.toBeNull();
    expect(await alarms.raise(commFail('vav-1'), 'scanner', T0 + 1)).toBeNull();
    expect(await alarms.raise(commFail('vav-2'), 'scanner', T0 + 2)).toMatchObject({ id: 2 });
    expect(await alarms.clear('comm-fail', 'vav-1', 'scanner', T0 + 3)).toMatchObject({
      id: 1,
      state: 'cleared',
    });
    expect(await alarms.clear('comm-fail', 'vav-1', 'scanner', T0 + 4)).toBeNull();
    expect(await alarms.clear('limit-high', 'vav-1', 'limits', T0 + 4)).toBeNull();
    expect(await alarms.raise(commFail('vav-1'), 'scanner', T0 + 5)).toMatchObject({
      id: 3,
      state: 'active',
    });
    expect(alarms.uncleared('comm-fail').map((a) => a.id)).toEqual([2, 3]);
    expect(events.list({ types: ['alarm'], limit: 100 })).toHaveLength(4); // the refused ones recorded nothing
  });

  it('acknowledges once: a second acknowledgement and an unknown id are refused and change nothing', async () => {
    await alarms.raise(commFail('vav-1'), 'scanner', T0);
    await alarms.clear('comm-fail', 'vav-1', 'scanner', T0 + 1);
    expect((await alarms.acknowledge(1, 'Sam', 'seen', T0 + 2)).state).toBe('closed');
    await expect(alarms.acknowledge(1, 'Dana', 'again', T0 + 3)).rejects.toThrow(
      AlarmAlreadyAcknowledgedError,
    );
    await expect(alarms.acknowledge(1, 'Dana', 'again', T0 + 3)).rejects.toThrow(
      'alarm 1 was already acknowledged by Sam at 2025-06-02T08:00:00.002Z',
    );
    await expect(alarms.acknowledge(99, 'Dana', 'x', T0 + 3)).rejects.toThrow(UnknownAlarmError);
    expect(alarms.get(1)).toMatchObject({ acknowledgedBy: 'Sam', acknowledgementComment: 'seen' });
    expect(events.list({ types: ['alarm'], limit: 100 })).toHaveLength(3);
  });

  it('lists by state newest first, each filter matching the state model, and survives a reopen', async () => {
    // One occurrence in each state: 1 active, 2 acknowledged, 3 cleared (unacknowledged), 4 closed.
    for (const s of ['a', 'b', 'c', 'd']) await alarms.raise(commFail(s), 'scanner', T0);
    await alarms.acknowledge(2, 'Dana', 'x', T0 + 1);
    await alarms.clear('comm-fail', 'c', 'scanner', T0 + 1);
    await alarms.acknowledge(4, 'Dana', 'x', T0 + 1);
    await alarms.clear('comm-fail', 'd', 'scanner', T0 + 2);
    await db.destroy();
    await open();
    const all = alarms.list({ state: 'all', limit: 100 });
    expect(all.map((a) => [a.id, a.state])).toEqual([
      [4, 'closed'],
      [3, 'cleared'],
      [2, 'acknowledged'],
      [1, 'active'],
    ]);
    for (const filter of ALARM_STATE_FILTERS)
      expect({ filter, ids: alarms.list({ state: filter, limit: 100 }).map((a) => a.id) }).toEqual({
        filter,
        ids: all.filter((a) => matchesState(a.state, filter)).map((a) => a.id),
      });
    expect(alarms.list({ state: 'all', subject: 'b', limit: 100 }).map((a) => a.id)).toEqual([2]);
    expect(alarms.list({ state: 'all', limit: 2 }).map((a) => a.id)).toEqual([4, 3]);
  });
});
