/**
 * Invariants of effectiveAt and nextChange over generated schedules, in zones
 * with and without DST, with instants drawn near DST transitions as often as not;
 * and effectiveAt in UTC against a naive model written from the semantics.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { effectiveAt, nextChange } from './index.js';
import type { Calendar, CalendarEntry, Schedule } from './index.js';
import { calendarsArb, scheduleArb, smallValueArb } from './test-support/arbitraries.js';

const DAY = 86_400_000;
const ZONES = ['Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'UTC'];
const TRANSITIONS = [
  '2025-03-30T01:00Z',
  '2025-10-26T01:00Z',
  '2025-03-09T07:00Z',
  '2025-11-02T06:00Z',
  '2025-10-04T15:30Z',
  '2025-04-06T03:00Z',
  '2024-09-08T04:00Z',
].map((iso) => Date.parse(iso));
const instantArb = fc.oneof(
  fc.integer({ min: Date.parse('2024-01-01T00:00Z'), max: Date.parse('2027-12-31T00:00Z') }),
  fc.constantFrom(...TRANSITIONS).chain((t) => fc.integer({ min: t - 2 * DAY, max: t + 2 * DAY })),
);
const scheduleWithCalendars = calendarsArb.chain((calendars) =>
  scheduleArb(
    smallValueArb,
    calendars.map((c) => c.name),
  ).map((schedule) => ({ schedule, calendars })),
);
const HORIZON = 30;

describe('nextChange and effectiveAt', () => {
  it('agree: the value holds from t until the change, and the change is a real change', () => {
    fc.assert(
      fc.property(
        scheduleWithCalendars,
        fc.constantFrom(...ZONES),
        instantArb,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), {
          minLength: 3,
          maxLength: 3,
        }),
        ({ schedule, calendars }, zone, ms, samples) => {
          const now = effectiveAt(schedule, calendars, zone, new Date(ms)).value;
          const change = nextChange(schedule, calendars, zone, new Date(ms), HORIZON);
          const end = change === null ? ms + (HORIZON - 1) * DAY : change.at.getTime();
          for (const f of samples)
            expect(
              effectiveAt(schedule, calendars, zone, new Date(ms + Math.floor(f * (end - ms)))).value,
            ).toBe(now);
          if (change === null) return;
          expect(end).toBeGreaterThan(ms);
          expect(change.value).not.toBe(now);
          expect(effectiveAt(schedule, calendars, zone, new Date(end - 1)).value).toBe(now);
          expect(effectiveAt(schedule, calendars, zone, change.at).value).toBe(change.value);
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---- a naive model for UTC, where the wall clock is the instant itself ----

const NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
const seconds = (time: string): number =>
  time.split(':').reduce((acc, part, i) => acc + Number(part) * [3600, 60, 1][i], 0);

function holdsOn(entry: CalendarEntry, date: Date): boolean {
  const iso = date.toISOString().slice(0, 10);
  const month = date.getUTCMonth() + 1;
  const dom = date.getUTCDate();
  if (entry.kind === 'date')
    return entry.date.startsWith('*') ? entry.date.slice(1) === iso.slice(4) : entry.date === iso;
  if (entry.kind === 'range') return entry.from <= iso && iso <= entry.to;
  const length = new Date(Date.UTC(date.getUTCFullYear(), month, 0)).getUTCDate();
  const monthOk =
    entry.month === 'any' ||
    (entry.month === 'odd'
      ? month % 2 === 1
      : entry.month === 'even'
        ? month % 2 === 0
        : entry.month === month);
  const fromEnd = { last: 0, 'second-last': 1, 'third-last': 2, 'fourth-last': 3 } as const;
  const w = entry.weekOfMonth;
  const weekOk =
    w === 'any' ||
    (typeof w === 'number'
      ? Math.ceil(dom / 7) === w
      : dom > length - 7 * (fromEnd[w] + 1) && dom <= length - 7 * fromEnd[w]);
  const dayOk = entry.dayOfWeek === 'any' || NAMES[(date.getUTCDay() + 6) % 7] === entry.dayOfWeek;
  return monthOk && weekOk && dayOk;
}

function naiveUtc(s: Schedule, calendars: Calendar[], ms: number): number | null {
  const date = new Date(ms);
  const iso = date.toISOString().slice(0, 10);
  const now = (ms % DAY) / 1000;
  const { from, to } = s.effectivePeriod;
  if ((from !== 'any' && iso < from) || (to !== 'any' && iso > to)) return s.scheduleDefault;
  const lists = s.exceptions
    .map((ex, i) => ({ ex, i }))
    .filter(({ ex }) =>
      ex.period.kind === 'calendar'
        ? calendars
            .find((c) => c.name === (ex.period as { calendar: string }).calendar)!
            .entries.some((e) => holdsOn(e, date))
        : holdsOn(ex.period, date),
    )
    .sort((a, b) => a.ex.priority - b.ex.priority || a.i - b.i)
    .map(({ ex }) => ex.times);
  lists.push(s.weekly[NAMES[(date.getUTCDay() + 6) % 7]]);
  for (const list of lists) {
    const due = list
      .filter((tv) => seconds(tv.time) <= now)
      .sort((a, b) => seconds(a.time) - seconds(b.time));
    const latest = due.at(-1);
    if (latest !== undefined && latest.value !== null) return latest.value;
  }
  return s.scheduleDefault;
}

describe('effectiveAt in UTC', () => {
  it('matches a naive model of the semantics', () => {
    fc.assert(
      fc.property(scheduleWithCalendars, instantArb, ({ schedule, calendars }, ms) => {
        const { timeZone: _zone, ...utcSchedule } = schedule;
        expect(effectiveAt(utcSchedule, calendars, 'UTC', new Date(ms)).value).toBe(
          naiveUtc(utcSchedule, calendars, ms),
        );
      }),
      { numRuns: 1000 },
    );
  });
});
