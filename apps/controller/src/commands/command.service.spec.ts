import { beforeEach, describe, expect, it } from '@jest/globals';
import { NotWritableError, OutOfSafeRangeError, SlotNotOwnedError } from '#libs/priority';
import type { LoadedSite, PointDef, Profile } from '#libs/profiles';
import { CommandWriteFailedError, UnknownPointError } from './command-errors.js';
import { InMemoryCommandStore } from './command-store.js';
import type { FakeFieldbusDriver } from './fake-fieldbus-driver.js';
import { FakeTime } from './fake-time.js';
import { commandHarness, speedPoint, testSite } from './test-harness.js';

const relay: PointDef = {
  description: '',
  unit: '',
  tags: [],
  id: 'relay',
  name: 'Relay',
  kind: 'binary',
  access: 'write',
  dataType: 'bool',
  modbus: { function: 1, address: 0, writeFunction: 5 },
  failSafe: 1,
  minOnSeconds: 60,
  minOffSeconds: 60,
};
/** The shared test site with a binary relay (minimum on/off) on the Modbus drive. */
const site = {
  ...testSite,
  profiles: {
    ...testSite.profiles,
    'drive.yaml': { protocol: 'modbus', points: [relay, speedPoint] } as unknown as Profile,
  },
} as unknown as LoadedSite;

/** The shared test site with a ramped valve (10 %/min) on the Modbus drive. */
const valveSite = {
  ...testSite,
  profiles: {
    ...testSite.profiles,
    'drive.yaml': {
      protocol: 'modbus',
      points: [
        {
          ...speedPoint,
          id: 'valve',
          name: 'Valve',
          failSafe: 50,
          safeRange: { min: 0, max: 100 },
          maxRatePerMinute: 10,
        },
      ],
    } as unknown as Profile,
  },
} as unknown as LoadedSite;

function harness(
  store = new InMemoryCommandStore(),
  devices?: { bacnet: FakeFieldbusDriver; modbus: FakeFieldbusDriver },
  time?: FakeTime,
) {
  return commandHarness({ site, store, devices, time });
}

