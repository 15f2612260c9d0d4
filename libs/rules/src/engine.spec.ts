/**
 * The engine's outputs: commands once on activation, relinquishes once on
 * clearing, events exactly once, fail-safe actions, shared slots, re-assertion,
 * and state kept across a restart (toJSON/fromJSON).
 */
import { describe, expect, it } from '@jest/globals';
import { RuleEngine, RulesValidationError, RuleStateError } from './index.js';
import type { Evaluation, Interlock } from './index.js';
import { exampleRules, snapshot } from './test-support/builders.js';

const DAT = 'ahu-1.discharge-air-temp';
const FAN = 'ahu-1.supply-fan-status';
const ZONE = 'vav-1-01.zone-temp';
const NOTHING: Evaluation = { commands: [], relinquishes: [], events: [] };
/** Every sensor healthy and nothing tripped. */
const healthy = { [DAT]: 12, [FAN]: 1, [ZONE]: 21 };

describe('RuleEngine on the example rules', () => {
  it('freeze protection: both actions once on activation, nothing while active, both relinquished once on clearing', () => {
    const engine = new RuleEngine(exampleRules());
    expect(engine.evaluate(snapshot(0, healthy))).toEqual(NOTHING);
    expect(engine.evaluate(snapshot(1000, { ...healthy, [DAT]: 4 }))).toEqual({
      commands: [
        { point: 'ahu-1.outside-air-damper', priority: 2, value: 0, ruleId: 'freeze-protection' },
        { point: 'ahu-1.heating-valve', priority: 2, value: 100, ruleId: 'freeze-protection' },
      ],
      relinquishes: [],
      events: [{ ruleId: 'freeze-protection', kind: 'activated', at: 1000 }],
    });
    expect(engine.evaluate(snapshot(2000, { ...healthy, [DAT]: 3 }))).toEqual(NOTHING);
    expect(engine.evaluate(snapshot(3000, { ...healthy, [DAT]: 6.5 }))).toEqual(NOTHING); // hysteresis
    expect(engine.evaluate(snapshot(4000, { ...healthy, [DAT]: 8 }))).toEqual({
      commands: [],
      relinquishes: [
        { point: 'ahu-1.outside-air-damper', priority: 2, ruleId: 'freeze-protection' },
        { point: 'ahu-1.heating-valve', priority: 2, ruleId: 'freeze-protection' },
      ],
      events: [{ ruleId: 'freeze-protection', kind: 'cleared', at: 4000 }],
    });
    expect(engine.evaluate(snapshot(5000, { ...healthy, [DAT]: 9 }))).toEqual(NOTHING);
  });

  it('proof of airflow: heating valve to 0 at slot 1 exactly 30 s after the fan stopped (fake clock)', () => {
    const engine = new RuleEngine(exampleRules());
    const fanOff = { ...healthy, [FAN]: 0 };
    for (let t = 0; t < 30_000; t += 1000) expect(engine.evaluate(snapshot(t, fanOff))).toEqual(NOTHING);
    expect(engine.evaluate(snapshot(30_000, fanOff))).toEqual({
      commands: [{ point: 'ahu-1.heating-valve', priority: 1, value: 0, ruleId: 'proof-of-airflow' }],
      relinquishes: [],
      events: [{ ruleId: 'proof-of-airflow', kind: 'activated', at: 30_000 }],
    });
    expect(engine.evaluate(snapshot(31_000, healthy)).relinquishes).toEqual([
      { point: 'ahu-1.heating-valve', priority: 1, ruleId: 'proof-of-airflow' },
    ]);
  });

  it('sensor failure: the dependent output goes to its fail-safe value, left to the controller to resolve', () => {
    const engine = new RuleEngine(exampleRules());
    const result = engine.evaluate(snapshot(0, { ...healthy, [ZONE]: [null, 'comm-fail'] }));
    expect(result.commands).toEqual([
      { point: 'vav-1-01.damper-cmd', priority: 2, value: 'fail-safe', ruleId: 'zone-sensor-failure' },
    ]);
    expect(engine.evaluate(snapshot(1000, healthy)).relinquishes).toEqual([
      { point: 'vav-1-01.damper-cmd', priority: 2, ruleId: 'zone-sensor-failure' },
    ]);
  });

  it('activeCommands re-asserts exactly the held slots, in rule order', () => {
    const engine = new RuleEngine(exampleRules());
    expect(engine.activeCommands()).toEqual([]);
    engine.evaluate(snapshot(0, { ...healthy, [ZONE]: [null, 'comm-fail'], [DAT]: 2 }));
    expect(engine.activeCommands()).toEqual([
      { point: 'ahu-1.outside-air-damper', priority: 2, value: 0, ruleId: 'freeze-protection' },
      { point: 'ahu-1.heating-valve', priority: 2, value: 100, ruleId: 'freeze-protection' },
      { point: 'vav-1-01.damper-cmd', priority: 2, value: 'fail-safe', ruleId: 'zone-sensor-failure' },
    ]);
    expect(engine.activeRules()).toEqual(['freeze-protection', 'zone-sensor-failure']);
    engine.evaluate(snapshot(1000, healthy));
    expect(engine.activeCommands()).toEqual([]);
  });
});

