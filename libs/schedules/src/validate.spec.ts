/** Validation: each defect is named by path and message, and all of them come back at once. */
import { describe, expect, it } from '@jest/globals';
import {
  ScheduleValidationError,
  assertValidCalendars,
  assertValidSchedule,
  validateCalendars,
  validateSchedule,
} from './index.js';
import type { Calendar, ExceptionSchedule, Schedule } from './index.js';
import { holidays, officeWeek, schedule, week } from './test-support/builders.js';

const issuesOf = (s: Schedule, calendars: Calendar[] = [holidays]): string[] =>
  validateSchedule(s, calendars).map((i) => `${i.path}: ${i.message}`);
const on = (period: ExceptionSchedule['period'], priority: number): ExceptionSchedule => ({
  period,
  times: [{ time: '00:00', value: 1 }],
  priority,
});

describe('validateSchedule', () => {
  it('accepts a sound schedule', () => {
    const s = schedule({
      weekly: officeWeek,
      timeZone: 'Europe/Berlin',
      effectivePeriod: { from: '2025-01-01', to: 'any' },
      exceptions: [
        on({ kind: 'calendar', calendar: 'public holidays' }, 10),
        on({ kind: 'date', date: '2025-12-25' }, 9),
      ],
    });
    expect(issuesOf(s)).toEqual([]);
    expect(() => assertValidSchedule(s, [holidays])).not.toThrow();
  });

  it('names times past 24:00 and malformed times, and duplicates', () => {
    const s = schedule({
      weekly: week({
        monday: [
          { time: '24:00', value: 1 },
          { time: '25:30', value: 1 },
          { time: '7:00', value: 1 },
          { time: '08:00', value: 1 },
          { time: '08:00:00', value: 2 },
        ],
      }),
    });
    expect(issuesOf(s)).toEqual([
      'weekly.monday[0].time: "24:00" is past the end of the day: times run from 00:00 to 23:59:59',
      'weekly.monday[1].time: "25:30" is past the end of the day: times run from 00:00 to 23:59:59',
      'weekly.monday[2].time: malformed time "7:00": expected HH:MM or HH:MM:SS',
      'weekly.monday[4].time: duplicate time 08:00:00 (also at [3])',
    ]);
  });

  it('names values that are not finite numbers or null', () => {
    const s = schedule({
      scheduleDefault: Number.NaN,
      weekly: week({ friday: [{ time: '08:00', value: Number.POSITIVE_INFINITY }] }),
    });
    expect(issuesOf(s)).toEqual([
      'scheduleDefault: must be a finite number or null (relinquish), got NaN',
      'weekly.friday[0].value: must be a finite number or null (relinquish), got Infinity',
    ]);
  });

  it('names an unknown calendar, an empty calendar and a priority out of 1..16', () => {
    const empty: Calendar = { name: 'empty', entries: [] };
    const s = schedule({
      exceptions: [
        on({ kind: 'date', date: '2025-01-01' }, 0),
        on({ kind: 'calendar', calendar: 'empty' }, 4),
        on({ kind: 'calendar', calendar: 'holidays' }, 17),
      ],
    });
    expect(issuesOf(s, [holidays, empty])).toEqual([
      'exceptions[0].priority: must be an integer from 1 (highest) to 16 (lowest), got 0',
      'exceptions[1].period.calendar: calendar "empty" has no entries: the exception never applies',
      'exceptions[2].priority: must be an integer from 1 (highest) to 16 (lowest), got 17',
      'exceptions[2].period.calendar: unknown calendar "holidays"',
    ]);
  });

  it('names invalid time zones (IANA only)', () => {
    expect(issuesOf(schedule({ timeZone: 'Mars/Base' }))).toEqual([
      'timeZone: "Mars/Base" is not an IANA time zone (e.g. Europe/Berlin, America/New_York)',
    ]);
    expect(issuesOf(schedule({ timeZone: '+02:00' }))).toHaveLength(1);
  });

  it('names empty periods, from after to, and impossible dates', () => {
    const s = schedule({
      effectivePeriod: { from: '2025-06-01', to: '2025-05-01' },
      exceptions: [
        on({ kind: 'range', from: '2025-12-31', to: '2025-12-24' }, 3),
        on({ kind: 'date', date: '2025-02-30' }, 4),
        { period: { kind: 'date', date: '2025-03-01' }, times: [], priority: 5 },
      ],
    });
    expect(issuesOf(s)).toEqual([
      'effectivePeriod: from 2025-06-01 is after to 2025-05-01: the schedule would never be in effect',
      'exceptions[0].period: from 2025-12-31 is after to 2025-12-24: the range is empty',
      'exceptions[1].period.date: "2025-02-30" is not a date: February has 28 days',
      'exceptions[2].times: no time values: the exception never takes effect',
    ]);
  });

  it('names malformed effective period ends and week-and-day fields', () => {
    const s = schedule({
      effectivePeriod: { from: 'soon', to: '*-12-31' },
      exceptions: [
        on({ kind: 'weekNDay', month: 13, weekOfMonth: 'first' as never, dayOfWeek: 'mon' as never }, 2),
      ],
    });
    expect(issuesOf(s)).toEqual([
      'effectivePeriod.from: malformed date "soon": expected YYYY-MM-DD (or "any")',
      'effectivePeriod.to: malformed date "*-12-31": expected YYYY-MM-DD (or "any")',
      'exceptions[0].period.month: must be 1-12, "odd", "even" or "any", got 13',
      'exceptions[0].period.weekOfMonth: must be 1-5, "last", "second-last", "third-last", "fourth-last" or "any", got "first"',
      'exceptions[0].period.dayOfWeek: must be a day name (monday .. sunday) or "any", got "mon"',
    ]);
  });

  describe('overlapping exceptions of equal priority', () => {
    it('names both, with a day on which both hold: date in range', () => {
      const s = schedule({
        exceptions: [
          on({ kind: 'range', from: '2025-12-20', to: '2026-01-06' }, 5),
          on({ kind: 'date', date: '2025-12-24' }, 6),
          on({ kind: 'date', date: '2025-12-25' }, 5),
        ],
      });
      expect(issuesOf(s)).toEqual([
        'exceptions[2].period: overlaps exceptions[0] at equal priority 5: both hold on 2025-12-25',
      ]);
    });

    it('finds a week-and-day meeting a date, and a calendar meeting a yearly date', () => {
      const lastMondayOfMay = on({ kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' }, 7);
      expect(
        issuesOf(schedule({ exceptions: [lastMondayOfMay, on({ kind: 'date', date: '2026-05-25' }, 7)] })),
      ).toEqual([
        'exceptions[1].period: overlaps exceptions[0] at equal priority 7: both hold on 2026-05-25',
      ]);
      expect(
        issuesOf(schedule({ exceptions: [lastMondayOfMay, on({ kind: 'date', date: '2026-05-18' }, 7)] })),
      ).toEqual([]);
      const calendarAndYearly = schedule({
        exceptions: [
          on({ kind: 'calendar', calendar: 'public holidays' }, 2),
          on({ kind: 'date', date: '*-12-25' }, 2),
        ],
      });
      expect(issuesOf(calendarAndYearly)).toEqual([
        expect.stringMatching(
          /^exceptions\[1\]\.period: overlaps exceptions\[0\] at equal priority 2: both hold on \d{4}-12-25$/,
        ),
      ]);
    });

    it('finds two recurring patterns that meet, and lets disjoint ones be', () => {
      const thanksgiving = on({ kind: 'weekNDay', month: 11, weekOfMonth: 4, dayOfWeek: 'thursday' }, 3);
      const fourthWeekOfNovember = on({ kind: 'date', date: '*-11-26' }, 3);
      expect(issuesOf(schedule({ exceptions: [thanksgiving, fourthWeekOfNovember] }))).toEqual([
        expect.stringMatching(
          /^exceptions\[1\]\.period: overlaps exceptions\[0\] at equal priority 3: both hold on \d{4}-11-26$/,
        ),
      ]);
      const firstOfNovember = on({ kind: 'date', date: '*-11-01' }, 3);
      expect(issuesOf(schedule({ exceptions: [thanksgiving, firstOfNovember] }))).toEqual([]);
      const evenMonths = on({ kind: 'weekNDay', month: 'even', weekOfMonth: 'any', dayOfWeek: 'any' }, 3);
      expect(issuesOf(schedule({ exceptions: [thanksgiving, evenMonths] }))).toEqual([]);
    });
  });

  it('reports every defect at once and throws them together', () => {
    const s = schedule({
      id: '',
      timeZone: 'Nowhere/City',
      weekly: week({ monday: [{ time: '24:30', value: 1 }] }),
      exceptions: [on({ kind: 'calendar', calendar: 'holidays' }, 1)],
    });
    let thrown: unknown;
    try {
      assertValidSchedule(s, [holidays]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ScheduleValidationError);
    const error = thrown as ScheduleValidationError;
    expect(error.name).toBe('ScheduleValidationError');
    expect(error.issues.map((i) => i.path)).toEqual([
      'id',
      'timeZone',
      'weekly.monday[0].time',
      'exceptions[0].period.calendar',
    ]);
    expect(error.message.split('\n')).toHaveLength(4);
    expect(error.message).toContain('exceptions[0].period.calendar: unknown calendar "holidays"');
  });
});

describe('validateCalendars', () => {
  it('names bad entries and names used twice', () => {
    const calendars: Calendar[] = [
      holidays,
      { name: 'public holidays', entries: [{ kind: 'date', date: '2025-1-1' }] },
      {
        name: 'x',
        entries: [{ kind: 'range', from: '2025-02-01', to: '*-02-03' }, { kind: 'when' } as never],
      },
    ];
    expect(validateCalendars(calendars).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'calendars[1].entries[0].date: malformed date "2025-1-1": expected YYYY-MM-DD or *-MM-DD',
      'calendars[2].entries[0].to: malformed date "*-02-03": expected YYYY-MM-DD',
      'calendars[2].entries[1].kind: must be "date", "range" or "weekNDay", got "when"',
      'calendars[1].name: calendar "public holidays" is also calendars[0]',
    ]);
    expect(() => assertValidCalendars(calendars)).toThrow(ScheduleValidationError);
    expect(() => assertValidCalendars([holidays])).not.toThrow();
  });
});
