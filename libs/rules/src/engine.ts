/**
 * RuleEngine: the interlocks, evaluated locally every scan (issue 4 item 5),
 * needing neither the cloud nor a login. Pure and deterministic: the output is
 * a function of the rules and the sequence of snapshots (time comes in them).
 *
 * Per scan, in rule order, each rule's condition is evaluated (conditions.ts);
 * a rule whose condition became true emits `activated`, one that became false
 * `cleared`. Then each slot (point, priority) that some rule acts on is owned
 * by one active rule, and only changes of owner or value are emitted:
 * - a command when a slot gets an owner, or passes to another rule, or its
 *   value changes (a restart with edited rules);
 * - a relinquish, attributed to the last owner, when no active rule holds it.
 * So a command is emitted once on activation and a relinquish once on clearing,
 * never a relinquish without an earlier command of the same rule and slot, and
 * a slot shared by two active rules is not released while either holds it.
 * The owner is sticky: the current owner keeps a slot while active; otherwise
 * the earliest-activated holder takes it (ties: rule order). Validation forbids
 * two rules commanding different values at one slot, so this only decides whose
 * name the slot carries.
 *
 * `activeCommands()` re-asserts every held slot (after a restart, or when the
 * controller rebuilds its arrays); `toJSON()`/`fromJSON()` keep timers and
 * ownership across a restart (state.ts).
 */
import { evaluateCondition } from './conditions.js';
import type { NodeState } from './conditions.js';
import { RulesValidationError } from './issues.js';
import { fingerprint, parseRuleEngineState, RULE_STATE_FORMAT } from './state.js';
import type { RuleEngineState, RuleStateJson, SlotJson } from './state.js';
import type {
  Evaluation,
  Interlock,
  InterlockCommand,
  InterlockEvent,
  InterlockPriority,
  InterlockRelinquish,
  Snapshot,
} from './types.js';
import { validateRules } from './validate.js';

interface RuleRuntime {
  rule: Interlock;
  fingerprint: string;
  active: boolean;
  activatedAt: number | undefined;
  nodes: Map<string, NodeState>;
}

interface SlotDef {
  key: string;
  point: string;
  priority: InterlockPriority;
  /** Rules acting on this slot, in rule order, with the value each commands. */
  holders: Array<{ rule: RuleRuntime; value: number | 'fail-safe' }>;
}

interface Holder {
  ruleId: string;
  value: number | 'fail-safe';
}

const slotKey = (point: string, priority: number): string => `${point}\u0000${priority}`;

export class RuleEngine {
  private readonly rules: RuleRuntime[];
  private readonly slotDefs: SlotDef[] = [];
  /** Keys of slotDefs; fixed at construction, so evaluate() need not rebuild it every scan. */
  private readonly slotKeys = new Set<string>();
  /** Who holds each slot now, as last emitted. Slots of rules no longer in the set may linger until the next scan. */
  private readonly held = new Map<string, Holder & { point: string; priority: InterlockPriority }>();

  /** Throws RulesValidationError when the rules fail the checks that need no point index. */
  constructor(rules: readonly Interlock[]) {
    const issues = validateRules(rules);
    if (issues.length > 0) throw new RulesValidationError(issues);
    this.rules = structuredClone(rules).map((rule) => ({
      rule,
      fingerprint: fingerprint(rule),
      active: false,
      activatedAt: undefined,
      nodes: new Map(),
    }));
    const byKey = new Map<string, SlotDef>();
    for (const runtime of this.rules)
      for (const action of runtime.rule.then) {
        const key = slotKey(action.point, action.priority);
        let def = byKey.get(key);
        if (def === undefined) {
          def = { key, point: action.point, priority: action.priority, holders: [] };
          byKey.set(key, def);
          this.slotDefs.push(def);
          this.slotKeys.add(key);
        }
        def.holders.push({ rule: runtime, value: 'failSafe' in action ? 'fail-safe' : action.value });
      }
  }