describe('CommandService', () => {
  let h: ReturnType<typeof harness>;
  beforeEach(() => {
    h = harness();
  });

  it('writes a BACnet commandable object at its own slot and verifies the slot, not the present value', async () => {
    await h.service.command('vav.damper', { value: 60, priority: 8, source: 'operator' });
    // Slot 16 below a held slot 8: the present value stays 60, yet the write verifies.
    const view = await h.service.command('vav.damper', { value: 40, priority: 16, source: 'schedule' });
    expect(h.bacnet.slots('damper')[7]).toBe(60);
    expect(h.bacnet.slots('damper')[15]).toBe(40);
    expect(h.bacnet.value('damper')).toBe(60);
    expect(view).toMatchObject({
      arbitration: 'device',
      effective: { value: 60, priority: 8, source: 'operator' },
      slots: [
        { priority: 8, value: 60, source: 'operator' },
        { priority: 16, value: 40, source: 'schedule' },
      ],
    });
  });

  it('relinquishes a BACnet slot with NULL, leaving the device at the next slot, then its default', async () => {
    await h.service.command('vav.damper', { value: 60, priority: 8, source: 'operator' });
    await h.service.command('vav.damper', { value: 40, priority: 16, source: 'schedule' });
    const after8 = await h.service.relinquish('vav.damper', 8, 'operator');
    expect(h.bacnet.calls.at(-1)).toEqual({ op: 'relinquish', point: 'damper', priority: 8 });
    expect(h.bacnet.value('damper')).toBe(40);
    expect(after8.effective).toEqual({ value: 40, priority: 16, source: 'schedule' });
    const empty = await h.service.relinquish('vav.damper', 16, 'schedule');
    expect(h.bacnet.value('damper')).toBe(30);
    expect(empty).toMatchObject({
      slots: [],
      effective: { value: 30, priority: null, source: 'relinquish-default' },
    });
  });

  it('on Modbus keeps the array itself and writes the winner, then the failSafe when empty', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    await h.service.command('drive.speed', { value: 80, priority: 8, source: 'operator' });
    expect(h.modbus.value('speed')).toBe(80);
    await h.service.relinquish('drive.speed', 8, 'operator');
    expect(h.modbus.value('speed')).toBe(40);
    const view = await h.service.relinquish('drive.speed', 16, 'schedule');
    expect(h.modbus.value('speed')).toBe(70);
    expect(view).toMatchObject({ arbitration: 'controller', effective: { value: 70, priority: null } });
    expect(h.modbus.calls.every((c) => c.op === 'write')).toBe(true);
  });

  it('refuses unknown, read-only, out-of-range and foreign-slot commands before any write or save', async () => {
    await expect(
      h.service.command('vav.nope', { value: 1, priority: 8, source: 'operator' }),
    ).rejects.toThrow(UnknownPointError);
    await expect(
      h.service.command('vav.temp', { value: 1, priority: 8, source: 'operator' }),
    ).rejects.toThrow(NotWritableError);
    const range = h.service.command('vav.damper', { value: 5, priority: 8, source: 'operator' });
    await expect(range).rejects.toThrow(OutOfSafeRangeError);
    await expect(range).rejects.toThrow('point "vav.damper" value 5 outside safe range 10..100 %');
    await expect(
      h.service.command('vav.damper', { value: 50, priority: 10, source: 'operator' }),
    ).rejects.toThrow(SlotNotOwnedError);
    expect(h.bacnet.calls).toEqual([]);
    // Only the start-up's assertion of the Modbus outputs' relinquish defaults.
    expect([...h.store.rows.keys()].sort()).toEqual(['drive.relay', 'drive.speed']);
  });

  it('keeps nothing of a command whose write the device refused', async () => {
    await h.service.command('vav.damper', { value: 60, priority: 8, source: 'operator' });
    const saved = h.store.rows.get('vav.damper');
    h.bacnet.failWrites = true;
    await expect(
      h.service.command('vav.damper', { value: 70, priority: 8, source: 'operator' }),
    ).rejects.toThrow(CommandWriteFailedError);
    expect(h.store.rows.get('vav.damper')).toEqual(saved);
    expect((await h.service.priorityArray('vav.damper')).slots).toMatchObject([{ priority: 8, value: 60 }]);
  });

  it('keeps nothing of a change that could not be persisted, and takes its write back off the device', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 8, source: 'operator' });
    h.store.failNext = new Error('disk full');
    await expect(
      h.service.command('drive.speed', { value: 80, priority: 8, source: 'operator' }),
    ).rejects.toThrow('disk full');
    expect(h.modbus.value('speed')).toBe(40);
    expect((await h.service.priorityArray('drive.speed')).slots).toMatchObject([{ priority: 8, value: 40 }]);
    expect(h.events.events.filter((e) => e.type === 'command')).toHaveLength(1);
  });

  it('asserts at start every output it arbitrates, so a first command ramps from the relinquish default; reads make no state', async () => {
    const v = commandHarness({ site: valveSite });
    expect((await v.service.priorityArray('vav.damper')).slots).toEqual([]);
    expect((await v.service.priorityArray('drive.valve')).effective).toMatchObject({
      value: 50,
      priority: null,
    });
    await v.service.start();
    expect(v.modbus.calls.map((c) => [c.point, c.value])).toEqual([['valve', 50]]);
    // A BACnet commandable point nobody commanded is left to the device; being read gave it no state.
    expect(v.bacnet.calls).toEqual([]);
    expect([...v.store.rows.keys()]).toEqual(['drive.valve']);
    const view = await v.service.command('drive.valve', { value: 80, priority: 16, source: 'schedule' });
    expect(v.modbus.value('valve')).toBe(50);
    expect(view.pending).toMatchObject({ value: 80, reason: 'rate-limit' });
    await v.time.advance(60_000);
    expect(v.modbus.value('valve')).toBeCloseTo(60, 6);
  });

  it('runs the start-up on a point before a change asked for ahead of bootstrap', async () => {
    const v = commandHarness({ site: valveSite });
    await v.service.command('drive.valve', { value: 80, priority: 16, source: 'schedule' });
    expect(v.modbus.calls.map((c) => c.value)).toEqual([50]);
    expect(v.modbus.value('valve')).toBe(50);
  });

  it('holds a binary change for its minimum off time, shows the wait, and applies it then', async () => {
    await h.service.start();
    // The relay's fail-safe (on) was asserted at start: past its minimum on time, it may go off.
    await h.time.advance(60_000);
    await h.service.command('drive.relay', { value: 0, priority: 8, source: 'operator' });
    expect(h.modbus.value('relay')).toBe(0);
    await h.time.advance(10_000);
    const held = await h.service.command('drive.relay', { value: 1, priority: 8, source: 'operator' });
    expect(h.modbus.value('relay')).toBe(0);
    expect(held.pending).toEqual({
      value: 1,
      heldUntil: new Date(h.time.now() + 50_000).toISOString(),
      reason: 'minimum-off',
    });
    await h.time.advance(49_999);
    expect(h.modbus.value('relay')).toBe(0);
    await h.time.advance(1);
    expect(h.modbus.value('relay')).toBe(1);
    expect((await h.service.priorityArray('drive.relay')).pending).toBeUndefined();
  });

  it('ends an expiring override exactly once and falls back to the next slot', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    const expiresAt = h.time.now() + 5000;
    await h.service.command('drive.speed', { value: 90, priority: 8, source: 'operator', expiresAt });
    expect(h.modbus.value('speed')).toBe(90);
    const writesBefore = h.modbus.calls.length;
    await h.time.advance(4999);
    expect(h.modbus.value('speed')).toBe(90);
    await h.time.advance(1);
    expect(h.modbus.value('speed')).toBe(40);
    expect(h.modbus.calls.length).toBe(writesBefore + 1);
    await h.time.advance(60_000);
    expect(h.modbus.calls.length).toBe(writesBefore + 1);
    expect((await h.service.priorityArray('drive.speed')).slots.map((s) => s.priority)).toEqual([16]);
  });

  it('relinquishes an expired BACnet slot on the device once', async () => {
    await h.service.command('vav.damper', {
      value: 60,
      priority: 8,
      source: 'operator',
      expiresAt: h.time.now() + 1000,
    });
    await h.time.advance(5000);
    expect(h.bacnet.calls.filter((c) => c.op === 'relinquish')).toEqual([
      { op: 'relinquish', point: 'damper', priority: 8 },
    ]);
    expect(h.bacnet.value('damper')).toBe(30);
    expect(h.events.events.map((e) => [e.type, e.source, e.subject, e.data?.priority])).toEqual([
      ['command', 'operator', 'vav.damper', 8],
      ['expiry', 'operator', 'vav.damper', 8],
    ]);
  });

  it('after a restart re-asserts every commanded output from the store, and expires what ended meanwhile', async () => {
    await h.service.command('drive.speed', { value: 55, priority: 8, source: 'operator' });
    await h.service.command('vav.damper', { value: 65, priority: 8, source: 'operator' });
    await h.service.command('vav.damper', {
      value: 45,
      priority: 16,
      source: 'schedule',
      expiresAt: h.time.now() + 1000,
    });
    await h.service.onModuleDestroy();
    // The hardware is power-cycled while the controller is down.
    h.modbus.setBehindTheBack('speed', 20);
    h.bacnet.setBehindTheBack('damper', 30);
    const next = harness(h.store, { bacnet: h.bacnet, modbus: h.modbus }, new FakeTime(h.time.now() + 2000));
    await next.service.start();
    expect(h.modbus.value('speed')).toBe(55);
    expect(h.bacnet.slots('damper')[7]).toBe(65);
    expect(h.bacnet.slots('damper')[15]).toBeNull();
    expect((await next.service.priorityArray('vav.damper')).slots.map((s) => s.priority)).toEqual([8]);
  });
});
