/**
 * The framework owns the rhythm (CONVENTIONS.md habit 2): one loop per device
 * at the site's poll interval, started staggered across the interval so the
 * buses are not hit in bursts. A loop never overlaps itself; an overrun skips
 * to the next slot. A device that fails marks only its own points comm-fail
 * and logs one line per change of state, not one per poll.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import type { LoadedSite, SiteDevice } from '#libs/profiles';
import type { DeviceHealthDto } from '#libs/contracts';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { LiveValues, pointKey } from '../points/live-values.js';
import { HistoryService } from '../points/history.service.js';
import type { SampleRow } from '../points/history.service.js';
import { FIELDBUS_DRIVERS } from './fieldbus-driver.js';
import type { DeviceContext, DriverRegistry } from './fieldbus-driver.js';

interface DeviceLoop {
  ctx: DeviceContext;
  timer?: NodeJS.Timeout;
  running?: Promise<void>;
  state: DeviceHealthDto['state'];
  lastError: string | null;
  lastScanAt: number | null;
}

@Injectable()
export class ScannerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly loops: DeviceLoop[];
  private stopped = false;

  constructor(
    @Inject(SITE) site: LoadedSite,
    @Inject(FIELDBUS_DRIVERS) private readonly drivers: DriverRegistry,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly live: LiveValues,
    private readonly history: HistoryService,
  ) {
    this.loops = site.devices.map((d) => ({
      ctx: { site: d, profile: site.profiles[d.profile] },
      state: 'starting',
      lastError: null,
      lastScanAt: null,
    }));
  }

  onApplicationBootstrap(): void {
    this.loops.forEach((loop, i) => {
      const offset = Math.floor((i * loop.ctx.site.pollIntervalMs) / this.loops.length);
      this.schedule(loop, offset % loop.ctx.site.pollIntervalMs);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const loop of this.loops) clearTimeout(loop.timer);
    await Promise.allSettled(this.loops.flatMap((l) => (l.running ? [l.running] : [])));
    await Promise.allSettled([...this.drivers.values()].map((d) => d.close()));
  }

  health(): DeviceHealthDto[] {
    return this.loops.map((l) => ({
      id: l.ctx.site.id,
      protocol: l.ctx.profile.protocol,
      state: l.state,
      lastError: l.lastError,
      lastScanAt: l.lastScanAt === null ? null : new Date(l.lastScanAt).toISOString(),
    }));
  }

  private schedule(loop: DeviceLoop, delayMs: number): void {
    if (this.stopped) return;
    loop.timer = setTimeout(() => {
      const started = this.clock.now();
      loop.running = this.scan(loop).finally(() => {
        const interval = loop.ctx.site.pollIntervalMs;
        const elapsed = this.clock.now() - started;
        // Keep the cadence; after an overrun, wait for the next slot instead of firing at once.
        this.schedule(loop, elapsed < interval ? interval - elapsed : interval - (elapsed % interval));
      });
    }, delayMs);
  }

  private async scan(loop: DeviceLoop): Promise<void> {
    const { site, profile } = loop.ctx;
    const driver = this.drivers.get(profile.protocol);
    if (!driver) throw new Error(`no driver for protocol ${profile.protocol}`);
    const now = (): number => this.clock.now();
    const rows: SampleRow[] = [];
    try {
      const outcomes = await driver.readMany(loop.ctx, profile.points);
      const at = now();
      const failed = outcomes.filter((o) => o.error !== undefined);
      for (const o of outcomes) {
        if (o.value !== undefined) this.live.update(site.id, o.pointId, o.value, at);
        else this.live.fail(site.id, o.pointId);
        rows.push({
          pointId: pointKey(site.id, o.pointId),
          ts: at,
          value: o.value ?? null,
          quality: o.value !== undefined ? 'good' : 'comm-fail',
        });
      }
      if (failed.length === outcomes.length && outcomes.length > 0)
        this.transition(loop, 'comm-fail', failed[0].error!);
      else
        this.transition(
          loop,
          'ok',
          failed.length ? `${failed.length} point(s) refused: ${failed[0].error}` : null,
        );
    } catch (err) {
      const at = now();
      for (const p of profile.points) {
        this.live.fail(site.id, p.id);
        rows.push({ pointId: pointKey(site.id, p.id), ts: at, value: null, quality: 'comm-fail' });
      }
      this.transition(loop, 'comm-fail', describe(err));
    }
    loop.lastScanAt = now();
    try {
      await this.history.record(rows);
    } catch (err) {
      this.log.error({ device: site.id, err: describe(err) }, 'history write failed');
    }
  }

  /** One log line per change of state, never one per poll; the latest error stays visible in /health. */
  private transition(loop: DeviceLoop, state: 'ok' | 'comm-fail', error: string | null): void {
    const changed = state !== loop.state;
    const from = loop.state;
    loop.state = state;
    loop.lastError = error;
    if (!changed) return;
    const device: SiteDevice = loop.ctx.site;
    if (state === 'comm-fail')
      this.log.warn({ device: device.id, from, error }, `device ${device.id} comm-fail: ${error}`);
    else if (from !== 'starting')
      this.log.info({ device: device.id, from }, `device ${device.id} back to ok`);
    else this.log.info({ device: device.id }, `device ${device.id} ok`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
