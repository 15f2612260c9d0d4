/**
 * The implementation against the reference model (../test-support), on 10,000
 * random sequences of commands, relinquishes, renewals, clock moves, expiries,
 * autonomy flips and restarts (JSON round trips), with a binary output behind
 * the gate: after every step the outcome (accepted or the named refusal), the
 * effective value, the next expiry, each expiry report and the value written to
 * the hardware must equal the model's, and no write may short-cycle the output.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ReferenceModel,
  modelWrite,
  type ModelConfig,
  type ModelOp,
} from '../test-support/reference-model.js';
import { CommandRefusedError } from './errors.js';
import { INITIAL_OUTPUT_STATE, OutputGate, type GateLimits } from './output-gate.js';
import {
  command,
  createPriorityArray,
  effective,
  expire,
  nextExpiry,
  relinquish,
  renewLease,
  type PriorityArray,
} from './priority-array.js';
import { fromJSON, outputStateFromJSON, toJSON } from './serialize.js';
import { COMMAND_SOURCES, DEFAULT_MAX_LEASE_MS, SOURCE_SLOTS, type CommandSource } from './sources.js';

const START = Date.UTC(2026, 2, 29, 0, 59, 0);
const MINUTE = 60_000;

type Step =
  | {
      kind: 'command';
      source: CommandSource;
      priority: number;
      value: number;
      expiresIn?: number;
      leaseMs?: number;
      leaseId?: string;
    }
  | { kind: 'relinquish'; source: CommandSource; priority: number }
  | { kind: 'renew'; source: CommandSource; priority: number; leaseId: string | null; leaseMs: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'to-expiry' | 'to-hold'; delta: number }
  | { kind: 'expire' }
  | { kind: 'autonomy'; autonomous: boolean }
  | { kind: 'restart' };

const sourceArb = fc.constantFrom(...COMMAND_SOURCES);
/** Mostly the source's own slot; sometimes any number 0..17 (wrong slots, invalid priorities). */
const slotFor = (source: CommandSource, pick: number, wild: number | null) =>
  wild ?? SOURCE_SLOTS[source][pick % SOURCE_SLOTS[source].length];
/** Null most of the time (use the source's own slot), else a priority 0..17. */
const rarely = <T>(arb: fc.Arbitrary<T>, weight = 6) =>
  fc.oneof({ arbitrary: fc.constant(null), weight }, { arbitrary: arb, weight: 1 });
const wildArb = rarely(fc.integer({ min: 0, max: 17 }));
const leaseArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 2 * MINUTE }), weight: 6 },
  { arbitrary: fc.integer({ min: 1, max: 16 * MINUTE }), weight: 3 },
  { arbitrary: fc.constantFrom(0, -1), weight: 1 },
);
const untilArb = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 10 * MINUTE }), weight: 8 },
  { arbitrary: fc.integer({ min: -MINUTE, max: 0 }), weight: 1 },
);

const commandArb: fc.Arbitrary<Step> = fc
  .record({
    source: sourceArb,
    pick: fc.nat(),
    wild: wildArb,
    value: fc.constantFrom(0, 1),
    expiresIn: fc.option(untilArb, { freq: 2, nil: undefined }),
    leaseMs: fc.option(leaseArb, { freq: 8, nil: undefined }),
    leaseId: fc.option(fc.constantFrom('a', 'b'), { freq: 2, nil: undefined }),
    cloudishExtras: fc.nat({ max: 15 }),
  })
  .map(({ source, pick, wild, value, expiresIn, leaseMs, leaseId, cloudishExtras }) => {
    const step: Step = { kind: 'command', source, priority: slotFor(source, pick, wild), value };
    // Cloud commands mostly carry a lease and no expiresAt; other sources mostly the reverse.
    const cloud = source === 'cloud';
    if (cloud ? cloudishExtras === 0 : expiresIn !== undefined) step.expiresIn = expiresIn ?? MINUTE;
    if (cloud ? cloudishExtras !== 1 : cloudishExtras === 0) step.leaseMs = leaseMs ?? MINUTE;
    if (cloud || cloudishExtras === 2) step.leaseId = leaseId;
    if (step.leaseId === undefined) delete step.leaseId;
    return step;
  });

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { arbitrary: commandArb, weight: 8 },
  {
    arbitrary: fc
      .record({ source: sourceArb, pick: fc.nat(), wild: wildArb })
      .map(({ source, pick, wild }): Step => ({
        kind: 'relinquish',
        source,
        priority: slotFor(source, pick, wild),
      })),
    weight: 3,
  },
  {
    arbitrary: fc
      .record({
        wild: rarely(fc.integer({ min: 0, max: 17 }), 10),
        leaseId: rarely(fc.constantFrom('a', 'b', 'unknown'), 3),
        leaseMs: leaseArb,
        operator: fc.boolean(),
      })
      .map(({ wild, leaseId, leaseMs, operator }): Step => ({
        kind: 'renew',
        source: wild !== null && operator ? 'operator' : 'cloud',
        priority: wild ?? 10,
        leaseId,
        leaseMs,
      })),
    weight: 3,
  },
  {
    arbitrary: fc
      .oneof(fc.constantFrom(0, 1, 999, 1000), fc.integer({ min: 0, max: 12 * MINUTE }))
      .map((ms): Step => ({ kind: 'advance', ms })),
    weight: 5,
  },
  { arbitrary: fc.constantFrom(-1, 0, 1).map((delta): Step => ({ kind: 'to-expiry', delta })), weight: 3 },
  { arbitrary: fc.constantFrom(-1, 0, 1).map((delta): Step => ({ kind: 'to-hold', delta })), weight: 2 },
  { arbitrary: fc.constant<Step>({ kind: 'expire' }), weight: 4 },
  { arbitrary: fc.boolean().map((autonomous): Step => ({ kind: 'autonomy', autonomous })), weight: 2 },
  { arbitrary: fc.constant<Step>({ kind: 'restart' }), weight: 1 },
);

