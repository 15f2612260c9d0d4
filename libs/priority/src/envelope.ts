/**
 * The safety envelope of a command value (DESIGN.md point 3): refused with a
 * named error, never clamped in silence. The controller checks a command here
 * before it reaches the priority array; the array itself knows nothing of the
 * point's profile, so a profile change never leaves stale limits in a stored
 * array. Minimum on/off times and ramps are not refusals but delays: see
 * output-gate.ts.
 */
import type { PointDef } from '#libs/profiles';
import {
  InvalidCommandError,
  NoSafeRangeError,
  NotBinaryValueError,
  NotWritableError,
  OutOfSafeRangeError,
  UnknownStateError,
} from './errors.js';

/** The fields of a point the envelope reads. */
export type EnvelopePoint = Pick<PointDef, 'id' | 'kind' | 'access' | 'unit' | 'safeRange' | 'states'>;

/**
 * Throws unless `value` may be commanded on `point`. `pointRef` is the name used
 * in messages, normally `<device>.<point>` (e.g. "ahu-1.damper"); default the point id.
 * Order: NotWritableError, InvalidCommandError (non-finite), then by kind:
 * binary 0/1 (NotBinaryValueError), multistate a declared state (UnknownStateError),
 * and the safe range where declared (OutOfSafeRangeError; required for analog and
 * multistate points: NoSafeRangeError). Range bounds are inclusive.
 */
export function checkCommandValue(point: EnvelopePoint, value: number, pointRef: string = point.id): void {
  if (point.access !== 'write') throw new NotWritableError(pointRef);
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InvalidCommandError(
      pointRef,
      `point "${pointRef}" value ${String(value)} is not a finite number`,
    );
  switch (point.kind) {
    case 'binary':
      if (value !== 0 && value !== 1) throw new NotBinaryValueError(pointRef, value);
      break;
    case 'multistate': {
      const states = Object.keys(point.states ?? {});
      // Multi-state Present_Value is an Unsigned in 1..Number_Of_States (ASHRAE 135 §12.18–12.20).
      if (!Number.isInteger(value) || !states.includes(String(value)))
        throw new UnknownStateError(pointRef, value, states);
      break;
    }
    case 'analog':
      break;
  }
  const range = point.safeRange;
  if (range === undefined) {
    if (point.kind !== 'binary') throw new NoSafeRangeError(pointRef);
    return;
  }
  if (value < range.min || value > range.max)
    throw new OutOfSafeRangeError(pointRef, value, range.min, range.max, point.unit);
}
