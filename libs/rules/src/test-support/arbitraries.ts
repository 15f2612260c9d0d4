/** Generated rule sets and scan sequences for the engine's property tests (no point index needed). */
import fc from 'fast-check';
import type { Action, BadQuality, Condition, Interlock, PointReading, Quality, Snapshot } from '../types.js';

export const INPUTS = ['dev.a', 'dev.b', 'dev.s'];
export const OUTPUTS = ['out.x', 'out.y'];
const small = fc.integer({ min: 0, max: 10 });
const delay = fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined });
const input = fc.constantFrom(...INPUTS);

const withDelay = <T extends object>(node: T, forSeconds: number | undefined): T =>
  forSeconds === undefined ? node : { ...node, forSeconds };

const leaf: fc.Arbitrary<Condition> = fc.oneof(
  fc
    .tuple(input, small, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), delay)
    .map(([point, below, band, d]) =>
      withDelay<Condition>(
        band === undefined ? { point, below } : { point, below, clearAbove: below + band },
        d,
      ),
    ),
  fc
    .tuple(input, small, fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), delay)
    .map(([point, above, band, d]) =>
      withDelay<Condition>(
        band === undefined ? { point, above } : { point, above, clearBelow: above - band },
        d,
      ),
    ),
  fc.tuple(input, small, delay).map(([point, equals, d]) => withDelay<Condition>({ point, equals }, d)),
  fc
    .tuple(
      input,
      fc.constantFrom<BadQuality | BadQuality[]>('stale', 'comm-fail', ['stale', 'comm-fail']),
      delay,
    )
    .map(([point, quality, d]) => withDelay<Condition>({ point, quality }, d)),
);

export const conditionArb: fc.Arbitrary<Condition> = fc.letrec<{ node: Condition }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc
      .tuple(fc.array(tie('node'), { minLength: 1, maxLength: 3 }), delay)
      .map(([all, d]) => withDelay({ all }, d)),
    fc
      .tuple(fc.array(tie('node'), { minLength: 1, maxLength: 3 }), delay)
      .map(([any, d]) => withDelay({ any }, d)),
  ),
})).node;

/** Each slot has one value across the whole set (validation forbids conflicts); fail-safe may stand in for it. */
const SLOTS = OUTPUTS.flatMap((point, i) =>
  [1, 2].map((priority) => ({ point, priority: priority as 1 | 2, value: 10 * i + priority })),
);
const actionsArb: fc.Arbitrary<Action[]> = fc
  .subarray(SLOTS, { minLength: 1 })
  .chain((slots) =>
    fc.tuple(
      ...slots.map((slot) =>
        fc
          .boolean()
          .map((failSafe): Action =>
            failSafe ? { point: slot.point, failSafe: true, priority: slot.priority } : slot,
          ),
      ),
    ),
  );

export const rulesArb: fc.Arbitrary<Interlock[]> = fc
  .array(fc.record({ when: conditionArb, then: actionsArb }), { minLength: 1, maxLength: 4 })
  .map((rules) => rules.map((rule, i) => ({ id: `r${i}`, ...rule })));

const readingArb: fc.Arbitrary<PointReading | undefined> = fc.option(
  fc.record({
    value: fc.option(small, { nil: null, freq: 8 }),
    quality: fc.constantFrom<Quality>('good', 'good', 'good', 'stale', 'comm-fail'),
  }),
  { nil: undefined, freq: 10 },
);

/** Scans with non-decreasing time, steps of 0–15 s, so delay-on timers both run out and get interrupted. */
export const scansArb: fc.Arbitrary<Snapshot[]> = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 15_000 }), fc.tuple(...INPUTS.map(() => readingArb))), {
    minLength: 1,
    maxLength: 30,
  })
  .map((steps) => {
    let now = 1_700_000_000_000;
    return steps.map(([dt, readings]) => {
      now += dt;
      const points = new Map<string, PointReading>();
      readings.forEach((reading, i) => {
        if (reading !== undefined) points.set(INPUTS[i], reading);
      });
      return { now, points };
    });
  });
