/**
 * Protocol-independent point rules: unique ids, states only on multistate
 * points, and the safety envelope of writable points (DESIGN.md semantics 3):
 * a safe range, a fail-safe value inside it, minimum on/off times for binary
 * outputs.
 */
import { otherPoint, pointFinding } from './check-context.js';
import type { PointEntry, ProfileCheck, ProfileCheckContext } from './check-context.js';
import type { Finding } from './schema-check.js';

const WRITE_ONLY_FIELDS = [
  'safeRange',
  'failSafe',
  'minOnSeconds',
  'minOffSeconds',
  'maxRatePerMinute',
] as const;

export const checkPoints: ProfileCheck = (context) => [
  ...duplicateIds(context),
  ...context.points.flatMap((entry) => [...states(entry), ...safety(entry)]),
];

function duplicateIds(context: ProfileCheckContext): Finding[] {
  const first = new Map<string, PointEntry>();
  const findings: Finding[] = [];
  for (const entry of context.points) {
    const earlier = first.get(entry.point.id);
    if (earlier === undefined) first.set(entry.point.id, entry);
    else
      findings.push(
        pointFinding(entry, ['id'], `duplicate point id: also used by ${otherPoint(context, earlier)}`),
      );
  }
  return findings;
}

function states(entry: PointEntry): Finding[] {
  const { point } = entry;
  if (point.kind === 'multistate' && point.states === undefined) {
    return [pointFinding(entry, ['states'], 'is required for a multistate point (value -> text)')];
  }
  if (point.kind !== 'multistate' && point.states !== undefined) {
    return [pointFinding(entry, ['states'], `only applies to multistate points, not ${point.kind}`)];
  }
  return [];
}

function safety(entry: PointEntry): Finding[] {
  const { point } = entry;
  const findings: Finding[] = [];
  const add = (field: string, message: string) => findings.push(pointFinding(entry, [field], message));

  if (point.scale === 0) add('scale', 'must not be 0: a command could not be turned back into a raw value');

  if (point.access === 'read') {
    for (const field of WRITE_ONLY_FIELDS) {
      if (point[field] !== undefined) add(field, 'only applies to writable points (access: write)');
    }
    return findings;
  }

  if (point.kind !== 'binary' && point.safeRange === undefined) {
    add('safeRange', `is required for a writable ${point.kind} point: commands outside it are refused`);
  }
  if (point.failSafe === undefined) {
    add(
      'failSafe',
      'is required for a writable point: it is the value the output takes when nothing commands it',
    );
  }
  if (point.kind === 'binary') {
    if (point.minOnSeconds === undefined)
      add('minOnSeconds', 'is required for a writable binary point (no short-cycling)');
    if (point.minOffSeconds === undefined)
      add('minOffSeconds', 'is required for a writable binary point (no short-cycling)');
  } else {
    if (point.minOnSeconds !== undefined)
      add('minOnSeconds', `only applies to binary points, not ${point.kind}`);
    if (point.minOffSeconds !== undefined)
      add('minOffSeconds', `only applies to binary points, not ${point.kind}`);
  }
  if (point.kind !== 'analog' && point.maxRatePerMinute !== undefined) {
    add('maxRatePerMinute', `only applies to analog points, not ${point.kind}`);
  }

  const range = point.safeRange;
  if (range !== undefined && range.min > range.max) {
    findings.push(
      pointFinding(entry, ['safeRange', 'min'], `min ${range.min} is greater than max ${range.max}`),
    );
  }
  if (point.failSafe !== undefined) {
    const failSafe = point.failSafe;
    if (point.kind === 'binary' && failSafe !== 0 && failSafe !== 1) {
      add('failSafe', `${failSafe} is not a binary value: must be 0 (off/inactive) or 1 (on/active)`);
    } else if (
      point.kind === 'multistate' &&
      point.states !== undefined &&
      !Object.hasOwn(point.states, String(failSafe))
    ) {
      add('failSafe', `${failSafe} is not one of the states (${Object.keys(point.states).join(', ')})`);
    } else if (
      range !== undefined &&
      range.min <= range.max &&
      (failSafe < range.min || failSafe > range.max)
    ) {
      add('failSafe', `${failSafe} is outside safeRange ${range.min}..${range.max}`);
    }
  }
  return findings;
}