  /** An engine with the saved state of `toJSON()`; rules edited since (by fingerprint) start fresh. */
  static fromJSON(rules: readonly Interlock[], state: unknown): RuleEngine {
    const parsed = parseRuleEngineState(state);
    const engine = new RuleEngine(rules);
    for (const runtime of engine.rules) {
      const saved = parsed.rules[runtime.rule.id];
      if (saved === undefined || saved.fingerprint !== runtime.fingerprint) continue;
      runtime.active = saved.active;
      runtime.activatedAt = saved.activatedAt;
      for (const [path, node] of Object.entries(saved.nodes)) runtime.nodes.set(path, { ...node });
    }
    for (const slot of parsed.slots) engine.held.set(slotKey(slot.point, slot.priority), { ...slot });
    return engine;
  }

  evaluate(snapshot: Snapshot): Evaluation {
    if (!Number.isFinite(snapshot.now))
      throw new RangeError(`snapshot.now must be epoch ms, got ${snapshot.now}`);
    const events: InterlockEvent[] = [];
    for (const runtime of this.rules) {
      const holds = evaluateCondition(runtime.rule.when, 'when', snapshot, runtime.nodes);
      if (holds === runtime.active) continue;
      runtime.active = holds;
      runtime.activatedAt = holds ? snapshot.now : undefined;
      events.push({ ruleId: runtime.rule.id, kind: holds ? 'activated' : 'cleared', at: snapshot.now });
    }
    const commands: InterlockCommand[] = [];
    const relinquishes: InterlockRelinquish[] = [];
    for (const def of this.slotDefs) {
      const previous = this.held.get(def.key);
      const next = this.owner(def, previous);
      if (next === undefined) {
        if (previous === undefined) continue;
        this.held.delete(def.key);
        relinquishes.push({ point: def.point, priority: def.priority, ruleId: previous.ruleId });
      } else if (previous?.ruleId !== next.ruleId || previous.value !== next.value) {
        this.held.set(def.key, { point: def.point, priority: def.priority, ...next });
        commands.push({ point: def.point, priority: def.priority, value: next.value, ruleId: next.ruleId });
      }
    }
    // Slots restored from a state whose rules no longer act on them.
    for (const key of this.staleKeys()) {
      const stale = this.held.get(key)!;
      this.held.delete(key);
      relinquishes.push({ point: stale.point, priority: stale.priority, ruleId: stale.ruleId });
    }
    return { commands, relinquishes, events };
  }

  /** Every slot the interlocks hold now, in rule order: what to re-assert after a restart. */
  activeCommands(): InterlockCommand[] {
    return [...this.slotDefs.map((def) => def.key), ...this.staleKeys()]
      .map((key) => this.held.get(key))
      .filter((slot) => slot !== undefined)
      .map(({ point, priority, value, ruleId }) => ({ point, priority, value, ruleId }));
  }

  /** Ids of the rules whose condition holds, in rule order. */
  activeRules(): string[] {
    return this.rules.filter((r) => r.active).map((r) => r.rule.id);
  }

  toJSON(): RuleEngineState {
    const rules: Record<string, RuleStateJson> = {};
    for (const runtime of this.rules) {
      const nodes: Record<string, NodeState> = {};
      for (const [path, node] of runtime.nodes)
        if (node.latched !== undefined || node.since !== undefined) nodes[path] = { ...node };
      rules[runtime.rule.id] = {
        fingerprint: runtime.fingerprint,
        active: runtime.active,
        ...(runtime.activatedAt === undefined ? {} : { activatedAt: runtime.activatedAt }),
        nodes,
      };
    }
    const slots: SlotJson[] = this.activeCommands();
    return { format: RULE_STATE_FORMAT, rules, slots };
  }

  /** Held slots that no rule acts on any more (restored from an older rule set), in a stable order. */
  private staleKeys(): string[] {
    return [...this.held.keys()].filter((key) => !this.slotKeys.has(key)).sort();
  }

  private owner(def: SlotDef, previous: Holder | undefined): Holder | undefined {
    const active = def.holders.filter((h) => h.rule.active);
    if (active.length === 0) return undefined;
    const chosen =
      active.find((h) => h.rule.rule.id === previous?.ruleId) ??
      active.reduce((best, h) => (h.rule.activatedAt! < best.rule.activatedAt! ? h : best));
    return { ruleId: chosen.rule.rule.id, value: chosen.value };
  }
}
