/**
 * A schedule as the API shows it: the stored schedule plus what is in force
 * now (`effective`) and what changes next (`next`), evaluated by libs/schedules
 * in the schedule's zone (the site's when it names none).
 */
import { effectiveAt, nextChange } from '#libs/schedules';
import type { Calendar } from '#libs/schedules';
import type { Configuration } from '#libs/snapshots';
import type { ControllerSchedule } from '../configuration/configuration.port.js';

export interface ScheduleView extends ControllerSchedule {
  effective: { value: number | null; source: 'exception' | 'weekly' | 'default'; priority?: number };
  /** The next instant the value changes (ISO 8601), within 400 days; null when it never does. */
  next: { at: string; value: number | null } | null;
}

export function scheduleView(schedule: ControllerSchedule, config: Configuration, now: Date): ScheduleView {
  const calendars = Object.values(config.calendars) as Calendar[];
  const zone = schedule.timeZone ?? config.site.timeZone;
  const { value, source, priority } = effectiveAt(schedule, calendars, zone, now);
  const next = nextChange(schedule, calendars, zone, now);
  return {
    ...schedule,
    effective: priority === undefined ? { value, source } : { value, source, priority },
    next: next === null ? null : { at: next.at.toISOString(), value: next.value },
  };
}
