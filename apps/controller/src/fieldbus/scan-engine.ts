/**
 * The framework's polling rhythm (CONVENTIONS.md habit 2), free of NestJS so
 * it can be driven from tests with real drivers and peers.
 *
 * - Each device's points are grouped by poll interval (the site's per-point
 *   overrides, else the device's); every group is read with one readMany, so
 *   the driver can coalesce it. A PollPlan staggers the groups' starts across
 *   their intervals so buses are not hit in bursts, and keeps each group's
 *   phase: a group still running when it falls due again skips that slot.
 * - The driver sends every request through its bus's scheduler, where a dead
 *   device's breaker keeps it from delaying its neighbours.
 * - COV: at start each device is asked to push its points (driver.subscribe);
 *   the points it pushes are no longer polled while the subscription holds.
 *   `lost`, or the device failing, puts them back on polling and a
 *   resubscription is tried later. A device whose points are all pushed keeps
 *   one point polled as a heartbeat, so an outage still shows.
 * - Quality: a point read gets its value; a point refused gets its named
 *   error; a device that does not answer flags every one of its points. One
 *   log line per change of state (device-health.ts).
 */
import type { DeviceHealthDto } from '#libs/contracts';
import { errorInfo, PollPlan, pointIntervalMs, systemClock } from '#libs/fieldbus';
import type {
  Clock,
  DeviceContext,
  FieldbusDriver,
  FieldbusErrorInfo,
  PointReadOutcome,
  TimerHandle,
  ValueSink,
} from '#libs/fieldbus';
import type { LoadedSite, PointDef } from '#libs/profiles';
import { DeviceHealth } from './device-health.js';
import type { ScanLogger } from './device-health.js';
import type { DriverRegistry } from './driver-registry.js';
import { RecordedInstants } from './recorded-instants.js';

export interface SampleOut {
  deviceId: string;
  pointId: string;
  ts: number;
  value: number | null;
  quality: 'good' | 'comm-fail';
}

/**
 * Where scan results go: live values and history in the controller, recorders in tests.
 * `value` is not given a reading older than one it was given for that point (but for a poll
 * after the clock was set back); `record` gets each (point, ts) once, not in time order
 * (a pushed sample can follow a newer poll).
 */
export interface ScanSink {
  value(deviceId: string, pointId: string, value: number, at: number): void;
  fail(deviceId: string, pointId: string, error: FieldbusErrorInfo): void;
  /** The point's value now comes pushed (true) or polled again (false). */
  pushed(deviceId: string, pointId: string, pushed: boolean): void;
  /** One group read's samples. */
  record(samples: SampleOut[]): Promise<void>;
}

export interface ScanEngineOptions {
  site: LoadedSite;
  drivers: DriverRegistry;
  sink: ScanSink;
  log: ScanLogger;
  clock?: Clock;
  /** Wait before asking again for pushes a device refused or lost; default 30 s. */
  resubscribeMs?: number;
  /** First reads of slow groups are spread over at most this long; default 10 s. */
  maxStaggerMs?: number;
  /** Pushed values are recorded together at most this often (one transaction, not one per value); default 250 ms. */
  pushFlushMs?: number;
}

interface DeviceScan {
  ctx: DeviceContext;
  driver: FieldbusDriver;
  health: DeviceHealth;
  pushed: Set<string>;
  heartbeat: PointDef;
  resubscribe?: TimerHandle;
  points: Map<string, PointScan>;
}

/**
 * A point has one value at an instant (the cloud keys samples on point and time). The same reading
 * can reach the engine twice (a poll answer and a COV notification handled in the same millisecond,
 * a confirmed notification the device sent again): the second is dropped. Every other reading is
 * recorded, in whatever order it arrives: a notification waits for its flush and may come after a
 * newer poll of its point (a heartbeat, a point whose subscription was just lost). The live value
 * only moves forward in reading time.
 */
class PointScan extends RecordedInstants {
  /** Reading time of what the live value shows (a value or a failure). */
  liveAt = -Infinity;
  /** The flush that last recorded this point's pushed sample, and its index in that flush. */
  flush = 0;
  slot = 0;
}

interface PollGroup {
  key: string;
  device: DeviceScan;
  points: PointDef[];
  running?: Promise<void>;
}

export class ScanEngine {
  private readonly clock: Clock;
  private readonly devices: DeviceScan[] = [];
  private readonly byId = new Map<string, DeviceScan>();
  private readonly groups = new Map<string, PollGroup>();
  private plan?: PollPlan;
  private timer?: TimerHandle;
  private stopped = false;
  private readonly subscribing = new Set<Promise<void>>();
  /** Pushed samples waiting for the next flush. */
  private pushedSamples: SampleOut[] = [];
  /** Each pushed sample's point, so the flush needs no lookup. */
  private pushedScans: PointScan[] = [];
  private flushes = 0;
  private flushTimer?: TimerHandle;
  private flushing?: Promise<void>;

