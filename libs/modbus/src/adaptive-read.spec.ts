/**
 * The planner's request count against the true minimum, barriers, and the
 * adaptive splitting after illegal-data-address: what a device refuses is
 * learned once, never sent again, and the plan it converges to is minimal.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { AdaptivePlanner, clustersOf, readAdaptively } from './adaptive-read.js';
import { limitFor, planReads } from './planner.js';
import type { PlanItem, PlanLimits, PlannedRead, ReadBarriers } from './planner.js';

const item = (key: string, address: number, count = 1, table: 1 | 2 | 3 | 4 = 3): PlanItem => ({
  key,
  table,
  address,
  count,
});

/**
 * The fewest requests any plan that reads consecutive items (in address order) together can use, by
 * dynamic programming over every split, under the limits, the barriers and `allowed` (a device's own rule).
 */
function minimumRequests(
  items: readonly PlanItem[],
  limits: PlanLimits,
  barriers: ReadBarriers = new Map(),
  allowed: (table: number, from: number, to: number, run: PlanItem[]) => boolean = () => true,
): number {
  let total = 0;
  for (const table of [1, 2, 3, 4] as const) {
    const sorted = items
      .filter((i) => i.table === table)
      .sort((a, b) => a.address - b.address || b.count - a.count);
    const best = [0];
    for (let j = 1; j <= sorted.length; j++) {
      best[j] = Infinity;
      for (let i = j; i >= 1; i--) {
        const run = sorted.slice(i - 1, j);
        const from = run[0].address;
        let end = -Infinity;
        let ok = true;
        for (const it of run) {
          if (end !== -Infinity && it.address - end > limits.maxGap) ok = false;
          end = Math.max(end, it.address + it.count);
        }
        ok &&= end - from <= limitFor(table, limits);
        ok &&= !(barriers.get(table) ?? []).some((b) => b > from && b < end);
        ok &&= allowed(table, from, end, run);
        if (ok) best[j] = Math.min(best[j], best[i - 1] + 1);
      }
    }
    total += best[sorted.length];
  }
  return total;
}

const limitsArb = fc.record({
  maxRegisters: fc.integer({ min: 4, max: 60 }),
  maxBits: fc.integer({ min: 4, max: 200 }),
  maxGap: fc.integer({ min: 0, max: 12 }),
});

/** Non-overlapping points of one to four registers, as a register map lays them out. */
const layout = fc.array(
  fc.record({ hole: fc.integer({ min: 0, max: 15 }), count: fc.integer({ min: 1, max: 4 }) }),
  {
    minLength: 1,
    maxLength: 40,
  },
);

function itemsOf(raw: Array<{ hole: number; count: number }>, table: 1 | 2 | 3 | 4 = 3): PlanItem[] {
  let at = 0;
  return raw.map((r, i) => {
    at += r.hole;
    const it = item(`p${i}`, at, table <= 2 ? 1 : r.count, table);
    at += it.count;
    return it;
  });
}

