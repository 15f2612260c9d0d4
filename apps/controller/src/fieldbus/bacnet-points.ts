/**
 * Profile points ↔ BACnet objects: which object a point names, whether it is
 * commandable (has a priority array, ASHRAE 135 §19.2), and present-value in
 * engineering units both ways (engineering = raw × scale + offset; a BACnet
 * profile rarely scales, but may).
 */
import type { BacnetValue, ObjectRef } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';
import type { PointDef } from '#libs/profiles';
import { tidy } from './engineering.js';

export function objectOf(p: PointDef): ObjectRef {
  if (!p.bacnet) throw new FieldbusError('unknown-point', `point ${p.id} has no BACnet object`);
  return { type: p.bacnet.objectType, instance: p.bacnet.instance };
}

/**
 * Octets of the point's present-value as an application-tagged value
 * (§20.2): what an RPM answer will carry for it, so batches are packed to what
 * the device will really send. REAL is tag + 4; an ENUMERATED binary state
 * tag + 1; an Unsigned multi-state value tag + the octets of its largest state
 * (§20.2.4, shortest form); anything else at most tag + 4.
 */
export function presentValueSize(p: PointDef): number {
  switch (p.dataType) {
    case 'real':
      return 5;
    case 'boolean':
      return 1;
    case 'enumerated':
      return p.kind === 'binary' ? 2 : 5;
    case 'unsigned': {
      const states = p.states ? Object.keys(p.states).map(Number) : [];
      if (p.kind !== 'multistate' || states.length === 0) return 5;
      const top = Math.max(...states);
      return top < 0x100 ? 2 : top < 0x10000 ? 3 : 5;
    }
    default:
      return 5;
  }
}

/** Outputs always have a priority array (§19.2); values only when the profile says so; inputs never. */
export function isCommandable(p: PointDef): boolean {
  const b = p.bacnet;
  if (!b || b.objectType.endsWith('-input')) return false;
  return b.commandable ?? b.objectType.endsWith('-output');
}

/** A decoded present-value (or priority-array slot) → engineering units; null stays null (an empty slot). */
export function toEngineering(p: PointDef, v: BacnetValue): number | null {
  if (v === null) return null;
  let raw: number;
  if (typeof v === 'number') raw = v;
  else if (typeof v === 'boolean') raw = v ? 1 : 0;
  else
    throw new FieldbusError(
      'bad-response',
      `${p.id}: expected a number for ${p.bacnet?.objectType} present-value, got ${JSON.stringify(v)}`,
    );
  if (p.kind !== 'analog') return raw;
  return tidy(raw * (p.scale ?? 1) + (p.offset ?? 0), p);
}

/** An engineering value → what WriteProperty carries: REAL for analog, 0/1 for binary, 1..n for multi-state (§12). */
export function toRaw(p: PointDef, value: number): number {
  if (!Number.isFinite(value)) throw new FieldbusError('out-of-range', `${p.id}: ${value} is not a number`);
  if (p.kind === 'binary') {
    if (value !== 0 && value !== 1)
      throw new FieldbusError('out-of-range', `${p.id}: a binary point takes 0 or 1, not ${value}`);
    return value;
  }
  if (p.kind === 'multistate') {
    if (!Number.isInteger(value) || value < 1)
      throw new FieldbusError(
        'out-of-range',
        `${p.id}: a multi-state point takes a state 1..n, not ${value}`,
      );
    return value;
  }
  return (value - (p.offset ?? 0)) / (p.scale ?? 1);
}
