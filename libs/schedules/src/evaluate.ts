/**
 * What a schedule commands at an instant, and when that next changes.
 *
 * Semantics, after ASHRAE 135 Clause 12.24 (Schedule object; Present_Value
 * in 12.24.4, with Schedule_Default, Weekly_Schedule, Exception_Schedule and
 * Effective_Period as that clause defines them):
 * 1. Wall-clock times are read in the schedule's `timeZone`, else the site's
 *    zone. A local day is the span of instants from its 00:00 to the next
 *    day's 00:00 (zone.ts: a time in a spring-forward gap happens at the gap's
 *    end; one in the repeated autumn hour happens once, at its first occurrence).
 * 2. Outside the effective period (inclusive dates; 'any' = open end) the
 *    value is the schedule default all day (source 'default').
 * 3. Inside it, each day starts afresh from the schedule default at 00:00:
 *    time-values never carry over midnight (Schedule_Default is what is in
 *    effect until the day's first time-value).
 * 4. The exceptions whose period holds on that day are taken in priority order
 *    (1 highest .. 16 lowest; equal priorities, which validation refuses when
 *    they can meet, by list order). An exception is in force when one of its
 *    time-values has happened today; its latest such time-value decides: a
 *    number wins, a null relinquishes that exception and the next one down is
 *    asked. Equal times in one list: the later entry wins.
 * 5. Then the weekly list of that day of the week, the same way; then the
 *    schedule default.
 * nextChange reports the first instant after `instant` at which the value
 * (not only its source) differs, searching at most NEXT_CHANGE_HORIZON_DAYS.
 * Inputs are assumed validated (validate.ts); what evaluation cannot read
 * (an unknown calendar, a malformed time, a bad zone) throws ScheduleValidationError.
 */
import { dateProblem, dayOf, entryMatches, isoDayOfWeek } from './civil-date.js';
import type { DayNumber } from './civil-date.js';
import { ScheduleValidationError } from './errors.js';
import { secondsOfDay } from './time-of-day.js';
import { DAYS_OF_WEEK } from './types.js';
import type { Calendar, EffectiveValue, Schedule, ScheduleChange, TimeValue } from './types.js';
import { timeZoneProblem, ZoneClock } from './zone.js';

export const NEXT_CHANGE_HORIZON_DAYS = 400;

/** One stretch of a day's program, from `from` (ms) until the next segment. */
interface Segment extends EffectiveValue {
  from: number;
}

interface Layer {
  source: 'exception' | 'weekly';
  exceptionIndex?: number;
  priority?: number;
  points: { at: number; value: number | null }[];
}

class Evaluator {
  readonly clock: ZoneClock;
  private readonly calendars: Map<string, Calendar>;
  private readonly from: DayNumber;
  private readonly to: DayNumber;

  constructor(
    private readonly schedule: Schedule,
    calendars: readonly Calendar[],
    siteZone: string,
  ) {
    const zone = schedule.timeZone ?? siteZone;
    const zoneProblem = timeZoneProblem(zone);
    if (zoneProblem !== undefined)
      throw new ScheduleValidationError([
        { path: schedule.timeZone === undefined ? 'zone' : 'timeZone', message: zoneProblem },
      ]);
    this.clock = new ZoneClock(zone);
    this.calendars = new Map(calendars.map((c) => [c.name, c]));
    this.from = this.periodEnd('from', -Infinity);
    this.to = this.periodEnd('to', Infinity);
  }

  private periodEnd(end: 'from' | 'to', open: number): number {
    const text = this.schedule.effectivePeriod[end];
    if (text === 'any') return open;
    const problem = dateProblem(text, false);
    if (problem !== undefined)
      throw new ScheduleValidationError([{ path: `effectivePeriod.${end}`, message: problem }]);
    return dayOf(text);
  }

  private resolveTimes(day: DayNumber, times: TimeValue[], path: string): Layer['points'] {
    return times
      .map((tv, i) => ({ seconds: secondsOfDay(tv.time, `${path}[${i}].time`), value: tv.value }))
      .sort((a, b) => a.seconds - b.seconds)
      .map((p) => ({ at: this.clock.resolve(day, p.seconds), value: p.value }));
  }