describe('planReads request count', () => {
  it('uses exactly the minimum number of requests the limits allow', () => {
    fc.assert(
      fc.property(limitsArb, layout, layout, (limits, regs, bits) => {
        const items = [...itemsOf(regs, 3), ...itemsOf(bits, 1)];
        expect(planReads(items, limits).length).toBe(minimumRequests(items, limits));
      }),
      { numRuns: 200 },
    );
  });

  it('never spans a barrier, and is still minimal under barriers', () => {
    fc.assert(
      fc.property(
        limitsArb,
        layout,
        fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 8 }),
        (limits, regs, walls) => {
          const items = itemsOf(regs, 4);
          // Barriers sit between points (where a device's refusal can put them), never inside one.
          const between = walls.filter((b) => !items.some((i) => b > i.address && b < i.address + i.count));
          const barriers: ReadBarriers = new Map([[4, between]]);
          const plan = planReads(items, limits, barriers);
          for (const r of plan)
            expect(between.filter((b) => b > r.address && b < r.address + r.count)).toEqual([]);
          expect(plan.length).toBe(minimumRequests(items, limits, barriers));
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** A device whose register map has holes: any request touching an unmapped register is refused with exception 2. */
class HoleyDevice {
  readonly sent: Array<{ key: string; ok: boolean }> = [];
  constructor(private readonly unmapped: ReadonlySet<number>) {}

  covers(from: number, to: number): boolean {
    for (let a = from; a < to; a++) if (this.unmapped.has(a)) return true;
    return false;
  }

  read = (r: PlannedRead): Promise<number[]> => {
    const bad = this.covers(r.address, r.address + r.count);
    this.sent.push({ key: `${r.table}:${r.address}+${r.count}`, ok: !bad });
    if (bad) return Promise.reject(Object.assign(new Error('illegal data address'), { illegal: true }));
    return Promise.resolve(Array.from({ length: r.count }, (_, i) => r.address + i));
  };
}

const classify = (e: unknown) =>
  (e as { illegal?: boolean }).illegal ? ('split' as const) : ('device' as const);

describe('readAdaptively', () => {
  it('splits a refused coalesced request, reads every good point, and remembers the split', async () => {
    const limits = { maxRegisters: 125, maxBits: 2000, maxGap: 8 };
    const items = [item('a', 0, 2), item('b', 2), item('c', 6), item('d', 7, 2), item('e', 12)];
    const device = new HoleyDevice(new Set([4])); // the hole between b and c
    const planner = new AdaptivePlanner(limits);
    const first = await readAdaptively(planner, items, device.read, classify);
    expect(first.refused).toEqual([]);
    expect(
      first.reads.map((r) => [r.request.address, r.request.count, r.request.items.map((i) => i.key)]),
    ).toEqual([
      [0, 3, ['a', 'b']],
      [6, 7, ['c', 'd', 'e']],
    ]);
    expect(planner.barriers(3)).toEqual([6]);
    device.sent.length = 0;
    const second = await readAdaptively(planner, items, device.read, classify);
    expect(device.sent).toEqual([
      { key: '3:0+3', ok: true },
      { key: '3:6+7', ok: true },
    ]);
    expect(second.requests).toBe(2);
  });

  it('refuses a point that is itself unmapped and isolates it from its neighbours', async () => {
    const limits = { maxRegisters: 125, maxBits: 2000, maxGap: 8 };
    const items = [item('a', 0), item('ghost', 1), item('c', 2)];
    const device = new HoleyDevice(new Set([1]));
    const planner = new AdaptivePlanner(limits);
    const r = await readAdaptively(planner, items, device.read, classify);
    expect(r.refused.map((x) => x.request.items.map((i) => i.key))).toEqual([['ghost']]);
    expect(r.reads.flatMap((x) => x.request.items.map((i) => i.key)).sort()).toEqual(['a', 'c']);
    expect(planner.plan(items).map((p) => p.items.map((i) => i.key))).toEqual([['a'], ['ghost'], ['c']]);
  });

  it('stops at the first device-level failure and sends nothing more', async () => {
    const planner = new AdaptivePlanner({ maxRegisters: 2, maxBits: 2000, maxGap: 0 });
    let sent = 0;
    const dead = () => {
      sent++;
      return Promise.reject(new Error('timeout'));
    };
    await expect(
      readAdaptively(planner, [item('a', 0), item('b', 10)], dead, () => 'device'),
    ).rejects.toThrow('timeout');
    expect(sent).toBe(1);
  });

  it('groups overlapping items into clusters that are never read apart', () => {
    const c = clustersOf([item('f', 100, 2), item('bit', 100), item('g', 103), item('h', 101, 3)]);
    expect(c.map((x) => [x.start, x.end, x.items.map((i) => i.key)])).toEqual([
      [100, 104, ['f', 'bit', 'h', 'g']],
    ]);
  });

  it('property: every point covered, the refused request never resent, converging to the minimum', async () => {
    await fc.assert(
      fc.asyncProperty(
        limitsArb,
        layout,
        fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 10 }),
        async (limits, raw, holeList) => {
          const items = itemsOf(raw, 3);
          const holes = new Set(holeList);
          const device = new HoleyDevice(holes);
          const planner = new AdaptivePlanner(limits);
          const unreadable = new Set(
            items.filter((i) => device.covers(i.address, i.address + i.count)).map((i) => i.key),
          );
          const failedBefore = new Set<string>();
          let cycles = 0;
          let last = 0;
          for (; cycles < 60; cycles++) {
            device.sent.length = 0;
            const r = await readAdaptively(planner, items, device.read, classify);
            // Every point: read with its own registers, or refused because it is unmapped itself.
            const read = new Map<string, number>();
            for (const { request, data } of r.reads)
              for (const it of request.items) read.set(it.key, data[it.address - request.address]);
            const refused = r.refused.flatMap((x) => x.request.items.map((i) => i.key));
            expect(refused.sort()).toEqual([...unreadable].sort());
            const readable = items.filter((it) => !unreadable.has(it.key));
            expect(readable.map((it) => read.get(it.key))).toEqual(readable.map((it) => it.address));
            // A refused coalesced request is never sent again in a later cycle (single unmapped points aside).
            const failed = device.sent.filter((s) => !s.ok).map((s) => s.key);
            const singles = new Set(r.refused.map((x) => `3:${x.request.address}+${x.request.count}`));
            expect(failed.filter((key) => !singles.has(key) && failedBefore.has(key))).toEqual([]);
            failed.forEach((k) => failedBefore.add(k));
            if (failed.length === r.refused.length && cycles > 0 && r.requests === last) break;
            last = r.requests;
          }
          expect(cycles).toBeLessThan(60);
          // Converged: the plan is as small as any plan that never touches a hole (unmapped points read alone).
          const minimum = minimumRequests(items, limits, new Map(), (_t, from, to, run) =>
            run.length === 1 ? true : !device.covers(from, to),
          );
          expect(planner.plan(items).length).toBe(minimum);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('AdaptivePlanner cache', () => {
  // Regression: a scan and a write's read-back raced, and a later scan with a fresh but equal items array
  // got the plan made for the earlier array, whose requests held the other array's items.
  it("never hands out a plan whose requests hold another array's items", () => {
    const planner = new AdaptivePlanner({ maxRegisters: 125, maxBits: 2000, maxGap: 8 });
    const make = (): PlanItem[] => [
      { key: 'a', table: 3, address: 0, count: 2 },
      { key: 'b', table: 3, address: 4, count: 1 },
    ];
    const first = make();
    const second = make();
    planner.plan(first);
    const plan = planner.plan(second);
    for (const request of plan) for (const item of request.items) expect(second).toContain(item);
    expect(planner.plan(second)).toBe(plan);
  });
});
