/**
 * Validation of an `interlocks` list: every problem at once, each a named
 * RuleIssue, so nothing is half-applied. The shape checks mirror
 * schema/rules.schema.json (for inputs that never met the schema, e.g. an API
 * body); the point checks need the site's point index; conflicts and duplicate
 * ids look across rules (cross-rules.ts). A value is checked with libs/priority's
 * checkCommandValue, the same envelope the controller applies before writing,
 * so a rule set that passes here is never refused at run time.
 */
import { checkCommandValue, CommandRefusedError, SOURCE_SLOTS } from '#libs/priority';
import type { RefusalCode } from '#libs/priority';
import { crossRuleIssues } from './cross-rules.js';
import type { CheckedAction } from './cross-rules.js';
import { RulesValidationError } from './issues.js';
import type { RuleIssue, RuleIssueCode } from './issues.js';
import { POINT_KEY_PATTERN } from './point-index.js';
import type { PointIndex, RulePoint } from './point-index.js';
import type { Interlock } from './types.js';

export const RULE_ID_PATTERN = /^[a-z0-9][a-z0-9_-]*$/;
const POINT_TESTS = ['below', 'above', 'equals', 'quality'] as const;
const POINT_CONDITION_KEYS = [
  'point',
  'below',
  'clearAbove',
  'above',
  'clearBelow',
  'equals',
  'quality',
  'forSeconds',
];
const RULE_KEYS = ['id', 'description', 'when', 'then'];
const ACTION_KEYS = ['point', 'value', 'failSafe', 'priority'];
const QUALITIES = ['stale', 'comm-fail'];
const INTERLOCK_SLOTS: readonly number[] = SOURCE_SLOTS.interlock;

const REFUSAL_CODES: Record<RefusalCode, RuleIssueCode> = {
  'not-writable': 'read-only-point',
  'out-of-safe-range': 'out-of-safe-range',
  'no-safe-range': 'no-safe-range',
  'not-binary': 'not-binary',
  'unknown-state': 'unknown-state',
  'invalid-command': 'invalid-shape',
  'invalid-priority': 'priority-not-interlock',
  'slot-not-owned': 'priority-not-interlock',
  'lease-required': 'invalid-shape',
  'lease-not-allowed': 'invalid-shape',
  'lease-too-long': 'invalid-shape',
  'lease-not-found': 'invalid-shape',
  'lease-expired': 'invalid-shape',
};

type Obj = Record<string, unknown>;
type Report = (code: RuleIssueCode, field: string, message: string) => void;

interface Context {
  report: Report;
  index: PointIndex | undefined;
}

const isObject = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const at = (field: string, key: string | number): string =>
  typeof key === 'number' ? `${field}[${key}]` : field === '' ? key : `${field}.${key}`;

