/**
 * Alarms a schedule raises about itself (issue 4 item 3): one that ends
 * within 14 days (the end of its effective period: the instant its last day
 * ends, in its zone), and one that never changes value (no transition within
 * the next-change horizon, NEXT_CHANGE_HORIZON_DAYS, which also covers a
 * schedule whose effective period has already ended).
 */
import { dayOf } from './civil-date.js';
import { NEXT_CHANGE_HORIZON_DAYS, effectiveAt, nextChange } from './evaluate.js';
import type { Calendar, Schedule, ScheduleAlarm } from './types.js';
import { ZoneClock } from './zone.js';

export const ENDING_SOON_DAYS = 14;
const DAY_MS = 86_400_000;

/**
 * The alarms that hold at `now`. "Within 14 days" is 14 x 24 hours of
 * elapsed time: endsAt - now <= 14 days, and the end is still ahead.
 */
export function scheduleAlarms(
  schedule: Schedule,
  calendars: readonly Calendar[],
  zone: string,
  now: Date,
): ScheduleAlarm[] {
  const alarms: ScheduleAlarm[] = [];
  const label = `schedule "${schedule.name}" (${schedule.id})`;
  // nextChange first: it throws ScheduleValidationError for a zone or schedule it cannot read.
  const change = nextChange(schedule, calendars, zone, now);
  const { to } = schedule.effectivePeriod;
  if (to !== 'any') {
    const clock = new ZoneClock(schedule.timeZone ?? zone);
    const endsAt = clock.startOfDay(dayOf(to) + 1);
    const left = endsAt - now.getTime();
    if (left > 0 && left <= ENDING_SOON_DAYS * DAY_MS)
      alarms.push({
        kind: 'ending-soon',
        scheduleId: schedule.id,
        endsAt: new Date(endsAt),
        message: `${label} ends after ${to} (in ${(left / DAY_MS).toFixed(1)} days); then it holds its default ${String(schedule.scheduleDefault)}`,
      });
  }
  if (change === null) {
    const { value } = effectiveAt(schedule, calendars, zone, now);
    alarms.push({
      kind: 'no-transitions',
      scheduleId: schedule.id,
      message: `${label} has no transitions: it holds ${String(value)} for at least the next ${NEXT_CHANGE_HORIZON_DAYS} days`,
    });
  }
  return alarms;
}
