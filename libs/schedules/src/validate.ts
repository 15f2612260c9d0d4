/**
 * Validation of schedules and calendars: every problem at once, each naming
 * its path (`exceptions[2].period.calendar: unknown calendar "holidays"`), so
 * nothing is half-applied. validateX returns the issues; assertValidX throws
 * ScheduleValidationError with all of them.
 */
import { dateProblem, dayOf, formatDay } from './civil-date.js';
import { ScheduleValidationError } from './errors.js';
import type { ScheduleIssue } from './errors.js';
import { commonDay } from './overlap.js';
import { secondsOfDay, timeOfDayProblem } from './time-of-day.js';
import { DAYS_OF_WEEK } from './types.js';
import type { Calendar, CalendarEntry, ExceptionPeriod, Schedule, TimeValue } from './types.js';
import { timeZoneProblem } from './zone.js';

const WEEKS = [1, 2, 3, 4, 5, 'last', 'second-last', 'third-last', 'fourth-last', 'any'];

type Report = (path: string, message: string) => void;

function shown(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : typeof value === 'number' ? String(value) : typeof value;
}

export function valueProblem(value: unknown): string | undefined {
  if (value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    return `must be a finite number or null (relinquish), got ${shown(value)}`;
  return undefined;
}

function checkTimes(times: unknown, path: string, report: Report): void {
  if (!Array.isArray(times)) return report(path, 'must be a list of { time, value }');
  const seen = new Map<number, number>();
  (times as TimeValue[]).forEach((tv, i) => {
    const timeProblem = timeOfDayProblem(tv?.time);
    if (timeProblem !== undefined) report(`${path}[${i}].time`, timeProblem);
    else {
      const seconds = secondsOfDay(tv.time, path);
      const earlier = seen.get(seconds);
      if (earlier !== undefined)
        report(`${path}[${i}].time`, `duplicate time ${tv.time} (also at [${earlier}])`);
      else seen.set(seconds, i);
    }
    const problem = valueProblem(tv?.value);
    if (problem !== undefined) report(`${path}[${i}].value`, problem);
  });
}

function checkEntry(entry: CalendarEntry, path: string, report: Report): void {
  switch (entry?.kind) {
    case 'date': {
      const problem = dateProblem(entry.date, true);
      if (problem !== undefined) report(`${path}.date`, problem);
      return;
    }
    case 'range': {
      const fromProblem = dateProblem(entry.from, false);
      const toProblem = dateProblem(entry.to, false);
      if (fromProblem !== undefined) report(`${path}.from`, fromProblem);
      if (toProblem !== undefined) report(`${path}.to`, toProblem);
      if (fromProblem === undefined && toProblem === undefined && dayOf(entry.from) > dayOf(entry.to))
        report(path, `from ${entry.from} is after to ${entry.to}: the range is empty`);
      return;
    }
    case 'weekNDay': {
      const { month, weekOfMonth, dayOfWeek } = entry;
      const monthOk =
        month === 'odd' ||
        month === 'even' ||
        month === 'any' ||
        (Number.isInteger(month) && month >= 1 && month <= 12);
      if (!monthOk) report(`${path}.month`, `must be 1-12, "odd", "even" or "any", got ${shown(month)}`);
      if (!WEEKS.includes(weekOfMonth))
        report(
          `${path}.weekOfMonth`,
          `must be 1-5, "last", "second-last", "third-last", "fourth-last" or "any", got ${shown(weekOfMonth)}`,
        );
      if (dayOfWeek !== 'any' && !(DAYS_OF_WEEK as readonly string[]).includes(dayOfWeek))
        report(
          `${path}.dayOfWeek`,
          `must be a day name (monday .. sunday) or "any", got ${shown(dayOfWeek)}`,
        );
      return;
    }
    default:
      report(
        `${path}.kind`,
        `must be "date", "range" or "weekNDay", got ${shown((entry as { kind?: unknown })?.kind)}`,
      );
  }
}

/** Issues of one calendar; `path` prefixes every issue's path. */
export function validateCalendar(calendar: Calendar, path = ''): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const at = (suffix: string): string => (path === '' ? suffix : `${path}.${suffix}`);
  const report: Report = (p, message) => issues.push({ path: p, message });
  if (typeof calendar.name !== 'string' || calendar.name.trim() === '')
    report(at('name'), 'must be a non-empty name');
  if (!Array.isArray(calendar.entries))
    report(at('entries'), 'must be a list of dates, ranges and week-and-days');
  else calendar.entries.forEach((entry, i) => checkEntry(entry, at(`entries[${i}]`), report));
  return issues;
}

/** Issues of a set of calendars, including names used twice. */
export function validateCalendars(calendars: readonly Calendar[]): ScheduleIssue[] {
  const issues = calendars.flatMap((calendar, i) => validateCalendar(calendar, `calendars[${i}]`));
  const seen = new Map<string, number>();
  calendars.forEach((calendar, i) => {
    const earlier = seen.get(calendar.name);
    if (earlier !== undefined)
      issues.push({
        path: `calendars[${i}].name`,
        message: `calendar "${calendar.name}" is also calendars[${earlier}]`,
      });
    else seen.set(calendar.name, i);
  });
  return issues;
}

