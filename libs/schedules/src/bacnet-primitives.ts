/**
 * Dates, times, values and calendar entries between the plain types and
 * BACnet's (ASHRAE 135 Clause 20.2.12 Date, 20.2.13 Time, Clause 21
 * BACnetCalendarEntry / BACnetWeekNDay). Converters collect issues instead of
 * throwing, so one conversion reports every field it cannot carry; on an issue
 * they return a placeholder that bacnet-convert.ts never lets out.
 */
import { dateParts, dateProblem, daysFromCivil, isoDayOfWeek } from './civil-date.js';
import type { ScheduleIssue } from './errors.js';
import { formatTimeOfDay, secondsOfDay, timeOfDayProblem } from './time-of-day.js';
import { DAYS_OF_WEEK } from './types.js';
import type { CalendarEntry, TimeValue, WeekNDay } from './types.js';
import { BACNET_UNSPECIFIED as ANY } from './bacnet-types.js';
import type {
  BacnetCalendarEntry,
  BacnetDate,
  BacnetTime,
  BacnetTimeValue,
  BacnetValue,
  BacnetValueType,
  BacnetWeekNDay,
} from './bacnet-types.js';

export class Issues {
  readonly list: ScheduleIssue[] = [];
  add(path: string, message: string): void {
    this.list.push({ path, message });
  }
  /** Record an issue and go on with a placeholder. */
  fail<T>(path: string, message: string, placeholder: T): T {
    this.add(path, message);
    return placeholder;
  }
}

export const ANY_DATE: BacnetDate = { year: ANY, month: ANY, day: ANY, dayOfWeek: ANY };
const PLACEHOLDER_DATE = '2000-01-01';

export function isAnyDate(date: BacnetDate): boolean {
  return date.year === ANY && date.month === ANY && date.day === ANY && date.dayOfWeek === ANY;
}

/** A specific date, or (yearly) '*-MM-DD' as year 255. The weekday is left unspecified. */
export function toBacnetDate(text: string, path: string, issues: Issues): BacnetDate {
  const problem = dateProblem(text, true);
  if (problem !== undefined) return issues.fail(path, problem, ANY_DATE);
  const { year, month, day } = dateParts(text);
  // The year octet holds year - 1900 (Clause 20.2.12), 255 being "unspecified".
  if (year !== undefined && (year < 1900 || year > 2154))
    issues.add(path, `year ${year} cannot be sent: BACnet dates run from 1900 to 2154`);
  return { year: year ?? ANY, month, day, dayOfWeek: ANY };
}

export function fromBacnetDate(date: BacnetDate, path: string, issues: Issues, yearly: boolean): string {
  const before = issues.list.length;
  const { year, month, day, dayOfWeek } = date;
  if (year === ANY && !yearly)
    issues.add(`${path}.year`, 'an unspecified year is only supported in a single date');
  else if (year !== ANY && !(Number.isInteger(year) && year >= 1900 && year <= 2154))
    issues.add(`${path}.year`, `must be 1900-2154 or 255 (any), got ${year}`);
  if (month === 13 || month === 14 || month === ANY)
    issues.add(
      `${path}.month`,
      `month ${month} (odd, even or any) in a Date is not supported: use a week-and-day`,
    );
  else if (!(Number.isInteger(month) && month >= 1 && month <= 12))
    issues.add(`${path}.month`, `must be 1-12, got ${month}`);
  if (day === 32 || day === 33 || day === 34 || day === ANY)
    issues.add(`${path}.day`, `day ${day} (last, odd, even or any) in a Date is not supported`);
  else if (!(Number.isInteger(day) && day >= 1 && day <= 31))
    issues.add(`${path}.day`, `must be 1-31, got ${day}`);
  if (issues.list.length > before) return PLACEHOLDER_DATE;
  const two = (n: number): string => String(n).padStart(2, '0');
  const text = `${year === ANY ? '*' : String(year)}-${two(month)}-${two(day)}`;
  const problem = dateProblem(text, true);
  if (problem !== undefined) return issues.fail(path, problem, PLACEHOLDER_DATE);
  if (dayOfWeek !== ANY) {
    // A weekday that agrees with a specific date says nothing more; any other narrows it, which we cannot hold.
    const actual = year === ANY ? undefined : isoDayOfWeek(daysFromCivil(year, month, day));
    if (actual !== dayOfWeek)
      issues.add(
        `${path}.dayOfWeek`,
        `weekday ${dayOfWeek} on ${text} is not supported (only 255 or the date's own)`,
      );
  }
  return text;
}

