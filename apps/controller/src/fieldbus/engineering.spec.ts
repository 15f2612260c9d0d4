import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PointDef } from '#libs/profiles';
import { tidy, toSevenDigits } from './engineering.js';

const point = (p: Partial<PointDef>): PointDef => ({
  id: 'p',
  name: 'p',
  description: '',
  kind: 'analog',
  access: 'read',
  unit: '',
  tags: [],
  dataType: 'int16',
  ...p,
});

describe('tidy', () => {
  it('keeps a float32 to its seven significant digits', () => {
    expect(tidy(230.99937438964844, point({ dataType: 'float32' }))).toBe(230.9994);
    expect(tidy(0.1 + 0.2, point({ dataType: 'real' }))).toBe(0.3);
  });
  it('keeps a scaled integer to the decimals of its scale and offset', () => {
    expect(tidy(264 * 0.1, point({ dataType: 'int16', scale: 0.1 }))).toBe(26.4);
    expect(tidy(80 * 0.61 + 21, point({ dataType: 'uint16', scale: 0.61, offset: 21 }))).toBe(69.8);
    expect(tidy(3 * 0.001, point({ dataType: 'int32', scale: 1e-3 }))).toBe(0.003);
  });
  it('leaves plain integers and float64 alone', () => {
    expect(tidy(12345, point({ dataType: 'uint16' }))).toBe(12345);
    expect(tidy(0.1 + 0.2, point({ dataType: 'float64' }))).toBe(0.1 + 0.2);
  });
});

describe('toSevenDigits (the float32 rounding without a string round trip)', () => {
  const reference = (v: number): number => Number(v.toPrecision(7));

  it('equals Number(v.toPrecision(7)) for every float32, however large or small', () => {
    fc.assert(
      fc.property(fc.float(), (v) => expect(toSevenDigits(v)).toBe(reference(v))),
      { numRuns: 20000 },
    );
  });

  it('equals it for doubles too, and for scaled and offset float32 values', () => {
    fc.assert(
      fc.property(fc.double(), (v) => expect(toSevenDigits(v)).toBe(reference(v))),
      { numRuns: 20000 },
    );
    fc.assert(
      fc.property(fc.float({ noNaN: true }), fc.constantFrom(0.1, 0.01, 3, 1e-3), (v, k) =>
        expect(toSevenDigits(v * k + 0.5)).toBe(reference(v * k + 0.5)),
      ),
      { numRuns: 5000 },
    );
  });

  it('handles ties, powers of ten and the edges the shortcut leaves to toPrecision', () => {
    for (const v of [
      1.0000005, 2.5e-7, 9999999.5, 99999995, 1e21, 1e22, 1e-16, 123456.75, -0, 0, -1.25e-40,
      3.4028234663852886e38,
    ])
      expect(Object.is(toSevenDigits(v), reference(v))).toBe(true);
    expect(toSevenDigits(Number.NaN)).toBeNaN();
    expect(toSevenDigits(-Infinity)).toBe(-Infinity);
  });
});
