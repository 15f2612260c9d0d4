/**
 * The engine's saved state, so a restart keeps hysteresis, delay-on timers and
 * who holds which slot. Each rule's state carries a fingerprint of the rule:
 * if the rule was edited in between, its state is dropped and it starts fresh
 * (inactive); slots it held are then relinquished or re-commanded on the next
 * scan, so the priority arrays never keep a stale interlock value.
 */
import { RuleStateError } from './issues.js';
import type { NodeState } from './conditions.js';
import type { Interlock, InterlockPriority } from './types.js';

export const RULE_STATE_FORMAT = 1;

export interface RuleStateJson {
  fingerprint: string;
  active: boolean;
  activatedAt?: number;
  /** Node path inside the rule (`when`, `when.all[0]`) → its state; only non-empty states. */
  nodes: Record<string, NodeState>;
}

export interface SlotJson {
  point: string;
  priority: InterlockPriority;
  ruleId: string;
  value: number | 'fail-safe';
}

export interface RuleEngineState {
  format: typeof RULE_STATE_FORMAT;
  rules: Record<string, RuleStateJson>;
  slots: SlotJson[];
}

/** Key-sorted JSON of the parts of a rule that decide its behaviour (not its description). */
export function fingerprint(rule: Interlock): string {
  const stable = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(stable);
    if (typeof value !== 'object' || value === null) return value;
    const record = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((key) => [key, stable(record[key])]),
    );
  };
  return JSON.stringify(stable({ when: rule.when, then: rule.then }));
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function fail(message: string): never {
  throw new RuleStateError(`interlock engine state: ${message}`);
}

function parseNode(value: unknown, where: string): NodeState {
  if (!isRecord(value)) fail(`${where} is not an object`);
  const node: NodeState = {};
  if (value.latched !== undefined) {
    if (typeof value.latched !== 'boolean') fail(`${where}.latched is not a boolean`);
    node.latched = value.latched;
  }
  if (value.since !== undefined) {
    if (!isTime(value.since)) fail(`${where}.since is not a time`);
    node.since = value.since;
  }
  return node;
}

function parseRule(value: unknown, where: string): RuleStateJson {
  if (!isRecord(value)) fail(`${where} is not an object`);
  if (typeof value.fingerprint !== 'string') fail(`${where}.fingerprint is not a string`);
  if (typeof value.active !== 'boolean') fail(`${where}.active is not a boolean`);
  if (value.activatedAt !== undefined && !isTime(value.activatedAt))
    fail(`${where}.activatedAt is not a time`);
  if (value.active && value.activatedAt === undefined) fail(`${where} is active without activatedAt`);
  if (!isRecord(value.nodes)) fail(`${where}.nodes is not an object`);
  const nodes: Record<string, NodeState> = {};
  for (const [path, node] of Object.entries(value.nodes))
    nodes[path] = parseNode(node, `${where}.nodes["${path}"]`);
  return {
    fingerprint: value.fingerprint,
    active: value.active,
    ...(value.activatedAt === undefined ? {} : { activatedAt: value.activatedAt }),
    nodes,
  };
}

function parseSlot(value: unknown, where: string): SlotJson {
  if (!isRecord(value)) fail(`${where} is not an object`);
  const { point, priority, ruleId, value: slotValue } = value;
  if (typeof point !== 'string') fail(`${where}.point is not a string`);
  if (priority !== 1 && priority !== 2) fail(`${where}.priority is not 1 or 2`);
  if (typeof ruleId !== 'string') fail(`${where}.ruleId is not a string`);
  if (slotValue !== 'fail-safe' && !isTime(slotValue)) fail(`${where}.value is not a number or "fail-safe"`);
  return { point, priority, ruleId, value: slotValue };
}

/** Checks a state read back from storage; throws RuleStateError naming the first bad field. */
export function parseRuleEngineState(value: unknown): RuleEngineState {
  if (!isRecord(value)) fail('not an object');
  if (value.format !== RULE_STATE_FORMAT) fail(`format ${String(value.format)} is not ${RULE_STATE_FORMAT}`);
  if (!isRecord(value.rules)) fail('rules is not an object');
  if (!Array.isArray(value.slots)) fail('slots is not a list');
  const rules: Record<string, RuleStateJson> = {};
  for (const [id, rule] of Object.entries(value.rules)) rules[id] = parseRule(rule, `rules["${id}"]`);
  const slots = value.slots.map((slot, i) => parseSlot(slot, `slots[${i}]`));
  const keys = new Set(slots.map((s) => `${s.point}\u0000${s.priority}`));
  if (keys.size !== slots.length) fail('slots holds one point and priority twice');
  return { format: RULE_STATE_FORMAT, rules, slots };
}