export function toBacnetTime(text: string, path: string, issues: Issues): BacnetTime {
  const problem = timeOfDayProblem(text);
  if (problem !== undefined)
    return issues.fail(path, problem, { hour: 0, minute: 0, second: 0, hundredths: 0 });
  const seconds = secondsOfDay(text, path);
  return {
    hour: Math.floor(seconds / 3600),
    minute: Math.floor(seconds / 60) % 60,
    second: seconds % 60,
    hundredths: 0,
  };
}

export function fromBacnetTime(time: BacnetTime, path: string, issues: Issues): string {
  const { hour, minute, second, hundredths } = time;
  if ([hour, minute, second, hundredths].includes(ANY))
    return issues.fail(path, 'unspecified (255) time fields are not allowed in a schedule', '00:00');
  const ok = (n: number, max: number): boolean => Number.isInteger(n) && n >= 0 && n <= max;
  if (!ok(hour, 23) || !ok(minute, 59) || !ok(second, 59))
    return issues.fail(path, `not a time of day: ${hour}:${minute}:${second}`, '00:00');
  if (hundredths !== 0)
    issues.add(`${path}.hundredths`, `hundredths of a second are not supported, got ${hundredths}`);
  return formatTimeOfDay(hour, minute, second);
}

export function toBacnetValue(
  value: number | null,
  type: BacnetValueType,
  path: string,
  issues: Issues,
): BacnetValue {
  if (value === null) return { type: 'null' };
  const fail = (message: string): BacnetValue => issues.fail<BacnetValue>(path, message, { type: 'null' });
  if (!Number.isFinite(value)) return fail(`must be a finite number, got ${value}`);
  switch (type) {
    case 'boolean':
      return value === 0 || value === 1
        ? { type, value: value === 1 }
        : fail(`a boolean schedule holds 0 or 1, got ${value}`);
    case 'unsigned':
    case 'enumerated':
      return Number.isInteger(value) && value >= 0 && value <= 0xffff_ffff
        ? { type, value }
        : fail(`an ${type} schedule holds whole numbers 0..4294967295, got ${value}`);
    case 'signed':
      return Number.isInteger(value) && Math.abs(value) <= 0x7fff_ffff
        ? { type, value }
        : fail(`a signed schedule holds 32-bit whole numbers, got ${value}`);
    case 'real':
    case 'double':
      return { type, value };
  }
}

/** The plain value; each non-NULL datatype seen is recorded with its first path (a Schedule holds one). */
export function fromBacnetValue(
  value: BacnetValue,
  path: string,
  issues: Issues,
  types: Map<BacnetValueType, string>,
): number | null {
  if (value.type === 'null') return null;
  if (!types.has(value.type)) types.set(value.type, path);
  if (value.type === 'boolean') return value.value ? 1 : 0;
  if (!Number.isFinite(value.value))
    return issues.fail(path, `must be a finite number, got ${value.value}`, null);
  return value.value;
}

export function toBacnetTimeValues(
  list: TimeValue[],
  type: BacnetValueType,
  path: string,
  issues: Issues,
): BacnetTimeValue[] {
  return list.map((tv, i) => ({
    time: toBacnetTime(tv.time, `${path}[${i}].time`, issues),
    value: toBacnetValue(tv.value, type, `${path}[${i}].value`, issues),
  }));
}