  constructor(private readonly o: ScanEngineOptions) {
    this.clock = o.clock ?? systemClock;
    for (const site of o.site.devices) {
      const profile = o.site.profiles[site.profile];
      const driver = o.drivers.get(profile.protocol);
      if (!driver) throw new Error(`no driver for protocol ${profile.protocol} (device ${site.id})`);
      const device: DeviceScan = {
        ctx: { site, profile },
        driver,
        health: new DeviceHealth(site.id, o.log),
        pushed: new Set(),
        heartbeat: profile.points[0],
        points: new Map(profile.points.map((p) => [p.id, new PointScan()])),
      };
      this.devices.push(device);
      this.byId.set(site.id, device);
      const byInterval = new Map<number, PointDef[]>();
      for (const p of profile.points) {
        const ms = pointIntervalMs(site, p.id);
        byInterval.set(ms, [...(byInterval.get(ms) ?? []), p]);
      }
      const sorted = [...byInterval].sort((a, b) => a[0] - b[0]);
      // The heartbeat comes from the fastest group, so an outage of an all-COV device shows as soon as polling can see it.
      device.heartbeat = sorted[0][1][0];
      for (const [ms, points] of sorted) {
        const key = `${site.id}@${ms}`;
        this.groups.set(key, { key, device, points });
      }
    }
  }

  start(): void {
    const items = [...this.groups.values()].map((g) => ({
      key: g.key,
      intervalMs: pointIntervalMs(g.device.ctx.site, g.points[0].id),
    }));
    this.plan = new PollPlan(items, this.clock.now(), { maxStaggerMs: this.o.maxStaggerMs ?? 10000 });
    for (const d of this.devices) this.subscribe(d);
    this.arm();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    for (const d of this.devices) if (d.resubscribe !== undefined) this.clock.clearTimeout(d.resubscribe);
    const running = [...this.groups.values()].flatMap((g) => (g.running ? [g.running] : []));
    await Promise.allSettled([...running, ...this.subscribing]);
    if (this.flushTimer !== undefined) this.clock.clearTimeout(this.flushTimer);
    await this.flushPushed();
  }

  health(): DeviceHealthDto[] {
    return this.devices.map((d) => d.health.dto(d.ctx.profile.protocol));
  }

  /** One device's health: read after each of its scans, so it must not build every device's. */
  deviceHealth(deviceId: string): DeviceHealthDto | undefined {
    const d = this.byId.get(deviceId);
    return d?.health.dto(d.ctx.profile.protocol);
  }

  /** Points of a device currently pushed by COV (not polled). */
  pushedPoints(deviceId: string): string[] {
    return [...(this.byId.get(deviceId)?.pushed ?? [])];
  }

  private arm(): void {
    if (this.stopped || !this.plan) return;
    const at = this.plan.nextAt();
    if (!Number.isFinite(at)) return;
    this.timer = this.clock.setTimeout(() => this.tick(), at - this.clock.now());
  }

  private tick(): void {
    if (this.stopped || !this.plan) return;
    for (const key of this.plan.due(this.clock.now())) {
      const g = this.groups.get(key)!;
      if (g.running) continue; // an overrun: this slot is skipped, the next one keeps the phase
      g.running = this.read(g).finally(() => (g.running = undefined));
    }
    this.arm();
  }

  private async read(g: PollGroup): Promise<void> {
    const d = g.device;
    const { site } = d.ctx;
    let points = g.points.filter((p) => !d.pushed.has(p.id));
    if (points.length === 0) {
      if (!g.points.includes(d.heartbeat)) return;
      points = [d.heartbeat];
    }
    const samples: SampleOut[] = [];
    let outcomes: PointReadOutcome[];
    try {
      outcomes = await d.driver.readMany(d.ctx, points);
    } catch (err) {
      this.deviceFailed(d, errorInfo(err), points, samples);
      return this.finish(d, samples);
    }
    const at = this.clock.now();
    for (const o of outcomes) {
      const p = this.point(d, o.pointId);
      // Stamped on answer, a poll is the newest reading there is, even when the clock was set back.
      p.liveAt = at;
      if (o.value !== undefined) this.o.sink.value(site.id, o.pointId, o.value, at);
      else this.o.sink.fail(site.id, o.pointId, o.error!);
      if (!p.add(at)) continue;
      samples.push({
        deviceId: site.id,
        pointId: o.pointId,
        ts: at,
        value: o.value ?? null,
        quality: o.value !== undefined ? 'good' : 'comm-fail',
      });
    }
    const refused = outcomes.filter((o) => o.error !== undefined);
    if (outcomes.length > 0 && refused.length === outcomes.length) d.health.failed(refused[0].error!);
    else d.health.answered(outcomes);
    return this.finish(d, samples);
  }

  /** The device did not answer: every point of it is flagged, pushed ones included (their subscription is suspect). */
  private deviceFailed(
    d: DeviceScan,
    error: FieldbusErrorInfo,
    polled: PointDef[],
    samples: SampleOut[],
  ): void {
    const at = this.clock.now();
    const id = d.ctx.site.id;
    for (const p of d.ctx.profile.points) {
      this.point(d, p.id).liveAt = at;
      this.o.sink.fail(id, p.id, error);
    }
    for (const p of polled)
      if (this.point(d, p.id).add(at))
        samples.push({ deviceId: id, pointId: p.id, ts: at, value: null, quality: 'comm-fail' });
    if (d.pushed.size) this.unpush(d, [...d.pushed]);
    d.health.failed(error);
  }

