/** effectiveAt and nextChange on ordinary days: weekly, exceptions, priorities, effective period. */
import { describe, expect, it } from '@jest/globals';
import { ScheduleValidationError, effectiveAt, nextChange } from './index.js';
import type { Calendar, Schedule } from './index.js';
import { everyDay, holidays, instant, officeWeek, schedule, week } from './test-support/builders.js';

const BERLIN = 'Europe/Berlin';
// 2025-06-02 is a Monday; Berlin is on CEST (+02:00) all of June.
const at = (local: string): Date => instant(`${local}+02:00`);
const value = (s: Schedule, local: string, calendars: Calendar[] = []): number | null =>
  effectiveAt(s, calendars, BERLIN, at(local)).value;
const next = (
  s: Schedule,
  local: string,
  calendars: Calendar[] = [],
): { at: string; value: number | null } | null => {
  const change = nextChange(s, calendars, BERLIN, at(local));
  return change === null ? null : { at: change.at.toISOString(), value: change.value };
};

describe('weekly schedule', () => {
  const office = schedule({ weekly: officeWeek });

  it('holds the latest time-value at or before now, and the default before the first', () => {
    expect(effectiveAt(office, [], BERLIN, at('2025-06-02T06:59:59'))).toEqual({
      value: 12,
      source: 'default',
    });
    expect(effectiveAt(office, [], BERLIN, at('2025-06-02T07:00'))).toEqual({ value: 21, source: 'weekly' });
    expect(value(office, '2025-06-02T17:59:59')).toBe(21);
    expect(value(office, '2025-06-02T18:00')).toBe(16);
    expect(value(office, '2025-06-02T23:59:59')).toBe(16);
  });

  it('starts each day again from the default at 00:00', () => {
    expect(effectiveAt(office, [], BERLIN, at('2025-06-03T00:00'))).toEqual({ value: 12, source: 'default' });
    expect(value(office, '2025-06-07T12:00')).toBe(12); // Saturday: no entries
  });

  it('finds the next change within the day, across midnight and across the weekend', () => {
    expect(next(office, '2025-06-02T12:00')).toEqual({ at: '2025-06-02T16:00:00.000Z', value: 16 });
    expect(next(office, '2025-06-02T18:00')).toEqual({ at: '2025-06-02T22:00:00.000Z', value: 12 });
    expect(next(office, '2025-06-06T18:30')).toEqual({ at: '2025-06-06T22:00:00.000Z', value: 12 });
    expect(next(office, '2025-06-07T00:00')).toEqual({ at: '2025-06-09T05:00:00.000Z', value: 21 });
  });

  it('crosses the week boundary from Sunday night to Monday', () => {
    const sundayEvening = schedule({ weekly: week({ sunday: [{ time: '22:00', value: 5 }] }) });
    expect(value(sundayEvening, '2025-06-08T23:30')).toBe(5);
    expect(value(sundayEvening, '2025-06-09T00:00')).toBe(12);
    expect(next(sundayEvening, '2025-06-08T22:00')).toEqual({ at: '2025-06-08T22:00:00.000Z', value: 12 });
  });

  it('carries a value over midnight without a change when the next day starts with it at 00:00', () => {
    const always21 = schedule({ weekly: everyDay([{ time: '00:00', value: 21 }]) });
    expect(value(always21, '2025-06-03T00:00')).toBe(21);
    expect(next(always21, '2025-06-02T12:00')).toBeNull();
  });

  it('treats a null time-value as relinquish: back to the default', () => {
    const s = schedule({
      weekly: everyDay([
        { time: '08:00', value: 30 },
        { time: '09:00', value: null },
      ]),
    });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-02T09:30'))).toEqual({ value: 12, source: 'default' });
    expect(next(s, '2025-06-02T08:30')).toEqual({ at: '2025-06-02T07:00:00.000Z', value: 12 });
  });

  it('reads times in the schedule zone when it has one', () => {
    const ny = schedule({ weekly: officeWeek, timeZone: 'America/New_York' });
    expect(effectiveAt(ny, [], BERLIN, instant('2025-06-02T10:59:59Z')).value).toBe(12);
    expect(effectiveAt(ny, [], BERLIN, instant('2025-06-02T11:00:00Z')).value).toBe(21);
  });
});