  private exceptionHolds(index: number, day: DayNumber): boolean {
    const period = this.schedule.exceptions[index].period;
    if (period.kind !== 'calendar') return entryMatches(period, day);
    const calendar = this.calendars.get(period.calendar);
    if (calendar === undefined)
      throw new ScheduleValidationError([
        { path: `exceptions[${index}].period.calendar`, message: `unknown calendar "${period.calendar}"` },
      ]);
    return calendar.entries.some((entry) => entryMatches(entry, day));
  }

  /** The day's segments in time order; the first starts at the day's start. */
  program(day: DayNumber): Segment[] {
    const start = this.clock.startOfDay(day);
    const end = this.clock.startOfDay(day + 1);
    const fallback: EffectiveValue = { value: this.schedule.scheduleDefault, source: 'default' };
    if (day < this.from || day > this.to) return [{ from: start, ...fallback }];
    const layers: Layer[] = this.schedule.exceptions
      .map((ex, index) => ({ ex, index }))
      .filter(({ index }) => this.exceptionHolds(index, day))
      .sort((a, b) => a.ex.priority - b.ex.priority || a.index - b.index)
      .map(({ ex, index }) => ({
        source: 'exception' as const,
        exceptionIndex: index,
        priority: ex.priority,
        points: this.resolveTimes(day, ex.times, `exceptions[${index}].times`),
      }));
    const dayName = DAYS_OF_WEEK[isoDayOfWeek(day) - 1];
    layers.push({
      source: 'weekly',
      points: this.resolveTimes(day, this.schedule.weekly[dayName], `weekly.${dayName}`),
    });
    const boundaries = new Set<number>([start]);
    for (const layer of layers)
      for (const p of layer.points) if (p.at >= start && p.at < end) boundaries.add(p.at);
    return [...boundaries]
      .sort((a, b) => a - b)
      .map((at) => ({ from: at, ...(decide(layers, at) ?? fallback) }));
  }
}

function decide(layers: Layer[], at: number): EffectiveValue | undefined {
  for (const layer of layers) {
    let latest: { value: number | null } | undefined;
    for (const p of layer.points) if (p.at <= at) latest = p;
    if (latest === undefined || latest.value === null) continue;
    return layer.source === 'weekly'
      ? { value: latest.value, source: 'weekly' }
      : {
          value: latest.value,
          source: 'exception',
          exceptionIndex: layer.exceptionIndex,
          priority: layer.priority,
        };
  }
  return undefined;
}

function segmentAt(segments: Segment[], ms: number): Segment {
  let current = segments[0];
  for (const s of segments) if (s.from <= ms) current = s;
  return current;
}

function strip(segment: Segment): EffectiveValue {
  const { from: _from, ...value } = segment;
  return value;
}

/** The value in force at `instant` and where it comes from (see the semantics above). */
export function effectiveAt(
  schedule: Schedule,
  calendars: readonly Calendar[],
  zone: string,
  instant: Date,
): EffectiveValue {
  const evaluator = new Evaluator(schedule, calendars, zone);
  const ms = instant.getTime();
  return strip(segmentAt(evaluator.program(evaluator.clock.dayOf(ms)), ms));
}

/**
 * The first instant after `instant` at which the effective value differs from
 * the one at `instant`, with the new value; null when nothing changes within
 * `horizonDays` local days.
 */
export function nextChange(
  schedule: Schedule,
  calendars: readonly Calendar[],
  zone: string,
  instant: Date,
  horizonDays: number = NEXT_CHANGE_HORIZON_DAYS,
): ScheduleChange | null {
  const evaluator = new Evaluator(schedule, calendars, zone);
  const ms = instant.getTime();
  const today = evaluator.clock.dayOf(ms);
  const current = segmentAt(evaluator.program(today), ms).value;
  for (let day = today; day <= today + horizonDays; day++) {
    for (const segment of evaluator.program(day))
      if (segment.from > ms && segment.value !== current)
        return { at: new Date(segment.from), value: segment.value };
  }
  return null;
}