describe('a slot shared by two rules', () => {
  const damper = (id: string, point: string, action: Interlock['then'][number]): Interlock => ({
    id,
    when: { point, below: 5 },
    then: [action],
  });
  const rules = [
    damper('a', 'ahu-1.outside-air-temp', { point: 'ahu-1.outside-air-damper', value: 0, priority: 2 }),
    damper('b', DAT, { point: 'ahu-1.outside-air-damper', failSafe: true, priority: 2 }),
  ];
  const temps = (oat: number, dat: number) => ({ 'ahu-1.outside-air-temp': oat, [DAT]: dat });

  it('stays held while either holds, passes to the other rule by a command, and is relinquished by the last', () => {
    const engine = new RuleEngine(rules);
    expect(engine.evaluate(snapshot(0, temps(10, 2))).commands).toEqual([
      { point: 'ahu-1.outside-air-damper', priority: 2, value: 'fail-safe', ruleId: 'b' },
    ]);
    // a activates later: b keeps the slot (sticky owner), only the event is new
    expect(engine.evaluate(snapshot(1000, temps(2, 2)))).toEqual({
      ...NOTHING,
      events: [{ ruleId: 'a', kind: 'activated', at: 1000 }],
    });
    expect(engine.evaluate(snapshot(2000, temps(2, 10)))).toEqual({
      commands: [{ point: 'ahu-1.outside-air-damper', priority: 2, value: 0, ruleId: 'a' }],
      relinquishes: [],
      events: [{ ruleId: 'b', kind: 'cleared', at: 2000 }],
    });
    expect(engine.evaluate(snapshot(3000, temps(10, 10)))).toEqual({
      commands: [],
      relinquishes: [{ point: 'ahu-1.outside-air-damper', priority: 2, ruleId: 'a' }],
      events: [{ ruleId: 'a', kind: 'cleared', at: 3000 }],
    });
  });

  it('goes to the earlier rule when both activate in the same scan', () => {
    const engine = new RuleEngine(rules);
    expect(engine.evaluate(snapshot(0, temps(2, 2))).commands).toEqual([
      { point: 'ahu-1.outside-air-damper', priority: 2, value: 0, ruleId: 'a' },
    ]);
  });
});

describe('construction', () => {
  it('refuses rules that fail validation, with every issue', () => {
    const rules = [...exampleRules(), exampleRules()[0]];
    expect(() => new RuleEngine(rules)).toThrow(RulesValidationError);
    expect(() => new RuleEngine(rules)).toThrow(
      /interlocks\[3\]\.id: rule "freeze-protection" \[duplicate-rule-id\]/,
    );
  });

  it('copies the rules, so a later edit of the caller’s objects changes nothing', () => {
    const rules = exampleRules();
    const engine = new RuleEngine(rules);
    (rules[0].when as { below: number }).below = 100;
    expect(engine.evaluate(snapshot(0, { ...healthy, [DAT]: 50 })).events).toEqual([]);
  });

  it('refuses a snapshot without a finite time', () => {
    expect(() => new RuleEngine(exampleRules()).evaluate(snapshot(Number.NaN, healthy))).toThrow(RangeError);
  });
});

