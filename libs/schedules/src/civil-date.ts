/**
 * Calendar arithmetic on day numbers (days since 1970-01-01, proleptic
 * Gregorian), and the matching of BACnetCalendarEntry values (ASHRAE 135
 * Clause 21: Date, BACnetDateRange, BACnetWeekNDay) against one day. Pure and
 * zone-free: zone.ts turns instants into day numbers first.
 */
import { DAYS_OF_WEEK } from './types.js';
import type { CalendarEntry, DayOfWeek, WeekNDay } from './types.js';

export type DayNumber = number;

export interface CivilDate {
  year: number;
  month: number;
  day: number;
}

// Howard Hinnant's days_from_civil / civil_from_days: exact for every Gregorian date.
export function daysFromCivil(year: number, month: number, day: number): DayNumber {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: DayNumber): CivilDate {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 1 = Monday .. 7 = Sunday, as BACnetDayOfWeek; 1970-01-01 was a Thursday. */
export function isoDayOfWeek(days: DayNumber): number {
  return ((((days + 3) % 7) + 7) % 7) + 1;
}

export function dayOfWeekName(days: DayNumber): DayOfWeek {
  return DAYS_OF_WEEK[isoDayOfWeek(days) - 1];
}

export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

export function daysInMonth(year: number, month: number): number {
  return month === 2 ? (isLeapYear(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

export function formatDay(days: DayNumber): string {
  const { year, month, day } = civilFromDays(days);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const DATE_PATTERN = /^(\d{4}|\*)-(\d{2})-(\d{2})$/;

/** A parsed 'YYYY-MM-DD' or '*-MM-DD'; year undefined means every year. */
export interface DateParts {
  year: number | undefined;
  month: number;
  day: number;
}

/** undefined when `text` is a real date ('*-MM-DD' too when `yearly`), else why not. */
export function dateProblem(text: unknown, yearly: boolean): string | undefined {
  const form = yearly ? 'YYYY-MM-DD or *-MM-DD' : 'YYYY-MM-DD';
  if (typeof text !== 'string') return `must be a date ${form}`;
  const m = DATE_PATTERN.exec(text);
  if (m === null || (!yearly && m[1] === '*')) return `malformed date "${text}": expected ${form}`;
  const year = m[1] === '*' ? undefined : Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12) return `malformed date "${text}": month must be 01-12`;
  // A yearly 29 February is legal: it holds in leap years only.
  const last = year === undefined ? daysInMonth(2000, month) : daysInMonth(year, month);
  if (day < 1 || day > last) return `"${text}" is not a date: ${monthName(month)} has ${last} days`;
  return undefined;
}

function monthName(month: number): string {
  return new Date(Date.UTC(2000, month - 1, 1)).toLocaleString('en', { month: 'long', timeZone: 'UTC' });
}

/** Parse a date already checked by dateProblem. */
export function dateParts(text: string): DateParts {
  const m = DATE_PATTERN.exec(text);
  if (m === null) throw new RangeError(`malformed date "${text}"`);
  return { year: m[1] === '*' ? undefined : Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
}

/** Day number of a specific date 'YYYY-MM-DD' (checked by dateProblem). */
export function dayOf(text: string): DayNumber {
  const { year, month, day } = dateParts(text);
  if (year === undefined) throw new RangeError(`"${text}" is a yearly pattern, not a date`);
  return daysFromCivil(year, month, day);
}

/** Week-of-month bands of BACnetWeekNDay, as [first, last] day of the month. */
function weekBand(week: Exclude<WeekNDay['weekOfMonth'], 'any'>, monthLength: number): [number, number] {
  switch (week) {
    case 'last':
      return [monthLength - 6, monthLength];
    case 'second-last':
      return [monthLength - 13, monthLength - 7];
    case 'third-last':
      return [monthLength - 20, monthLength - 14];
    case 'fourth-last':
      return [monthLength - 27, monthLength - 21];
    default:
      return [7 * (week - 1) + 1, 7 * week];
  }
}

export function weekNDayMatches(pattern: WeekNDay, days: DayNumber): boolean {
  const { year, month, day } = civilFromDays(days);
  if (pattern.month === 'odd' ? month % 2 !== 1 : pattern.month === 'even' ? month % 2 !== 0 : false)
    return false;
  if (typeof pattern.month === 'number' && pattern.month !== month) return false;
  if (pattern.weekOfMonth !== 'any') {
    const [first, last] = weekBand(pattern.weekOfMonth, daysInMonth(year, month));
    if (day < first || day > last) return false;
  }
  return pattern.dayOfWeek === 'any' || pattern.dayOfWeek === dayOfWeekName(days);
}

/** Whether a (valid) calendar entry holds on the given day. */
export function entryMatches(entry: CalendarEntry, days: DayNumber): boolean {
  switch (entry.kind) {
    case 'date': {
      const parts = dateParts(entry.date);
      const civil = civilFromDays(days);
      return (
        (parts.year === undefined || parts.year === civil.year) &&
        parts.month === civil.month &&
        parts.day === civil.day
      );
    }
    case 'range':
      return dayOf(entry.from) <= days && days <= dayOf(entry.to);
    case 'weekNDay':
      return weekNDayMatches(entry, days);
  }
}

/**
 * The days an entry holds on, as a finite span, when it has one (a specific
 * date or a range); undefined for entries that recur every year.
 */
export function concreteSpan(entry: CalendarEntry): [DayNumber, DayNumber] | undefined {
  if (entry.kind === 'range') return [dayOf(entry.from), dayOf(entry.to)];
  if (entry.kind === 'date' && !entry.date.startsWith('*')) return [dayOf(entry.date), dayOf(entry.date)];
  return undefined;
}
