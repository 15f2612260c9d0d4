/**
 * The outbox near its cap raises an alarm (kind 'outbox-near-cap', subject
 * 'outbox', severity major; issue 5 item 4): at 80% of the cap, cleared below
 * 75% (OutboxService.nearCap$ keeps the hysteresis). Telemetry is being or is
 * about to be thinned, so someone should look at the cloud link. At boot the
 * current state is applied, so an alarm left raised before a restart clears
 * if the outbox has drained meanwhile.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { LOGGER } from '../common/tokens.js';
import { OutboxService } from '../outbox/outbox.service.js';
import { AlarmService } from './alarm.service.js';
import type { AlarmPort } from './alarm.service.js';
import { Detector } from './detector-support.js';

export const OUTBOX_ALARM_SOURCE = 'outbox';
export const OUTBOX_ALARM_SUBJECT = 'outbox';

/** What the detector reads of the outbox. */
export interface OutboxLevel {
  readonly nearCap$: Observable<boolean>;
  readonly capBytes: number;
  stats(): { usedBytes: number; runwaySeconds: number | null };
}

@Injectable()
export class OutboxCapAlarms extends Detector implements OnApplicationBootstrap {
  constructor(
    @Inject(OutboxService) private readonly outbox: OutboxLevel,
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(LOGGER) log: Logger,
  ) {
    super(log, 'outbox cap alarm');
  }

  onApplicationBootstrap(): void {
    this.sub = this.outbox.nearCap$.subscribe((near) => this.apply(near));
  }

  private apply(near: boolean): void {
    if (!near) {
      void this.queue.push(() =>
        this.alarms.clear(
          'outbox-near-cap',
          OUTBOX_ALARM_SUBJECT,
          OUTBOX_ALARM_SOURCE,
          'outbox below 75% of its cap',
        ),
      );
      return;
    }
    const { usedBytes, runwaySeconds } = this.outbox.stats();
    const percent = Math.round((usedBytes / this.outbox.capBytes) * 100);
    void this.queue.push(() =>
      this.alarms.raise(
        {
          kind: 'outbox-near-cap',
          subject: OUTBOX_ALARM_SUBJECT,
          severity: 'major',
          message: `outbox at ${percent}% of its ${this.outbox.capBytes}-byte cap: the oldest telemetry will be thinned`,
          data: { usedBytes, capBytes: this.outbox.capBytes, runwaySeconds },
        },
        OUTBOX_ALARM_SOURCE,
      ),
    );
  }
}
