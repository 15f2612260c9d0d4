import { describe, expect, it } from '@jest/globals';
import { PriorityFormatError } from './errors.js';
import { INITIAL_OUTPUT_STATE } from './output-gate.js';
import { command, createPriorityArray, effective, expire } from './priority-array.js';
import { fromJSON, outputStateFromJSON, toJSON, type PriorityArrayJson } from './serialize.js';

const T0 = Date.UTC(2026, 5, 1, 12, 0, 0);
const MIN = 60_000;

function sample() {
  let a = createPriorityArray('ahu-1.damper');
  a = command(a, { priority: 2, value: 0, source: 'interlock', now: T0 });
  a = command(a, { priority: 8, value: 55, source: 'operator', now: T0, expiresAt: T0 + 30 * MIN });
  a = command(a, { priority: 10, value: 70, source: 'cloud', now: T0, leaseMs: 15 * MIN });
  a = command(a, { priority: 12, value: 20, source: 'fallback-schedule', now: T0 });
  return command(a, { priority: 16, value: 40, source: 'schedule', now: T0 });
}

describe('toJSON / fromJSON', () => {
  it('round-trips through a JSON string with every slot, lease, expiry and the lease counter', () => {
    const a = sample();
    const text = JSON.stringify(toJSON(a));
    const back = fromJSON(text);
    expect(back).toEqual(a);
    expect(toJSON(back)).toEqual(toJSON(a));
    expect(JSON.parse(text)).toMatchObject({ version: 1, pointId: 'ahu-1.damper', leaseSeq: 1 });
    // The restored array behaves as the original: same winner, and the lease still ends exactly once.
    const ctx = { now: T0 + 15 * MIN, autonomous: false, relinquishDefault: 30 };
    expect(effective(back, ctx)).toEqual(effective(a, ctx));
    const ended = expire(back, T0 + 15 * MIN);
    expect(ended.expired.map((s) => s.leaseId)).toEqual(['ahu-1.damper/10/1']);
    expect(expire(fromJSON(toJSON(ended.array)), T0 + 15 * MIN).expired).toEqual([]);
    // Lease ids stay unique after a restart.
    const next = command(back, { priority: 10, value: 1, source: 'cloud', now: T0, leaseMs: MIN });
    expect(next.slots[9]?.leaseId).toBe('ahu-1.damper/10/2');
  });

  it('writes only defined fields', () => {
    const json = toJSON(sample());
    expect(json.slots[1]).toEqual({ value: 0, source: 'interlock', at: T0 });
    expect(json.slots[0]).toBeNull();
  });

  const base = (): PriorityArrayJson => JSON.parse(JSON.stringify(toJSON(sample()))) as PriorityArrayJson;
  const broken: [string, (j: Record<string, unknown> & PriorityArrayJson) => unknown, string][] = [
    ['not JSON', () => '{', '$: not JSON'],
    ['not an object', () => [], '$: must be an object'],
    ['another version', (j) => ({ ...j, version: 2 }), '$.version: must be 1, got 2'],
    ['no point id', (j) => ({ ...j, pointId: '' }), '$.pointId: must be a non-empty string'],
    [
      'a negative lease counter',
      (j) => ({ ...j, leaseSeq: -1 }),
      '$.leaseSeq: must be a non-negative integer',
    ],
    [
      '15 slots',
      (j) => ({ ...j, slots: j.slots.slice(1) }),
      '$.slots: must be an array of exactly 16 entries',
    ],
    ['an unknown field', (j) => ({ ...j, extra: 1 }), '$.extra: unknown field'],
    [
      'an unknown source',
      (j) => ((j.slots[15]!.source = 'cron'), j),
      '$.slots[15].source: unknown source "cron"',
    ],
    [
      'a source in a slot not its own',
      (j) => ((j.slots[13] = j.slots[15]), j),
      '$.slots[13].source: schedule may not hold priority 14 (its slots: 16)',
    ],
    [
      'a non-finite value',
      (j) => ((j.slots[15]!.value = null as never), j),
      '$.slots[15].value: must be a finite number',
    ],
    [
      'an expiry before the command',
      (j) => ((j.slots[7]!.expiresAt = T0), j),
      '$.slots[7].expiresAt: must be after at',
    ],
    [
      'a cloud command without a lease',
      (j) => (delete j.slots[9]!.leaseId, j),
      '$.slots[9]: a cloud command must have a leaseId and an expiresAt',
    ],
    [
      'a lease on an operator command',
      (j) => ((j.slots[7]!.leaseId = 'x'), j),
      '$.slots[7].leaseId: only cloud commands carry leases, not operator',
    ],
    [
      'an unknown slot field',
      (j) => ((j.slots[7] = { ...j.slots[7]!, note: 'x' } as never), j),
      '$.slots[7].note: unknown field',
    ],
  ];
  it.each(broken)('refuses %s with a PriorityFormatError naming the path', (_name, mutate, message) => {
    const input = mutate(base() as Record<string, unknown> & PriorityArrayJson);
    expect(() => fromJSON(input)).toThrow(PriorityFormatError);
    expect(() => fromJSON(input)).toThrow(message);
  });
});

describe('outputStateFromJSON', () => {
  it('round-trips a gate state and the initial state', () => {
    const state = { value: 1, changedAt: T0, steppedAt: T0 + 5, target: 0 };
    expect(outputStateFromJSON(JSON.parse(JSON.stringify(state)))).toEqual(state);
    expect(outputStateFromJSON(JSON.parse(JSON.stringify(INITIAL_OUTPUT_STATE)))).toEqual(
      INITIAL_OUTPUT_STATE,
    );
  });

  it('refuses a missing field, a string value and an unknown field', () => {
    expect(() => outputStateFromJSON({ value: 1, changedAt: null, steppedAt: null })).toThrow(
      '$.target: is required (number or null)',
    );
    expect(() => outputStateFromJSON({ value: '1', changedAt: null, steppedAt: null, target: null })).toThrow(
      '$.value: must be a finite number',
    );
    expect(() => outputStateFromJSON({ ...INITIAL_OUTPUT_STATE, since: 0 })).toThrow(
      '$.since: unknown field',
    );
  });
});
