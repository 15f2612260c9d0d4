/**
 * What the alarm detectors share: a failure to record an alarm is logged,
 * never thrown into the scan, write or configuration path that reported it;
 * and timers are injected like the clock, so the daily checks are tested
 * without waiting.
 */
import type { OnModuleDestroy } from '@nestjs/common';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { systemTimers } from '../commands/timers.js';
import type { Timers } from '../commands/timers.js';

export const ALARM_TIMERS = Symbol('ALARM_TIMERS');
export const defaultAlarmTimers: Timers = systemTimers;
export type { Timers };

/** Runs detector work one job after another, so a clear never overtakes the raise before it. */
export class DetectorQueue {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly log: Pick<Logger, 'error'>,
    private readonly what: string,
  ) {}

  push(job: () => Promise<unknown>): Promise<void> {
    this.chain = this.chain.then(job).then(
      () => undefined,
      (err: unknown) =>
        this.log.error(
          { err: err instanceof Error ? err.message : String(err) },
          `${this.what}: could not record an alarm: ${err instanceof Error ? err.message : String(err)}`,
        ),
    );
    return this.chain;
  }

  /** Settles when every queued job has; for tests and shutdown. */
  idle(): Promise<void> {
    return this.chain;
  }
}

/** What every detector shares: its queue of alarm work, and the subscription that feeds it, ended at shutdown. */
export abstract class Detector implements OnModuleDestroy {
  protected readonly queue: DetectorQueue;
  protected sub?: Subscription;

  protected constructor(log: Pick<Logger, 'error'>, what: string) {
    this.queue = new DetectorQueue(log, what);
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /** Settles when every queued job has; for tests and shutdown. */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