export function fromBacnetTimeValues(
  list: BacnetTimeValue[],
  path: string,
  issues: Issues,
  types: Map<BacnetValueType, string>,
): TimeValue[] {
  return list.map((tv, i) => ({
    time: fromBacnetTime(tv.time, `${path}[${i}].time`, issues),
    value: fromBacnetValue(tv.value, `${path}[${i}].value`, issues, types),
  }));
}

const WEEK_CODES = ['last', 'second-last', 'third-last', 'fourth-last'] as const; // 6..9

export function toBacnetWeekNDay(w: WeekNDay): BacnetWeekNDay {
  const month = w.month === 'any' ? ANY : w.month === 'odd' ? 13 : w.month === 'even' ? 14 : w.month;
  const week = w.weekOfMonth;
  const weekOfMonth = week === 'any' ? ANY : typeof week === 'number' ? week : 6 + WEEK_CODES.indexOf(week);
  const dayOfWeek = w.dayOfWeek === 'any' ? ANY : DAYS_OF_WEEK.indexOf(w.dayOfWeek) + 1;
  return { month, weekOfMonth, dayOfWeek };
}

export function fromBacnetWeekNDay(w: BacnetWeekNDay, path: string, issues: Issues): WeekNDay {
  const result: WeekNDay = { month: 'any', weekOfMonth: 'any', dayOfWeek: 'any' };
  const isIn = (n: number, lo: number, hi: number): boolean => Number.isInteger(n) && n >= lo && n <= hi;
  if (w.month === 13 || w.month === 14) result.month = w.month === 13 ? 'odd' : 'even';
  else if (isIn(w.month, 1, 12)) result.month = w.month;
  else if (w.month !== ANY) issues.add(`${path}.month`, `must be 1-14 or 255, got ${w.month}`);
  if (isIn(w.weekOfMonth, 1, 5)) result.weekOfMonth = w.weekOfMonth as 1 | 2 | 3 | 4 | 5;
  else if (isIn(w.weekOfMonth, 6, 9)) result.weekOfMonth = WEEK_CODES[w.weekOfMonth - 6];
  else if (w.weekOfMonth !== ANY)
    issues.add(`${path}.weekOfMonth`, `must be 1-9 or 255, got ${w.weekOfMonth}`);
  if (isIn(w.dayOfWeek, 1, 7)) result.dayOfWeek = DAYS_OF_WEEK[w.dayOfWeek - 1];
  else if (w.dayOfWeek !== ANY) issues.add(`${path}.dayOfWeek`, `must be 1-7 or 255, got ${w.dayOfWeek}`);
  return result;
}

export function toBacnetEntry(entry: CalendarEntry, path: string, issues: Issues): BacnetCalendarEntry {
  switch (entry.kind) {
    case 'date':
      return { type: 'date', date: toBacnetDate(entry.date, `${path}.date`, issues) };
    case 'range':
      for (const end of ['from', 'to'] as const)
        if (entry[end].startsWith('*')) issues.add(`${path}.${end}`, 'a range needs specific dates');
      return {
        type: 'dateRange',
        dateRange: {
          startDate: toBacnetDate(entry.from, `${path}.from`, issues),
          endDate: toBacnetDate(entry.to, `${path}.to`, issues),
        },
      };
    case 'weekNDay': {
      const { kind: _kind, ...weekNDay } = entry;
      return { type: 'weekNDay', weekNDay: toBacnetWeekNDay(weekNDay) };
    }
  }
}

export function fromBacnetEntry(entry: BacnetCalendarEntry, path: string, issues: Issues): CalendarEntry {
  switch (entry.type) {
    case 'date':
      return { kind: 'date', date: fromBacnetDate(entry.date, `${path}.date`, issues, true) };
    case 'dateRange':
      return {
        kind: 'range',
        from: fromBacnetDate(entry.dateRange.startDate, `${path}.dateRange.startDate`, issues, false),
        to: fromBacnetDate(entry.dateRange.endDate, `${path}.dateRange.endDate`, issues, false),
      };
    case 'weekNDay':
      return { kind: 'weekNDay', ...fromBacnetWeekNDay(entry.weekNDay, `${path}.weekNDay`, issues) };
  }
}
