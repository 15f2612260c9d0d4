import { describe, expect, it } from '@jest/globals';
import {
  InvalidCommandError,
  InvalidPriorityError,
  LeaseExpiredError,
  LeaseNotAllowedError,
  LeaseNotFoundError,
  LeaseRequiredError,
  LeaseTooLongError,
  SlotNotOwnedError,
} from './errors.js';
import {
  command,
  createPriorityArray,
  effective,
  expire,
  heldSlots,
  nextExpiry,
  relinquish,
  renewLease,
  slotAt,
  type EvaluationContext,
  type PriorityArray,
} from './priority-array.js';

const T0 = Date.UTC(2026, 0, 12, 8, 0, 0);
const MIN = 60_000;
const point = 'ahu-1.damper';
const ctx = (now: number, autonomous = false): EvaluationContext => ({
  now,
  autonomous,
  relinquishDefault: 30,
});
const win = (array: PriorityArray, now: number, autonomous = false) => {
  const e = effective(array, ctx(now, autonomous));
  return [e.value, e.priority, e.source];
};

describe('effective value', () => {
  it('is the relinquish default, with priority null, when every slot is empty', () => {
    const e = effective(createPriorityArray(point), ctx(T0));
    expect(e).toEqual({ value: 30, priority: null, source: 'relinquish-default' });
  });

  it('is the lowest-numbered held slot, and relinquishing uncovers the next one', () => {
    let a = command(createPriorityArray(point), { priority: 16, value: 40, source: 'schedule', now: T0 });
    a = command(a, { priority: 14, value: 50, source: 'rule', now: T0 });
    a = command(a, { priority: 8, value: 60, source: 'operator', now: T0 });
    a = command(a, { priority: 2, value: 0, source: 'interlock', now: T0 });
    expect(win(a, T0)).toEqual([0, 2, 'interlock']);
    a = relinquish(a, 2, 'interlock', T0);
    expect(win(a, T0)).toEqual([60, 8, 'operator']);
    a = relinquish(a, 8, 'operator', T0);
    a = relinquish(a, 14, 'rule', T0);
    expect(win(a, T0)).toEqual([40, 16, 'schedule']);
    a = relinquish(a, 16, 'schedule', T0);
    expect(win(a, T0)).toEqual([30, null, 'relinquish-default']);
  });

  it('replaces a slot on a second command and leaves the input array unchanged', () => {
    const a1 = command(createPriorityArray(point), { priority: 16, value: 40, source: 'schedule', now: T0 });
    const a2 = command(a1, { priority: 16, value: 45, source: 'schedule', now: T0 + 1 });
    expect(slotAt(a1, 16)).toEqual({ value: 40, source: 'schedule', at: T0 });
    expect(slotAt(a2, 16)).toEqual({ value: 45, source: 'schedule', at: T0 + 1 });
    expect(heldSlots(a2)).toEqual([{ priority: 16, value: 45, source: 'schedule', at: T0 + 1 }]);
    expect(() => (a2.slots as unknown[]).push(null)).toThrow(TypeError);
  });

  it('treats relinquishing an empty slot as a no-op', () => {
    const a = createPriorityArray(point);
    expect(relinquish(a, 8, 'operator', T0)).toBe(a);
  });
});

