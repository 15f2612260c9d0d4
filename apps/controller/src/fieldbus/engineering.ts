/**
 * Decoded values carry the noise of their encoding: a float32 holds about
 * seven significant digits (IEEE 754 binary32), and a scaled integer has no
 * more decimals than its scale (raw 264 × 0.1 is 26.4, not
 * 26.400000000000002). Values are rounded to what the device really said.
 */
import type { PointDef } from '#libs/profiles';

export function tidy(value: number, point: PointDef): number {
  if (!Number.isFinite(value)) return value;
  if (point.dataType === 'float32' || point.dataType === 'real') return Number(value.toPrecision(7));
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  if (point.dataType === 'float64' || (Number.isInteger(scale) && Number.isInteger(offset))) return value;
  const decimals = Math.min(12, Math.max(decimalsOf(scale), decimalsOf(offset)));
  return Number(value.toFixed(decimals));
}

function decimalsOf(n: number): number {
  const s = String(n);
  if (s.includes('e-')) return Number(s.split('e-')[1]) + (s.split('e-')[0].split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}
