/**
 * The controller's alarms (issue 4 item 6): detectors raise and clear
 * conditions here, people acknowledge occurrences through the API. The rules
 * of an occurrence's life are alarm-state.ts; storage and the events that
 * record every change are alarm-store.ts. Each change is logged once.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import type { AlarmDto, AlarmKind } from '#libs/contracts';
import { CLOCK } from '../common/clock.js';
import type { Clock } from '../common/clock.js';
import { LOGGER } from '../common/tokens.js';
import { SqliteJournal } from '../events/sqlite-journal.js';
import { AlarmStore } from './alarm-store.js';
import type { AlarmCondition, AlarmListQuery } from './alarm-store.js';

/** What the detectors need of the alarm service (a small port so they are tested with doubles). */
export interface AlarmPort {
  raise(c: AlarmCondition, source: string): Promise<AlarmDto | null>;
  clear(kind: AlarmKind, subject: string, source: string, why?: string): Promise<AlarmDto | null>;
  uncleared(kind?: AlarmKind): AlarmDto[];
}

@Injectable()
export class AlarmService implements AlarmPort {
  private readonly store: AlarmStore;

  constructor(
    journal: SqliteJournal,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.store = new AlarmStore(journal);
  }

  async raise(c: AlarmCondition, source: string): Promise<AlarmDto | null> {
    const alarm = await this.store.raise(c, source, this.clock.now());
    if (alarm)
      this.log.warn(
        { alarm: alarm.id, kind: c.kind, subject: c.subject, severity: c.severity },
        `alarm ${alarm.id} raised: ${c.message}`,
      );
    return alarm;
  }

  async clear(kind: AlarmKind, subject: string, source: string, why?: string): Promise<AlarmDto | null> {
    const alarm = await this.store.clear(kind, subject, source, this.clock.now(), why);
    if (alarm)
      this.log.info(
        { alarm: alarm.id, kind, subject, state: alarm.state },
        `alarm ${alarm.id} cleared: ${kind} ${subject}${why ? `: ${why}` : ''}`,
      );
    return alarm;
  }

  async acknowledge(id: number, by: string, comment: string): Promise<AlarmDto> {
    const alarm = await this.store.acknowledge(id, by, comment, this.clock.now());
    this.log.info({ alarm: id, by, state: alarm.state }, `alarm ${id} acknowledged by ${by}: ${comment}`);
    return alarm;
  }

  get(id: number): AlarmDto | undefined {
    return this.store.get(id);
  }

  list(q: AlarmListQuery): AlarmDto[] {
    return this.store.list(q);
  }

  uncleared(kind?: AlarmKind): AlarmDto[] {
    return this.store.uncleared(kind);
  }
}
