/**
 * Limit alarms on analog points, from the site's `alarmLimits` (kinds
 * 'limit-high' and 'limit-low', subject the point key, severity minor). Each
 * point's limits are evaluated on its live value right after every scan of
 * its device (ScannerService.scans$), with the on-delay and deadband of
 * limit-monitor.ts; the delay's resolution is therefore the poll interval.
 * After a restart the monitors start from the uncleared alarms in the store,
 * and an uncleared limit alarm whose limit is no longer configured is cleared.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import type { PointDto } from '#libs/contracts';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { ScannerService } from '../fieldbus/scanner.service.js';
import { LiveValues } from '../points/live-values.js';
import { AlarmService } from './alarm.service.js';
import type { AlarmPort } from './alarm.service.js';
import { Detector } from './detector-support.js';
import { LimitMonitor } from './limit-monitor.js';
import type { LimitTransition } from './limit-monitor.js';

export const LIMIT_SOURCE = 'limits';

@Injectable()
export class LimitAlarms extends Detector implements OnApplicationBootstrap {
  /** Device id -> the monitors of its points. */
  private readonly monitors = new Map<string, LimitMonitor[]>();

  constructor(
    @Inject(SITE) private readonly site: LoadedSite,
    @Inject(ScannerService) private readonly scanner: { readonly scans$: Observable<{ deviceId: string }> },
    @Inject(LiveValues) private readonly live: Pick<LiveValues, 'raw' | 'get'>,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(LOGGER) log: Logger,
  ) {
    super(log, 'limit alarms');
  }

  onApplicationBootstrap(): void {
    const raised = (kind: 'limit-high' | 'limit-low') =>
      new Set(this.alarms.uncleared(kind).map((a) => a.subject));
    const high = raised('limit-high');
    const low = raised('limit-low');
    const configured = { high: new Set<string>(), low: new Set<string>() };
    for (const limit of this.site.alarmLimits ?? []) {
      const deviceId = limit.point.slice(0, limit.point.indexOf('.'));
      const monitor = new LimitMonitor(limit, { high: high.has(limit.point), low: low.has(limit.point) });
      this.monitors.set(deviceId, [...(this.monitors.get(deviceId) ?? []), monitor]);
      if (limit.high !== undefined) configured.high.add(limit.point);
      if (limit.low !== undefined) configured.low.add(limit.point);
    }
    for (const point of high)
      if (!configured.high.has(point))
        void this.queue.push(() => this.alarms.clear('limit-high', point, LIMIT_SOURCE, 'limit removed'));
    for (const point of low)
      if (!configured.low.has(point))
        void this.queue.push(() => this.alarms.clear('limit-low', point, LIMIT_SOURCE, 'limit removed'));
    if (this.monitors.size > 0)
      this.sub = this.scanner.scans$.subscribe(({ deviceId }) => this.evaluate(deviceId));
  }

  private evaluate(deviceId: string): void {
    const now = this.clock.now();
    for (const monitor of this.monitors.get(deviceId) ?? []) {
      // Per point per scan: the raw value, not a PointDto; the DTO (name, unit) only when an alarm changes.
      const live = this.live.raw(monitor.limit.point);
      const value = live?.quality === 'good' ? live.value : null;
      for (const t of monitor.step(value, now)) this.report(monitor, t);
    }
  }

  /** Only a good value makes a transition (LimitMonitor.step), so the point is known here. */
  private report(monitor: LimitMonitor, t: LimitTransition): void {
    const kind = t.side === 'high' ? 'limit-high' : 'limit-low';
    const key = monitor.limit.point;
    const point: PointDto = this.live.get(key)!;
    const unit = point.unit ? ` ${point.unit}` : '';
    if (t.action === 'raise') {
      const where = t.side === 'high' ? 'above high' : 'below low';
      void this.queue.push(() =>
        this.alarms.raise(
          {
            kind,
            subject: key,
            severity: 'minor',
            message: `${key} (${point.name}) ${t.value}${unit} ${where} limit ${t.limit}${unit}`,
            data: { value: t.value, limit: t.limit, deadband: monitor.limit.deadband ?? 0, unit: point.unit },
          },
          LIMIT_SOURCE,
        ),
      );
    } else {
      const why = `back at ${t.value}${unit} (limit ${t.limit}${unit}, deadband ${monitor.limit.deadband ?? 0})`;
      void this.queue.push(() => this.alarms.clear(kind, key, LIMIT_SOURCE, why));
    }
  }
}
