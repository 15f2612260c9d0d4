/**
 * How close a read-back must be to the value written to count as "written":
 * the resolution of the point's encoding. A scaled integer holds steps of
 * `scale` (int16 × 0.1 cannot hold 21.37: it holds 21.4), so the device
 * reports the nearest step; a float32 (Modbus or BACnet REAL) keeps about
 * seven significant digits (IEEE 754 binary32); bits and enumerations must
 * match exactly.
 */
import type { PointDef } from '#libs/profiles';

const FLOAT32_RELATIVE = 1e-6;
const EXACT = 1e-9;

export function writeTolerance(point: PointDef, value: number): number {
  if (point.kind !== 'analog') return EXACT;
  switch (point.dataType) {
    case 'float32':
    case 'real':
      return Math.max(Math.abs(value) * FLOAT32_RELATIVE, EXACT);
    case 'float64':
      return Math.max(Math.abs(value) * 1e-12, EXACT);
    case 'bool':
    case 'boolean':
    case 'enumerated':
      return EXACT;
    default:
      // An integer register: half a step of the scale, plus room for the decimal noise of raw × scale.
      return Math.abs(point.scale ?? 1) / 2 + Math.max(Math.abs(value) * 1e-9, EXACT);
  }
}
