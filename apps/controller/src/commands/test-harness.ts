/**
 * Test support: a two-device site (a BACnet commandable damper the device
 * arbitrates, a Modbus drive speed the controller arbitrates) and a
 * CommandService over fake devices, an in-memory store and FakeTime.
 */
import { pino } from 'pino';
import type { Observable } from 'rxjs';
import type { FieldbusDriver } from '#libs/fieldbus';
import type { LinkState } from '#libs/link';
import type { LoadedSite, PointDef, Profile, Protocol } from '#libs/profiles';
import { MemoryEventSink } from '../events/event-sink.js';
import { LiveValues } from '../points/live-values.js';
import { WriteService } from '../writes/write.service.js';
import { InMemoryCommandStore } from './command-store.js';
import { CommandService } from './command.service.js';
import { FakeFieldbusDriver } from './fake-fieldbus-driver.js';
import { FakeTime } from './fake-time.js';

const base = { description: '', dataType: 'float32' as const, unit: '', tags: [] as string[] };
export const damperPoint: PointDef = {
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
export const speedPoint: PointDef = {
  ...base,
  id: 'speed',
  name: 'Speed',
  kind: 'analog',
  access: 'write',
  modbus: { function: 3, address: 1, writeFunction: 16 },
  safeRange: { min: 20, max: 100 },
  failSafe: 70,
};
const tempPoint: PointDef = { ...base, id: 'temp', name: 'Temp', kind: 'analog', access: 'read' };

export const testSite = {
  devices: [
    { id: 'vav', profile: 'vav.yaml', pollIntervalMs: 1000 },
    { id: 'drive', profile: 'drive.yaml', pollIntervalMs: 1000 },
  ],
  profiles: {
    'vav.yaml': { protocol: 'bacnet', points: [damperPoint, tempPoint] } as unknown as Profile,
    'drive.yaml': { protocol: 'modbus', points: [speedPoint] } as unknown as Profile,
  },
} as unknown as LoadedSite;

export interface CommandHarness {
  service: CommandService;
  time: FakeTime;
  bacnet: FakeFieldbusDriver;
  modbus: FakeFieldbusDriver;
  store: InMemoryCommandStore;
  events: MemoryEventSink;
}

export function commandHarness(
  opts: {
    link?: { state$: Observable<LinkState> };
    time?: FakeTime;
    store?: InMemoryCommandStore;
    devices?: { bacnet: FakeFieldbusDriver; modbus: FakeFieldbusDriver };
    /** Where the store records events; with `store` given, that store's own. */
    events?: MemoryEventSink;
    /** Another site over the same two devices (e.g. with more points); testSite by default. */
    site?: LoadedSite;
  } = {},
): CommandHarness {
  const time = opts.time ?? new FakeTime();
  const bacnet = opts.devices?.bacnet ?? new FakeFieldbusDriver('bacnet', { damper: 30 });
  const modbus = opts.devices?.modbus ?? new FakeFieldbusDriver('modbus');
  const drivers = new Map<Protocol, FieldbusDriver>([
    ['bacnet', bacnet],
    ['modbus', modbus],
  ]);
  const site = opts.site ?? testSite;
  const log = pino({ level: 'silent' });
  const writes = new WriteService(site, drivers, time, log, new LiveValues(site, time));
  writes.policy = { retries: 0, backoff: { baseMs: 1, maxMs: 1 } };
  const events = opts.store?.events ?? opts.events ?? new MemoryEventSink(() => time.now());
  // The store records the events, with the change they describe (as SqliteCommandStore does).
  const store = opts.store ?? new InMemoryCommandStore(events);
  const service = new CommandService(site, writes, store, time, time, log, opts.link);
  return { service, time, bacnet, modbus, store, events };
}
