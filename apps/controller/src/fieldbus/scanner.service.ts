/**
 * The controller's scanner: the ScanEngine (scan-engine.ts) wired to live
 * values and history, started when the app boots and stopped, with every
 * driver and bus, when it shuts down. `scans$` tells what runs every scan
 * (the interlocks) that a device's live values were just refreshed.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { Subject } from 'rxjs';
import type { Observable } from 'rxjs';
import type { DeviceHealthDto } from '#libs/contracts';
import { BusRegistry, systemClock } from '#libs/fieldbus';
import type { LoadedSite } from '#libs/profiles';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER, SITE } from '../common/tokens.js';
import { HistoryService } from '../points/history.service.js';
import { LiveValues, pointKey } from '../points/live-values.js';
import { FIELDBUS_BUSES, FIELDBUS_DRIVERS } from './driver-registry.js';
import type { DriverRegistry } from './driver-registry.js';
import { ScanEngine } from './scan-engine.js';
import type { ScanSink } from './scan-engine.js';

/** A device's read cycle finished (or its pushed values were recorded): its live values are current as of `at`. */
export interface ScanTick {
  deviceId: string;
  at: number;
}

/**
 * The scan's results into live values and history; each recorded batch then
 * ticks once per device in it, after its values are in LiveValues. A tick is
 * emitted synchronously: subscribers must return at once and never throw.
 */
export function scanSink(
  live: Pick<LiveValues, 'update' | 'fail' | 'setPushed'>,
  history: Pick<HistoryService, 'record'>,
  tick: (t: ScanTick) => void,
  now: () => number,
): ScanSink {
  return {
    value: (deviceId, pointId, value, at) => live.update(deviceId, pointId, value, at),
    fail: (deviceId, pointId, error) => live.fail(deviceId, pointId, error),
    pushed: (deviceId, pointId, pushed) => live.setPushed(deviceId, pointId, pushed),
    record: (samples) => {
      const at = now();
      for (const deviceId of new Set(samples.map((s) => s.deviceId))) tick({ deviceId, at });
      return history.record(
        samples.map((s) => ({
          pointId: pointKey(s.deviceId, s.pointId),
          ts: s.ts,
          value: s.value,
          quality: s.quality,
        })),
      );
    },
  };
}

@Injectable()
export class ScannerService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly engine: ScanEngine;
  private readonly ticks = new Subject<ScanTick>();
  /** One tick per device and read cycle; completes at shutdown. */
  readonly scans$: Observable<ScanTick> = this.ticks.asObservable();

  constructor(
    @Inject(SITE) site: LoadedSite,
    @Inject(FIELDBUS_DRIVERS) private readonly drivers: DriverRegistry,
    @Inject(FIELDBUS_BUSES) private readonly buses: BusRegistry,
    @Inject(CLOCK) clock: Clock,
    @Inject(LOGGER) log: Logger,
    live: LiveValues,
    history: HistoryService,
  ) {
    this.engine = new ScanEngine({
      site,
      drivers,
      log,
      // Time stamps come from the injected clock; timers run in real time, as the buses do.
      clock: { ...systemClock, now: () => clock.now() },
      sink: scanSink(
        live,
        history,
        (t) => this.ticks.next(t),
        () => clock.now(),
      ),
    });
  }

  onApplicationBootstrap(): void {
    this.engine.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.engine.stop();
    this.ticks.complete();
    await Promise.allSettled([...this.drivers.values()].map((d) => d.close()));
    await this.buses.close();
  }

  health(): DeviceHealthDto[] {
    return this.engine.health();
  }

  deviceHealth(deviceId: string): DeviceHealthDto | undefined {
    return this.engine.deviceHealth(deviceId);
  }
}
