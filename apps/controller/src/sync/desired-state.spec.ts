/**
 * Desired state applied through the real CommandService (fake devices, fake
 * time): cloud commands at slot 10 with leases renewed while the cloud still
 * wants them, relinquished when it no longer does, re-commanded after a lease
 * ran out; an operator override at 8 outranks the cloud and the report says so;
 * schedules arrive as one configuration edit.
 */
import { describe, expect, it } from '@jest/globals';
import { BehaviorSubject } from 'rxjs';
import type { LinkState } from '#libs/link';
import type { DesiredState } from '#libs/sync';
import { commandHarness } from '../commands/test-harness.js';
import { DesiredStateApplier } from './desired-state.js';
import type { ConfigurationEditor } from './desired-state.js';
import { silentLog } from './sync-test-support.js';

const LEASE = 60_000;

function harness() {
  const link = new BehaviorSubject<LinkState>('CONNECTED');
  const h = commandHarness({ link: { state$: link } });
  const edits: {
    author: string;
    message: string;
    draft: { schedules: Record<string, unknown>; calendars: Record<string, unknown> };
  }[] = [];
  const config: { schedules: Record<string, unknown>; calendars: Record<string, unknown> } = {
    schedules: { old: { kind: 'local' } },
    calendars: {},
  };
  const editor: ConfigurationEditor = {
    edit: (author, message, fn) => {
      const draft = structuredClone(config);
      fn(draft);
      edits.push({ author, message, draft });
      return Promise.resolve({ status: 'committed' });
    },
  };
  const applier = new DesiredStateApplier(h.service, editor, ['vav.damper', 'drive.speed'], silentLog);
  return { ...h, applier, edits, link };
}

const desired = (
  version: number,
  commands: DesiredState['commands'],
  configuration?: DesiredState['configuration'],
): DesiredState => ({
  version,
  commands,
  ...(configuration ? { configuration } : {}),
});

describe('DesiredStateApplier', () => {
  it('commands slot 10 with the lease and keeps it while renewed; without renewal it would have ended', async () => {
    const h = harness();
    await h.applier.apply(desired(1, [{ point: 'drive.speed', value: 55, leaseId: 'L1', leaseMs: LEASE }]));
    let array = await h.service.priorityArray('drive.speed');
    expect(array.effective).toEqual({ value: 55, priority: 10, source: 'cloud' });
    expect(h.modbus.calls.at(-1)).toMatchObject({ op: 'write', point: 'speed', value: 55 });
    for (let i = 0; i < 6; i++) {
      await h.time.advance(LEASE / 3);
      await h.applier.renew();
    }
    array = await h.service.priorityArray('drive.speed');
    expect(array.effective).toEqual({ value: 55, priority: 10, source: 'cloud' });
    expect(array.slots[0]).toMatchObject({
      priority: 10,
      expiresAt: new Date(h.time.now() + LEASE).toISOString(),
    });
    // No renewals (the link is not CONNECTED: the poller stops calling renew): the lease ends on its own.
    await h.time.advance(LEASE);
    expect((await h.service.priorityArray('drive.speed')).effective).toEqual({
      value: 70,
      priority: null,
      source: 'relinquish-default',
    });
    expect(h.events.events.filter((e) => e.type === 'expiry').map((e) => e.subject)).toEqual(['drive.speed']);
  });

  it('commands again when a renewal finds the lease ended (an outage longer than the lease)', async () => {
    const h = harness();
    await h.applier.apply(desired(1, [{ point: 'drive.speed', value: 55, leaseId: 'L1', leaseMs: LEASE }]));
    await h.time.advance(LEASE + 1);
    expect((await h.service.priorityArray('drive.speed')).effective.source).toBe('relinquish-default');
    await h.applier.renew();
    expect((await h.service.priorityArray('drive.speed')).effective).toEqual({
      value: 55,
      priority: 10,
      source: 'cloud',
    });
  });

  it('relinquishes slot 10 for a command no longer desired, and one left over from before a restart', async () => {
    const h = harness();
    await h.service.command('vav.damper', {
      value: 40,
      priority: 10,
      source: 'cloud',
      leaseMs: LEASE,
      leaseId: 'old',
    });
    await h.applier.apply(desired(1, [{ point: 'drive.speed', value: 55, leaseId: 'L1', leaseMs: LEASE }]));
    expect((await h.service.priorityArray('vav.damper')).slots).toEqual([]);
    expect(h.bacnet.calls.at(-1)).toMatchObject({ op: 'relinquish', point: 'damper', priority: 10 });
    await h.applier.apply(desired(2, []));
    expect((await h.service.priorityArray('drive.speed')).slots).toEqual([]);
    expect(h.events.events.filter((e) => e.type === 'relinquish').map((e) => [e.subject, e.source])).toEqual([
      ['vav.damper', 'cloud'],
      ['drive.speed', 'cloud'],
    ]);
  });

  it('reports effective values and holders, and notes a cloud command outranked by an operator override at 8', async () => {
    const h = harness();
    await h.applier.apply(
      desired(3, [
        { point: 'drive.speed', value: 55, leaseId: 'L1', leaseMs: LEASE },
        { point: 'vav.damper', value: 45, leaseId: 'L2', leaseMs: LEASE },
      ]),
    );
    await h.service.command('drive.speed', { value: 90, priority: 8, source: 'operator' });
    const report = await h.applier.report('CONNECTED');
    expect(report).toEqual({
      appliedVersion: 3,
      mode: 'CONNECTED',
      points: {
        'vav.damper': { value: 45, priority: 10, source: 'cloud' },
        'drive.speed': { value: 90, priority: 8, source: 'operator' },
      },
      notes: [
        {
          point: 'drive.speed',
          leaseId: 'L1',
          reason: "outranked by operator at priority 8 (value 90); the cloud's 55 waits at priority 10",
        },
      ],
    });
  });

  it('notes a refused desired command with the reason and keeps the others', async () => {
    const h = harness();
    await h.applier.apply(
      desired(1, [
        { point: 'drive.speed', value: 5, leaseId: 'L1', leaseMs: LEASE },
        { point: 'vav.damper', value: 45, leaseId: 'L2', leaseMs: LEASE },
        { point: 'vav.nothing', value: 1, leaseId: 'L3', leaseMs: LEASE },
      ]),
    );
    const report = await h.applier.report('DEGRADED');
    expect(report.points['vav.damper']).toEqual({ value: 45, priority: 10, source: 'cloud' });
    expect(report.notes?.map((n) => [n.point, n.leaseId])).toEqual([
      ['drive.speed', 'L1'],
      ['vav.nothing', 'L3'],
    ]);
    expect(report.notes?.[0].reason).toMatch(/5.*(outside|range|below)/i);
    expect(report.notes?.[1].reason).toMatch(/vav\.nothing/);
  });

  it('applies desired schedules and calendars as one configuration edit by the cloud; null removes', async () => {
    const h = harness();
    const night = { kind: 'fallback', targets: ['drive.speed'] };
    await h.applier.apply(
      desired(4, [], {
        schedules: { night, old: null as unknown as Record<string, unknown> },
        calendars: { holidays: { dates: [] } },
      }),
    );
    expect(h.edits).toEqual([
      {
        author: 'cloud',
        message: 'desired state version 4',
        draft: { schedules: { night }, calendars: { holidays: { dates: [] } } },
      },
    ]);
    await h.applier.apply(desired(4, [], { schedules: { night } }));
    expect(h.edits).toHaveLength(1);
    expect(h.applier.version).toBe(4);
  });
});
