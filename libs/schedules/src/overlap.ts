/**
 * Can two exception periods hold on the same day? Validation refuses two
 * exceptions of equal priority that can (ASHRAE 135 Clause 12.24 leaves their
 * order to the implementation; we leave nothing to chance).
 *
 * A day on which both hold is either inside a concrete span (a specific date
 * or a range) of one of them, and then the first day of the later span of the
 * meeting pair is one, or it is a day on which two yearly patterns (a '*-MM-DD'
 * date, a week-and-day) meet. Those patterns depend only on the month, the day
 * of the month, the weekday and leap years, so every combination shows in the
 * 28 years 2001-2028 (no skipped century leap year in between).
 */
import { concreteSpan, daysFromCivil, entryMatches } from './civil-date.js';
import type { DayNumber } from './civil-date.js';
import type { CalendarEntry } from './types.js';

/** The Gregorian calendar repeats every 400 years (146097 days): no span needs a longer scan. */
const CYCLE_DAYS = 146_097;
const PATTERN_WINDOW: [DayNumber, DayNumber] = [daysFromCivil(2001, 1, 1), daysFromCivil(2028, 12, 31)];

/** The first day found on which some entry of `a` and some entry of `b` hold, or undefined. */
export function commonDay(a: readonly CalendarEntry[], b: readonly CalendarEntry[]): DayNumber | undefined {
  const holds = (entries: readonly CalendarEntry[], day: DayNumber): boolean =>
    entries.some((entry) => entryMatches(entry, day));
  const spans: [DayNumber, DayNumber][] = [];
  for (const entry of [...a, ...b]) {
    const span = concreteSpan(entry);
    if (span !== undefined) spans.push(span);
  }
  const recurs = (entries: readonly CalendarEntry[]): boolean =>
    entries.some((entry) => concreteSpan(entry) === undefined);
  if (recurs(a) && recurs(b)) spans.push(PATTERN_WINDOW);
  spans.sort((x, y) => x[0] - y[0]);
  for (const [first, last] of spans) {
    const stop = Math.min(last, first + CYCLE_DAYS - 1);
    for (let day = first; day <= stop; day++) if (holds(a, day) && holds(b, day)) return day;
  }
  return undefined;
}
