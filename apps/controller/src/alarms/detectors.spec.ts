/**
 * The alarm detectors against doubles of what they watch (the scanner's
 * device states, WriteService's results, the live configuration) and of the
 * alarm service: what they raise and clear, and when.
 */
import { describe, expect, it } from '@jest/globals';
import { BehaviorSubject, Subject } from 'rxjs';
import type { Logger } from 'pino';
import type { AlarmDto, AlarmKind, DeviceHealthDto } from '#libs/contracts';
import type { LoadedSite } from '#libs/profiles';
import type { Version } from '#libs/snapshots';
import type {
  ConfigurationPort,
  ConfigurationState,
  ControllerSchedule,
} from '../configuration/configuration.port.js';
import { LiveValues } from '../points/live-values.js';
import type { WriteResult } from '../writes/write.service.js';
import type { AlarmPort } from './alarm.service.js';
import type { AlarmCondition } from './alarm-store.js';
import { CommFailAlarms } from './comm-fail-alarms.js';
import type { Timers } from './detector-support.js';
import { LimitAlarms } from './limit-alarms.js';
import { SCHEDULE_CHECK_MS, ScheduleAlarms } from './schedule-alarms.js';
import { WriteFailureAlarms } from './write-failure-alarms.js';

const DAY = 86_400_000;
const silent = { error: () => undefined, warn: () => undefined, info: () => undefined } as unknown as Logger;

/** The store's rules in memory: one uncleared occurrence per (kind, subject). */
class FakeAlarms implements AlarmPort {
  readonly log: string[] = [];
  private readonly open = new Map<string, AlarmDto>();
  private next = 1;
  raise(c: AlarmCondition, source: string): Promise<AlarmDto | null> {
    const key = `${c.kind} ${c.subject}`;
    if (this.open.has(key)) return Promise.resolve(null);
    const a = { id: this.next++, ...c, state: 'active', data: c.data ?? null } as unknown as AlarmDto;
    this.open.set(key, a);
    this.log.push(`raise ${key} by ${source}: ${c.message}`);
    return Promise.resolve(a);
  }
  clear(kind: AlarmKind, subject: string, source: string): Promise<AlarmDto | null> {
    const a = this.open.get(`${kind} ${subject}`);
    if (!a) return Promise.resolve(null);
    this.open.delete(`${kind} ${subject}`);
    this.log.push(`clear ${kind} ${subject} by ${source}`);
    return Promise.resolve(a);
  }
  uncleared(kind?: AlarmKind): AlarmDto[] {
    return [...this.open.values()].filter((a) => kind === undefined || a.kind === kind);
  }
}

class FakeTimers implements Timers {
  readonly pending: Array<{ fn: () => void; ms: number }> = [];
  set(fn: () => void, ms: number): unknown {
    const t = { fn, ms };
    this.pending.push(t);
    return t;
  }
  clear(handle: unknown): void {
    const i = this.pending.indexOf(handle as { fn: () => void; ms: number });
    if (i >= 0) this.pending.splice(i, 1);
  }
  fire(): void {
    this.pending.splice(0).forEach((t) => t.fn());
  }
}

describe('CommFailAlarms', () => {
  it('raises when a device goes comm-fail, once, and clears when it answers again', async () => {
    const scans$ = new Subject<{ deviceId: string }>();
    let state: DeviceHealthDto['state'] = 'starting';
    const scanner = {
      scans$,
      deviceHealth: (id: string): DeviceHealthDto | undefined =>
        id === 'vav-1'
          ? { id: 'vav-1', protocol: 'bacnet', state, lastError: 'timeout: no answer', lastScanAt: null }
          : undefined,
    };
    const alarms = new FakeAlarms();
    const d = new CommFailAlarms(scanner, alarms, silent);
    d.onApplicationBootstrap();
    const scan = async (s: DeviceHealthDto['state']): Promise<void> => {
      state = s;
      scans$.next({ deviceId: 'vav-1' });
      await d.idle();
    };
    await scan('starting');
    await scan('comm-fail');
    await scan('comm-fail');
    await scan('ok');
    await scan('ok');
    expect(alarms.log).toEqual([
      'raise comm-fail vav-1 by scanner: device vav-1 (bacnet) does not answer: timeout: no answer',
      'clear comm-fail vav-1 by scanner',
    ]);
  });

  it('after a restart clears an alarm left uncleared when the device answers at its first scan', async () => {
    const scans$ = new Subject<{ deviceId: string }>();
    const alarms = new FakeAlarms();
    await alarms.raise({ kind: 'comm-fail', subject: 'm', severity: 'major', message: 'x' }, 'scanner');
    const scanner = {
      scans$,
      deviceHealth: (id: string): DeviceHealthDto | undefined =>
        id === 'm'
          ? { id: 'm', protocol: 'modbus', state: 'ok', lastError: null, lastScanAt: null }
          : undefined,
    };
    const d = new CommFailAlarms(scanner, alarms, silent);
    d.onApplicationBootstrap();
    scans$.next({ deviceId: 'm' });
    await d.idle();
    expect(alarms.uncleared()).toEqual([]);
  });
});

