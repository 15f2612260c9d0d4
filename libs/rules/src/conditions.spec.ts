/**
 * Each condition and combinator, hysteresis, quality handling and delay-on,
 * through the engine (a rule is active exactly when its condition holds).
 */
import { describe, expect, it } from '@jest/globals';
import { RuleEngine } from './index.js';
import type { Condition } from './index.js';
import { ruleWhen, snapshot } from './test-support/builders.js';

type Readings = Parameters<typeof snapshot>[1];

/** The rule's truth after each scan; scans are [seconds, readings]. */
function truths(when: Condition, scans: Array<[number, Readings]>): boolean[] {
  const engine = new RuleEngine([ruleWhen(when)]);
  return scans.map(([seconds, readings]) => {
    engine.evaluate(snapshot(seconds * 1000, readings));
    return engine.activeRules().includes('r');
  });
}

const DAT = 'ahu-1.discharge-air-temp';
const FAN = 'ahu-1.supply-fan-status';
const OAT = 'ahu-1.outside-air-temp';
/** One scan per second, one value each, all good. */
const series = (point: string, values: Array<number | null>): Array<[number, Readings]> =>
  values.map((value, i) => [i, { [point]: value }]);

describe('below', () => {
  it('is strict and clears as soon as the value is no longer below, without clearAbove', () => {
    expect(truths({ point: DAT, below: 5 }, series(DAT, [6, 5, 4.9, 5, 4, 5.1]))).toEqual([
      false,
      false,
      true,
      false,
      true,
      false,
    ]);
  });

  it('with clearAbove stays set up to and including clearAbove, then needs below again', () => {
    expect(
      truths({ point: DAT, below: 5, clearAbove: 7 }, series(DAT, [6, 4, 6, 7, 7.1, 6, 5, 4.99])),
    ).toEqual([false, true, true, true, false, false, false, true]);
  });
});

