/** A small but realistic configuration, and helpers to edit it without touching the original. */
import type { CommitMeta, Configuration, VersionId } from '../src/index.js';
import { cloneJson } from '../src/index.js';

const weekday = [
  { time: '07:00', value: 1 },
  { time: '19:00', value: 0 },
];

export function sampleConfiguration(): Configuration {
  return {
    site: { name: 'Demo office', timeZone: 'Europe/Berlin' },
    devices: {
      'vav-1-01': {
        id: 'vav-1-01',
        name: 'VAV 1.01',
        profile: 'bacnet/acme/vav.yaml',
        pollIntervalMs: 5000,
        bacnet: { address: '127.0.0.2:47810', deviceInstance: 1101 },
      },
      meter: {
        id: 'meter',
        name: 'Main meter',
        profile: 'modbus/eastron/sdm630.yaml',
        pollIntervalMs: 10000,
        modbus: { transport: 'tcp', host: '127.0.0.1', port: 5020, unitId: 1 },
      },
    },
    profiles: {
      'bacnet/acme/vav.yaml': {
        vendor: 'acme',
        model: 'vav',
        points: [
          { id: 'zone-temp', kind: 'analog', access: 'read', unit: 'degC' },
          { id: 'damper', kind: 'analog', access: 'write', unit: '%', safeRange: { min: 0, max: 100 } },
        ],
      },
      'modbus/eastron/sdm630.yaml': {
        vendor: 'eastron',
        model: 'sdm630',
        points: [{ id: 'power', kind: 'analog', access: 'read', unit: 'W' }],
      },
    },
    schedules: {
      'lobby-lights': {
        id: 'lobby-lights',
        name: 'Lobby lights',
        weekly: {
          monday: weekday,
          tuesday: weekday,
          wednesday: weekday,
          thursday: weekday,
          friday: weekday,
          saturday: [],
          sunday: [],
        },
        exceptions: [
          {
            period: { kind: 'calendar', calendar: 'public-holidays' },
            times: [{ time: '00:00', value: 0 }],
            priority: 8,
          },
        ],
        effectivePeriod: { from: 'any', to: 'any' },
        scheduleDefault: 0,
      },
      'ahu-occupancy': {
        id: 'ahu-occupancy',
        name: 'AHU occupancy',
        weekly: { monday: weekday, friday: weekday },
        exceptions: [],
        effectivePeriod: { from: '2025-01-01', to: '2026-12-31' },
        scheduleDefault: null,
      },
    },
    calendars: {
      'public-holidays': {
        name: 'public-holidays',
        entries: [
          { kind: 'date', date: '*-12-25' },
          { kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' },
        ],
      },
    },
    rules: {
      'freeze-protection': {
        id: 'freeze-protection',
        when: { point: 'ahu/supply-temp', below: 5 },
        then: [{ point: 'ahu/oa-damper', value: 0, priority: 2 }],
      },
    },
    overrides: {
      'vav-1-01/damper': [{ priority: 8, value: 40, source: 'operator', expiresAt: 1767225600000 }],
    },
  };
}

/** A deep copy of `config` with `edit` applied to the copy. */
export function edited(config: Configuration, edit: (copy: Configuration) => void): Configuration {
  const copy = cloneJson(config);
  edit(copy);
  return copy;
}

/** The n-th minute of a fixed day: deterministic commit times. */
export function minute(n: number): Date {
  return new Date(Date.UTC(2025, 2, 30, 0, n));
}

export function meta(expectedHead: VersionId | null, n = 0, message = `edit ${n}`): CommitMeta {
  return { author: 'alice', message, at: minute(n), expectedHead };
}
