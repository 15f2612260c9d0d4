/**
 * schema/rules.schema.json: a standalone draft-07 file for editors and the site
 * loader, accepting what validateRules accepts as to shape.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import AjvModule from 'ajv';
import { validateRules } from './index.js';
import type { Action, Interlock } from './index.js';
import { exampleRules } from './test-support/builders.js';

// ajv is CommonJS with exports.default (STACK.md).
const Ajv = AjvModule.default;
const text = fs.readFileSync(path.join(import.meta.dirname, '..', 'schema', 'rules.schema.json'), 'utf8');
const schema = JSON.parse(text) as {
  $schema: string;
  definitions: Record<string, { required?: string[]; properties?: Record<string, unknown> }>;
};
const validate = new Ajv({ allErrors: true, strict: true }).compile(schema);
const SHAPE_CODES = new Set(['invalid-shape', 'ambiguous-test', 'priority-not-interlock']);
const shapeIssues = (rules: unknown) => validateRules(rules).filter((i) => SHAPE_CODES.has(i.code));

const DAT = 'ahu-1.discharge-air-temp';
const act = { point: 'ahu-1.outside-air-damper', value: 0, priority: 2 };
const rule = (when: unknown, then: unknown = [act], extra: Record<string, unknown> = {}) => [
  { id: 'r', when, then, ...extra },
];

describe('rules.schema.json', () => {
  it('is a standalone draft-07 document (internal $refs only) that compiles in strict mode', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    for (const ref of text.match(/"\$ref": "[^"]*"/g) ?? []) expect(ref).toMatch(/"\$ref": "#\//);
    expect(typeof validate).toBe('function');
  });

  it('accepts the example rules', () => {
    expect(validate(exampleRules())).toBe(true);
  });

  it('lists the same fields as types.ts', () => {
    const rule: Record<keyof Interlock, true> = { id: true, description: true, when: true, then: true };
    const valueAction: Record<keyof Extract<Action, { value: number }>, true> = {
      point: true,
      value: true,
      priority: true,
    };
    const failSafe: Record<keyof Extract<Action, { failSafe: true }>, true> = {
      point: true,
      failSafe: true,
      priority: true,
    };
    const keys = (name: string) => Object.keys(schema.definitions[name].properties ?? {}).sort();
    expect(keys('interlock')).toEqual(Object.keys(rule).sort());
    expect(keys('valueAction')).toEqual(Object.keys(valueAction).sort());
    expect(keys('failSafeAction')).toEqual(Object.keys(failSafe).sort());
    expect(keys('belowTest')).toEqual(['below', 'clearAbove', 'forSeconds', 'point']);
    expect(keys('aboveTest')).toEqual(['above', 'clearBelow', 'forSeconds', 'point']);
  });

  const accepted: Array<[string, unknown]> = [
    [
      'every condition form',
      rule({
        all: [
          { point: DAT, below: 5, clearAbove: 7, forSeconds: 3 },
          {
            any: [
              { point: DAT, above: 30, clearBelow: 28 },
              { point: DAT, equals: 1 },
              { point: DAT, quality: ['stale', 'comm-fail'] },
            ],
          },
        ],
        forSeconds: 0,
      }),
    ],
    [
      'a fail-safe action at slot 1',
      rule({ point: DAT, quality: 'stale' }, [{ point: act.point, failSafe: true, priority: 1 }]),
    ],
    ['a description', rule({ point: DAT, below: 5 }, [act], { description: 'why' })],
    ['an empty list', []],
  ];
  const refused: Array<[string, unknown]> = [
    ['a rule that is not an object', ['r']],
    ['an unknown key in a rule', rule({ point: DAT, below: 5 }, [act], { enabled: true })],
    ['an upper-case id', [{ id: 'R', when: { point: DAT, below: 5 }, then: [act] }]],
    ['a rule without when', [{ id: 'r', then: [act] }]],
    ['no actions', rule({ point: DAT, below: 5 }, [])],
    ['two tests in one condition', rule({ point: DAT, below: 5, equals: 1 })],
    ['a condition without a test', rule({ point: DAT })],
    ['clearAbove with above', rule({ point: DAT, above: 5, clearAbove: 7 })],
    ['clearBelow with below', rule({ point: DAT, below: 5, clearBelow: 3 })],
    ['all and point together', rule({ point: DAT, all: [{ point: DAT, below: 5 }] })],
    ['an empty any', rule({ any: [] })],
    ['a negative delay', rule({ point: DAT, below: 5, forSeconds: -1 })],
    ['a threshold given as text', rule({ point: DAT, below: '5' })],
    ['quality good', rule({ point: DAT, quality: 'good' })],
    ['an empty quality list', rule({ point: DAT, quality: [] })],
    ['a point key without a dot', rule({ point: 'temp', below: 5 })],
    ['priority 10', rule({ point: DAT, below: 5 }, [{ ...act, priority: 10 }])],
    ['an action without priority', rule({ point: DAT, below: 5 }, [{ point: act.point, value: 0 }])],
    ['failSafe false', rule({ point: DAT, below: 5 }, [{ point: act.point, failSafe: false, priority: 2 }])],
    ['value and failSafe', rule({ point: DAT, below: 5 }, [{ ...act, failSafe: true }])],
    ['neither value nor failSafe', rule({ point: DAT, below: 5 }, [{ point: act.point, priority: 2 }])],
  ];

  it.each(accepted)('accepts %s, as validateRules does', (_name, rules) => {
    expect(validate(rules)).toBe(true);
    expect(shapeIssues(rules)).toEqual([]);
  });

  it.each(refused)('refuses %s, as validateRules does', (_name, rules) => {
    expect(validate(rules)).toBe(false);
    expect(shapeIssues(rules).length).toBeGreaterThan(0);
  });
});
