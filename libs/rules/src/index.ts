/**
 * libs/rules: safety interlocks as data (issue 4 item 5; DESIGN.md points 1–2).
 * A small declarative rule language (schema/rules.schema.json), validation with
 * named issues, and a deterministic engine evaluated every scan that commands
 * slots 1–2. Pure: no I/O; time comes in each snapshot as epoch ms.
 */
export type * from './types.js';
export { formatRuleIssue, RulesValidationError, RuleStateError } from './issues.js';
export type { RuleIssue, RuleIssueCode } from './issues.js';
export { pointIndexOf, pointKey, POINT_KEY_PATTERN } from './point-index.js';
export type { PointIndex, RulePoint } from './point-index.js';
export { assertValidRules, RULE_ID_PATTERN, validateRules } from './validate.js';
export { RuleEngine } from './engine.js';
export { parseRuleEngineState, RULE_STATE_FORMAT } from './state.js';
export type { RuleEngineState, RuleStateJson, SlotJson } from './state.js';
export type { NodeState } from './conditions.js';
