/** fast-check generators of plain schedules and calendars (valid shapes, not necessarily free of overlaps). */
import fc from 'fast-check';
import { daysFromCivil, formatDay } from '../civil-date.js';
import { formatTimeOfDay } from '../time-of-day.js';
import { DAYS_OF_WEEK } from '../types.js';
import type {
  Calendar,
  CalendarEntry,
  ExceptionPeriod,
  ExceptionSchedule,
  Schedule,
  TimeValue,
  WeekNDay,
  WeeklySchedule,
} from '../types.js';

const FIRST = daysFromCivil(2024, 1, 1);
const LAST = daysFromCivil(2027, 12, 31);

export const timeArb: fc.Arbitrary<string> = fc
  .tuple(
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 59 })),
  )
  .map(([h, m, s]) => formatTimeOfDay(h, m, s));

export const smallValueArb: fc.Arbitrary<number | null> = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 4 },
  { arbitrary: fc.constant(null), weight: 1 },
);

export function timeValuesArb(value: fc.Arbitrary<number | null>, max = 4): fc.Arbitrary<TimeValue[]> {
  return fc.uniqueArray(fc.record({ time: timeArb, value }), { maxLength: max, selector: (tv) => tv.time });
}

export const dateArb: fc.Arbitrary<string> = fc.integer({ min: FIRST, max: LAST }).map(formatDay);

export const weekNDayArb: fc.Arbitrary<WeekNDay> = fc.record({
  month: fc.oneof(
    fc.integer({ min: 1, max: 12 }),
    fc.constantFrom('odd' as const, 'even' as const, 'any' as const),
  ),
  weekOfMonth: fc.constantFrom<WeekNDay['weekOfMonth']>(
    1,
    2,
    3,
    4,
    5,
    'last',
    'second-last',
    'third-last',
    'fourth-last',
    'any',
  ),
  dayOfWeek: fc.constantFrom(...DAYS_OF_WEEK, 'any' as const),
});

export const entryArb: fc.Arbitrary<CalendarEntry> = fc.oneof(
  dateArb.map((date): CalendarEntry => ({ kind: 'date', date })),
  dateArb.map((date): CalendarEntry => ({ kind: 'date', date: `*${date.slice(4)}` })),
  fc
    .tuple(fc.integer({ min: FIRST, max: LAST }), fc.integer({ min: 0, max: 40 }))
    .map(([from, length]): CalendarEntry => ({
      kind: 'range',
      from: formatDay(from),
      to: formatDay(from + length),
    })),
  weekNDayArb.map((w): CalendarEntry => ({ kind: 'weekNDay', ...w })),
);

export const calendarsArb: fc.Arbitrary<Calendar[]> = fc
  .uniqueArray(fc.constantFrom('public holidays', 'plant shutdown', 'school terms'), { maxLength: 3 })
  .chain((names) =>
    fc.tuple(
      ...names.map((name) =>
        fc.array(entryArb, { minLength: 1, maxLength: 3 }).map((entries) => ({ name, entries })),
      ),
    ),
  );

export function weeklyArb(value: fc.Arbitrary<number | null>): fc.Arbitrary<WeeklySchedule> {
  return fc
    .tuple(...DAYS_OF_WEEK.map(() => timeValuesArb(value)))
    .map((lists) => Object.fromEntries(DAYS_OF_WEEK.map((day, i) => [day, lists[i]])) as WeeklySchedule);
}

export function exceptionArb(
  value: fc.Arbitrary<number | null>,
  calendarNames: string[],
): fc.Arbitrary<ExceptionSchedule> {
  const period: fc.Arbitrary<ExceptionPeriod> =
    calendarNames.length === 0
      ? entryArb
      : fc.oneof(
          entryArb,
          fc.constantFrom(...calendarNames).map((calendar) => ({ kind: 'calendar' as const, calendar })),
        );
  return fc.record({
    period,
    times: timeValuesArb(value).filter((t) => t.length > 0),
    priority: fc.integer({ min: 1, max: 16 }),
  });
}

export function scheduleArb(
  value: fc.Arbitrary<number | null>,
  calendarNames: string[] = [],
): fc.Arbitrary<Schedule> {
  const end = fc.oneof(fc.constant('any'), dateArb);
  return fc
    .record({
      weekly: weeklyArb(value),
      exceptions: fc.array(exceptionArb(value, calendarNames), { maxLength: 4 }),
      ends: fc.tuple(end, end),
      scheduleDefault: value,
      timeZone: fc.option(fc.constantFrom('Europe/Berlin', 'America/New_York'), { nil: undefined }),
      name: fc.string({ maxLength: 12 }),
    })
    .map(({ ends, timeZone, ...rest }) => {
      const [a, b] = ends;
      const ordered = a !== 'any' && b !== 'any' && a > b ? [b, a] : [a, b];
      return {
        id: 'sch-gen',
        ...rest,
        effectivePeriod: { from: ordered[0], to: ordered[1] },
        ...(timeZone === undefined ? {} : { timeZone }),
      };
    });
}
