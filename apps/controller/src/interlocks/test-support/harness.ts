/**
 * A fake building for InterlockService's unit tests: fake command path (with
 * the real safety envelope, so refusals are the real ones), fake readings,
 * a scan-tick subject, a manual clock and timers, an in-memory state store and
 * event sink. `step(ms)` advances time, fires due timers and waits for the
 * evaluation they started.
 */
import { BehaviorSubject, Subject } from 'rxjs';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { PriorityArrayDto } from '#libs/contracts';
import { checkCommandValue } from '#libs/priority';
import type { LoadedSite, PointDef, Profile } from '#libs/profiles';
import type { Interlock, Quality } from '#libs/rules';
import { CommandWriteFailedError, UnknownPointError } from '../../commands/command-errors.js';
import type { Timers } from '../../commands/timers.js';
import type { ConfigurationPort, ConfigurationState } from '../../configuration/configuration.port.js';
import { MemoryEventSink } from '../../events/event-sink.js';
import type { ScanTick } from '../../fieldbus/scanner.service.js';
import type {
  InterlockOptions,
  InterlockOutputs,
  InterlockReading,
  InterlockReadings,
} from '../interlock-ports.js';
import { InMemoryInterlockStateStore } from '../interlock-state.store.js';
import { InterlockService } from '../interlock.service.js';

const analog = (id: string, access: 'read' | 'write', extra: Partial<PointDef> = {}): PointDef =>
  ({ id, name: id, kind: 'analog', access, unit: '', ...extra }) as PointDef;
const binary = (id: string, access: 'read' | 'write', extra: Partial<PointDef> = {}): PointDef =>
  ({ id, name: id, kind: 'binary', access, unit: '', ...extra }) as PointDef;

export const SITE = {
  schemaVersion: 1,
  name: 'test',
  timeZone: 'UTC',
  file: 'test.yaml',
  devices: [
    { id: 'ahu', profile: 'ahu.yaml', pollIntervalMs: 1000 },
    { id: 'boiler', profile: 'boiler.yaml', pollIntervalMs: 1000 },
  ],
  profiles: {
    'ahu.yaml': {
      points: [
        analog('sat', 'read'),
        binary('fan-status', 'read'),
        analog('oad', 'write', { safeRange: { min: 10, max: 100 }, failSafe: 10 }),
        analog('htg', 'write', { safeRange: { min: 0, max: 100 }, failSafe: 30 }),
      ],
    } as unknown as Profile,
    'boiler.yaml': {
      points: [
        binary('enable', 'write', { failSafe: 1 }),
        analog('sp', 'write', { safeRange: { min: 40, max: 80 }, failSafe: 70 }),
      ],
    } as unknown as Profile,
  },
} as unknown as LoadedSite;

export const FREEZE: Interlock = {
  id: 'freeze',
  description: 'supply air below 5 °C',
  when: { point: 'ahu.sat', below: 5, clearAbove: 8 },
  then: [
    { point: 'ahu.oad', value: 10, priority: 2 },
    { point: 'ahu.htg', value: 100, priority: 2 },
  ],
};

export const SAT_LOST: Interlock = {
  id: 'sat-lost',
  when: { point: 'ahu.sat', quality: 'comm-fail', forSeconds: 10 },
  then: [
    { point: 'boiler.enable', failSafe: true, priority: 1 },
    { point: 'boiler.sp', failSafe: true, priority: 1 },
  ],
};

export const NO_AIRFLOW: Interlock = {
  id: 'no-airflow',
  when: { point: 'ahu.fan-status', equals: 0, forSeconds: 60 },
  then: [{ point: 'boiler.enable', value: 0, priority: 2 }],
};

interface Slot {
  value: number;
  source: string;
}

/** The command path's priority arrays, as far as the interlocks see them. */
export class FakeOutputs implements InterlockOutputs {
  readonly calls: string[] = [];
  readonly arrays = new Map<string, Map<number, Slot>>();
  /** Points whose device does not answer: writes fail (transiently). */
  readonly offline = new Set<string>();
  private readonly points = new Map<string, PointDef>();

  constructor(site: LoadedSite) {
    for (const d of site.devices)
      for (const p of site.profiles[d.profile].points) this.points.set(`${d.id}.${p.id}`, p);
  }

  command(key: string, opts: { value: number; priority: number; source: 'interlock' }): Promise<unknown> {
    this.calls.push(`command ${key}=${opts.value}@${opts.priority}`);
    const point = this.points.get(key);
    if (!point) throw new UnknownPointError(key);
    checkCommandValue(point, opts.value, key);
    this.failIfOffline(key);
    this.slots(key).set(opts.priority, { value: opts.value, source: opts.source });
    return Promise.resolve();
  }

  relinquish(key: string, priority: number, source: 'interlock'): Promise<unknown> {
    this.calls.push(`relinquish ${key}@${priority} by ${source}`);
    this.failIfOffline(key);
    this.slots(key).delete(priority);
    return Promise.resolve();
  }

