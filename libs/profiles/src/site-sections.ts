/**
 * The site's calendars, schedules and interlocks, checked beyond the schema
 * with the libraries that run them (libs/schedules, libs/rules), so a site that
 * loads is one they accept: times past 24:00, unknown calendars, overlapping
 * exceptions of equal priority and invalid zones (validateSchedule), rules
 * naming unknown or read-only points (validateRules), and schedule targets
 * that are no writable point of the site or could not take the schedule's
 * values (libs/priority's envelope, as the controller applies it). The
 * controller runs the same checks on every configuration edit.
 */
import { checkCommandValue, CommandRefusedError } from '#libs/priority';
import { pointIndexOf, validateRules } from '#libs/rules';
import { validateCalendar, validateSchedule } from '#libs/schedules';
import type { Calendar, Schedule } from '#libs/schedules';
import type { Finding } from './schema-check.js';
import type { PointDef, Profile, SiteDevice } from './types.js';
import type { DataPath, PathSegment } from './yaml-source.js';

export interface SectionsInput {
  /** Devices the schema accepted (checks of points skip the others). */
  devices: readonly SiteDevice[];
  /** Loaded profiles by SiteDevice.profile. */
  profiles: Readonly<Record<string, Profile>>;
  calendars?: readonly unknown[];
  schedules?: readonly unknown[];
  interlocks?: unknown;
  /** Items the schema already rejected, by section: not checked again (their shape is unknown). */
  damaged?: Partial<Record<'calendars' | 'schedules', ReadonlySet<number>>>;
  /** Describes another item for messages, e.g. `schedule "x" (line 40)`; defaults to the bare description. */
  describe?: (path: DataPath, text: string) => string;
}

/** `weekly.monday[1].time` -> ['weekly', 'monday', 1, 'time'] (paths as libs/schedules and libs/rules give them). */
export function parseIssuePath(text: string): PathSegment[] {
  const segments: PathSegment[] = [];
  for (const match of text.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    segments.push(match[2] === undefined ? match[1] : Number(match[2]));
  }
  return segments;
}

type Item<T> = { value: T; index: number };

function items<T>(list: readonly unknown[] | undefined, damaged: ReadonlySet<number> | undefined): Item<T>[] {
  return (list ?? [])
    .map((value, index) => ({ value: value as T, index }))
    .filter(({ index }) => !damaged?.has(index));
}

export function checkSiteSections(input: SectionsInput): Finding[] {
  const describe = input.describe ?? ((_path: DataPath, text: string) => text);
  const index = pointIndexOf({ devices: [...input.devices], profiles: input.profiles });
  const calendars = items<Calendar>(input.calendars, input.damaged?.calendars);
  const schedules = items<SiteScheduleLike>(input.schedules, input.damaged?.schedules);
  const findings: Finding[] = [];

  for (const { value, index: i } of calendars)
    for (const issue of validateCalendar(value))
      findings.push({ path: ['calendars', i, ...parseIssuePath(issue.path)], message: issue.message });
  findings.push(...duplicateKeys(calendars, 'calendars', 'name', 'calendar', describe));

  // Every calendar with a name is known to schedules, even one with bad entries (reported above).
  const known = (input.calendars ?? []).filter(
    (c): c is Calendar => typeof (c as Calendar | null)?.name === 'string',
  );
  for (const { value, index: i } of schedules) {
    for (const issue of validateSchedule(value, known))
      findings.push({ path: ['schedules', i, ...parseIssuePath(issue.path)], message: issue.message });
    findings.push(...targetFindings(value, i, index));
  }
  findings.push(...duplicateKeys(schedules, 'schedules', 'id', 'schedule', describe));
  findings.push(...sharedTargets(schedules, describe));

  if (input.interlocks !== undefined) {
    for (const issue of validateRules(input.interlocks, index, 'interlocks'))
      findings.push({ path: parseIssuePath(issue.path), message: `${issue.message} [${issue.code}]` });
  }
  return findings;
}

/** What the checks read of a schedule: libs/schedules' Schedule plus the site's kind and targets. */
type SiteScheduleLike = Schedule & { kind?: string; targets?: unknown };

