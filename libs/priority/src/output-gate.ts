/**
 * Between the priority array's effective value and the hardware: what is
 * actually written, and when (DESIGN.md point 3). Binary outputs keep a
 * minimum on and off time (no short-cycling); analog outputs may ramp at most
 * maxRatePerMinute. A delay is never silent: the decision says what is held,
 * until when, and why.
 *
 * Commands at priorities 1..overrideMaxPriority (default 5) bypass both, as in
 * BACnet, where minimum on/off occupies slot 6 and so never outranks slots 1–5
 * (ASHRAE 135 §19.2.3): a safety interlock must act at once. Such a change
 * still restarts the minimum time of the state it enters. Pass
 * overrideMaxPriority 0 to hold every source.
 *
 * The gate is a pure function of (state, desired, now); OutputGate only keeps
 * the state between steps. The state is plain data: persist it (changedAt above
 * all) so a restart honours minimum times. Call step() on every scan and again
 * at heldUntil.
 */
import type { PointDef, PointKind } from '#libs/profiles';
import { DEFAULT_OVERRIDE_MAX_PRIORITY } from './sources.js';

export interface MinOnOff {
  minOnSeconds?: number;
  minOffSeconds?: number;
}

export interface GateLimits extends MinOnOff {
  kind: PointKind;
  maxRatePerMinute?: number;
  /** Winners at this priority or a higher one (a lower number) bypass min on/off and ramps. Default 5. */
  overrideMaxPriority?: number;
}

export interface OutputState {
  /** Last value written to the hardware; null before the first write (or when unknown). */
  readonly value: number | null;
  /** When `value` last changed: the clock of minimum on/off. Null: no minimum applies. */
  readonly changedAt: number | null;
  /** When the gate last stepped: the clock of a ramp. */
  readonly steppedAt: number | null;
  /** The target at the last step; a ramp starts from rest when the target moves away from `value`. */
  readonly target: number | null;
}

export const INITIAL_OUTPUT_STATE: OutputState = Object.freeze({
  value: null,
  changedAt: null,
  steppedAt: null,
  target: null,
});

/** What the array wants: `Effective` from priority-array.ts fits. */
export interface Desired {
  value: number;
  priority: number | null;
}

export type HoldReason = 'minimum-on' | 'minimum-off' | 'rate-limit';

export interface GateDecision {
  /** The value the hardware should have now. */
  value: number;
  /** The effective value the gate is heading for. */
  target: number;
  /** value differs from the last written value (or nothing was written yet). */
  write: boolean;
  /** value !== target: when the target may be reached (min on/off) or will be (ramp). */
  heldUntil?: number;
  reason?: HoldReason;
}

/**
 * When a binary output that is `current` (0 off, anything else on) and last
 * changed at `lastChangeAt` may next change: lastChangeAt + minOn (when on) or
 * + minOff (when off). Null: at any time (never changed, or no minimum).
 */
export function nextAllowedChange(
  current: number,
  lastChangeAt: number | null,
  limits: MinOnOff,
): number | null {
  if (lastChangeAt === null) return null;
  const seconds = current === 0 ? limits.minOffSeconds : limits.minOnSeconds;
  if (seconds === undefined || seconds <= 0) return null;
  return lastChangeAt + seconds * 1000;
}

/** An output at `last` since `lastAt`, moving toward `target` at most `maxRatePerMinute`: its value at `now`. */
export function rampToward(
  last: number,
  lastAt: number,
  target: number,
  now: number,
  maxRatePerMinute: number,
): number {
  const step = (maxRatePerMinute * Math.max(0, now - lastAt)) / 60_000;
  if (Math.abs(target - last) <= step) return target;
  return target > last ? last + step : last - step;
}

export function decideOutput(
  state: OutputState,
  desired: Desired,
  now: number,
  limits: GateLimits,
): GateDecision {
  const target = desired.value;
  const reach = (value: number): GateDecision => ({ value, target, write: value !== state.value });
  if (state.value === null || state.value === target) return reach(target);
  const overrideMax = limits.overrideMaxPriority ?? DEFAULT_OVERRIDE_MAX_PRIORITY;
  if (desired.priority !== null && desired.priority <= overrideMax) return reach(target);

  if (limits.kind === 'binary') {
    const allowedAt = nextAllowedChange(state.value, state.changedAt, limits);
    if (allowedAt === null || now >= allowedAt) return reach(target);
    const reason = state.value === 0 ? 'minimum-off' : 'minimum-on';
    return { value: state.value, target, write: false, heldUntil: allowedAt, reason };
  }
  const rate = limits.maxRatePerMinute;
  if (limits.kind === 'analog' && rate !== undefined && rate > 0) {
    // From rest the ramp starts now, however long ago the last step was: no jump.
    const atRest = state.steppedAt === null || state.target === state.value;
    const value = rampToward(state.value, atRest ? now : state.steppedAt, target, now, rate);
    if (value === target) return reach(target);
    const heldUntil = now + (Math.abs(target - value) / rate) * 60_000;
    return { value, target, write: value !== state.value, heldUntil, reason: 'rate-limit' };
  }
  return reach(target);
}

/** The state after the decision has been written (or, when write is false, kept). */
export function advanceState(state: OutputState, decision: GateDecision, now: number): OutputState {
  return Object.freeze({
    value: decision.value,
    changedAt: decision.value !== state.value ? now : state.changedAt,
    steppedAt: now,
    target: decision.target,
  });
}

export function gateLimitsFor(
  point: Pick<PointDef, 'kind' | 'minOnSeconds' | 'minOffSeconds' | 'maxRatePerMinute'>,
  overrideMaxPriority: number = DEFAULT_OVERRIDE_MAX_PRIORITY,
): GateLimits {
  const limits: GateLimits = { kind: point.kind, overrideMaxPriority };
  if (point.minOnSeconds !== undefined) limits.minOnSeconds = point.minOnSeconds;
  if (point.minOffSeconds !== undefined) limits.minOffSeconds = point.minOffSeconds;
  if (point.maxRatePerMinute !== undefined) limits.maxRatePerMinute = point.maxRatePerMinute;
  return limits;
}

/** The gate of one output: keeps the state between steps. */
export class OutputGate {
  #state: OutputState;

  constructor(
    readonly limits: GateLimits,
    state: OutputState = INITIAL_OUTPUT_STATE,
  ) {
    this.#state = state;
  }

  static forPoint(point: PointDef, state?: OutputState, overrideMaxPriority?: number): OutputGate {
    return new OutputGate(gateLimitsFor(point, overrideMaxPriority), state);
  }

  get state(): OutputState {
    return this.#state;
  }

  /** Decide for `desired` at `now` and take the decision as written. */
  step(desired: Desired, now: number): GateDecision {
    const decision = decideOutput(this.#state, desired, now, this.limits);
    this.#state = advanceState(this.#state, decision, now);
    return decision;
  }
}