describe('exceptions', () => {
  it('apply on a date, from their first time-value on', () => {
    const s = schedule({
      weekly: officeWeek,
      exceptions: [
        { period: { kind: 'date', date: '2025-06-04' }, times: [{ time: '12:00', value: 5 }], priority: 10 },
      ],
    });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-04T11:00'))).toEqual({ value: 21, source: 'weekly' });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-04T12:00'))).toEqual({
      value: 5,
      source: 'exception',
      exceptionIndex: 0,
      priority: 10,
    });
    expect(value(s, '2025-06-05T12:00')).toBe(21);
    expect(next(s, '2025-06-04T08:00')).toEqual({ at: '2025-06-04T10:00:00.000Z', value: 5 });
    // The exception holds until midnight; 18:00 of the weekly list is overruled.
    expect(next(s, '2025-06-04T12:00')).toEqual({ at: '2025-06-04T22:00:00.000Z', value: 12 });
  });

  it('apply on every day of an inclusive date range', () => {
    const s = schedule({
      weekly: officeWeek,
      exceptions: [
        {
          period: { kind: 'range', from: '2025-06-09', to: '2025-06-13' },
          times: [{ time: '00:00', value: 8 }],
          priority: 8,
        },
      ],
    });
    expect(
      ['2025-06-08', '2025-06-09', '2025-06-13', '2025-06-14'].map((d) => value(s, `${d}T10:00`)),
    ).toEqual([12, 8, 8, 12]);
  });

  it('apply on a recurring week-and-day: the last Monday of May', () => {
    const s = schedule({
      weekly: officeWeek,
      exceptions: [
        {
          period: { kind: 'weekNDay', month: 5, weekOfMonth: 'last', dayOfWeek: 'monday' },
          times: [{ time: '00:00', value: 10 }],
          priority: 9,
        },
      ],
    });
    expect(value(s, '2025-05-26T10:00')).toBe(10);
    expect(value(s, '2025-05-19T10:00')).toBe(21);
    expect(value(s, '2026-05-25T10:00')).toBe(10);
  });

  it('apply on the days of a referenced calendar', () => {
    const s = schedule({
      weekly: officeWeek,
      exceptions: [
        {
          period: { kind: 'calendar', calendar: 'public holidays' },
          times: [{ time: '00:00', value: 10 }],
          priority: 11,
        },
      ],
    });
    expect(value(s, '2025-12-25T10:00', [holidays])).toBe(10); // '*-12-25'
    expect(value(s, '2025-12-30T10:00', [holidays])).toBe(10); // range
    expect(value(s, '2025-05-26T10:00', [holidays])).toBe(10); // last Monday of May
    expect(value(s, '2025-12-22T10:00', [holidays])).toBe(21);
    expect(() => value(s, '2025-12-25T10:00', [])).toThrow(ScheduleValidationError);
    expect(() => value(s, '2025-12-25T10:00', [])).toThrow(
      'exceptions[0].period.calendar: unknown calendar "public holidays"',
    );
  });

  it('are ordered by priority (1 highest), not by list order; a null lets the next one through', () => {
    const s = schedule({
      weekly: officeWeek,
      exceptions: [
        { period: { kind: 'date', date: '2025-06-04' }, times: [{ time: '00:00', value: 30 }], priority: 5 },
        {
          period: { kind: 'date', date: '2025-06-04' },
          times: [
            { time: '09:00', value: 40 },
            { time: '11:00', value: null },
          ],
          priority: 3,
        },
      ],
    });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-04T08:00'))).toMatchObject({ value: 30, priority: 5 });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-04T09:00'))).toMatchObject({
      value: 40,
      priority: 3,
      exceptionIndex: 1,
    });
    expect(effectiveAt(s, [], BERLIN, at('2025-06-04T11:00'))).toMatchObject({
      value: 30,
      priority: 5,
      exceptionIndex: 0,
    });
  });
});

describe('effective period', () => {
  const s = schedule({
    weekly: officeWeek,
    effectivePeriod: { from: '2025-06-03', to: '2025-06-05' },
    exceptions: [
      { period: { kind: 'date', date: '2025-06-06' }, times: [{ time: '00:00', value: 99 }], priority: 1 },
    ],
  });

  it('yields the default outside it, weekly and exceptions alike; both end dates are inside', () => {
    expect(effectiveAt(s, [], BERLIN, at('2025-06-02T10:00'))).toEqual({ value: 12, source: 'default' });
    expect(value(s, '2025-06-03T07:00')).toBe(21);
    expect(value(s, '2025-06-05T17:59:59')).toBe(21);
    expect(value(s, '2025-06-05T23:59:59')).toBe(16);
    expect(effectiveAt(s, [], BERLIN, at('2025-06-06T10:00'))).toEqual({ value: 12, source: 'default' });
  });

  it('changes at its edges', () => {
    expect(next(s, '2025-06-02T10:00')).toEqual({ at: '2025-06-03T05:00:00.000Z', value: 21 });
    expect(next(s, '2025-06-05T18:00')).toEqual({ at: '2025-06-05T22:00:00.000Z', value: 12 });
    expect(next(s, '2025-06-06T00:00')).toBeNull();
  });
});

describe('nextChange horizon', () => {
  const far = schedule({
    exceptions: [
      { period: { kind: 'date', date: '2026-11-01' }, times: [{ time: '06:00', value: 1 }], priority: 1 },
    ],
  });

  it('searches 400 days by default, further when asked', () => {
    expect(next(far, '2025-06-02T10:00')).toBeNull();
    expect(nextChange(far, [], BERLIN, at('2025-06-02T10:00'), 600)?.at.toISOString()).toBe(
      '2026-11-01T05:00:00.000Z',
    );
  });

  it('refuses a zone that is not IANA', () => {
    expect(() => nextChange(far, [], 'Mars/Base', at('2025-06-02T10:00'))).toThrow(
      'zone: "Mars/Base" is not an IANA time zone',
    );
  });
});
