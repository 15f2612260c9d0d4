/** Wall-clock times of day, 'HH:MM' or 'HH:MM:SS', as seconds after local midnight. */
import { ScheduleValidationError } from './errors.js';

const TIME = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

/** undefined when `text` is a time of day from 00:00 to 23:59:59, else why not. */
export function timeOfDayProblem(text: unknown): string | undefined {
  if (typeof text !== 'string') return 'must be a time "HH:MM" or "HH:MM:SS"';
  const m = TIME.exec(text);
  if (m === null) return `malformed time "${text}": expected HH:MM or HH:MM:SS`;
  const [hour, minute, second] = [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')];
  if (minute > 59 || second > 59) return `malformed time "${text}": minutes and seconds run from 00 to 59`;
  // BACnetTime has no 24:00 (hour 0..23, Clause 20.2.13); the end of a day is the next day's 00:00.
  if (hour > 23) return `"${text}" is past the end of the day: times run from 00:00 to 23:59:59`;
  return undefined;
}

/** Seconds after midnight; throws ScheduleValidationError naming `path` when malformed. */
export function secondsOfDay(text: string, path: string): number {
  const problem = timeOfDayProblem(text);
  if (problem !== undefined) throw new ScheduleValidationError([{ path, message: problem }]);
  const m = TIME.exec(text)!;
  return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? '0');
}

/** 'HH:MM' when the seconds are zero, else 'HH:MM:SS'. */
export function formatTimeOfDay(hour: number, minute: number, second: number): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return second === 0 ? `${two(hour)}:${two(minute)}` : `${two(hour)}:${two(minute)}:${two(second)}`;
}