function checkPeriod(
  period: ExceptionPeriod,
  path: string,
  calendars: ReadonlyMap<string, Calendar>,
  report: Report,
): CalendarEntry[] | undefined {
  if (period?.kind !== 'calendar') {
    let ok = true;
    checkEntry(period, path, (p, message) => {
      ok = false;
      report(p, message);
    });
    return ok ? [period] : undefined;
  }
  const calendar = calendars.get(period.calendar);
  if (calendar === undefined) {
    report(`${path}.calendar`, `unknown calendar ${shown(period.calendar)}`);
    return undefined;
  }
  if (!Array.isArray(calendar.entries) || calendar.entries.length === 0) {
    report(`${path}.calendar`, `calendar "${calendar.name}" has no entries: the exception never applies`);
    return undefined;
  }
  // A calendar with bad entries is reported by validateCalendars; overlap checks need sound entries.
  return validateCalendar(calendar).length === 0 ? calendar.entries : undefined;
}

/** Every problem of a schedule, checked against the calendars it may refer to. */
export function validateSchedule(schedule: Schedule, calendars: readonly Calendar[]): ScheduleIssue[] {
  const issues: ScheduleIssue[] = [];
  const report: Report = (path, message) => issues.push({ path, message });
  if (typeof schedule.id !== 'string' || schedule.id.trim() === '') report('id', 'must be a non-empty id');
  if (typeof schedule.name !== 'string') report('name', 'must be a string');
  if (schedule.timeZone !== undefined) {
    const problem = timeZoneProblem(schedule.timeZone);
    if (problem !== undefined) report('timeZone', problem);
  }
  const defaultProblem = valueProblem(schedule.scheduleDefault);
  if (defaultProblem !== undefined) report('scheduleDefault', defaultProblem);

  const { from, to } = schedule.effectivePeriod ?? {};
  const fromProblem = from === 'any' ? undefined : dateProblem(from, false);
  const toProblem = to === 'any' ? undefined : dateProblem(to, false);
  if (fromProblem !== undefined) report('effectivePeriod.from', `${fromProblem} (or "any")`);
  if (toProblem !== undefined) report('effectivePeriod.to', `${toProblem} (or "any")`);
  if (
    fromProblem === undefined &&
    toProblem === undefined &&
    from !== 'any' &&
    to !== 'any' &&
    dayOf(from) > dayOf(to)
  )
    report('effectivePeriod', `from ${from} is after to ${to}: the schedule would never be in effect`);

  const weekly = (schedule.weekly ?? {}) as Record<string, unknown>;
  for (const day of DAYS_OF_WEEK) checkTimes(weekly[day], `weekly.${day}`, report);
  for (const key of Object.keys(weekly))
    if (!(DAYS_OF_WEEK as readonly string[]).includes(key))
      report(`weekly.${key}`, `unknown day "${key}" (monday .. sunday)`);

  if (!Array.isArray(schedule.exceptions)) {
    report('exceptions', 'must be a list');
    return issues;
  }
  const byName = new Map(calendars.map((calendar) => [calendar.name, calendar]));
  const periods = schedule.exceptions.map((ex, i) => {
    const path = `exceptions[${i}]`;
    if (!Number.isInteger(ex.priority) || ex.priority < 1 || ex.priority > 16)
      report(
        `${path}.priority`,
        `must be an integer from 1 (highest) to 16 (lowest), got ${shown(ex.priority)}`,
      );
    checkTimes(ex.times, `${path}.times`, report);
    if (Array.isArray(ex.times) && ex.times.length === 0)
      report(`${path}.times`, 'no time values: the exception never takes effect');
    return checkPeriod(ex.period, `${path}.period`, byName, report);
  });
  schedule.exceptions.forEach((later, j) => {
    for (let i = 0; i < j; i++) {
      const [a, b] = [periods[i], periods[j]];
      if (a === undefined || b === undefined || schedule.exceptions[i].priority !== later.priority) continue;
      const day = commonDay(a, b);
      if (day !== undefined)
        report(
          `exceptions[${j}].period`,
          `overlaps exceptions[${i}] at equal priority ${later.priority}: both hold on ${formatDay(day)}`,
        );
    }
  });
  return issues;
}

export function assertValidSchedule(schedule: Schedule, calendars: readonly Calendar[]): void {
  const issues = validateSchedule(schedule, calendars);
  if (issues.length > 0) throw new ScheduleValidationError(issues);
}

export function assertValidCalendars(calendars: readonly Calendar[]): void {
  const issues = validateCalendars(calendars);
  if (issues.length > 0) throw new ScheduleValidationError(issues);
}
