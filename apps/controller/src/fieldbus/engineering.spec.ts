import { describe, expect, it } from '@jest/globals';
import type { PointDef } from '#libs/profiles';
import { tidy } from './engineering.js';

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
