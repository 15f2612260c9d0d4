import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { PointDef } from '#libs/profiles';
import {
  decideOutput,
  INITIAL_OUTPUT_STATE,
  nextAllowedChange,
  OutputGate,
  rampToward,
  type GateLimits,
  type OutputState,
} from './output-gate.js';

const T0 = Date.UTC(2026, 9, 25, 0, 0, 0);
const S = 1000;
const compressor: GateLimits = { kind: 'binary', minOnSeconds: 300, minOffSeconds: 180 };
const schedule = (value: number) => ({ value, priority: 16 });
const interlock = (value: number) => ({ value, priority: 2 });

describe('nextAllowedChange', () => {
  it('adds the minimum of the current state to the last change', () => {
    expect(nextAllowedChange(1, T0, compressor)).toBe(T0 + 300 * S);
    expect(nextAllowedChange(0, T0, compressor)).toBe(T0 + 180 * S);
  });

  it('allows a change at any time when the output never changed or has no minimum', () => {
    expect(nextAllowedChange(1, null, compressor)).toBeNull();
    expect(nextAllowedChange(1, T0, { minOffSeconds: 60 })).toBeNull();
    expect(nextAllowedChange(0, T0, { minOffSeconds: 0 })).toBeNull();
  });
});

describe('minimum on and off times', () => {
  it('writes the first value at once, then holds a change until the minimum on time has passed, visibly', () => {
    const gate = new OutputGate(compressor);
    expect(gate.step(schedule(1), T0)).toEqual({ value: 1, target: 1, write: true });
    expect(gate.step(schedule(0), T0 + 60 * S)).toEqual({
      value: 1,
      target: 0,
      write: false,
      heldUntil: T0 + 300 * S,
      reason: 'minimum-on',
    });
    expect(gate.step(schedule(0), T0 + 300 * S - 1)).toMatchObject({ value: 1, heldUntil: T0 + 300 * S });
    expect(gate.step(schedule(0), T0 + 300 * S)).toEqual({ value: 0, target: 0, write: true });
    expect(gate.state).toEqual({ value: 0, changedAt: T0 + 300 * S, steppedAt: T0 + 300 * S, target: 0 });
  });

  it('holds a restart until the minimum off time has passed', () => {
    const gate = new OutputGate(compressor, { value: 0, changedAt: T0, steppedAt: T0, target: 0 });
    expect(gate.step(schedule(1), T0 + 10 * S)).toEqual({
      value: 0,
      target: 1,
      write: false,
      heldUntil: T0 + 180 * S,
      reason: 'minimum-off',
    });
    expect(gate.step(schedule(1), T0 + 180 * S)).toMatchObject({ value: 1, write: true });
  });

  it('drops a held change when the target returns to the current value before the hold ends', () => {
    const gate = new OutputGate(compressor, { value: 1, changedAt: T0, steppedAt: T0, target: 1 });
    expect(gate.step(schedule(0), T0 + S).reason).toBe('minimum-on');
    expect(gate.step(schedule(1), T0 + 2 * S)).toEqual({ value: 1, target: 1, write: false });
    expect(gate.state.changedAt).toBe(T0);
  });

  it('lets a safety interlock (priority 1..5) through at once, and restarts the minimum of the state it enters', () => {
    const gate = new OutputGate(compressor, { value: 1, changedAt: T0, steppedAt: T0, target: 1 });
    expect(gate.step(interlock(0), T0 + 5 * S)).toEqual({ value: 0, target: 0, write: true });
    // The interlock is relinquished; the schedule wants on again: minimum off from the interlock's change.
    expect(gate.step(schedule(1), T0 + 6 * S)).toMatchObject({
      value: 0,
      heldUntil: T0 + 185 * S,
      reason: 'minimum-off',
    });
  });

  it('holds even interlocks when overrideMaxPriority is 0', () => {
    const strict = new OutputGate(
      { ...compressor, overrideMaxPriority: 0 },
      { value: 1, changedAt: T0, steppedAt: T0, target: 1 },
    );
    expect(strict.step(interlock(0), T0 + 5 * S)).toMatchObject({
      value: 1,
      reason: 'minimum-on',
      heldUntil: T0 + 300 * S,
    });
  });

  it('holds the relinquish default like any other source', () => {
    const gate = new OutputGate(compressor, { value: 1, changedAt: T0, steppedAt: T0, target: 1 });
    expect(gate.step({ value: 0, priority: null }, T0 + S).reason).toBe('minimum-on');
  });

  it('builds its limits from the point definition', () => {
    const point = {
      id: 'fan',
      kind: 'binary',
      minOnSeconds: 60,
      minOffSeconds: 30,
    } as PointDef;
    const gate = OutputGate.forPoint(point, { value: 0, changedAt: T0, steppedAt: T0, target: 0 });
    expect(gate.limits).toEqual({
      kind: 'binary',
      minOnSeconds: 60,
      minOffSeconds: 30,
      overrideMaxPriority: 5,
    });
    expect(gate.step(schedule(1), T0 + 29 * S).heldUntil).toBe(T0 + 30 * S);
  });
});

