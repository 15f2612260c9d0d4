/**
 * A record the cloud refuses as too large even on its own holds the whole
 * upload queue (batch-uploader.ts: it is never dropped nor skipped), so it
 * raises an alarm (kind 'sync-record-too-large', subject 'cloud-sync',
 * severity major), which the alarm store also records as an event. It clears
 * when the cloud takes the record (its body limit was raised), or at the first
 * acknowledged batch after a restart if it was left raised.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { AlarmService } from '../alarms/alarm.service.js';
import type { AlarmPort } from '../alarms/alarm.service.js';
import { Detector } from '../alarms/detector-support.js';
import { LOGGER } from '../common/tokens.js';
import type { OversizedRecord } from './batch-uploader.js';
import { SyncService } from './sync.service.js';

export const SYNC_ALARM_SOURCE = 'sync';
export const SYNC_ALARM_SUBJECT = 'cloud-sync';

/** What the detector reads of the sync client. */
export interface OversizedSource {
  readonly uploader: { readonly oversized$: Observable<OversizedRecord | null> };
}

@Injectable()
export class SyncAlarms extends Detector implements OnApplicationBootstrap {
  constructor(
    @Inject(SyncService) private readonly sync: OversizedSource,
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(LOGGER) log: Logger,
  ) {
    super(log, 'sync alarm');
  }

  onApplicationBootstrap(): void {
    this.sub = this.sync.uploader.oversized$.subscribe((r) => this.apply(r));
  }

  private apply(r: OversizedRecord | null): void {
    if (r === null) {
      void this.queue.push(() =>
        this.alarms.clear(
          'sync-record-too-large',
          SYNC_ALARM_SUBJECT,
          SYNC_ALARM_SOURCE,
          'the cloud took the record',
        ),
      );
      return;
    }
    void this.queue.push(() =>
      this.alarms.raise(
        {
          kind: 'sync-record-too-large',
          subject: SYNC_ALARM_SUBJECT,
          severity: 'major',
          message:
            `outbox record ${r.seq} (${r.bytes} bytes) is larger than the cloud accepts: ` +
            `nothing after it reaches the cloud until the cloud's body limit is raised (${r.detail})`,
          data: { seq: r.seq, bytes: r.bytes, detail: r.detail },
        },
        SYNC_ALARM_SOURCE,
      ),
    );
  }
}
