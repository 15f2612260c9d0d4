/** Wall clock to instant across DST: gap times at the gap's end, repeated times at their first occurrence. */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { dayOf, formatDay } from './civil-date.js';
import { timeZoneProblem, ZoneClock } from './zone.js';

const hms = (h: number, m = 0, s = 0): number => h * 3600 + m * 60 + s;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('ZoneClock.resolve', () => {
  it('Europe/Berlin spring forward: 02:30 on 2025-03-30 happens at 03:00 CEST, the gap end', () => {
    const berlin = new ZoneClock('Europe/Berlin');
    expect(iso(berlin.resolve(dayOf('2025-03-30'), hms(1, 59, 59)))).toBe('2025-03-30T00:59:59.000Z');
    expect(iso(berlin.resolve(dayOf('2025-03-30'), hms(2, 0)))).toBe('2025-03-30T01:00:00.000Z');
    expect(iso(berlin.resolve(dayOf('2025-03-30'), hms(2, 30)))).toBe('2025-03-30T01:00:00.000Z');
    expect(iso(berlin.resolve(dayOf('2025-03-30'), hms(3, 0)))).toBe('2025-03-30T01:00:00.000Z');
    expect(iso(berlin.resolve(dayOf('2025-03-30'), hms(3, 1)))).toBe('2025-03-30T01:01:00.000Z');
  });

  it('Europe/Berlin fall back: 02:30 on 2025-10-26 is its first occurrence (CEST)', () => {
    const berlin = new ZoneClock('Europe/Berlin');
    expect(iso(berlin.resolve(dayOf('2025-10-26'), hms(2, 30)))).toBe('2025-10-26T00:30:00.000Z');
    expect(iso(berlin.resolve(dayOf('2025-10-26'), hms(3, 0)))).toBe('2025-10-26T02:00:00.000Z');
  });

  it('America/New_York both ways (2025-03-09, 2025-11-02)', () => {
    const ny = new ZoneClock('America/New_York');
    expect(iso(ny.resolve(dayOf('2025-03-09'), hms(2, 30)))).toBe('2025-03-09T07:00:00.000Z');
    expect(iso(ny.resolve(dayOf('2025-11-02'), hms(1, 30)))).toBe('2025-11-02T05:30:00.000Z');
    expect(iso(ny.resolve(dayOf('2025-11-02'), hms(2, 30)))).toBe('2025-11-02T07:30:00.000Z');
  });

  it('a half-hour DST shift (Australia/Lord_Howe, 2025-10-05 02:00 -> 02:30)', () => {
    const lordHowe = new ZoneClock('Australia/Lord_Howe');
    expect(iso(lordHowe.resolve(dayOf('2025-10-05'), hms(2, 15)))).toBe('2025-10-04T15:30:00.000Z');
  });
});

describe('ZoneClock days', () => {
  it('starts a day whose midnight is skipped at the gap end (America/Santiago, 2024-09-08)', () => {
    const santiago = new ZoneClock('America/Santiago');
    expect(iso(santiago.startOfDay(dayOf('2024-09-08')))).toBe('2024-09-08T04:00:00.000Z');
    expect(formatDay(santiago.dayOf(Date.parse('2024-09-08T03:59:59Z')))).toBe('2024-09-07');
    expect(formatDay(santiago.dayOf(Date.parse('2024-09-08T04:00:00Z')))).toBe('2024-09-08');
  });

  it('gives the day before a repeated hour that ends at midnight 25 hours (America/Santiago, 2025-04-06)', () => {
    const santiago = new ZoneClock('America/Santiago');
    // At 03:00Z the clock goes from 23:59:59 -03 back to 23:00 -04: 5 April runs until 04:00Z.
    expect(iso(santiago.startOfDay(dayOf('2025-04-06')))).toBe('2025-04-06T04:00:00.000Z');
    expect(formatDay(santiago.dayOf(Date.parse('2025-04-06T03:30:00Z')))).toBe('2025-04-05');
    expect(santiago.startOfDay(dayOf('2025-04-06')) - santiago.startOfDay(dayOf('2025-04-05'))).toBe(
      25 * 3600_000,
    );
  });

  it('puts every instant inside the span of its day', () => {
    const zones = ['Europe/Berlin', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'UTC'];
    fc.assert(
      fc.property(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.parse('2024-01-01T00:00Z'), max: Date.parse('2027-12-31T00:00Z') }),
        (zone, ms) => {
          const clock = new ZoneClock(zone);
          const day = clock.dayOf(ms);
          expect(clock.startOfDay(day)).toBeLessThanOrEqual(ms);
          expect(ms).toBeLessThan(clock.startOfDay(day + 1));
        },
      ),
    );
  });
});

describe('timeZoneProblem', () => {
  it('accepts IANA names and refuses offsets and unknown names', () => {
    expect(timeZoneProblem('Europe/Berlin')).toBeUndefined();
    expect(timeZoneProblem('America/New_York')).toBeUndefined();
    expect(timeZoneProblem('Mars/Olympus_Mons')).toBe(
      '"Mars/Olympus_Mons" is not an IANA time zone (e.g. Europe/Berlin, America/New_York)',
    );
    expect(timeZoneProblem('+01:00')).toMatch(/not an IANA time zone/);
    expect(timeZoneProblem('UTC+1')).toMatch(/not an IANA time zone/);
    expect(timeZoneProblem(undefined)).toMatch(/must be an IANA time zone name/);
  });
});
