/**
 * A write the device did not take (after WriteService's retries) raises an
 * alarm (kind 'write-failed', subject the point key, severity major); a later
 * successful write to the point clears it (DESIGN.md point 3). Refusals made
 * before the device was asked (read-only, outside the safe range) are the
 * caller's errors, not the device's, and raise nothing.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Observable } from 'rxjs';
import { LOGGER } from '../common/tokens.js';
import { WriteService } from '../writes/write.service.js';
import type { WriteResult } from '../writes/write.service.js';
import { AlarmService } from './alarm.service.js';
import type { AlarmPort } from './alarm.service.js';
import { Detector } from './detector-support.js';

export const WRITE_SOURCE = 'writes';

@Injectable()
export class WriteFailureAlarms extends Detector implements OnApplicationBootstrap {
  /** Points with an uncleared write-failed alarm: only those need a clear on success. */
  private readonly failing = new Set<string>();

  constructor(
    @Inject(WriteService) private readonly writes: { readonly results$: Observable<WriteResult> },
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(LOGGER) log: Logger,
  ) {
    super(log, 'write alarms');
  }

  onApplicationBootstrap(): void {
    for (const a of this.alarms.uncleared('write-failed')) this.failing.add(a.subject);
    this.sub = this.writes.results$.subscribe((r) => this.onResult(r));
  }

  private onResult(r: WriteResult): void {
    if (r.ok) {
      if (!this.failing.delete(r.point)) return;
      const what = r.value === null ? `relinquish at priority ${r.priority}` : `${r.value}`;
      void this.queue.push(() =>
        this.alarms.clear('write-failed', r.point, WRITE_SOURCE, `write ${r.point} = ${what} succeeded`),
      );
      return;
    }
    if (r.attempts === 0) return;
    this.failing.add(r.point);
    const what = r.value === null ? `relinquish of priority ${r.priority}` : `write ${r.point} = ${r.value}`;
    const at = r.value !== null && r.priority !== undefined ? ` at priority ${r.priority}` : '';
    const code = r.error?.code ?? 'unknown';
    void this.queue.push(() =>
      this.alarms.raise(
        {
          kind: 'write-failed',
          subject: r.point,
          severity: 'major',
          message: `${r.value === null ? `${r.point}: ${what}` : what}${at} failed after ${r.attempts} attempt(s) (${code}): ${r.error?.message ?? ''}`,
          data: {
            value: r.value,
            ...(r.priority !== undefined ? { priority: r.priority } : {}),
            attempts: r.attempts,
            error: r.error ?? null,
          },
        },
        WRITE_SOURCE,
      ),
    );
  }
}
