/**
 * The scanning rhythm with a fake clock and fake drivers: per-point intervals,
 * staggered starts, no overlapping reads, quality flags with named errors,
 * one log line per change of state, and COV taking points off polling.
 */
import { describe, expect, it } from '@jest/globals';
import { FakeClock, FieldbusError, sleep } from '#libs/fieldbus';
import type {
  DeviceContext,
  FieldbusDriver,
  FieldbusErrorInfo,
  PointReadOutcome,
  SelfTestReport,
  ValueSink,
} from '#libs/fieldbus';
import type { LoadedSite, PointDef, Protocol, SiteDevice } from '#libs/profiles';
import type { DriverRegistry } from './driver-registry.js';
import { ScanEngine } from './scan-engine.js';
import type { SampleOut } from './scan-engine.js';
import { point, profile } from './test-support/modbus-fakes.js';

class FakeDriver implements FieldbusDriver {
  readonly protocol: Protocol = 'modbus';
  readonly reads: Array<{ device: string; points: string[]; at: number }> = [];
  dead = new Set<string>();
  refuse = new Map<string, FieldbusErrorInfo>();
  readMs = 10;
  push = new Set<string>();
  sinks = new Map<string, ValueSink>();
  subscribeCalls = 0;
  /** Runs as the answer arrives, before the engine sees it: a notification handled in the same millisecond. */
  onAnswer?: () => void;

  constructor(private readonly clock: FakeClock) {}

  async readMany(device: DeviceContext, points: readonly PointDef[]): Promise<PointReadOutcome[]> {
    this.reads.push({ device: device.site.id, points: points.map((p) => p.id), at: this.clock.now() });
    await sleep(this.clock, this.readMs);
    if (this.dead.has(device.site.id)) throw new FieldbusError('timeout', `${device.site.id}: no response`);
    this.onAnswer?.();
    return points.map((p) => {
      const error = this.refuse.get(p.id);
      return error ? { pointId: p.id, error } : { pointId: p.id, value: this.clock.now() };
    });
  }
  subscribe(device: DeviceContext, points: readonly PointDef[], sink: ValueSink): Promise<Set<string>> {
    this.subscribeCalls++;
    this.sinks.set(device.site.id, sink);
    return Promise.resolve(new Set(points.filter((p) => this.push.has(p.id)).map((p) => p.id)));
  }
  connect = () => Promise.resolve();
  write = () => Promise.resolve();
  relinquish = () => Promise.resolve();
  readPriorityArray = () => Promise.resolve(null);
  selfTest = (): Promise<SelfTestReport> => Promise.resolve({ deviceId: '', ok: true, checks: [] });
  close = () => Promise.resolve();
}

function siteOf(devices: SiteDevice[], points: PointDef[]): LoadedSite {
  return {
    schemaVersion: 1,
    name: 'test',
    timeZone: 'UTC',
    file: 'site.yaml',
    devices,
    profiles: { 'test/fake.yaml': profile(points) },
  };
}
const dev = (id: string, pollIntervalMs: number, extra: Partial<SiteDevice> = {}): SiteDevice => ({
  id,
  name: id,
  profile: 'test/fake.yaml',
  pollIntervalMs,
  modbus: { transport: 'tcp', host: 'h', port: 502, unitId: 1 },
  ...extra,
});
const points = ['a', 'b', 'c'].map((id, i) => point({ id, modbus: { function: 3, address: i } }));

function harness(devices: SiteDevice[], opts: { resubscribeMs?: number } = {}) {
  const clock = new FakeClock(0);
  const driver = new FakeDriver(clock);
  const drivers: DriverRegistry = new Map([['modbus', driver]]);
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string }> = [];
  const log = {
    info: (obj: object, msg: string) =>
      lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) =>
      lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: object, msg: string) =>
      lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  const live = new Map<string, { value?: number; error?: FieldbusErrorInfo; pushed?: boolean }>();
  const samples: SampleOut[] = [];
  const key = (d: string, p: string) => `${d}.${p}`;
  const engine = new ScanEngine({
    site: siteOf(devices, points),
    drivers,
    log,
    clock,
    resubscribeMs: opts.resubscribeMs,
    sink: {
      value: (d, p, value) => live.set(key(d, p), { ...live.get(key(d, p)), value, error: undefined }),
      fail: (d, p, error) => live.set(key(d, p), { ...live.get(key(d, p)), error }),
      pushed: (d, p, pushed) => live.set(key(d, p), { ...live.get(key(d, p)), pushed }),
      record: (rows) => {
        samples.push(...rows);
        return Promise.resolve();
      },
    },
  });
  /** Stops the engine while letting reads in flight finish on the fake clock. */
  const stop = async () => {
    const stopping = engine.stop();
    await clock.advance(5000);
    await stopping;
  };
  return { clock, driver, engine, lines, live, samples, stop };
}