  priorityArray(key: string): Promise<PriorityArrayDto> {
    const slots = [...this.slots(key)].map(([priority, s]) => ({ priority, ...s, at: '' }));
    return Promise.resolve({
      pointId: key,
      slots,
      effective: { value: null, priority: null, source: 'relinquish-default' },
      relinquishDefault: null,
      arbitration: 'device',
    } as PriorityArrayDto);
  }

  /** `point@priority=value` of every held slot, sorted. */
  held(): string[] {
    return [...this.arrays]
      .flatMap(([key, slots]) => [...slots].map(([p, s]) => `${key}@${p}=${s.value}`))
      .sort();
  }

  private slots(key: string): Map<number, Slot> {
    let slots = this.arrays.get(key);
    if (!slots) this.arrays.set(key, (slots = new Map<number, Slot>()));
    return slots;
  }

  private failIfOffline(key: string): void {
    if (this.offline.has(key.split('.')[0]))
      throw new CommandWriteFailedError(key, { code: 'timeout', message: 'no response' });
  }
}

export class FakeTimers implements Timers {
  private readonly due = new Map<number, { at: number; fn: () => void }>();
  private next = 0;
  constructor(private readonly clock: { now(): number }) {}
  set(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.due.set(id, { at: this.clock.now() + Math.max(0, ms), fn });
    return id;
  }
  clear(handle: unknown): void {
    this.due.delete(handle as number);
  }
  /** Runs every timer due by `now`, earliest first (those set while running included). */
  fire(now: number): void {
    for (;;) {
      const first = [...this.due].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at)[0];
      if (!first) return;
      this.due.delete(first[0]);
      first[1].fn();
    }
  }
}

export interface HarnessOptions {
  rules: Interlock[];
  options?: Partial<InterlockOptions>;
  store?: InMemoryInterlockStateStore;
  outputs?: FakeOutputs;
  now?: number;
}

export class Harness {
  now: number;
  readonly readings = new Map<string, InterlockReading>();
  readonly scans = new Subject<ScanTick>();
  readonly events: MemoryEventSink;
  readonly store: InMemoryInterlockStateStore;
  readonly outputs: FakeOutputs;
  readonly timers: FakeTimers;
  readonly logLines: Array<{ level: number; msg: string }> = [];
  readonly config: BehaviorSubject<ConfigurationState>;
  readonly service: InterlockService;
  readingCalls = 0;

  constructor(opts: HarnessOptions) {
    this.now = opts.now ?? Date.UTC(2025, 0, 15, 6, 0, 0);
    const clock = { now: () => this.now };
    this.events = new MemoryEventSink(clock.now);
    this.store = opts.store ?? new InMemoryInterlockStateStore();
    this.outputs = opts.outputs ?? new FakeOutputs(SITE);
    this.timers = new FakeTimers(clock);
    this.config = new BehaviorSubject(this.stateOf(opts.rules));
    const port: ConfigurationPort = { current: () => this.config.value, changes$: this.config };
    const readings: InterlockReadings = {
      reading: (key) => {
        this.readingCalls++;
        return this.readings.get(key);
      },
    };
    const log: Logger = pino(
      { level: 'info' },
      { write: (l: string) => void this.logLines.push(JSON.parse(l) as { level: number; msg: string }) },
    );
    this.service = new InterlockService(
      SITE,
      port,
      this.outputs,
      readings,
      this.scans,
      this.store,
      this.events,
      clock,
      this.timers,
      log,
      { minIntervalMs: 250, backstopMs: 1000, warmUpMs: 30_000, retryMs: 5000, ...opts.options },
    );
  }

  async start(): Promise<this> {
    await this.service.onApplicationBootstrap();
    return this;
  }

  /** A scan of `deviceId` read these values (good unless a quality is given). */
  read(key: string, value: number | null, quality: Quality = 'good'): void {
    this.readings.set(key, { value, quality, scanned: true });
  }

  tick(deviceId = 'ahu'): void {
    this.scans.next({ deviceId, at: this.now });
  }

  /** Advances the clock by `ms` in steps of at most 100 ms, firing timers and awaiting evaluations. */
  async step(ms: number): Promise<void> {
    const until = this.now + ms;
    while (this.now < until) {
      this.now = Math.min(until, this.now + 100);
      this.timers.fire(this.now);
      await this.service.lastRun;
    }
    this.timers.fire(this.now);
    await this.service.lastRun;
  }

  setRules(rules: Interlock[]): void {
    this.config.next(this.stateOf(rules));
  }

  /** `source: message` of the recorded interlock events. */
  interlockEvents(): string[] {
    return this.events.events.filter((e) => e.type === 'interlock').map((e) => `${e.source}: ${e.message}`);
  }

  private stateOf(rules: Interlock[]): ConfigurationState {
    return {
      version: {} as ConfigurationState['version'],
      configuration: {
        site: { name: 'test', timeZone: 'UTC' },
        devices: {},
        profiles: {},
        schedules: {},
        calendars: {},
        rules: Object.fromEntries(rules.map((r) => [r.id, r])),
        overrides: {},
      },
    };
  }
}