describe('above', () => {
  it('is strict and clears as soon as the value is no longer above, without clearBelow', () => {
    expect(truths({ point: OAT, above: 30 }, series(OAT, [30, 30.1, 30, 31]))).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it('with clearBelow stays set down to and including clearBelow', () => {
    expect(
      truths({ point: OAT, above: 30, clearBelow: 28 }, series(OAT, [29, 31, 29, 28, 27.9, 29, 30.5])),
    ).toEqual([false, true, true, true, false, false, true]);
  });
});

describe('equals', () => {
  it('matches the exact value only', () => {
    expect(truths({ point: FAN, equals: 0 }, series(FAN, [1, 0, 0, 1]))).toEqual([false, true, true, false]);
  });
});

describe('quality', () => {
  const scans: Array<[number, Readings]> = [
    [0, { [DAT]: 10 }],
    [1, { [DAT]: [10, 'stale'] }],
    [2, { [DAT]: [null, 'comm-fail'] }],
    [3, {}], // absent from the snapshot: unknown to the point engine, so comm-fail
    [4, { [DAT]: 10 }],
  ];

  it('comm-fail matches comm-fail and a point missing from the snapshot, not stale', () => {
    expect(truths({ point: DAT, quality: 'comm-fail' }, scans)).toEqual([false, false, true, true, false]);
  });

  it('stale matches stale only', () => {
    expect(truths({ point: DAT, quality: 'stale' }, scans)).toEqual([false, true, false, false, false]);
  });

  it('a list matches any quality listed', () => {
    expect(truths({ point: DAT, quality: ['stale', 'comm-fail'] }, scans)).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
  });
});

describe('value tests on readings that are not good', () => {
  it('keep their last truth: a dead sensor neither trips nor clears a latched test', () => {
    const when = { point: DAT, below: 5 };
    expect(
      truths(when, [
        [0, { [DAT]: [2, 'comm-fail'] }], // would trip, but the reading is not good
        [1, { [DAT]: null }], // good quality but no value
        [2, { [DAT]: 4 }],
        [3, { [DAT]: [20, 'stale'] }], // would clear, but stale
        [4, {}],
        [5, { [DAT]: 20 }],
      ]),
    ).toEqual([false, false, true, true, true, false]);
  });
});

describe('all and any', () => {
  const both = (dat: number, fan: number): Readings => ({ [DAT]: dat, [FAN]: fan });
  const scans: Array<[number, Readings]> = [
    [0, both(10, 1)],
    [1, both(4, 1)],
    [2, both(4, 0)],
    [3, both(10, 0)],
  ];

  it('all holds when every child holds', () => {
    const when = {
      all: [
        { point: DAT, below: 5 },
        { point: FAN, equals: 0 },
      ],
    };
    expect(truths(when, scans)).toEqual([false, false, true, false]);
  });

  it('any holds when one child holds', () => {
    const when = {
      any: [
        { point: DAT, below: 5 },
        { point: FAN, equals: 0 },
      ],
    };
    expect(truths(when, scans)).toEqual([false, true, true, true]);
  });

  it('nest', () => {
    const when = {
      all: [
        {
          any: [
            { point: DAT, below: 5 },
            { point: OAT, below: 0 },
          ],
        },
        { point: FAN, equals: 1 },
      ],
    };
    expect(
      truths(when, [
        [0, { [DAT]: 10, [OAT]: -5, [FAN]: 1 }],
        [1, { [DAT]: 10, [OAT]: 5, [FAN]: 1 }],
        [2, { [DAT]: 4, [OAT]: 5, [FAN]: 1 }],
        [3, { [DAT]: 4, [OAT]: 5, [FAN]: 0 }],
      ]),
    ).toEqual([true, false, true, false]);
  });

  it('evaluate every child every scan, so a branch timer runs while a sibling already decides', () => {
    const when = {
      any: [
        { point: DAT, below: 5 },
        { point: FAN, equals: 0, forSeconds: 10 },
      ],
    };
    expect(
      truths(when, [
        [0, both(4, 0)], // decided by the first branch; the second starts its timer
        [10, both(10, 0)], // first branch false; the second has held 10 s
      ]),
    ).toEqual([true, true]);
  });
});

describe('forSeconds (delay-on)', () => {
  const fanOff = (seconds: number, fan: number): [number, Readings] => [seconds, { [FAN]: fan }];

  it('counts only after the condition held for the whole delay, and clears at once', () => {
    const when = { point: FAN, equals: 0, forSeconds: 30 };
    expect(
      truths(when, [
        fanOff(0, 0),
        fanOff(10, 0),
        fanOff(29.999, 0),
        fanOff(30, 0),
        fanOff(31, 1),
        fanOff(32, 0),
      ]),
    ).toEqual([false, false, false, true, false, false]);
  });

  it('restarts when the condition drops in between', () => {
    const when = { point: FAN, equals: 0, forSeconds: 30 };
    expect(truths(when, [fanOff(0, 0), fanOff(10, 1), fanOff(20, 0), fanOff(49, 0), fanOff(50, 0)])).toEqual([
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('applies to a combinator as a whole', () => {
    const when = {
      all: [
        { point: DAT, below: 5 },
        { point: FAN, equals: 1 },
      ],
      forSeconds: 5,
    };
    expect(
      truths(when, [
        [0, { [DAT]: 4, [FAN]: 1 }],
        [4, { [DAT]: 4, [FAN]: 1 }],
        [5, { [DAT]: 4, [FAN]: 1 }],
      ]),
    ).toEqual([false, false, true]);
  });

  it('restarts when the clock steps back before the start of the delay', () => {
    const when = { point: FAN, equals: 0, forSeconds: 30 };
    expect(truths(when, [fanOff(100, 0), fanOff(50, 0), fanOff(79, 0), fanOff(80, 0)])).toEqual([
      false,
      false,
      false,
      true,
    ]);
  });
});
