import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { limitFor, ModbusPlanError, planReads, type PlanItem, type PlanLimits } from './planner.js';

const LIMITS: PlanLimits = { maxRegisters: 125, maxBits: 2000, maxGap: 8 };
const item = (key: string, table: 1 | 2 | 3 | 4, address: number, count: number): PlanItem => ({
  key,
  table,
  address,
  count,
});
const shape = (plan: ReturnType<typeof planReads>) =>
  plan.map((r) => ({ table: r.table, address: r.address, count: r.count, keys: r.items.map((i) => i.key) }));

describe('planReads', () => {
  it('returns no requests for no items', () => {
    expect(planReads([], LIMITS)).toEqual([]);
  });

  it('coalesces neighbours and reads through a gap of at most maxGap', () => {
    const plan = planReads([item('b', 3, 10, 2), item('a', 3, 0, 2), item('c', 3, 20, 1)], LIMITS);
    // 0..1, gap 8 (2..9), 10..11, gap 8 (12..19), 20
    expect(shape(plan)).toEqual([{ table: 3, address: 0, count: 21, keys: ['a', 'b', 'c'] }]);
  });

  it('splits when the gap exceeds maxGap', () => {
    const plan = planReads([item('a', 3, 0, 2), item('b', 3, 11, 2)], LIMITS);
    expect(shape(plan)).toEqual([
      { table: 3, address: 0, count: 2, keys: ['a'] },
      { table: 3, address: 11, count: 2, keys: ['b'] },
    ]);
  });

  it('splits when the span would exceed the register limit', () => {
    const plan = planReads([item('a', 4, 0, 2), item('b', 4, 4, 2)], { ...LIMITS, maxRegisters: 5 });
    expect(shape(plan)).toEqual([
      { table: 4, address: 0, count: 2, keys: ['a'] },
      { table: 4, address: 4, count: 2, keys: ['b'] },
    ]);
  });

  it('uses maxBits, not maxRegisters, for coils and discrete inputs', () => {
    const limits = { maxRegisters: 2, maxBits: 100, maxGap: 50 };
    const plan = planReads(
      [item('a', 1, 0, 1), item('b', 1, 40, 1), item('c', 2, 50, 1), item('d', 2, 0, 1)],
      limits,
    );
    expect(shape(plan)).toEqual([
      { table: 1, address: 0, count: 41, keys: ['a', 'b'] },
      { table: 2, address: 0, count: 51, keys: ['d', 'c'] },
    ]);
    expect(limitFor(1, limits)).toBe(100);
    expect(limitFor(3, limits)).toBe(2);
  });

  it('never mixes tables and orders requests by table then address', () => {
    const plan = planReads(
      [item('h', 3, 0, 1), item('i', 4, 0, 1), item('c', 1, 5, 1), item('d', 2, 5, 1)],
      LIMITS,
    );
    expect(plan.map((r) => r.table)).toEqual([1, 2, 3, 4]);
  });

  it('merges overlapping items (a float32 and the bool packed in its first register)', () => {
    const plan = planReads([item('f', 3, 100, 2), item('bit', 3, 100, 1), item('g', 3, 101, 4)], LIMITS);
    expect(shape(plan)).toEqual([{ table: 3, address: 100, count: 5, keys: ['f', 'bit', 'g'] }]);
  });

  it('with maxGap 0 merges only adjacent items', () => {
    const plan = planReads([item('a', 3, 0, 2), item('b', 3, 2, 2), item('c', 3, 5, 1)], {
      ...LIMITS,
      maxGap: 0,
    });
    expect(shape(plan).map((r) => r.keys)).toEqual([['a', 'b'], ['c']]);
  });

  it('refuses an item larger than the per-request limit, naming it', () => {
    expect(() => planReads([item('big', 3, 0, 126)], LIMITS)).toThrow(ModbusPlanError);
    expect(() => planReads([item('big', 3, 0, 126)], LIMITS)).toThrow(/"big".*126 registers exceed the 125/);
    expect(() => planReads([item('bits', 2, 0, 2001)], LIMITS)).toThrow(/2001 bits exceed the 2000/);
  });

  it('refuses items that are not addressable', () => {
    expect(() => planReads([item('x', 3, 65535, 2)], LIMITS)).toThrow(/runs past 65535/);
    expect(() => planReads([item('x', 3, -1, 1)], LIMITS)).toThrow(/address -1/);
    expect(() => planReads([item('x', 3, 0, 0)], LIMITS)).toThrow(/count 0/);
    expect(() => planReads([item('x', 5 as 3, 0, 1)], LIMITS)).toThrow(/table 5/);
    expect(() => planReads([], { ...LIMITS, maxGap: -1 })).toThrow(/maxGap/);
  });

  it('does not modify its input', () => {
    const items = [item('b', 3, 10, 1), item('a', 3, 0, 1)];
    planReads(items, LIMITS);
    expect(items.map((i) => i.key)).toEqual(['b', 'a']);
  });
});

describe('planReads properties', () => {
  const limitsArb = fc.record({
    maxRegisters: fc.integer({ min: 1, max: 125 }),
    maxBits: fc.integer({ min: 1, max: 2000 }),
    maxGap: fc.integer({ min: 0, max: 20 }),
  });
  const scenario = limitsArb.chain((limits) =>
    fc
      .array(
        fc.record({
          table: fc.constantFrom<1 | 2 | 3 | 4>(1, 2, 3, 4),
          address: fc.integer({ min: 0, max: 400 }),
          fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        }),
        { maxLength: 60 },
      )
      .map((raw) => ({
        limits,
        items: raw.map((r, i) => ({
          key: `p${i}`,
          table: r.table,
          address: r.address,
          // Items up to the whole limit, so some fill a request on their own.
          count: 1 + Math.floor(r.fraction * (Math.min(limitFor(r.table, limits), 60) - 1)),
        })),
      })),
  );

  it('covers every item exactly once, by a request of its table containing its whole span', () => {
    fc.assert(
      fc.property(scenario, ({ limits, items }) => {
        const plan = planReads(items, limits);
        const seen = new Map<string, number>();
        for (const req of plan) {
          for (const it of req.items) {
            seen.set(it.key, (seen.get(it.key) ?? 0) + 1);
            expect(it.table).toBe(req.table);
            expect(it.address).toBeGreaterThanOrEqual(req.address);
            expect(it.address + it.count).toBeLessThanOrEqual(req.address + req.count);
          }
        }
        expect(seen.size).toBe(items.length);
        for (const n of seen.values()) expect(n).toBe(1);
      }),
    );
  });

  it('never exceeds the limit, and each request is exactly the hull of its items', () => {
    fc.assert(
      fc.property(scenario, ({ limits, items }) => {
        for (const req of planReads(items, limits)) {
          expect(req.count).toBeLessThanOrEqual(limitFor(req.table, limits));
          expect(req.address).toBe(Math.min(...req.items.map((i) => i.address)));
          expect(req.address + req.count).toBe(Math.max(...req.items.map((i) => i.address + i.count)));
        }
      }),
    );
  });

  it('does not leave mergeable neighbours apart', () => {
    fc.assert(
      fc.property(scenario, ({ limits, items }) => {
        const plan = planReads(items, limits);
        for (let i = 1; i < plan.length; i++) {
          const [a, b] = [plan[i - 1], plan[i]];
          if (a.table !== b.table) continue;
          const gap = b.address - (a.address + a.count);
          const span = Math.max(a.address + a.count, b.address + b.count) - a.address;
          expect(gap > limits.maxGap || span > limitFor(a.table, limits)).toBe(true);
        }
      }),
    );
  });
});
