/**
 * Named validation issues for interlock rules. Each names where it is
 * (`path` from the site file's `interlocks` key, `field` inside the rule), which
 * rule, and a stable `code`, so the loader can point at the line and an API can
 * answer with a 4xx naming what is wrong (CONVENTIONS.md habit 4).
 */

export type RuleIssueCode =
  /** Not the shape the schema describes: wrong type, missing or unknown key. */
  | 'invalid-shape'
  | 'duplicate-rule-id'
  | 'unknown-point'
  /** A point condition with none, or more than one, of below / above / equals / quality. */
  | 'ambiguous-test'
  /** clearAbove below `below`, or clearBelow above `above`: the condition could never clear or never set. */
  | 'inverted-hysteresis'
  /** below/above on a binary or multistate point. */
  | 'threshold-on-discrete-point'
  /** equals on an analog point (exact float comparison). */
  | 'equals-on-analog-point'
  /** equals with a value the point can never take (not 0/1, not a declared state). */
  | 'equals-impossible-value'
  | 'priority-not-interlock'
  | 'read-only-point'
  | 'out-of-safe-range'
  | 'no-safe-range'
  | 'not-binary'
  | 'unknown-state'
  | 'no-fail-safe-value'
  /** The same rule acts twice on one point at one priority. */
  | 'duplicate-action'
  /** Two rules command one point at one priority with different values. */
  | 'conflicting-actions';

export interface RuleIssue {
  code: RuleIssueCode;
  /** From the site file's key: `interlocks[0].then[1].value`. */
  path: string;
  /** Id of the rule, when it has a readable one. */
  ruleId?: string;
  /** Inside the rule: `then[1].value`, `when.all[0].below`; `id` or '' for the rule itself. */
  field: string;
  message: string;
}

export function formatRuleIssue(issue: RuleIssue): string {
  const rule = issue.ruleId === undefined ? '' : `rule "${issue.ruleId}" `;
  return `${issue.path}: ${rule}[${issue.code}] ${issue.message}`;
}

/** Rules that must not run; `issues` holds every problem found, not just the first. */
export class RulesValidationError extends Error {
  override readonly name = 'RulesValidationError';
  readonly issues: RuleIssue[];

  constructor(issues: RuleIssue[]) {
    super(issues.map(formatRuleIssue).join('\n'));
    this.issues = issues;
  }
}

/** A saved engine state that cannot be read back (wrong version or shape). */
export class RuleStateError extends Error {
  override readonly name = 'RuleStateError';
}