describe('WriteFailureAlarms', () => {
  const result = (r: Partial<WriteResult>): WriteResult => ({
    point: 'fcu.fan',
    ok: true,
    value: 2,
    priority: 8,
    attempts: 1,
    at: 0,
    ...r,
  });

  it('raises on a write the device did not take, ignores refusals before the device, clears on the next good write', async () => {
    const results$ = new Subject<WriteResult>();
    const alarms = new FakeAlarms();
    const d = new WriteFailureAlarms({ results$ }, alarms, silent);
    d.onApplicationBootstrap();
    results$.next(result({ ok: false, attempts: 0, error: { code: 'out-of-range', message: 'x' } }));
    results$.next(result({ point: 'fcu.other', ok: true }));
    await d.idle();
    expect(alarms.log).toEqual([]);
    results$.next(result({ ok: false, attempts: 4, error: { code: 'timeout', message: 'no answer' } }));
    results$.next(result({ ok: false, attempts: 4, error: { code: 'timeout', message: 'no answer' } }));
    results$.next(result({ ok: true, value: 3 }));
    await d.idle();
    expect(alarms.log).toEqual([
      'raise write-failed fcu.fan by writes: write fcu.fan = 2 at priority 8 failed after 4 attempt(s) (timeout): no answer',
      'clear write-failed fcu.fan by writes',
    ]);
  });
});

describe('ScheduleAlarms', () => {
  const endsAt = Date.parse('2025-06-30T22:00:00Z'); // 30 June ends in Berlin
  const office = (to: string, id = 'office'): ControllerSchedule => ({
    id,
    name: 'Office hours',
    kind: 'local',
    targets: ['vav.occ'],
    weekly: {
      monday: [
        { time: '07:00', value: 1 },
        { time: '19:00', value: 2 },
      ],
      tuesday: [],
      wednesday: [],
      thursday: [],
      friday: [],
      saturday: [],
      sunday: [],
    },
    exceptions: [],
    effectivePeriod: { from: 'any', to },
    scheduleDefault: 2,
  });
  const stuck: ControllerSchedule = {
    ...office('any', 'stuck'),
    weekly: { ...office('any').weekly, monday: [] },
  };
  const state = (schedules: ControllerSchedule[]): ConfigurationState => ({
    version: { id: 'v' } as unknown as Version,
    configuration: {
      site: { name: 'Test', timeZone: 'Europe/Berlin' },
      devices: {},
      profiles: {},
      schedules: Object.fromEntries(schedules.map((s) => [s.id, s])),
      calendars: {},
      rules: {},
      overrides: {},
    },
  });

  it('raises on every configuration change what holds and clears what no longer does; re-checks once a day', async () => {
    let now = endsAt - 15 * DAY;
    const changes$ = new BehaviorSubject(state([office('2025-06-30'), stuck]));
    const port: ConfigurationPort = { current: () => changes$.value, changes$ };
    const alarms = new FakeAlarms();
    const timers = new FakeTimers();
    const d = new ScheduleAlarms(alarms, { now: () => now }, timers, silent, port);
    d.onApplicationBootstrap();
    await d.idle();
    // 15 days before the end: only the schedule without transitions.
    expect(alarms.uncleared().map((a) => `${a.kind} ${a.subject}`)).toEqual([
      'schedule-no-transitions stuck',
    ]);
    expect(timers.pending.map((t) => t.ms)).toEqual([SCHEDULE_CHECK_MS]);

    now += DAY; // the daily check, 14 days before the end
    timers.fire();
    await d.idle();
    expect(alarms.uncleared().map((a) => `${a.kind} ${a.subject}`)).toEqual([
      'schedule-no-transitions stuck',
      'schedule-ending office',
    ]);
    expect(alarms.uncleared('schedule-ending')[0].data).toMatchObject({ endsAt: '2025-06-30T22:00:00.000Z' });
    expect(timers.pending).toHaveLength(1); // re-armed

    // An edit extends the schedule and deletes the stuck one: both clear.
    changes$.next(state([office('2025-12-31')]));
    await d.idle();
    expect(alarms.uncleared()).toEqual([]);
    expect(alarms.log.filter((l) => l.startsWith('clear'))).toEqual([
      'clear schedule-ending office by schedules',
      'clear schedule-no-transitions stuck by schedules',
    ]);
    d.onModuleDestroy();
    expect(timers.pending).toEqual([]);
  });

  it('stays idle without a live configuration', () => {
    const timers = new FakeTimers();
    const d = new ScheduleAlarms(new FakeAlarms(), { now: () => 0 }, timers, silent, undefined);
    d.onApplicationBootstrap();
    expect(timers.pending).toEqual([]);
  });
});

describe('LimitAlarms', () => {
  const site = {
    devices: [{ id: 'm', profile: 'p.yaml', pollIntervalMs: 1000 }],
    profiles: {
      'p.yaml': { points: [{ id: 'power', name: 'Power', kind: 'analog', access: 'read', unit: 'kW' }] },
    },
    alarmLimits: [{ point: 'm.power', high: 50, deadband: 2 }],
  } as unknown as LoadedSite;

  it('reads each point raw on every scan, and builds its PointDto only when an alarm changes', async () => {
    const scans$ = new Subject<{ deviceId: string }>();
    let now = 0;
    const clock = { now: () => now };
    const live = new LiveValues(site, clock);
    let dtos = 0;
    const counted = {
      raw: (key: string) => live.raw(key),
      get: (key: string) => (dtos++, live.get(key)),
    };
    const alarms = new FakeAlarms();
    const d = new LimitAlarms(site, { scans$ }, counted, clock, alarms, silent);
    d.onApplicationBootstrap();
    const scan = async (value: number | 'fail') => {
      now += 1000;
      if (value === 'fail') live.fail('m', 'power');
      else live.update('m', 'power', value, now);
      scans$.next({ deviceId: 'm' });
      await d.idle();
    };
    await scan(40);
    await scan(60);
    expect(alarms.log).toEqual([
      'raise limit-high m.power by limits: m.power (Power) 60 kW above high limit 50 kW',
    ]);
    await scan(49); // inside the deadband: stays raised
    await scan('fail'); // no evidence either way
    await scan(48);
    expect(alarms.log.slice(1)).toEqual(['clear limit-high m.power by limits']);
    expect(dtos).toBe(2);
    d.onModuleDestroy();
  });
});
