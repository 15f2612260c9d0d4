import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { SiteDevice } from '#libs/profiles';
import { PollPlan, pointIntervalMs, staggerOffsets } from './poll-plan.js';

describe('staggerOffsets', () => {
  it('spreads the items of one interval evenly across it', () => {
    const items = ['a', 'b', 'c', 'd'].map((key) => ({ key, intervalMs: 1000 }));
    expect([...staggerOffsets(items).values()]).toEqual([0, 250, 500, 750]);
  });

  it('shifts each interval class by a fraction of a slot so classes do not coincide', () => {
    const offsets = staggerOffsets([
      { key: 'fast1', intervalMs: 1000 },
      { key: 'fast2', intervalMs: 1000 },
      { key: 'slow', intervalMs: 2000 },
    ]);
    expect(Object.fromEntries(offsets)).toEqual({ fast1: 0, fast2: 500, slow: 1000 });
  });

  it('caps the spread at maxStaggerMs so a slow item still gets its first value early', () => {
    const items = [0, 1, 2].map((i) => ({ key: `e${i}`, intervalMs: 60000 }));
    expect([...staggerOffsets(items, { maxStaggerMs: 3000 }).values()]).toEqual([0, 1000, 2000]);
  });
});

describe('PollPlan', () => {
  it('tells which items are due at each tick and when the next tick is', () => {
    const plan = new PollPlan(
      [
        { key: 'a', intervalMs: 100 },
        { key: 'b', intervalMs: 100 },
        { key: 'c', intervalMs: 300 },
      ],
      1000,
    );
    const ticks: Array<[number, string[]]> = [];
    let now = plan.nextAt();
    while (now < 1400) {
      ticks.push([now, plan.due(now)]);
      now = plan.nextAt();
    }
    expect(ticks).toEqual([
      [1000, ['a']],
      [1050, ['b']],
      [1100, ['a']],
      [1150, ['b', 'c']],
      [1200, ['a']],
      [1250, ['b']],
      [1300, ['a']],
      [1350, ['b']],
    ]);
  });

  it('skips missed slots after an overrun but keeps the phase', () => {
    const plan = new PollPlan([{ key: 'a', intervalMs: 100 }], 0);
    expect(plan.due(0)).toEqual(['a']);
    expect(plan.due(350)).toEqual(['a']); // 100, 200 and 300 were missed: one read, not three
    expect(plan.nextDue('a')).toBe(400);
    expect(plan.due(399)).toEqual([]);
  });

  it('refuses a zero interval and a duplicate key', () => {
    expect(() => new PollPlan([{ key: 'a', intervalMs: 0 }], 0)).toThrow(/interval 0 ms must be > 0/);
    expect(
      () =>
        new PollPlan(
          [
            { key: 'a', intervalMs: 10 },
            { key: 'a', intervalMs: 10 },
          ],
          0,
        ),
    ).toThrow(/appears twice/);
  });

  it('honours every interval and never fires an item twice in one interval (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 100, max: 2000 }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 400 }), { minLength: 50, maxLength: 200 }),
        (intervals, steps) => {
          const items = intervals.map((intervalMs, i) => ({ key: `k${i}`, intervalMs }));
          const plan = new PollPlan(items, 0);
          const fired = new Map<string, number[]>(items.map((i) => [i.key, []]));
          let now = 0;
          for (const step of steps) {
            for (const key of plan.due(now)) fired.get(key)!.push(now);
            now += step;
          }
          for (const { key, intervalMs } of items) {
            const times = fired.get(key)!;
            // The first read falls within the first interval.
            expect(now < intervalMs || times[0] < intervalMs + 400).toBe(true);
            for (let i = 1; i < times.length; i++)
              expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(intervalMs - 400);
            // Never behind by more than one tick of the caller.
            expect(plan.nextDue(key)!).toBeGreaterThan(now - 400 - intervalMs);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('bunches no more items into one tick than the stagger allows (no bursts)', () => {
    const items = Array.from({ length: 20 }, (_, i) => ({ key: `d${i}`, intervalMs: 1000 }));
    const plan = new PollPlan(items, 0);
    for (let t = 0; t < 5000; t += 50) expect(plan.due(t).length).toBe(1);
  });
});

describe('pointIntervalMs', () => {
  it('takes the site’s per-point interval, else the device’s', () => {
    const device = { pollIntervalMs: 1000, pointPollIntervalMs: { energy: 60000 } } as unknown as SiteDevice;
    expect(pointIntervalMs(device, 'energy')).toBe(60000);
    expect(pointIntervalMs(device, 'power')).toBe(1000);
  });
});
