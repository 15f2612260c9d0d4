/**
 * Plain schedule and calendar types: what a site file, the API and the store
 * hold. They follow BACnet's Schedule and Calendar objects (ASHRAE 135 Clause
 * 12.24 and 12.9; the constructed types in Clause 21) closely enough that
 * bacnet-convert.ts maps them one to one, but read as JSON a person can write.
 */

/** A wall-clock time of day, 'HH:MM' or 'HH:MM:SS', 00:00 to 23:59:59 (a day has no 24:00). */
export type TimeOfDay = string;

/**
 * A calendar date 'YYYY-MM-DD' (proleptic Gregorian). Where a pattern is
 * allowed (`DatePattern`), '*-MM-DD' means that day every year, as a BACnet
 * Date whose year is unspecified does.
 */
export type LocalDate = string;
export type DatePattern = string;

/** From `time` on, until the next entry of the same list or the end of the day; null relinquishes. */
export interface TimeValue {
  time: TimeOfDay;
  value: number | null;
}

export const DAYS_OF_WEEK = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const;
/** BACnet's week starts on Monday (BACnetDayOfWeek 1 = Monday); so does the order above. */
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

/** One list per day of the week; an empty list leaves the day at the schedule default. */
export type WeeklySchedule = Record<DayOfWeek, TimeValue[]>;

/**
 * BACnetWeekNDay (Clause 21): every field may be 'any'. Week of month 1..5 are
 * the days numbered 1-7, 8-14, 15-21, 22-28 and 29-31; 'last' is the last 7
 * days of the month (6 on the wire), 'second-last' the 7 days before those (7),
 * 'third-last' (8) and 'fourth-last' (9) likewise.
 */
export interface WeekNDay {
  month: number | 'odd' | 'even' | 'any';
  weekOfMonth: 1 | 2 | 3 | 4 | 5 | 'last' | 'second-last' | 'third-last' | 'fourth-last' | 'any';
  dayOfWeek: DayOfWeek | 'any';
}

/** BACnetCalendarEntry: a date (or yearly '*-MM-DD'), an inclusive date range, or a week-and-day. */
export type CalendarEntry =
  | { kind: 'date'; date: DatePattern }
  | { kind: 'range'; from: LocalDate; to: LocalDate }
  | ({ kind: 'weekNDay' } & WeekNDay);

/** The period of an exception: a calendar entry of its own, or every day of a named calendar. */
export type ExceptionPeriod = CalendarEntry | { kind: 'calendar'; calendar: string };

/** BACnetSpecialEvent: its own period, time-value list and priority (1 highest .. 16 lowest). */
export interface ExceptionSchedule {
  period: ExceptionPeriod;
  times: TimeValue[];
  priority: number;
}

/** A named list of days, such as "public holidays" (BACnet Calendar's Date_List). */
export interface Calendar {
  name: string;
  entries: CalendarEntry[];
}

/**
 * Inclusive at both ends: each a LocalDate, or 'any' to leave that end open (a
 * BACnet Date with every field unspecified).
 */
export interface EffectivePeriod {
  from: LocalDate;
  to: LocalDate;
}

export interface Schedule {
  id: string;
  name: string;
  weekly: WeeklySchedule;
  exceptions: ExceptionSchedule[];
  effectivePeriod: EffectivePeriod;
  /** In force whenever nothing else is: outside the effective period, and each day until its first entry. */
  scheduleDefault: number | null;
  /** IANA zone the schedule's wall-clock times are read in; the site's zone when absent. */
  timeZone?: string;
}

/** Where the effective value comes from; exceptionIndex and priority only for 'exception'. */
export interface EffectiveValue {
  value: number | null;
  source: 'exception' | 'weekly' | 'default';
  exceptionIndex?: number;
  priority?: number;
}

export interface ScheduleChange {
  at: Date;
  value: number | null;
}

export type ScheduleAlarm =
  | { kind: 'ending-soon'; scheduleId: string; endsAt: Date; message: string }
  | { kind: 'no-transitions'; scheduleId: string; message: string };