describe('ScanEngine', () => {
  it('reads each device’s points in one request per interval, staggered, at the site’s per-point intervals', async () => {
    const h = harness([dev('m1', 1000, { pointPollIntervalMs: { c: 3000 } }), dev('m2', 1000)]);
    h.engine.start();
    await h.clock.advance(6000);
    await h.stop();
    const at = (device: string, pts: string) =>
      h.driver.reads.filter((r) => r.device === device && r.points.join() === pts).map((r) => r.at);
    // Two 1 s groups spread over the second; the 3 s group shifted by half a slot against them.
    expect(at('m1', 'a,b')).toEqual([0, 1000, 2000, 3000, 4000, 5000, 6000]);
    expect(at('m2', 'a,b,c')).toEqual([500, 1500, 2500, 3500, 4500, 5500]);
    expect(at('m1', 'c')).toEqual([1500, 4500]);
  });

  it('never overlaps a group with itself: a read that overruns skips the slot', async () => {
    const h = harness([dev('m', 1000)]);
    h.driver.readMs = 1500;
    h.engine.start();
    await h.clock.advance(4100);
    await h.stop();
    expect(h.driver.reads.map((r) => r.at)).toEqual([0, 2000, 4000]);
  });

  it('flags every point of a dead device with the named error, logs one line per change, leaves the others alone', async () => {
    const h = harness([dev('dead', 1000), dev('ok', 1000)]);
    h.engine.start();
    await h.clock.advance(1200);
    h.driver.dead.add('dead');
    await h.clock.advance(5000);
    expect(h.live.get('dead.a')!.error).toEqual({ code: 'timeout', message: 'dead: no response' });
    expect(['a', 'b', 'c'].every((p) => h.live.get(`ok.${p}`)!.error === undefined)).toBe(true);
    expect(h.engine.health().map((d) => [d.id, d.state, d.lastError])).toEqual([
      ['dead', 'comm-fail', 'timeout: dead: no response'],
      ['ok', 'ok', null],
    ]);
    h.driver.dead.clear();
    await h.clock.advance(2000);
    await h.stop();
    expect(h.lines.filter((l) => l.obj.device === 'dead').map((l) => l.msg)).toEqual([
      'device dead ok',
      'device dead comm-fail: timeout: dead: no response',
      'device dead back to ok',
    ]);
    expect(
      h.samples.filter((s) => s.deviceId === 'dead' && s.quality === 'comm-fail').length,
    ).toBeGreaterThan(3 * 4);
  });

  it('flags refused points with their error and logs the refusal once, and again when they read again', async () => {
    const h = harness([dev('m', 1000)]);
    h.engine.start();
    h.driver.refuse.set('b', { code: 'modbus-exception:illegal-data-address', message: 'no such register' });
    await h.clock.advance(3500);
    expect(h.live.get('m.b')!.error!.code).toBe('modbus-exception:illegal-data-address');
    expect(h.live.get('m.a')!.value).toBeDefined();
    h.driver.refuse.clear();
    await h.clock.advance(1000);
    await h.stop();
    expect(h.lines.map((l) => l.msg)).toEqual([
      'device m ok',
      'device m: point(s) b refused: modbus-exception:illegal-data-address: no such register',
      'device m: point(s) b readable again',
    ]);
    expect(h.engine.health()[0].state).toBe('ok');
  });

  it('turns a device comm-fail when it refuses every point it is asked for', async () => {
    const h = harness([dev('m', 1000)]);
    for (const p of ['a', 'b', 'c'])
      h.driver.refuse.set(p, { code: 'modbus-exception:server-device-failure', message: 'x' });
    h.engine.start();
    await h.clock.advance(100);
    await h.stop();
    expect(h.engine.health()[0]).toMatchObject({
      state: 'comm-fail',
      lastError: 'modbus-exception:server-device-failure: x',
    });
  });

  it('does not poll points pushed by COV, keeps a heartbeat, and records pushed values', async () => {
    const h = harness([dev('v', 1000)]);
    h.driver.push = new Set(['a', 'b', 'c']);
    h.engine.start();
    await h.clock.advance(10); // the subscription is in place
    expect(h.engine.pushedPoints('v').sort()).toEqual(['a', 'b', 'c']);
    expect(h.live.get('v.b')!.pushed).toBe(true);
    await h.clock.advance(3000);
    // The subscription answered before the first read: only the heartbeat point is polled.
    expect(h.driver.reads.map((r) => r.points.join())).toEqual(['a', 'a', 'a', 'a']);
    const sink = h.driver.sinks.get('v')!;
    const before = h.samples.length;
    sink.value('b', 42, h.clock.now());
    sink.value('c', 43, h.clock.now());
    expect(h.live.get('v.b')!.value).toBe(42);
    expect(h.samples.length).toBe(before); // not yet: pushed values are recorded together
    await h.clock.advance(250);
    expect(h.samples.length - before).toBe(2);
    expect(h.samples.slice(before, before + 2)).toEqual([
      { deviceId: 'v', pointId: 'b', ts: 3010, value: 42, quality: 'good' },
      { deviceId: 'v', pointId: 'c', ts: 3010, value: 43, quality: 'good' },
    ]);
    await h.stop();
  });

  it('records one sample per point and instant when notifications queued up arrive in the same millisecond', async () => {
    const h = harness([dev('v', 1000)]);
    h.driver.push = new Set(['a', 'b']);
    h.engine.start();
    await h.clock.advance(10);
    const sink = h.driver.sinks.get('v')!;
    const before = h.samples.length;
    const t = h.clock.now();
    sink.value('b', 20.93807, t); // a notification held up behind a busy event loop
    sink.value('a', 5, t);
    sink.value('b', 20.93026, t); // the newer one, stamped on receipt at the same instant
    await h.clock.advance(250);
    expect(h.samples.slice(before)).toEqual([
      { deviceId: 'v', pointId: 'a', ts: t, value: 5, quality: 'good' },
      { deviceId: 'v', pointId: 'b', ts: t, value: 20.93026, quality: 'good' },
    ]);
    expect(h.live.get('v.b')!.value).toBe(20.93026);
    // The same notification again, sent by the device a second time and stamped at the same instant.
    sink.value('b', 20.93026, t);
    sink.value('b', 21, t + 1);
    await h.clock.advance(250);
    expect(h.samples.slice(before + 2)).toEqual([
      { deviceId: 'v', pointId: 'b', ts: t + 1, value: 21, quality: 'good' },
    ]);
    await h.stop();
  });

  it('records a notification older than a poll recorded meanwhile, without rolling the live value back', async () => {
    const h = harness([dev('v', 1000)]);
    h.driver.push = new Set(['a', 'b', 'c']); // all pushed: a is the polled heartbeat
    h.engine.start();
    await h.clock.advance(1500); // heartbeat polls answered at 10 and 1010, their value the answer time
    expect(h.live.get('v.a')!.value).toBe(1010);
    const sink = h.driver.sinks.get('v')!;
    sink.value('a', 7, 1005); // stamped before the 1010 poll, delivered after it
    expect(h.live.get('v.a')!.value).toBe(1010);
    sink.value('a', 8, 1010); // the 1010 reading again: a duplicate
    expect(h.live.get('v.a')!.value).toBe(1010);
    await h.clock.advance(250);
    const a = () => h.samples.filter((s) => s.pointId === 'a').map((s) => [s.ts, s.value]);
    expect(a()).toEqual([
      [10, 10],
      [1010, 1010],
      [1005, 7],
    ]);
    await h.clock.advance(1000); // the next poll moves the live value on
    expect(h.live.get('v.a')!.value).toBe(2010);
    await h.stop();
  });

  it('keeps one sample when a notification and a poll answer of a point are handled in the same millisecond', async () => {
    const h = harness([dev('v', 1000)]);
    h.driver.push = new Set(['a', 'b', 'c']);
    h.engine.start();
    await h.clock.advance(1500);
    const sink = h.driver.sinks.get('v')!;
    h.driver.onAnswer = () => sink.value('a', 5, h.clock.now()); // just before the 2010 answer
    await h.clock.advance(1000);
    h.driver.onAnswer = undefined;
    await h.stop();
    // Every (point, instant) once; history and the live value agree on the poll's reading.
    const a = h.samples.filter((s) => s.pointId === 'a').map((s) => [s.ts, s.value]);
    expect(a).toEqual([
      [10, 10],
      [1010, 1010],
      [2010, 2010],
    ]);
    expect(h.live.get('v.a')!.value).toBe(2010);
  });

  it('puts points back on polling when the subscription is lost, and subscribes again later', async () => {
    const h = harness([dev('v', 1000)], { resubscribeMs: 5000 });
    h.driver.push = new Set(['b', 'c']);
    h.engine.start();
    await h.clock.advance(1500);
    h.driver.sinks
      .get('v')!
      .lost(['c'], { code: 'bacnet-error:services/cov-subscription-failed', message: 'x' });
    expect(h.live.get('v.c')!.pushed).toBe(false);
    await h.clock.advance(1000);
    expect(h.driver.reads.at(-1)!.points).toEqual(['a', 'c']);
    expect(h.lines.filter((l) => l.msg.includes('COV lost')).map((l) => l.msg)).toEqual([
      'device v: COV lost for 1 point(s) (bacnet-error:services/cov-subscription-failed), polling them',
    ]);
    await h.clock.advance(5000);
    expect(h.driver.subscribeCalls).toBe(2);
    expect(h.engine.pushedPoints('v').sort()).toEqual(['b', 'c']);
    await h.stop();
  });

  it('treats a device failure as the end of its subscriptions: all its points flagged and polled again', async () => {
    const h = harness([dev('v', 1000)], { resubscribeMs: 60000 });
    h.driver.push = new Set(['a', 'b', 'c']);
    h.engine.start();
    await h.clock.advance(1500);
    h.driver.dead.add('v');
    await h.clock.advance(1000);
    expect(['a', 'b', 'c'].map((p) => h.live.get(`v.${p}`)!.error?.code)).toEqual([
      'timeout',
      'timeout',
      'timeout',
    ]);
    expect(h.engine.pushedPoints('v')).toEqual([]);
    h.driver.dead.clear();
    await h.clock.advance(1000);
    expect(h.driver.reads.at(-1)!.points).toEqual(['a', 'b', 'c']);
    await h.stop();
  });
});
