/**
 * Wall clock <-> instant in an IANA zone, with the two DST rules schedules
 * need (issue 4 item 3):
 * - a wall-clock time inside a spring-forward gap resolves to the gap's end,
 *   the instant the clock jumps (02:30 on a 02:00->03:00 day happens at 03:00);
 * - a wall-clock time inside the repeated autumn hour resolves to its first
 *   occurrence, so it happens once.
 * Days are the spans [startOfDay(d), startOfDay(d + 1)) in instants, so time
 * only moves forward inside a day even while the wall clock repeats an hour.
 * Offsets come from luxon's IANAZone (the runtime's tz database).
 */
import { IANAZone } from 'luxon';
import type { DayNumber } from './civil-date.js';

const DAY_MS = 86_400_000;

/** undefined when `zone` is an IANA zone name the runtime knows, else why not. */
export function timeZoneProblem(zone: unknown): string | undefined {
  if (typeof zone !== 'string') return 'must be an IANA time zone name such as "Europe/Berlin"';
  // Fixed offsets ("+01:00", "UTC+1") have no DST rules: a site needs a named zone.
  if (!/^[A-Za-z]/.test(zone) || /^UTC[+-]/i.test(zone) || !IANAZone.isValidZone(zone))
    return `"${zone}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York)`;
  return undefined;
}

export class ZoneClock {
  private readonly zone: IANAZone;
  private readonly starts = new Map<DayNumber, number>();

  /** `zone` must be valid (see timeZoneProblem). */
  constructor(zoneName: string) {
    this.zone = IANAZone.create(zoneName);
  }

  /** UTC offset in milliseconds at an instant. */
  offsetAt(ms: number): number {
    return this.zone.offset(ms) * 60_000;
  }

  /** The first instant of a local day: its 00:00, or the end of a gap that swallows midnight. */
  startOfDay(day: DayNumber): number {
    let start = this.starts.get(day);
    if (start === undefined) {
      start = this.resolve(day, 0);
      this.starts.set(day, start);
    }
    return start;
  }

  /** The local day whose span [startOfDay(d), startOfDay(d + 1)) holds the instant. */
  dayOf(ms: number): DayNumber {
    const wall = Math.floor((ms + this.offsetAt(ms)) / DAY_MS);
    // A repeated hour across midnight shows yesterday's date after today has begun: keep time monotonic.
    return ms >= this.startOfDay(wall + 1) ? wall + 1 : wall;
  }

  /** The instant a wall-clock time of a local day happens, by the two rules above. */
  resolve(day: DayNumber, secondOfDay: number): number {
    const local = day * DAY_MS + secondOfDay * 1000;
    const guess = local - this.offsetAt(local);
    // Offsets a day either side bracket at most one transition (tz rules never change twice a day).
    const before = this.offsetAt(guess - DAY_MS);
    const after = this.offsetAt(guess + DAY_MS);
    const valid = [local - before, local - after].filter((ms) => ms + this.offsetAt(ms) === local);
    if (valid.length > 0) return Math.min(...valid); // in a repeated hour: the first occurrence
    return this.transitionBetween(local - after, local - before);
  }

  /** In a gap: the first instant after `lo` whose offset differs from lo's (the clock's jump). */
  private transitionBetween(lo: number, hi: number): number {
    const from = this.offsetAt(lo);
    // tz transitions fall on whole seconds; search in seconds.
    let a = Math.floor(lo / 1000);
    let b = Math.ceil(hi / 1000);
    while (b - a > 1) {
      const mid = Math.floor((a + b) / 2);
      if (this.offsetAt(mid * 1000) === from) a = mid;
      else b = mid;
    }
    return b * 1000;
  }
}
