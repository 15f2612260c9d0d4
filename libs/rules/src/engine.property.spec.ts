/**
 * Invariants of the engine over generated rule sets and scan sequences:
 * commands and relinquishes replay to exactly the held set, never a relinquish
 * without a command of the same rule and slot, events alternate per rule, every
 * slot of an active rule is held by an active rule, and the output is a
 * function of the input history, a save and restore in between included.
 */
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { RuleEngine } from './index.js';
import type { Evaluation, Interlock, Snapshot } from './index.js';
import { rulesArb, scansArb } from './test-support/arbitraries.js';

const RUNS = 300;
const slot = (point: string, priority: number) => `${point}@${priority}`;

function run(engine: RuleEngine, scans: Snapshot[]): Evaluation[] {
  return scans.map((scan) => engine.evaluate(scan));
}

/** The slots the active rules act on, with the values they may hold there. */
function expectedSlots(rules: Interlock[], active: string[]): Map<string, Set<string>> {
  const expected = new Map<string, Set<string>>();
  for (const rule of rules.filter((r) => active.includes(r.id)))
    for (const action of rule.then) {
      const key = slot(action.point, action.priority);
      const holders = expected.get(key) ?? new Set<string>();
      holders.add(`${rule.id}:${'failSafe' in action ? 'fail-safe' : action.value}`);
      expected.set(key, holders);
    }
  return expected;
}

describe('RuleEngine properties', () => {
  it('outputs replay to the held set; no relinquish without an earlier command of the same rule and slot', () => {
    fc.assert(
      fc.property(rulesArb, scansArb, (rules, scans) => {
        const engine = new RuleEngine(rules);
        const held = new Map<string, string>(); // slot -> "ruleId:value"
        const lastEvent = new Map<string, string>();
        for (const scan of scans) {
          const { commands, relinquishes, events } = engine.evaluate(scan);
          const touched = [...commands, ...relinquishes].map((c) => slot(c.point, c.priority));
          expect(new Set(touched).size).toBe(touched.length); // at most one output per slot per scan
          for (const r of relinquishes) {
            const key = slot(r.point, r.priority);
            expect(held.get(key)?.split(':')[0]).toBe(r.ruleId);
            held.delete(key);
          }
          for (const c of commands) held.set(slot(c.point, c.priority), `${c.ruleId}:${c.value}`);
          for (const e of events) {
            expect(e.at).toBe(scan.now);
            expect(e.kind).toBe(lastEvent.get(e.ruleId) === 'activated' ? 'cleared' : 'activated');
            lastEvent.set(e.ruleId, e.kind);
          }
          const active = engine.activeRules();
          expect(active).toEqual(rules.filter((r) => lastEvent.get(r.id) === 'activated').map((r) => r.id));
          const reasserted = new Map(
            engine.activeCommands().map((c) => [slot(c.point, c.priority), `${c.ruleId}:${c.value}`]),
          );
          expect(reasserted).toEqual(held);
          const expected = expectedSlots(rules, active);
          expect([...held.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, holder] of held) expect(expected.get(key)!.has(holder)).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is a function of the input history, with a save and restore anywhere in between', () => {
    fc.assert(
      fc.property(rulesArb, scansArb, fc.nat(), (rules, scans, cut) => {
        const reference = run(new RuleEngine(rules), scans);
        expect(run(new RuleEngine(rules), scans)).toEqual(reference);
        const split = cut % (scans.length + 1);
        const first = new RuleEngine(rules);
        const before = run(first, scans.slice(0, split));
        const saved: unknown = JSON.parse(JSON.stringify(first.toJSON()));
        const restored = RuleEngine.fromJSON(rules, saved);
        expect(restored.activeCommands()).toEqual(first.activeCommands());
        expect([...before, ...run(restored, scans.slice(split))]).toEqual(reference);
      }),
      { numRuns: RUNS },
    );
  });
});
