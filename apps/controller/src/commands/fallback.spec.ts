/**
 * Fallback slot 12 and the link mode (DESIGN.md points 1–2): in force only
 * while AUTONOMOUS, on points the controller arbitrates and on BACnet
 * commandable objects; cloud leases run out on their own, once.
 */
import { beforeEach, describe, expect, it } from '@jest/globals';
import { BehaviorSubject } from 'rxjs';
import type { LinkState } from '#libs/link';
import { RETRY_MS } from './command.service.js';
import { settle } from './fake-time.js';
import { commandHarness } from './test-harness.js';
import type { CommandHarness } from './test-harness.js';

describe('CommandService fallback slot 12', () => {
  let link: BehaviorSubject<LinkState>;
  let h: CommandHarness;
  const go = async (state: LinkState): Promise<void> => {
    link.next(state);
    await h.service.modeApplied;
    await settle();
  };

  beforeEach(() => {
    link = new BehaviorSubject<LinkState>('CONNECTED');
    h = commandHarness({ link: { state$: link } });
  });

  it('on a point the controller arbitrates: held but not in force while CONNECTED, the winner while AUTONOMOUS, back on CONNECTED', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    const held = await h.service.command('drive.speed', {
      value: 60,
      priority: 12,
      source: 'fallback-schedule',
    });
    expect(h.modbus.value('speed')).toBe(40);
    expect(held.effective).toEqual({ value: 40, priority: 16, source: 'schedule' });
    expect(held.slots).toEqual([
      expect.objectContaining({ priority: 12, value: 60, source: 'fallback-schedule', inForce: false }),
      expect.objectContaining({ priority: 16, value: 40, source: 'schedule', inForce: true }),
    ]);

    await go('DEGRADED');
    expect(h.modbus.value('speed')).toBe(40);
    await go('AUTONOMOUS');
    expect(h.modbus.value('speed')).toBe(60);
    const inForce = await h.service.priorityArray('drive.speed');
    expect(inForce.effective).toEqual({ value: 60, priority: 12, source: 'fallback-schedule' });
    expect(inForce.slots[0]).toMatchObject({ priority: 12, inForce: true });

    await go('CONNECTED');
    expect(h.modbus.value('speed')).toBe(40);
    expect((await h.service.priorityArray('drive.speed')).slots.map((s) => [s.priority, s.inForce])).toEqual([
      [12, false],
      [16, true],
    ]);
    // 70: the relinquish default, asserted at start.
    expect(h.modbus.calls.map((c) => c.value)).toEqual([70, 40, 60, 40]);
  });

  it('on a BACnet commandable object: writes slot 12 on the device only while AUTONOMOUS and relinquishes it on leaving, the mirror keeping it', async () => {
    await h.service.command('vav.damper', { value: 40, priority: 16, source: 'schedule' });
    const held = await h.service.command('vav.damper', {
      value: 80,
      priority: 12,
      source: 'fallback-schedule',
    });
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect(h.bacnet.value('damper')).toBe(40);
    expect(held.slots[0]).toMatchObject({ priority: 12, value: 80, inForce: false });
    expect(held.effective.priority).toBe(16);

    await go('AUTONOMOUS');
    expect(h.bacnet.slots('damper')[11]).toBe(80);
    expect(h.bacnet.value('damper')).toBe(80);
    expect((await h.service.priorityArray('vav.damper')).effective).toEqual({
      value: 80,
      priority: 12,
      source: 'fallback-schedule',
    });

    await go('CONNECTED');
    expect(h.bacnet.calls.at(-1)).toEqual({ op: 'relinquish', point: 'damper', priority: 12 });
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect(h.bacnet.value('damper')).toBe(40);
    const mirror = await h.service.priorityArray('vav.damper');
    expect(mirror.slots.map((s) => [s.priority, s.value, s.inForce])).toEqual([
      [12, 80, false],
      [16, 40, true],
    ]);
  });

  it('commands and relinquishes slot 12 on the device directly while AUTONOMOUS, and not at all outside it', async () => {
    await go('AUTONOMOUS');
    await h.service.command('vav.damper', { value: 70, priority: 12, source: 'fallback-schedule' });
    expect(h.bacnet.slots('damper')[11]).toBe(70);
    await h.service.relinquish('vav.damper', 12, 'fallback-schedule');
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    await go('CONNECTED');
    const before = h.bacnet.calls.length;
    await h.service.command('vav.damper', { value: 75, priority: 12, source: 'fallback-schedule' });
    await h.service.relinquish('vav.damper', 12, 'fallback-schedule');
    expect(h.bacnet.calls.length).toBe(before);
  });

  it('retries a fallback write the device refused when the mode changed, against the mode of the retry', async () => {
    await h.service.command('vav.damper', { value: 80, priority: 12, source: 'fallback-schedule' });
    h.bacnet.failWrites = true;
    await go('AUTONOMOUS');
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    h.bacnet.failWrites = false;
    await h.time.advance(RETRY_MS - 1);
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    await h.time.advance(1);
    expect(h.bacnet.slots('damper')[11]).toBe(80);
    await h.time.advance(10 * RETRY_MS);
    expect(h.bacnet.calls.filter((c) => c.priority === 12).length).toBe(2);
  });

  it('lets a cloud lease at slot 10 run out exactly once while AUTONOMOUS, the output falling to the fallback slot', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    await h.service.command('drive.speed', { value: 60, priority: 12, source: 'fallback-schedule' });
    await h.service.command('drive.speed', {
      value: 90,
      priority: 10,
      source: 'cloud',
      leaseMs: 60_000,
      leaseId: 'l1',
    });
    expect(h.modbus.value('speed')).toBe(90);
    await h.time.advance(10_000);
    await go('AUTONOMOUS');
    // The lease still counts: losing the cloud changes nothing until it ends.
    expect(h.modbus.value('speed')).toBe(90);
    await h.time.advance(49_999);
    expect(h.modbus.value('speed')).toBe(90);
    await h.time.advance(1);
    expect(h.modbus.value('speed')).toBe(60);
    await h.time.advance(3_600_000);
    const expiries = h.events.events.filter((e) => e.type === 'expiry');
    expect(expiries).toEqual([
      expect.objectContaining({
        source: 'cloud',
        subject: 'drive.speed',
        data: expect.objectContaining({ priority: 10 }),
      }),
    ]);
    expect(expiries[0].at).toBe(1_000_000 + 60_000);
    expect(h.modbus.calls.map((c) => c.value)).toEqual([70, 40, 90, 60]);
    expect((await h.service.priorityArray('drive.speed')).slots.map((s) => s.priority)).toEqual([12, 16]);
  });

  it('after a restart outside AUTONOMOUS clears a slot 12 the device still holds, and keeps it in the mirror', async () => {
    await go('AUTONOMOUS');
    await h.service.command('vav.damper', { value: 80, priority: 12, source: 'fallback-schedule' });
    expect(h.bacnet.slots('damper')[11]).toBe(80);
    await h.service.onModuleDestroy();
    const next = commandHarness({
      link: { state$: new BehaviorSubject<LinkState>('CONNECTED') },
      time: h.time,
      store: h.store,
      devices: { bacnet: h.bacnet, modbus: h.modbus },
    });
    await next.service.start();
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect((await next.service.priorityArray('vav.damper')).slots).toMatchObject([
      { priority: 12, inForce: false },
    ]);
  });

  it('sets right a slot 12 whose device write was in flight when the link left AUTONOMOUS', async () => {
    await go('AUTONOMOUS');
    let open!: () => void;
    h.bacnet.writeGate = new Promise<void>((r) => (open = r));
    const inFlight = h.service.command('vav.damper', {
      value: 80,
      priority: 12,
      source: 'fallback-schedule',
    });
    await settle();
    link.next('CONNECTED');
    await settle();
    h.bacnet.writeGate = undefined;
    open();
    await inFlight;
    await h.service.modeApplied;
    await settle();
    expect(h.bacnet.slots('damper')[11]).toBeNull();
    expect(h.bacnet.calls.map((c) => [c.op, c.priority])).toEqual([
      ['write', 12],
      ['relinquish', 12],
    ]);
  });

  it('without a link source is AUTONOMOUS, as with no cloud configured', async () => {
    const alone = commandHarness();
    await alone.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    await alone.service.command('drive.speed', { value: 60, priority: 12, source: 'fallback-schedule' });
    expect(alone.service.autonomous).toBe(true);
    expect(alone.modbus.value('speed')).toBe(60);
  });
});