function duplicateKeys<T>(
  list: Item<T>[],
  section: 'calendars' | 'schedules',
  key: 'name' | 'id',
  label: string,
  describe: (path: DataPath, text: string) => string,
): Finding[] {
  const first = new Map<string, number>();
  const findings: Finding[] = [];
  for (const { value, index } of list) {
    const name = (value as Record<string, unknown>)[key];
    if (typeof name !== 'string') continue;
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, index);
    else
      findings.push({
        path: [section, index, key],
        message: `duplicate ${label} ${key} "${name}": also ${describe([section, earlier], `${section}[${earlier}]`)}`,
      });
  }
  return findings;
}

/** Every value a schedule can command, with where it is written, null (relinquish) excluded. */
function scheduleValues(schedule: Schedule): { value: number; path: PathSegment[] }[] {
  const values: { value: number; path: PathSegment[] }[] = [];
  if (typeof schedule.scheduleDefault === 'number')
    values.push({ value: schedule.scheduleDefault, path: ['scheduleDefault'] });
  for (const [day, times] of Object.entries(schedule.weekly ?? {}))
    if (Array.isArray(times))
      times.forEach((tv, i) => {
        if (typeof tv?.value === 'number')
          values.push({ value: tv.value, path: ['weekly', day, i, 'value'] });
      });
  (Array.isArray(schedule.exceptions) ? schedule.exceptions : []).forEach((ex, e) => {
    if (Array.isArray(ex?.times))
      ex.times.forEach((tv, i) => {
        if (typeof tv?.value === 'number')
          values.push({ value: tv.value, path: ['exceptions', e, 'times', i, 'value'] });
      });
  });
  return values;
}

function targetFindings(
  schedule: SiteScheduleLike,
  i: number,
  index: ReadonlyMap<string, PointDef>,
): Finding[] {
  if (!Array.isArray(schedule.targets)) return [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  const values = scheduleValues(schedule);
  (schedule.targets as unknown[]).forEach((target, j) => {
    if (typeof target !== 'string') return;
    const path = ['schedules', i, 'targets', j];
    if (seen.has(target)) {
      findings.push({ path, message: `"${target}" is listed twice` });
      return;
    }
    seen.add(target);
    const point = index.get(target);
    if (point === undefined) {
      findings.push({ path, message: `"${target}" is no point of this site (${whyUnknown(target, index)})` });
      return;
    }
    if (point.access !== 'write') {
      findings.push({
        path,
        message: `"${target}" is read-only: a schedule can only command writable points`,
      });
      return;
    }
    // One finding per refused value and target, at the first place the value is written.
    const refused = new Set<number>();
    for (const { value, path: at } of values) {
      if (refused.has(value)) continue;
      try {
        checkCommandValue(point, value, target);
      } catch (error) {
        if (!(error instanceof CommandRefusedError)) throw error;
        refused.add(value);
        findings.push({ path: ['schedules', i, ...at], message: `target ${error.message}` });
      }
    }
  });
  return findings;
}

function whyUnknown(target: string, index: ReadonlyMap<string, PointDef>): string {
  const device = target.slice(0, target.indexOf('.'));
  const hasDevice = [...index.keys()].some((key) => key.startsWith(`${device}.`));
  return hasDevice ? `device "${device}" has no such point` : `no device "${device}"`;
}

/** Two schedules of one kind commanding one point would fight over one slot; say which. */
function sharedTargets(
  schedules: Item<SiteScheduleLike>[],
  describe: (path: DataPath, text: string) => string,
): Finding[] {
  const owner = new Map<string, { index: number; id: string }>();
  const findings: Finding[] = [];
  for (const { value, index } of schedules) {
    if (!Array.isArray(value.targets) || typeof value.kind !== 'string') continue;
    (value.targets as unknown[]).forEach((target, j) => {
      if (typeof target !== 'string') return;
      const key = `${value.kind}\u0000${target}`;
      const earlier = owner.get(key);
      if (earlier === undefined) owner.set(key, { index, id: String(value.id) });
      else if (earlier.index !== index)
        findings.push({
          path: ['schedules', index, 'targets', j],
          message: `"${target}" is also a target of ${value.kind} schedule ${describe(['schedules', earlier.index], `"${earlier.id}"`)}: two ${value.kind} schedules would command one slot`,
        });
    });
  }
  return findings;
}
