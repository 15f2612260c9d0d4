import { beforeEach, describe, expect, it } from '@jest/globals';
import { MemoryEventSink } from '../events/event-sink.js';
import { pino } from 'pino';
import { NotWritableError, OutOfSafeRangeError, SlotNotOwnedError } from '#libs/priority';
import type { FieldbusDriver } from '#libs/fieldbus';
import type { LoadedSite, PointDef, Profile, Protocol } from '#libs/profiles';
import { LiveValues } from '../points/live-values.js';
import { WriteService } from '../writes/write.service.js';
import { CommandWriteFailedError, UnknownPointError } from './command-errors.js';
import { InMemoryCommandStore } from './command-store.js';
import { CommandService } from './command.service.js';
import { FakeFieldbusDriver } from './fake-fieldbus-driver.js';
import type { Timers } from './timers.js';

const base = { description: '', dataType: 'float32' as const, unit: '', tags: [] as string[] };
const damper: PointDef = {
  ...base,
  id: 'damper',
  name: 'Damper',
  kind: 'analog',
  access: 'write',
  unit: '%',
  bacnet: { objectType: 'analog-output', instance: 1, commandable: true },
  safeRange: { min: 10, max: 100 },
  failSafe: 30,
};
const zoneTemp: PointDef = { ...base, id: 'temp', name: 'Temp', kind: 'analog', access: 'read' };
const relay: PointDef = {
  ...base,
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
const speed: PointDef = {
  ...base,
  id: 'speed',
  name: 'Speed',
  kind: 'analog',
  access: 'write',
  modbus: { function: 3, address: 1, writeFunction: 16 },
  safeRange: { min: 20, max: 100 },
  failSafe: 70,
};
const site = {
  devices: [
    { id: 'vav', profile: 'vav.yaml', pollIntervalMs: 1000 },
    { id: 'drive', profile: 'drive.yaml', pollIntervalMs: 1000 },
  ],
  profiles: {
    'vav.yaml': { protocol: 'bacnet', points: [damper, zoneTemp] } as unknown as Profile,
    'drive.yaml': { protocol: 'modbus', points: [relay, speed] } as unknown as Profile,
  },
} as unknown as LoadedSite;

/** Manual timers on a manual clock: advance() fires what is due, in time order. */
class FakeTimers implements Timers {
  now = 1_000_000;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  set(fn: () => void, ms: number): unknown {
    this.pending.set(++this.seq, { at: this.now + Math.max(0, ms), fn });
    return this.seq;
  }
  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  async advance(ms: number): Promise<void> {
    const end = this.now + ms;
    for (;;) {
      const due = [...this.pending.entries()]
        .filter(([, t]) => t.at <= end)
        .sort((a, b) => a[1].at - b[1].at);
      if (due.length === 0) break;
      const [id, t] = due[0];
      this.pending.delete(id);
      this.now = Math.max(this.now, t.at);
      t.fn();
      await settle();
    }
    this.now = end;
    await settle();
  }
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

function harness(
  store = new InMemoryCommandStore(),
  devices?: { bacnet: FakeFieldbusDriver; modbus: FakeFieldbusDriver },
) {
  const timers = new FakeTimers();
  const clock = { now: () => timers.now };
  const bacnet = devices?.bacnet ?? new FakeFieldbusDriver('bacnet', { damper: 30 });
  const modbus = devices?.modbus ?? new FakeFieldbusDriver('modbus');
  const drivers = new Map<Protocol, FieldbusDriver>([
    ['bacnet', bacnet],
    ['modbus', modbus],
  ]);
  const log = pino({ level: 'silent' });
  const writes = new WriteService(site, drivers, clock, log, new LiveValues(site, clock));
  writes.policy = { retries: 0, backoff: { baseMs: 1, maxMs: 1 } };
  const events = new MemoryEventSink(clock.now);
  const service = new CommandService(site, writes, store, clock, timers, log, events);
  return { service, timers, bacnet, modbus, store, events };
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
    expect(h.store.rows.size).toBe(0);
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

  it('holds a binary change for its minimum off time, shows the wait, and applies it then', async () => {
    await h.service.command('drive.relay', { value: 0, priority: 8, source: 'operator' });
    expect(h.modbus.value('relay')).toBe(0);
    await h.timers.advance(10_000);
    const held = await h.service.command('drive.relay', { value: 1, priority: 8, source: 'operator' });
    expect(h.modbus.value('relay')).toBe(0);
    expect(held.pending).toEqual({
      value: 1,
      heldUntil: new Date(h.timers.now + 50_000).toISOString(),
      reason: 'minimum-off',
    });
    await h.timers.advance(49_999);
    expect(h.modbus.value('relay')).toBe(0);
    await h.timers.advance(1);
    expect(h.modbus.value('relay')).toBe(1);
    expect((await h.service.priorityArray('drive.relay')).pending).toBeUndefined();
  });

  it('ends an expiring override exactly once and falls back to the next slot', async () => {
    await h.service.command('drive.speed', { value: 40, priority: 16, source: 'schedule' });
    const expiresAt = h.timers.now + 5000;
    await h.service.command('drive.speed', { value: 90, priority: 8, source: 'operator', expiresAt });
    expect(h.modbus.value('speed')).toBe(90);
    const writesBefore = h.modbus.calls.length;
    await h.timers.advance(4999);
    expect(h.modbus.value('speed')).toBe(90);
    await h.timers.advance(1);
    expect(h.modbus.value('speed')).toBe(40);
    expect(h.modbus.calls.length).toBe(writesBefore + 1);
    await h.timers.advance(60_000);
    expect(h.modbus.calls.length).toBe(writesBefore + 1);
    expect((await h.service.priorityArray('drive.speed')).slots.map((s) => s.priority)).toEqual([16]);
  });

  it('relinquishes an expired BACnet slot on the device once', async () => {
    await h.service.command('vav.damper', {
      value: 60,
      priority: 8,
      source: 'operator',
      expiresAt: h.timers.now + 1000,
    });
    await h.timers.advance(5000);
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
      expiresAt: h.timers.now + 1000,
    });
    await h.service.onModuleDestroy();
    // The hardware is power-cycled while the controller is down.
    h.modbus.setBehindTheBack('speed', 20);
    h.bacnet.setBehindTheBack('damper', 30);
    const next = harness(h.store, { bacnet: h.bacnet, modbus: h.modbus });
    next.timers.now = h.timers.now + 2000;
    await next.service.start();
    expect(h.modbus.value('speed')).toBe(55);
    expect(h.bacnet.slots('damper')[7]).toBe(65);
    expect(h.bacnet.slots('damper')[15]).toBeNull();
    expect((await next.service.priorityArray('vav.damper')).slots.map((s) => s.priority)).toEqual([8]);
  });
});
