/**
 * Decoded values carry the noise of their encoding: a float32 holds about
 * seven significant digits (IEEE 754 binary32), and a scaled integer has no
 * more decimals than its scale (raw 264 × 0.1 is 26.4, not
 * 26.400000000000002). Values are rounded to what the device really said.
 *
 * A scan tidies every point, so `tidier(point)` settles once what a point
 * needs and returns the rounding alone; `tidy(value, point)` is the one-off form.
 */
import type { PointDef } from '#libs/profiles';

export type Tidier = (value: number) => number;

const identity: Tidier = (v) => v;

export function tidy(value: number, point: PointDef): number {
  return tidier(point)(value);
}

/** The rounding `point`'s values need, decided once. */
export function tidier(point: PointDef): Tidier {
  if (point.dataType === 'float32' || point.dataType === 'real') return toSevenDigits;
  const scale = point.scale ?? 1;
  const offset = point.offset ?? 0;
  if (point.dataType === 'float64' || (Number.isInteger(scale) && Number.isInteger(offset))) return identity;
  const decimals = Math.min(12, Math.max(decimalsOf(scale), decimalsOf(offset)));
  return (v) => (Number.isFinite(v) ? Number(v.toFixed(decimals)) : v);
}

function decimalsOf(n: number): number {
  const s = String(n);
  if (s.includes('e-')) return Number(s.split('e-')[1]) + (s.split('e-')[0].split('.')[1]?.length ?? 0);
  return s.split('.')[1]?.length ?? 0;
}

/** 10^0 .. 10^22: every one is an exact double, so dividing or multiplying by one rounds once, correctly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * `Number(v.toPrecision(7))` without the string round trip. ECMAScript's
 * toPrecision picks the integer n in [10^6, 10^7) closest to v × 10^(6−e)
 * (ties away from zero) and Number() then parses n × 10^(e−6) to the nearest
 * double; n / 10^k (or n × 10^−k) with both operands exact is that same
 * nearest double. The scaled value can carry one rounding error, so when it
 * lies too near a tie, or the exponent estimate is off, or the power of ten
 * is not exact, this asks toPrecision itself.
 */
export function toSevenDigits(v: number): number {
  if (v === 0) return 0; // toPrecision drops the sign of -0
  if (!Number.isFinite(v)) return v;
  const a = v < 0 ? -v : v;
  const k = 6 - Math.floor(Math.log10(a));
  if (k > 22 || k < -22) return Number(v.toPrecision(7));
  const x = k >= 0 ? a * POW10[k] : a / POW10[-k];
  const n = Math.round(x);
  const frac = x - Math.floor(x);
  if (n < 1e6 || n > 1e7 || Math.abs(frac - 0.5) < 1e-6) return Number(v.toPrecision(7));
  const r = k >= 0 ? n / POW10[k] : n * POW10[-k];
  return v < 0 ? -r : r;
}