describe('ramps (maxRatePerMinute)', () => {
  it('rampToward moves at most the rate times the elapsed time, and stops at the target', () => {
    expect(rampToward(0, T0, 100, T0 + 30 * S, 50)).toBe(25);
    expect(rampToward(100, T0, 0, T0 + 30 * S, 50)).toBe(75);
    expect(rampToward(90, T0, 100, T0 + 60 * S, 50)).toBe(100);
    expect(rampToward(10, T0, 100, T0 - S, 50)).toBe(10);
  });

  const valve: GateLimits = { kind: 'analog', maxRatePerMinute: 30 };
  const atRest: OutputState = { value: 0, changedAt: T0, steppedAt: T0, target: 0 };

  it('starts a ramp from rest without a jump, however long the output stood still', () => {
    const gate = new OutputGate(valve, atRest);
    expect(gate.step(schedule(60), T0 + 3600 * S)).toEqual({
      value: 0,
      target: 60,
      write: false,
      heldUntil: T0 + 3600 * S + 120 * S,
      reason: 'rate-limit',
    });
    expect(gate.step(schedule(60), T0 + 3660 * S)).toEqual({
      value: 30,
      target: 60,
      write: true,
      heldUntil: T0 + 3720 * S,
      reason: 'rate-limit',
    });
    expect(gate.step(schedule(60), T0 + 3690 * S)).toMatchObject({ value: 45, write: true });
    expect(gate.step(schedule(60), T0 + 3720 * S)).toEqual({ value: 60, target: 60, write: true });
    expect(gate.step(schedule(60), T0 + 3800 * S)).toEqual({ value: 60, target: 60, write: false });
  });

  it('reverses mid-ramp at the same rate', () => {
    const gate = new OutputGate(valve, { value: 20, changedAt: T0, steppedAt: T0, target: 60 });
    expect(gate.step(schedule(0), T0 + 20 * S)).toMatchObject({ value: 10, target: 0, reason: 'rate-limit' });
  });

  it('lets an interlock jump straight to its value', () => {
    const gate = new OutputGate(valve, atRest);
    expect(gate.step(interlock(100), T0 + S)).toEqual({ value: 100, target: 100, write: true });
  });

  it('writes at once without a rate, for multistate points, and for the first write', () => {
    expect(decideOutput(atRest, schedule(80), T0 + S, { kind: 'analog' })).toEqual({
      value: 80,
      target: 80,
      write: true,
    });
    expect(decideOutput({ ...atRest, value: 1 }, schedule(3), T0 + S, { kind: 'multistate' })).toMatchObject({
      value: 3,
    });
    expect(decideOutput(INITIAL_OUTPUT_STATE, schedule(80), T0, valve)).toEqual({
      value: 80,
      target: 80,
      write: true,
    });
  });

  it('never moves faster than the rate nor overshoots, on random target streams', () => {
    const stepArb = fc.record({
      target: fc.integer({ min: 0, max: 100 }),
      dt: fc.integer({ min: 0, max: 120 * S }),
      priority: fc.constantFrom(2, 8, 16, null),
    });
    const outcome = fc.check(
      fc.property(fc.integer({ min: 1, max: 120 }), fc.array(stepArb, { maxLength: 40 }), (rate, steps) => {
        const gate = new OutputGate({ kind: 'analog', maxRatePerMinute: rate }, atRest);
        let now = T0;
        for (const { target, dt, priority } of steps) {
          const before = gate.state;
          now += dt;
          const { value } = gate.step({ value: target, priority }, now);
          const moved = Math.abs(value - before.value!);
          const between =
            Math.min(before.value!, target) <= value && value <= Math.max(before.value!, target);
          if (!between) return false;
          if (priority === 2) continue; // interlocks jump
          const fromRest = before.target === before.value;
          const allowed = fromRest ? 0 : (rate * (now - before.steppedAt!)) / 60_000;
          if (moved > allowed + 1e-9) return false;
        }
        return true;
      }),
      { numRuns: 500 },
    );
    expect(outcome.failed ? outcome.counterexample : 'no counterexample').toBe('no counterexample');
  });
});