describe('refusals', () => {
  const a = createPriorityArray(point);
  const expectRefused = (action: () => unknown, type: new (...args: never[]) => Error, message?: RegExp) => {
    let caught: unknown;
    try {
      action();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(type);
    if (message) expect((caught as Error).message).toMatch(message);
  };

  it('refuses priorities outside 1..16 (InvalidPriorityError)', () => {
    for (const priority of [0, 17, 2.5, Number.NaN])
      expectRefused(
        () => command(a, { priority, value: 1, source: 'interlock', now: T0 }),
        InvalidPriorityError,
      );
    expectRefused(
      () => relinquish(a, 0, 'operator', T0),
      InvalidPriorityError,
      /priority 0 is not an integer 1\.\.16/,
    );
  });

  it('refuses a source writing, relinquishing or renewing a slot that is not its own (SlotNotOwnedError)', () => {
    expectRefused(
      () => command(a, { priority: 10, value: 1, source: 'operator', now: T0 }),
      SlotNotOwnedError,
      /point "ahu-1\.damper": source operator may not use priority 10 \(its slots: 8\)/,
    );
    expectRefused(
      () => command(a, { priority: 8, value: 1, source: 'cloud', now: T0, leaseMs: MIN }),
      SlotNotOwnedError,
    );
    expectRefused(
      () => command(a, { priority: 3, value: 1, source: 'interlock', now: T0 }),
      SlotNotOwnedError,
    );
    expectRefused(() => command(a, { priority: 6, value: 1, source: 'rule', now: T0 }), SlotNotOwnedError);
    expectRefused(
      () => command(a, { priority: 16, value: 1, source: 'fallback-schedule', now: T0 }),
      SlotNotOwnedError,
    );
    expectRefused(() => relinquish(a, 16, 'rule', T0), SlotNotOwnedError);
    expectRefused(
      () => renewLease(a, { priority: 8, source: 'cloud', leaseId: 'x', leaseMs: MIN, now: T0 }),
      SlotNotOwnedError,
    );
  });

  it('refuses malformed commands (InvalidCommandError)', () => {
    expectRefused(
      () => command(a, { priority: 8, value: Number.NaN, source: 'operator', now: T0 }),
      InvalidCommandError,
    );
    expectRefused(
      () => command(a, { priority: 8, value: 1, source: 'operator', now: Number.NaN }),
      InvalidCommandError,
    );
    expectRefused(
      () => command(a, { priority: 8, value: 1, source: 'operator', now: T0, expiresAt: T0 }),
      InvalidCommandError,
      /expiresAt 2026-01-12T08:00:00\.000Z is not after now/,
    );
    expectRefused(
      () =>
        command(a, { priority: 10, value: 1, source: 'cloud', now: T0, leaseMs: MIN, expiresAt: T0 + MIN }),
      InvalidCommandError,
    );
    expectRefused(
      () => command(a, { priority: 10, value: 1, source: 'cloud', now: T0, leaseMs: 0 }),
      InvalidCommandError,
    );
    expectRefused(
      () => command(a, { priority: 10, value: 1, source: 'cloud', now: T0, leaseMs: MIN, leaseId: '' }),
      InvalidCommandError,
    );
    expectRefused(
      () => command(a, { priority: 8, value: 1, source: 'hacker' as 'operator', now: T0 }),
      InvalidCommandError,
      /unknown command source hacker/,
    );
  });

  it('refuses a cloud command without a lease (LeaseRequiredError)', () => {
    expectRefused(
      () => command(a, { priority: 10, value: 1, source: 'cloud', now: T0 }),
      LeaseRequiredError,
      /a cloud command must carry a lease/,
    );
  });

  it('refuses a lease over the maximum: 15 minutes by default, or as configured (LeaseTooLongError)', () => {
    const cloud = { priority: 10, value: 1, source: 'cloud' as const, now: T0 };
    expect(slotAt(command(a, { ...cloud, leaseMs: 15 * MIN }), 10)?.expiresAt).toBe(T0 + 15 * MIN);
    expectRefused(
      () => command(a, { ...cloud, leaseMs: 15 * MIN + 1 }),
      LeaseTooLongError,
      /lease of 900001 ms exceeds the maximum of 900000 ms/,
    );
    expectRefused(() => command(a, { ...cloud, leaseMs: 2 * MIN }, { maxLeaseMs: MIN }), LeaseTooLongError);
    expect(slotAt(command(a, { ...cloud, leaseMs: 30 * MIN }, { maxLeaseMs: 60 * MIN }), 10)?.expiresAt).toBe(
      T0 + 30 * MIN,
    );
    const leased = command(a, { ...cloud, leaseMs: MIN, leaseId: 'L' });
    expectRefused(
      () => renewLease(leased, { priority: 10, source: 'cloud', leaseId: 'L', leaseMs: 16 * MIN, now: T0 }),
      LeaseTooLongError,
    );
  });

  it('refuses a lease on any source but the cloud (LeaseNotAllowedError)', () => {
    expectRefused(
      () => command(a, { priority: 8, value: 1, source: 'operator', now: T0, leaseMs: MIN }),
      LeaseNotAllowedError,
      /only cloud commands carry leases, not operator/,
    );
    expectRefused(
      () => command(a, { priority: 14, value: 1, source: 'rule', now: T0, leaseId: 'x' }),
      LeaseNotAllowedError,
    );
  });

  it('refuses renewing a lease that is not the one held (LeaseNotFoundError)', () => {
    expectRefused(
      () => renewLease(a, { priority: 10, source: 'cloud', leaseId: 'L1', leaseMs: MIN, now: T0 }),
      LeaseNotFoundError,
      /no lease "L1" at priority 10/,
    );
    const leased = command(a, {
      priority: 10,
      value: 1,
      source: 'cloud',
      now: T0,
      leaseMs: MIN,
      leaseId: 'L2',
    });
    expectRefused(
      () => renewLease(leased, { priority: 10, source: 'cloud', leaseId: 'L1', leaseMs: MIN, now: T0 }),
      LeaseNotFoundError,
    );
    const operator = command(a, { priority: 8, value: 1, source: 'operator', now: T0, expiresAt: T0 + MIN });
    expectRefused(
      () => renewLease(operator, { priority: 8, source: 'operator', leaseId: 'L', leaseMs: MIN, now: T0 }),
      LeaseNotFoundError,
    );
  });

  it('refuses reviving a lease that has ended, even before expire() removed it (LeaseExpiredError)', () => {
    const leased = command(a, {
      priority: 10,
      value: 1,
      source: 'cloud',
      now: T0,
      leaseMs: MIN,
      leaseId: 'L',
    });
    expectRefused(
      () => renewLease(leased, { priority: 10, source: 'cloud', leaseId: 'L', leaseMs: MIN, now: T0 + MIN }),
      LeaseExpiredError,
      /lease "L" at priority 10 ended at 2026-01-12T08:01:00\.000Z/,
    );
  });

  it('names each refusal by code', () => {
    const codes: string[] = [];
    const cases: (() => unknown)[] = [
      () => command(a, { priority: 0, value: 1, source: 'operator', now: T0 }),
      () => command(a, { priority: 9, value: 1, source: 'operator', now: T0 }),
      () => command(a, { priority: 10, value: 1, source: 'cloud', now: T0 }),
    ];
    for (const run of cases) {
      try {
        run();
      } catch (error) {
        codes.push((error as { code: string }).code);
      }
    }
    expect(codes).toEqual(['invalid-priority', 'slot-not-owned', 'lease-required']);
  });
});

describe('leases and expiries', () => {
  const leased = command(createPriorityArray(point), {
    priority: 10,
    value: 70,
    source: 'cloud',
    now: T0,
    leaseMs: 15 * MIN,
    leaseId: 'cmd-1',
  });
  const withSchedule = command(leased, { priority: 16, value: 40, source: 'schedule', now: T0 });

  it('ends a lease exactly once, at its end instant', () => {
    const end = T0 + 15 * MIN;
    expect(win(withSchedule, end - 1)).toEqual([70, 10, 'cloud']);
    expect(expire(withSchedule, end - 1).expired).toEqual([]);
    // From the end instant on, the lease no longer counts, even before expire() removes it.
    expect(win(withSchedule, end)).toEqual([40, 16, 'schedule']);
    const first = expire(withSchedule, end);
    expect(first.expired).toEqual([
      { priority: 10, value: 70, source: 'cloud', at: T0, expiresAt: end, leaseId: 'cmd-1' },
    ]);
    expect(expire(first.array, end).expired).toEqual([]);
    expect(expire(first.array, end + 60 * MIN).expired).toEqual([]);
    expect(win(first.array, end)).toEqual([40, 16, 'schedule']);
  });

  it('does not end a renewed lease at its old time, and ends it once at the new one', () => {
    const renewed = renewLease(withSchedule, {
      priority: 10,
      source: 'cloud',
      leaseId: 'cmd-1',
      leaseMs: 15 * MIN,
      now: T0 + 10 * MIN,
    });
    expect(slotAt(renewed, 10)).toEqual({
      value: 70,
      source: 'cloud',
      at: T0,
      expiresAt: T0 + 25 * MIN,
      leaseId: 'cmd-1',
    });
    const atOldEnd = expire(renewed, T0 + 15 * MIN);
    expect(atOldEnd.expired).toEqual([]);
    expect(win(atOldEnd.array, T0 + 15 * MIN)).toEqual([70, 10, 'cloud']);
    const atNewEnd = expire(atOldEnd.array, T0 + 25 * MIN);
    expect(atNewEnd.expired.map((s) => s.leaseId)).toEqual(['cmd-1']);
    expect(expire(atNewEnd.array, T0 + 26 * MIN).expired).toEqual([]);
  });

  it('generates distinct lease ids when the cloud gives none', () => {
    const cloud = { priority: 10, value: 1, source: 'cloud' as const, leaseMs: MIN };
    const a1 = command(createPriorityArray(point), { ...cloud, now: T0 });
    const a2 = command(a1, { ...cloud, now: T0 });
    expect(slotAt(a1, 10)?.leaseId).toBe('ahu-1.damper/10/1');
    expect(slotAt(a2, 10)?.leaseId).toBe('ahu-1.damper/10/2');
    expect(() =>
      renewLease(a2, { priority: 10, source: 'cloud', leaseId: 'ahu-1.damper/10/1', leaseMs: MIN, now: T0 }),
    ).toThrow(LeaseNotFoundError);
  });

  it('lets an operator override with an expiry win until it ends, then falls back', () => {
    let a = command(withSchedule, {
      priority: 8,
      value: 100,
      source: 'operator',
      now: T0,
      expiresAt: T0 + 30 * MIN,
    });
    expect(win(a, T0 + 20 * MIN)).toEqual([100, 8, 'operator']);
    const { array, expired } = expire(a, T0 + 30 * MIN);
    expect(expired.map((s) => [s.priority, s.source])).toEqual([
      [8, 'operator'],
      [10, 'cloud'],
    ]);
    expect(win(array, T0 + 30 * MIN)).toEqual([40, 16, 'schedule']);
    // Without an expiry the override holds until relinquished.
    a = command(array, { priority: 8, value: 0, source: 'operator', now: T0 + 31 * MIN });
    expect(expire(a, T0 + 1e9).expired).toEqual([]);
    expect(win(a, T0 + 1e9)).toEqual([0, 8, 'operator']);
  });

  it('reports the earliest pending expiry, or null', () => {
    expect(nextExpiry(createPriorityArray(point))).toBeNull();
    expect(nextExpiry(withSchedule)).toBe(T0 + 15 * MIN);
    const a = command(withSchedule, {
      priority: 8,
      value: 1,
      source: 'operator',
      now: T0,
      expiresAt: T0 + 5 * MIN,
    });
    expect(nextExpiry(a)).toBe(T0 + 5 * MIN);
    expect(nextExpiry(relinquish(relinquish(a, 8, 'operator', T0), 10, 'cloud', T0))).toBeNull();
  });
});

describe('fallback schedules (slot 12)', () => {
  let a = command(createPriorityArray(point), { priority: 16, value: 40, source: 'schedule', now: T0 });
  a = command(a, { priority: 12, value: 20, source: 'fallback-schedule', now: T0 });

  it('count only while the controller is autonomous', () => {
    expect(win(a, T0, false)).toEqual([40, 16, 'schedule']);
    expect(win(a, T0, true)).toEqual([20, 12, 'fallback-schedule']);
    expect(win(a, T0 + 1, false)).toEqual([40, 16, 'schedule']);
  });

  it('step in when a cloud lease runs out during autonomy, and out again on reconnection', () => {
    const leased = command(a, { priority: 10, value: 90, source: 'cloud', now: T0, leaseMs: 5 * MIN });
    expect(win(leased, T0 + MIN, true)).toEqual([90, 10, 'cloud']);
    expect(win(leased, T0 + 5 * MIN, true)).toEqual([20, 12, 'fallback-schedule']);
    expect(win(leased, T0 + 6 * MIN, false)).toEqual([40, 16, 'schedule']);
  });

  it('never count while connected: an array holding only a fallback yields the relinquish default', () => {
    const only = command(createPriorityArray(point), {
      priority: 12,
      value: 20,
      source: 'fallback-schedule',
      now: T0,
    });
    expect(win(only, T0, false)).toEqual([30, null, 'relinquish-default']);
    expect(win(only, T0, true)).toEqual([20, 12, 'fallback-schedule']);
  });
});