function shown(value: unknown): string {
  if (typeof value === 'string') return `"${value}"`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

function checkKeys(node: Obj, allowed: readonly string[], field: string, ctx: Context): void {
  for (const key of Object.keys(node))
    if (!allowed.includes(key))
      ctx.report('invalid-shape', at(field, key), `unknown key "${key}" (allowed: ${allowed.join(', ')})`);
}

/** The point named by `node.point`, undefined when malformed or unknown (already reported). */
function checkPointRef(node: Obj, field: string, ctx: Context): RulePoint | undefined {
  const ref = node.point;
  const where = at(field, 'point');
  if (typeof ref !== 'string' || !POINT_KEY_PATTERN.test(ref)) {
    ctx.report('invalid-shape', where, `must be "deviceId.pointId", got ${shown(ref)}`);
    return undefined;
  }
  if (ctx.index === undefined) return undefined;
  const point = ctx.index.get(ref);
  if (point === undefined)
    ctx.report('unknown-point', where, `unknown point "${ref}" (no such device or point)`);
  return point;
}

function checkNumber(node: Obj, key: string, field: string, ctx: Context): void {
  if (key in node && !isFiniteNumber(node[key]))
    ctx.report('invalid-shape', at(field, key), `must be a finite number, got ${shown(node[key])}`);
}

function checkCondition(node: unknown, field: string, ctx: Context): void {
  if (!isObject(node))
    return ctx.report('invalid-shape', field, 'must be { point, ... }, { all: [...] } or { any: [...] }');
  if ('forSeconds' in node) {
    const delay = node.forSeconds;
    if (!isFiniteNumber(delay) || delay < 0)
      ctx.report('invalid-shape', at(field, 'forSeconds'), `must be a number >= 0, got ${shown(delay)}`);
  }
  const combinators = ['all', 'any'].filter((key) => key in node);
  if (combinators.length > 0) {
    if (combinators.length > 1 || 'point' in node)
      return ctx.report(
        'invalid-shape',
        field,
        'a condition is one of { point }, { all } or { any }, not several',
      );
    const key = combinators[0];
    checkKeys(node, [key, 'forSeconds'], field, ctx);
    const list = node[key];
    if (!Array.isArray(list) || list.length === 0)
      return ctx.report('invalid-shape', at(field, key), 'must be a non-empty list of conditions');
    list.forEach((child, i) => checkCondition(child, at(at(field, key), i), ctx));
    return;
  }
  if (!('point' in node))
    return ctx.report('invalid-shape', field, 'must be { point, ... }, { all: [...] } or { any: [...] }');
  checkPointCondition(node, field, ctx);
}

function checkPointCondition(node: Obj, field: string, ctx: Context): void {
  checkKeys(node, POINT_CONDITION_KEYS, field, ctx);
  const point = checkPointRef(node, field, ctx);
  for (const key of ['below', 'above', 'equals', 'clearAbove', 'clearBelow'])
    checkNumber(node, key, field, ctx);
  const tests = POINT_TESTS.filter((key) => key in node);
  if (tests.length !== 1)
    ctx.report(
      'ambiguous-test',
      field,
      tests.length === 0
        ? 'needs one test: below, above, equals or quality'
        : `has ${tests.join(' and ')}: one test per condition (combine with all/any)`,
    );
  if ('clearAbove' in node && !('below' in node))
    ctx.report(
      'invalid-shape',
      at(field, 'clearAbove'),
      'clearAbove is the hysteresis of below; no below here',
    );
  if ('clearBelow' in node && !('above' in node))
    ctx.report(
      'invalid-shape',
      at(field, 'clearBelow'),
      'clearBelow is the hysteresis of above; no above here',
    );
  const { below, clearAbove, above, clearBelow } = node;
  if (isFiniteNumber(below) && isFiniteNumber(clearAbove) && clearAbove < below)
    ctx.report(
      'inverted-hysteresis',
      at(field, 'clearAbove'),
      `clearAbove ${clearAbove} is under below ${below}`,
    );
  if (isFiniteNumber(above) && isFiniteNumber(clearBelow) && clearBelow > above)
    ctx.report(
      'inverted-hysteresis',
      at(field, 'clearBelow'),
      `clearBelow ${clearBelow} is over above ${above}`,
    );
  if ('quality' in node) {
    const quality = node.quality;
    const list = Array.isArray(quality) ? (quality as unknown[]) : [quality];
    if (list.length === 0 || list.some((q) => typeof q !== 'string' || !QUALITIES.includes(q)))
      ctx.report(
        'invalid-shape',
        at(field, 'quality'),
        `must be "stale", "comm-fail" or a non-empty list of them, got ${shown(quality)}`,
      );
  }
  if (point === undefined || tests.length !== 1) return;
  const test = tests[0];
  const ref = String(node.point);
  if ((test === 'below' || test === 'above') && point.kind !== 'analog')
    ctx.report(
      'threshold-on-discrete-point',
      at(field, test),
      `"${ref}" is ${point.kind}: compare it with equals, not ${test}`,
    );
  if (test === 'equals' && isFiniteNumber(node.equals)) checkEquals(point, ref, node.equals, field, ctx);
}

function checkEquals(point: RulePoint, ref: string, value: number, field: string, ctx: Context): void {
  const where = at(field, 'equals');
  switch (point.kind) {
    case 'analog':
      return ctx.report(
        'equals-on-analog-point',
        where,
        `"${ref}" is analog: exact comparison of a measured value is fragile, use below/above`,
      );
    case 'binary':
      if (value !== 0 && value !== 1)
        ctx.report(
          'equals-impossible-value',
          where,
          `"${ref}" is binary: equals must be 0 or 1, got ${value}`,
        );
      return;
    case 'multistate': {
      const states = Object.keys(point.states ?? {});
      if (!states.includes(String(value)))
        ctx.report(
          'equals-impossible-value',
          where,
          `"${ref}" has no state ${value} (states: ${states.join(', ') || 'none declared'})`,
        );
      return;
    }
  }
}

function checkAction(node: unknown, field: string, ctx: Context): CheckedAction | undefined {
  if (!isObject(node)) {
    ctx.report(
      'invalid-shape',
      field,
      'must be { point, value, priority } or { point, failSafe: true, priority }',
    );
    return undefined;
  }
  checkKeys(node, ACTION_KEYS, field, ctx);
  const point = checkPointRef(node, field, ctx);
  let ok = typeof node.point === 'string' && POINT_KEY_PATTERN.test(node.point);
  const priority = node.priority;
  if (!('priority' in node)) {
    ctx.report('invalid-shape', at(field, 'priority'), 'required: 1 or 2 (interlocks own slots 1–2)');
    ok = false;
  } else if (typeof priority !== 'number' || !INTERLOCK_SLOTS.includes(priority)) {
    ctx.report(
      'priority-not-interlock',
      at(field, 'priority'),
      `must be 1 or 2 (interlocks own slots 1–2), got ${shown(priority)}`,
    );
    ok = false;
  }
  const hasValue = 'value' in node;
  const hasFailSafe = 'failSafe' in node;
  if (hasValue === hasFailSafe) {
    ctx.report('invalid-shape', field, 'needs exactly one of value or failSafe: true');
    return undefined;
  }
  if (hasFailSafe && node.failSafe !== true) {
    ctx.report('invalid-shape', at(field, 'failSafe'), `must be true, got ${shown(node.failSafe)}`);
    return undefined;
  }
  if (hasValue && !isFiniteNumber(node.value)) {
    ctx.report('invalid-shape', at(field, 'value'), `must be a finite number, got ${shown(node.value)}`);
    return undefined;
  }
  const ref = String(node.point);
  if (point !== undefined) {
    if (point.access !== 'write') {
      ctx.report(
        'read-only-point',
        at(field, 'point'),
        `point "${ref}" is read-only and cannot be commanded`,
      );
    } else if (hasValue) {
      try {
        checkCommandValue(point, node.value as number, ref);
      } catch (error) {
        if (!(error instanceof CommandRefusedError)) throw error;
        ctx.report(REFUSAL_CODES[error.code], at(field, 'value'), error.message);
      }
    } else if (point.failSafe === undefined) {
      ctx.report(
        'no-fail-safe-value',
        at(field, 'failSafe'),
        `point "${ref}" declares no failSafe value in its profile`,
      );
    }
  }
  if (!ok) return undefined;
  const value = hasValue ? (node.value as number) : (point?.failSafe ?? 'fail-safe');
  return { point: ref, priority: priority as number, value, field };
}

function checkRule(rule: unknown, ctx: Context): CheckedAction[] {
  if (!isObject(rule)) {
    ctx.report('invalid-shape', '', 'must be { id, description?, when, then }');
    return [];
  }
  checkKeys(rule, RULE_KEYS, '', ctx);
  if (typeof rule.id !== 'string' || !RULE_ID_PATTERN.test(rule.id))
    ctx.report('invalid-shape', 'id', `must be lower-case kebab-case, got ${shown(rule.id)}`);
  if ('description' in rule && typeof rule.description !== 'string')
    ctx.report('invalid-shape', 'description', `must be text, got ${shown(rule.description)}`);
  if (!('when' in rule)) ctx.report('invalid-shape', 'when', 'required: the condition');
  else checkCondition(rule.when, 'when', ctx);
  if (!Array.isArray(rule.then) || rule.then.length === 0) {
    ctx.report('invalid-shape', 'then', 'must be a non-empty list of actions');
    return [];
  }
  const actions: CheckedAction[] = [];
  rule.then.forEach((action, i) => {
    const checked = checkAction(action, at('then', i), ctx);
    if (checked !== undefined) actions.push(checked);
  });
  return actions;
}

/**
 * Every problem in an `interlocks` list. Without `pointIndex` only the shape,
 * hysteresis, priorities, ids and value conflicts are checked (what the engine
 * needs to run); with it, every point reference too. `root` prefixes each path.
 */
export function validateRules(rules: unknown, pointIndex?: PointIndex, root = 'interlocks'): RuleIssue[] {
  const issues: RuleIssue[] = [];
  if (!Array.isArray(rules)) {
    issues.push({
      code: 'invalid-shape',
      path: root,
      field: '',
      message: 'must be a list of interlock rules',
    });
    return issues;
  }
  const checked = rules.map((rule: unknown, i) => {
    const ruleId = isObject(rule) && typeof rule.id === 'string' ? rule.id : undefined;
    const report: Report = (code, field, message) =>
      issues.push({
        code,
        path: field === '' ? `${root}[${i}]` : `${root}[${i}].${field}`,
        ...(ruleId === undefined ? {} : { ruleId }),
        field,
        message,
      });
    return { ruleId, actions: checkRule(rule, { report, index: pointIndex }) };
  });
  issues.push(...crossRuleIssues(checked, root));
  return issues;
}

/** The rules, typed, or RulesValidationError with every issue. */
export function assertValidRules(rules: unknown, pointIndex?: PointIndex, root = 'interlocks'): Interlock[] {
  const issues = validateRules(rules, pointIndex, root);
  if (issues.length > 0) throw new RulesValidationError(issues);
  return rules as Interlock[];
}
