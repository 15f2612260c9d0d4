/** Calendar arithmetic and BACnet calendar-entry matching (Clause 21), zone-free. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  civilFromDays,
  dateProblem,
  dayOf,
  daysFromCivil,
  entryMatches,
  formatDay,
  isoDayOfWeek,
  weekNDayMatches,
} from './civil-date.js';
import { timeOfDayProblem } from './time-of-day.js';
import type { WeekNDay } from './types.js';

function daysMatching(pattern: WeekNDay, year: number): string[] {
  const out: string[] = [];
  for (let d = daysFromCivil(year, 1, 1); d <= daysFromCivil(year, 12, 31); d++)
    if (weekNDayMatches(pattern, d)) out.push(formatDay(d));
  return out;
}

describe('day numbers', () => {
  it('agree with Date.UTC over four centuries, both ways', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: daysFromCivil(1850, 1, 1), max: daysFromCivil(2250, 12, 31) }),
        (days) => {
          const civil = civilFromDays(days);
          expect(Date.UTC(civil.year, civil.month - 1, civil.day) / 86_400_000).toBe(days);
          expect(daysFromCivil(civil.year, civil.month, civil.day)).toBe(days);
          expect(isoDayOfWeek(days)).toBe(((new Date(days * 86_400_000).getUTCDay() + 6) % 7) + 1);
        },
      ),
    );
  });

  it('names Monday 1 and Sunday 7 as BACnetDayOfWeek does', () => {
    expect(isoDayOfWeek(dayOf('2025-05-26'))).toBe(1);
    expect(isoDayOfWeek(dayOf('2025-06-01'))).toBe(7);
  });
});

describe('weekNDayMatches', () => {
  it('finds the last Monday of May (Memorial Day) in several years', () => {
    const lastMondayOfMay: WeekNDay = { month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' };
    expect(daysMatching(lastMondayOfMay, 2025)).toEqual(['2025-05-26']);
    expect(daysMatching(lastMondayOfMay, 2026)).toEqual(['2026-05-25']);
    expect(daysMatching(lastMondayOfMay, 2027)).toEqual(['2027-05-31']);
  });

  it('reads weeks 1-5 as the days numbered 1-7 .. 29-31', () => {
    expect(daysMatching({ month: 11, weekOfMonth: 4, dayOfWeek: 'thursday' }, 2025)).toEqual(['2025-11-27']);
    expect(daysMatching({ month: 3, weekOfMonth: 5, dayOfWeek: 'any' }, 2025)).toEqual([
      '2025-03-29',
      '2025-03-30',
      '2025-03-31',
    ]);
    expect(daysMatching({ month: 2, weekOfMonth: 5, dayOfWeek: 'any' }, 2025)).toEqual([]);
    expect(daysMatching({ month: 2, weekOfMonth: 5, dayOfWeek: 'any' }, 2024)).toEqual(['2024-02-29']);
  });

  it('reads the bands before the last week (BACnet weeks 7-9) from the month end', () => {
    // February 2025 has 28 days: last = 22-28, second-last = 15-21, third-last = 8-14, fourth-last = 1-7.
    expect(daysMatching({ month: 2, weekOfMonth: 'second-last', dayOfWeek: 'friday' }, 2025)).toEqual([
      '2025-02-21',
    ]);
    expect(daysMatching({ month: 2, weekOfMonth: 'third-last', dayOfWeek: 'friday' }, 2025)).toEqual([
      '2025-02-14',
    ]);
    expect(daysMatching({ month: 2, weekOfMonth: 'fourth-last', dayOfWeek: 'friday' }, 2025)).toEqual([
      '2025-02-07',
    ]);
  });

  it('reads odd and even months, and any of everything', () => {
    const firstOfOddMonths = daysMatching({ month: 'odd', weekOfMonth: 1, dayOfWeek: 'any' }, 2025).filter(
      (d) => d.endsWith('-01'),
    );
    expect(firstOfOddMonths).toEqual(['01', '03', '05', '07', '09', '11'].map((m) => `2025-${m}-01`));
    expect(daysMatching({ month: 'even', weekOfMonth: 'any', dayOfWeek: 'sunday' }, 2025)[0]).toBe(
      '2025-02-02',
    );
    expect(daysMatching({ month: 'any', weekOfMonth: 'any', dayOfWeek: 'any' }, 2024)).toHaveLength(366);
  });
});

describe('entryMatches', () => {
  it('matches a date, a yearly date (29 February in leap years only) and an inclusive range', () => {
    expect(entryMatches({ kind: 'date', date: '2025-12-25' }, dayOf('2025-12-25'))).toBe(true);
    expect(entryMatches({ kind: 'date', date: '2025-12-25' }, dayOf('2026-12-25'))).toBe(false);
    expect(entryMatches({ kind: 'date', date: '*-12-25' }, dayOf('2031-12-25'))).toBe(true);
    expect(entryMatches({ kind: 'date', date: '*-02-29' }, dayOf('2028-02-29'))).toBe(true);
    expect(entryMatches({ kind: 'date', date: '*-02-29' }, dayOf('2027-03-01'))).toBe(false);
    const range = { kind: 'range', from: '2025-12-29', to: '2026-01-02' } as const;
    expect(
      ['2025-12-28', '2025-12-29', '2026-01-02', '2026-01-03'].map((d) => entryMatches(range, dayOf(d))),
    ).toEqual([false, true, true, false]);
  });
});

describe('dateProblem and timeOfDayProblem', () => {
  it('accepts real dates and names what is wrong with the rest', () => {
    expect(dateProblem('2024-02-29', false)).toBeUndefined();
    expect(dateProblem('*-02-29', true)).toBeUndefined();
    expect(dateProblem('2025-02-29', false)).toBe('"2025-02-29" is not a date: February has 28 days');
    expect(dateProblem('*-12-25', false)).toBe('malformed date "*-12-25": expected YYYY-MM-DD');
    expect(dateProblem('2025-13-01', false)).toBe('malformed date "2025-13-01": month must be 01-12');
    expect(dateProblem('25-1-1', true)).toBe('malformed date "25-1-1": expected YYYY-MM-DD or *-MM-DD');
  });

  it('accepts 00:00 to 23:59:59 and refuses 24:00 and beyond', () => {
    expect(timeOfDayProblem('00:00')).toBeUndefined();
    expect(timeOfDayProblem('23:59:59')).toBeUndefined();
    expect(timeOfDayProblem('24:00')).toBe(
      '"24:00" is past the end of the day: times run from 00:00 to 23:59:59',
    );
    expect(timeOfDayProblem('25:30')).toMatch(/past the end of the day/);
    expect(timeOfDayProblem('7:00')).toBe('malformed time "7:00": expected HH:MM or HH:MM:SS');
    expect(timeOfDayProblem('07:60')).toMatch(/minutes and seconds run from 00 to 59/);
    expect(timeOfDayProblem(700)).toBe('must be a time "HH:MM" or "HH:MM:SS"');
  });
});