const configArb = fc.record({
  maxLeaseMs: fc.constantFrom<number | undefined>(undefined, MINUTE, 5 * MINUTE),
  minOnSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
  minOffSeconds: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 600 })),
  overrideMaxPriority: fc.constantFrom<number | undefined>(undefined, 0, 1, 2, 5),
  relinquishDefault: fc.constantFrom(0, 1),
});

function same(actual: unknown, expected: unknown, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: implementation ${a}, model ${e}`);
}

function outcome(action: () => void): string {
  try {
    action();
    return 'ok';
  } catch (error) {
    if (error instanceof CommandRefusedError) return error.name;
    throw error;
  }
}

interface RunStats {
  violations: number;
  writes: number;
  holds: number;
  accepted: number;
  refused: number;
  expired: number;
}

type RunConfig = typeof configArb extends fc.Arbitrary<infer C> ? C : never;

function runSequence(cfg: RunConfig, steps: Step[], stats: RunStats): void {
  const config: ModelConfig = {
    pointId: 'ahu-1.supply-fan',
    start: START,
    maxLeaseMs: cfg.maxLeaseMs ?? DEFAULT_MAX_LEASE_MS,
    relinquishDefault: cfg.relinquishDefault,
    minOnSeconds: cfg.minOnSeconds,
    minOffSeconds: cfg.minOffSeconds,
    overrideMaxPriority: cfg.overrideMaxPriority ?? 5,
  };
  const policy = cfg.maxLeaseMs === undefined ? {} : { maxLeaseMs: cfg.maxLeaseMs };
  const limits: GateLimits = {
    kind: 'binary',
    minOnSeconds: cfg.minOnSeconds,
    minOffSeconds: cfg.minOffSeconds,
  };
  if (cfg.overrideMaxPriority !== undefined) limits.overrideMaxPriority = cfg.overrideMaxPriority;

  const model = new ReferenceModel(config);
  let array: PriorityArray = createPriorityArray(config.pointId);
  let gate = new OutputGate(limits, INITIAL_OUTPUT_STATE);
  let now = START;
  let autonomous = false;
  let heldUntil: number | undefined;
  const hardware: { value: number; at: number; priority: number | null }[] = [];
  const modelOutput: { value: number; at: number }[] = [];
  const reported = new Set<string>();

  const check = (op: ModelOp, action: () => void) => {
    const expected = model.apply(op);
    const actual = outcome(action);
    same(actual, expected, `outcome of ${JSON.stringify(op)}`);
    if (actual === 'ok') stats.accepted++;
    else stats.refused++;
  };
  const moveTo = (to: number) => {
    if (to < now) return; // the clock never runs backwards here
    now = to;
    model.apply({ kind: 'advance', to });
  };

  for (const step of [
    ...steps,
    { kind: 'advance', ms: 24 * 60 * MINUTE } as Step,
    { kind: 'expire' } as Step,
  ]) {
    switch (step.kind) {
      case 'command': {
        const { source, priority, value, leaseMs, leaseId } = step;
        const expiresAt = step.expiresIn === undefined ? undefined : now + step.expiresIn;
        const input = { source, priority, value, now, expiresAt, leaseMs, leaseId };
        for (const key of ['expiresAt', 'leaseMs', 'leaseId'] as const)
          if (input[key] === undefined) delete input[key];
        check({ kind: 'command', source, priority, value, expiresAt, leaseMs, leaseId }, () => {
          array = command(array, input, policy);
        });
        break;
      }
      case 'relinquish':
        check({ kind: 'relinquish', source: step.source, priority: step.priority }, () => {
          array = relinquish(array, step.priority, step.source, now);
        });
        break;
      case 'renew': {
        const leaseId = step.leaseId ?? model.leaseIdAt(step.priority) ?? 'none';
        const input = { priority: step.priority, source: step.source, leaseId, leaseMs: step.leaseMs, now };
        check({ kind: 'renew', ...input }, () => {
          array = renewLease(array, input, policy);
        });
        break;
      }
      case 'advance':
        moveTo(now + step.ms);
        break;
      case 'to-expiry': {
        const next = model.nextExpiry();
        if (next !== null) moveTo(next + step.delta);
        break;
      }
      case 'to-hold':
        if (heldUntil !== undefined) moveTo(heldUntil + step.delta);
        break;
      case 'expire': {
        const result = expire(array, now);
        array = result.array;
        model.apply({ kind: 'expire' });
        const ours = result.expired.map((s) => [s.priority, s.source, s.value, s.at, s.expiresAt, s.leaseId]);
        const theirs = model
          .lastExpired()
          .map((e) => [e.priority, e.source, e.value, e.at, e.end, e.leaseId]);
        same(ours, theirs, `expired at ${now}`);
        for (const s of result.expired) {
          const key = `${s.priority}@${s.at}`;
          if (reported.has(key)) throw new Error(`slot ${key} expired twice`);
          reported.add(key);
        }
        stats.expired += result.expired.length;
        break;
      }
      case 'autonomy':
        autonomous = step.autonomous;
        model.apply({ kind: 'autonomy', autonomous });
        break;
      case 'restart':
        array = fromJSON(JSON.stringify(toJSON(array)));
        gate = new OutputGate(limits, outputStateFromJSON(JSON.parse(JSON.stringify(gate.state))));
        break;
    }

    const winner = effective(array, { now, autonomous, relinquishDefault: config.relinquishDefault });
    const modelWinner = model.winner();
    same(
      [winner.value, winner.priority, winner.source],
      [modelWinner.value, modelWinner.priority, modelWinner.source],
      `effective at ${now}`,
    );
    same(nextExpiry(array), model.nextExpiry(), `next expiry at ${now}`);

    const decision = gate.step(winner, now);
    const expected = modelWrite(modelOutput, modelWinner, now, config);
    same([decision.value, decision.heldUntil], [expected.value, expected.heldUntil], `output at ${now}`);
    modelOutput.push({ value: expected.value, at: now });
    heldUntil = decision.heldUntil;
    if (heldUntil !== undefined) stats.holds++;
    if (decision.write) {
      hardware.push({ value: decision.value, at: now, priority: winner.priority });
      stats.writes++;
    }
  }

  // Short-cycling, judged from the hardware writes alone.
  for (let i = 1; i < hardware.length; i++) {
    const [before, after] = [hardware[i - 1], hardware[i]];
    const minimumMs = (before.value === 1 ? config.minOnSeconds : config.minOffSeconds) * 1000;
    const override = after.priority !== null && after.priority <= config.overrideMaxPriority;
    if (after.at - before.at < minimumMs && !override) stats.violations++;
  }
  // Every lease ended exactly once, by replacement, relinquish or expiry (the run ends a day later, expired).
  for (const entry of model.entries()) {
    if (entry.leaseId !== undefined && entry.fate === undefined)
      throw new Error(`lease ${entry.leaseId} never ended`);
  }
}

describe('priority array and output gate against the reference model', () => {
  it('agree on 10,000 random sequences, with no short-cycling write', () => {
    const stats: RunStats = { violations: 0, writes: 0, holds: 0, accepted: 0, refused: 0, expired: 0 };
    fc.assert(
      fc.property(
        configArb,
        fc.array(stepArb, { minLength: 4, maxLength: 24, size: 'max' }),
        (cfg, steps) => {
          runSequence(cfg, steps, stats);
        },
      ),
      { numRuns: 10_000 },
    );
    expect(stats.violations).toBe(0);
    // The generator must actually exercise refusals, holds and expiries, or the agreement means little.
    expect(stats.refused).toBeGreaterThan(10_000);
    expect(stats.accepted).toBeGreaterThan(30_000);
    expect(stats.holds).toBeGreaterThan(5_000);
    expect(stats.expired).toBeGreaterThan(5_000);
    expect(stats.writes).toBeGreaterThan(10_000);
  });
});