  /** Kept per device, keyed by point id: no key built per sample. */
  private point(d: DeviceScan, pointId: string): PointScan {
    let p = d.points.get(pointId);
    if (!p) d.points.set(pointId, (p = new PointScan()));
    return p;
  }

  /** `samples` are each recorded for the first time (PointScan.add). */
  private async finish(d: DeviceScan, samples: SampleOut[]): Promise<void> {
    d.health.lastScanAt = this.clock.now();
    try {
      await this.o.sink.record(samples);
    } catch (err) {
      this.o.log.error({ device: d.ctx.site.id, err: errorInfo(err).message }, 'history write failed');
    }
  }

  private subscribe(d: DeviceScan): void {
    if (this.stopped) return;
    const candidates = d.ctx.profile.points.filter((p) => !d.pushed.has(p.id));
    const job = d.driver
      .subscribe(d.ctx, candidates, this.valueSink(d))
      .then(
        (ids) => {
          if (this.stopped) return;
          const added = candidates.filter((p) => ids.has(p.id)).map((p) => p.id);
          for (const id of added) {
            d.pushed.add(id);
            this.o.sink.pushed(d.ctx.site.id, id, true);
          }
          if (added.length)
            this.o.log.info(
              { device: d.ctx.site.id, points: added },
              `device ${d.ctx.site.id}: ${added.length} point(s) pushed by COV, not polled`,
            );
        },
        (err: unknown) => {
          const e = errorInfo(err);
          this.o.log.info(
            { device: d.ctx.site.id, code: e.code },
            `device ${d.ctx.site.id}: COV not available now (${e.code})`,
          );
          this.scheduleResubscribe(d);
        },
      )
      .finally(() => this.subscribing.delete(job));
    this.subscribing.add(job);
  }

  private valueSink(d: DeviceScan): ValueSink {
    const id = d.ctx.site.id;
    return {
      value: (pointId, value, at) => {
        if (this.stopped) return;
        const p = this.point(d, pointId);
        // A notification delivered after a newer poll of its point is history, not the live value; one
        // at the instant of a recorded reading is that reading again (the flush drops it), so history and
        // the live value agree on the value at an instant.
        if (at > p.liveAt || (at === p.liveAt && !p.has(at))) {
          p.liveAt = at;
          this.o.sink.value(id, pointId, value, at);
        }
        // A burst of notifications (every object's first one after subscribing) must not become a burst of transactions.
        this.pushedSamples.push({ deviceId: id, pointId, ts: at, value, quality: 'good' });
        this.pushedScans.push(p);
        this.flushTimer ??= this.clock.setTimeout(() => {
          this.flushTimer = undefined;
          void this.flushPushed();
        }, this.o.pushFlushMs ?? 250);
      },
      lost: (pointIds, reason) => {
        if (this.stopped) return;
        const lost = pointIds.filter((p) => d.pushed.has(p));
        if (!lost.length) return;
        this.o.log.warn(
          { device: id, points: lost, code: reason.code },
          `device ${id}: COV lost for ${lost.length} point(s) (${reason.code}), polling them`,
        );
        this.unpush(d, lost);
      },
    };
  }

  private async flushPushed(): Promise<void> {
    await this.flushing;
    const pending = this.pushedSamples;
    const scans = this.pushedScans;
    this.pushedSamples = [];
    this.pushedScans = [];
    const flush = ++this.flushes;
    const kept: Array<SampleOut | undefined> = [];
    let replaced = false;
    for (let i = 0; i < pending.length; i++) {
      const s = pending[i];
      const p = scans[i];
      if (p.add(s.ts)) {
        p.flush = flush;
        p.slot = kept.push(s) - 1;
      } else if (p.flush === flush && kept[p.slot]?.ts === s.ts) {
        // Notifications are stamped on receipt: two for one point that queued while the event loop
        // was busy get the same instant. Within a flush the later one, as received, is kept.
        kept[p.slot] = undefined;
        p.slot = kept.push(s) - 1;
        replaced = true;
      }
    }
    const samples = replaced ? kept.filter((s) => s !== undefined) : (kept as SampleOut[]);
    if (!samples.length) return;
    this.flushing = this.o.sink.record(samples).catch((err: unknown) => {
      this.o.log.error({ err: errorInfo(err).message, samples: samples.length }, 'history write failed');
    });
    await this.flushing;
  }

  private unpush(d: DeviceScan, pointIds: string[]): void {
    for (const p of pointIds) {
      d.pushed.delete(p);
      this.o.sink.pushed(d.ctx.site.id, p, false);
    }
    this.scheduleResubscribe(d);
  }

  private scheduleResubscribe(d: DeviceScan): void {
    if (this.stopped || d.resubscribe !== undefined) return;
    d.resubscribe = this.clock.setTimeout(() => {
      d.resubscribe = undefined;
      this.subscribe(d);
    }, this.o.resubscribeMs ?? 30000);
  }
}
