/**
 * Alarms a schedule raises about itself (libs/schedules scheduleAlarms): one
 * that ends within 14 days (kind 'schedule-ending') and one without
 * transitions (kind 'schedule-no-transitions'); subject the schedule id,
 * severity warning. Evaluated over the live configuration (CONFIGURATION)
 * on every change of it and once a day; each evaluation raises what holds and
 * clears what no longer does (a schedule edited, extended or deleted).
 *
 * CONFIGURATION is optional: a controller without the snapshot store wired
 * has no live schedules to check, and this detector stays idle.
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import type { OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AlarmKind } from '#libs/contracts';
import { scheduleAlarms } from '#libs/schedules';
import type { Calendar, ScheduleAlarm } from '#libs/schedules';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER } from '../common/tokens.js';
import { CONFIGURATION } from '../configuration/configuration.port.js';
import type {
  ConfigurationPort,
  ConfigurationState,
  ControllerSchedule,
} from '../configuration/configuration.port.js';
import { AlarmService } from './alarm.service.js';
import type { AlarmPort } from './alarm.service.js';
import type { AlarmCondition } from './alarm-store.js';
import { ALARM_TIMERS, Detector } from './detector-support.js';
import type { Timers } from './detector-support.js';

export const SCHEDULE_SOURCE = 'schedules';
export const SCHEDULE_CHECK_MS = 24 * 3_600_000;

const KINDS: Record<ScheduleAlarm['kind'], AlarmKind> = {
  'ending-soon': 'schedule-ending',
  'no-transitions': 'schedule-no-transitions',
};

@Injectable()
export class ScheduleAlarms extends Detector implements OnApplicationBootstrap {
  private timer?: unknown;
  private closed = false;

  constructor(
    @Inject(AlarmService) private readonly alarms: AlarmPort,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(ALARM_TIMERS) private readonly timers: Timers,
    @Inject(LOGGER) private readonly log: Logger,
    @Optional() @Inject(CONFIGURATION) private readonly configuration?: ConfigurationPort,
  ) {
    super(log, 'schedule alarms');
  }

  onApplicationBootstrap(): void {
    const port = this.configuration;
    if (!port) return;
    this.sub = port.changes$.subscribe((state) => void this.queue.push(() => this.evaluate(state)));
    this.armDaily();
  }

  override onModuleDestroy(): void {
    this.closed = true;
    super.onModuleDestroy();
    if (this.timer !== undefined) this.timers.clear(this.timer);
  }

  private armDaily(): void {
    if (this.closed) return;
    this.timer = this.timers.set(() => {
      const port = this.configuration;
      if (port) void this.queue.push(() => this.evaluate(port.current()));
      this.armDaily();
    }, SCHEDULE_CHECK_MS);
  }

  private async evaluate({ configuration }: ConfigurationState): Promise<void> {
    const now = new Date(this.clock.now());
    const calendars = Object.values(configuration.calendars) as Calendar[];
    const wanted = new Map<string, AlarmCondition>();
    for (const [id, raw] of Object.entries(configuration.schedules)) {
      const schedule = raw as ControllerSchedule;
      let found: ScheduleAlarm[];
      try {
        found = scheduleAlarms(schedule, calendars, configuration.site.timeZone, now);
      } catch (err) {
        // The configuration is validated before it is committed; a schedule that still cannot be read is logged, not alarmed twice.
        this.log.error({ schedule: id }, `schedule ${id} could not be checked: ${(err as Error).message}`);
        continue;
      }
      for (const a of found) {
        const kind = KINDS[a.kind];
        wanted.set(`${kind}\u0000${schedule.id}`, {
          kind,
          subject: schedule.id,
          severity: 'warning',
          message: a.message,
          data: {
            scheduleKind: schedule.kind,
            targets: schedule.targets,
            ...(a.kind === 'ending-soon' ? { endsAt: a.endsAt.toISOString() } : {}),
          },
        });
      }
    }
    for (const c of wanted.values()) await this.alarms.raise(c, SCHEDULE_SOURCE);
    for (const kind of Object.values(KINDS))
      for (const open of this.alarms.uncleared(kind))
        if (!wanted.has(`${kind}\u0000${open.subject}`))
          await this.alarms.clear(kind, open.subject, SCHEDULE_SOURCE, 'no longer holds');
  }
}