describe('toJSON / fromJSON', () => {
  const roundTrip = (engine: RuleEngine, rules = exampleRules()) =>
    RuleEngine.fromJSON(rules, JSON.parse(JSON.stringify(engine)));

  it('keeps a running delay-on timer across a restart', () => {
    const engine = new RuleEngine(exampleRules());
    engine.evaluate(snapshot(0, { ...healthy, [FAN]: 0 }));
    engine.evaluate(snapshot(20_000, { ...healthy, [FAN]: 0 }));
    const restarted = roundTrip(engine);
    expect(restarted.evaluate(snapshot(30_000, { ...healthy, [FAN]: 0 })).events).toEqual([
      { ruleId: 'proof-of-airflow', kind: 'activated', at: 30_000 },
    ]);
  });

  it('keeps hysteresis and held slots: no new command after a restart, and the clear still relinquishes', () => {
    const engine = new RuleEngine(exampleRules());
    engine.evaluate(snapshot(0, { ...healthy, [DAT]: 4 }));
    const restarted = roundTrip(engine);
    expect(restarted.activeCommands()).toEqual(engine.activeCommands());
    expect(restarted.evaluate(snapshot(1000, { ...healthy, [DAT]: 6 }))).toEqual(NOTHING);
    expect(restarted.evaluate(snapshot(2000, { ...healthy, [DAT]: 8 })).relinquishes).toHaveLength(2);
  });

  it('starts an edited rule fresh and re-commands its slot with the new value', () => {
    const engine = new RuleEngine(exampleRules());
    engine.evaluate(snapshot(0, { ...healthy, [DAT]: 4 }));
    const edited = exampleRules();
    edited[0].then[1] = { point: 'ahu-1.heating-valve', value: 80, priority: 2 };
    const restarted = roundTrip(engine, edited);
    expect(restarted.activeRules()).toEqual([]);
    expect(restarted.evaluate(snapshot(1000, { ...healthy, [DAT]: 4 }))).toEqual({
      commands: [{ point: 'ahu-1.heating-valve', priority: 2, value: 80, ruleId: 'freeze-protection' }],
      relinquishes: [],
      events: [{ ruleId: 'freeze-protection', kind: 'activated', at: 1000 }],
    });
  });

  it('relinquishes the slots of a rule removed since the state was saved', () => {
    const engine = new RuleEngine(exampleRules());
    engine.evaluate(snapshot(0, { ...healthy, [ZONE]: [null, 'comm-fail'] }));
    const restarted = roundTrip(engine, exampleRules().slice(0, 2));
    expect(restarted.evaluate(snapshot(1000, { ...healthy, [ZONE]: [null, 'comm-fail'] }))).toEqual({
      ...NOTHING,
      relinquishes: [{ point: 'vav-1-01.damper-cmd', priority: 2, ruleId: 'zone-sensor-failure' }],
    });
    expect(restarted.activeCommands()).toEqual([]);
  });

  it.each([
    ['not an object', 42, /not an object/],
    ['another format', { format: 2, rules: {}, slots: [] }, /format 2/],
    [
      'a bad timer',
      {
        format: 1,
        rules: { a: { fingerprint: '', active: false, nodes: { when: { since: 'x' } } } },
        slots: [],
      },
      /since/,
    ],
    [
      'active without a start',
      { format: 1, rules: { a: { fingerprint: '', active: true, nodes: {} } }, slots: [] },
      /activatedAt/,
    ],
    [
      'a slot at priority 3',
      { format: 1, rules: {}, slots: [{ point: 'a.b', priority: 3, ruleId: 'a', value: 1 }] },
      /priority/,
    ],
  ])('refuses a state with %s (RuleStateError)', (_name, state, message) => {
    expect(() => RuleEngine.fromJSON(exampleRules(), state)).toThrow(RuleStateError);
    expect(() => RuleEngine.fromJSON(exampleRules(), state)).toThrow(message);
  });
});
