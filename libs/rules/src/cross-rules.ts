/**
 * Checks across rules: unique ids (the engine keys its state by id), and one
 * value per slot. Two rules that command one point at one priority with
 * different values would make the output depend on which fired first; that is
 * a design error to fix in the file, not something to arbitrate at run time.
 * Fail-safe actions compare by the point's failSafe value when the index knows it
 * (without an index, a fail-safe action conflicts with no value action).
 */
import type { RuleIssue } from './issues.js';

/** A well-formed action, as validate.ts passes it on. */
export interface CheckedAction {
  point: string;
  priority: number;
  value: number | 'fail-safe';
  /** `then[1]` inside its rule. */
  field: string;
}

export interface CheckedRule {
  ruleId: string | undefined;
  actions: CheckedAction[];
}

const describeValue = (value: number | 'fail-safe'): string =>
  value === 'fail-safe' ? 'its fail-safe value' : String(value);

/** An unresolved fail-safe (no point index) may equal any number: only known differences are conflicts. */
const differ = (a: number | 'fail-safe', b: number | 'fail-safe'): boolean =>
  typeof a === typeof b && a !== b;

export function crossRuleIssues(rules: readonly CheckedRule[], root: string): RuleIssue[] {
  const issues: RuleIssue[] = [];
  const firstById = new Map<string, number>();
  rules.forEach(({ ruleId }, i) => {
    if (ruleId === undefined) return;
    const first = firstById.get(ruleId);
    if (first === undefined) firstById.set(ruleId, i);
    else
      issues.push({
        code: 'duplicate-rule-id',
        path: `${root}[${i}].id`,
        ruleId,
        field: 'id',
        message: `duplicate rule id "${ruleId}" (also ${root}[${first}])`,
      });
  });

  const bySlot = new Map<string, Array<{ rule: number; action: CheckedAction }>>();
  rules.forEach(({ ruleId, actions }, rule) => {
    for (const action of actions) {
      const key = `${action.point}\u0000${action.priority}`;
      const earlier = bySlot.get(key) ?? [];
      const path = `${root}[${rule}].${action.field}`;
      const at = { path, field: action.field, ...(ruleId === undefined ? {} : { ruleId }) };
      const sameRule = earlier.find((e) => e.rule === rule);
      const conflict = earlier.find((e) => e.rule !== rule && differ(e.action.value, action.value));
      if (sameRule !== undefined)
        issues.push({
          code: 'duplicate-action',
          ...at,
          message: `the rule already acts on "${action.point}" at priority ${action.priority} (${sameRule.action.field})`,
        });
      else if (conflict !== undefined) {
        const other = rules[conflict.rule].ruleId ?? `${root}[${conflict.rule}]`;
        issues.push({
          code: 'conflicting-actions',
          ...at,
          message:
            `commands "${action.point}" at priority ${action.priority} to ${describeValue(action.value)}, ` +
            `but rule "${other}" (${root}[${conflict.rule}].${conflict.action.field}) commands it to ${describeValue(conflict.action.value)}`,
        });
      }
      earlier.push({ rule, action });
      bySlot.set(key, earlier);
    }
  });
  return issues;
}
