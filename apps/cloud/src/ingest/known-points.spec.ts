import { describe, expect, it } from '@jest/globals';
import { KnownPoints } from './known-points.js';

describe('KnownPoints', () => {
  it('answers remembered ids per site and nothing for another site', () => {
    const known = new KnownPoints();
    known.remember(1, new Map([['ahu-1.sat', 10]]));
    expect(known.get(1, 'ahu-1.sat')).toBe(10);
    expect(known.get(2, 'ahu-1.sat')).toBeUndefined();
    expect(known.get(1, 'ahu-1.rat')).toBeUndefined();
  });

  it('forgets everything past its bound instead of growing', () => {
    const known = new KnownPoints(3);
    known.remember(
      1,
      new Map([
        ['a', 1],
        ['b', 2],
        ['c', 3],
      ]),
    );
    known.remember(2, new Map([['d', 4]]));
    expect([known.get(1, 'a'), known.get(1, 'c'), known.get(2, 'd')]).toEqual([undefined, undefined, 4]);
  });
});
