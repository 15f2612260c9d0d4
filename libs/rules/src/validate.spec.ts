/**
 * Validation: the example is clean; each defect yields its named issue with
 * path, rule id and field; every problem is reported at once.
 */
import { describe, expect, it } from '@jest/globals';
import {
  assertValidRules,
  formatRuleIssue,
  pointIndexOf,
  RulesValidationError,
  validateRules,
} from './index.js';
import type { Interlock, RuleIssueCode } from './index.js';
import { exampleRules, POINTS } from './test-support/builders.js';

const DAMPER = 'ahu-1.outside-air-damper';
const DAT = 'ahu-1.discharge-air-temp';
const act = (extra: Record<string, unknown> = {}) => ({ point: DAMPER, value: 0, priority: 2, ...extra });
const rule = (when: unknown, then: unknown[] = [act()], id = 'r'): Record<string, unknown> => ({
  id,
  when,
  then,
});

describe('validateRules', () => {
  it('accepts the example rules with no issue', () => {
    expect(validateRules(exampleRules(), POINTS)).toEqual([]);
    expect(assertValidRules(exampleRules(), POINTS)).toEqual(exampleRules());
  });

  type Case = [string, unknown, RuleIssueCode, string, RegExp];
  const cases: Case[] = [
    ['not a list', { id: 'r' }, 'invalid-shape', 'interlocks', /list of interlock rules/],
    [
      'an unknown key',
      [{ ...rule({ point: DAT, below: 5 }), enabled: true }],
      'invalid-shape',
      'interlocks[0].enabled',
      /unknown key "enabled"/,
    ],
    [
      'a bad rule id',
      [rule({ point: DAT, below: 5 }, [act()], 'Freeze Protection')],
      'invalid-shape',
      'interlocks[0].id',
      /kebab-case/,
    ],
    [
      'no actions',
      [rule({ point: DAT, below: 5 }, [])],
      'invalid-shape',
      'interlocks[0].then',
      /non-empty list/,
    ],
    [
      'a point key without a device',
      [rule({ point: 'discharge-air-temp', below: 5 })],
      'invalid-shape',
      'interlocks[0].when.point',
      /deviceId\.pointId/,
    ],
    ['an empty all', [rule({ all: [] })], 'invalid-shape', 'interlocks[0].when.all', /non-empty list/],
    [
      'a negative delay',
      [rule({ point: DAT, below: 5, forSeconds: -1 })],
      'invalid-shape',
      'interlocks[0].when.forSeconds',
      />= 0/,
    ],
    [
      'clearAbove without below',
      [rule({ point: DAT, above: 5, clearAbove: 7 })],
      'invalid-shape',
      'interlocks[0].when.clearAbove',
      /no below/,
    ],
    [
      'an unknown quality',
      [rule({ point: DAT, quality: 'bad' })],
      'invalid-shape',
      'interlocks[0].when.quality',
      /"stale", "comm-fail"/,
    ],
    [
      'value and failSafe both',
      [rule({ point: DAT, below: 5 }, [act({ failSafe: true })])],
      'invalid-shape',
      'interlocks[0].then[0]',
      /exactly one of value or failSafe/,
    ],
    [
      'a duplicate rule id',
      [rule({ point: DAT, below: 5 }), rule({ point: DAT, below: 4 })],
      'duplicate-rule-id',
      'interlocks[1].id',
      /duplicate rule id "r" \(also interlocks\[0\]\)/,
    ],
    [
      'an unknown point in a condition',
      [rule({ point: 'ahu-1.mixed-air-temp', below: 5 })],
      'unknown-point',
      'interlocks[0].when.point',
      /unknown point "ahu-1.mixed-air-temp"/,
    ],
    [
      'an unknown point in an action',
      [rule({ point: DAT, below: 5 }, [act({ point: 'ahu-9.damper' })])],
      'unknown-point',
      'interlocks[0].then[0].point',
      /unknown point "ahu-9.damper"/,
    ],
    [
      'two tests in one condition',
      [rule({ point: DAT, below: 5, above: 30 })],
      'ambiguous-test',
      'interlocks[0].when',
      /below and above/,
    ],
    ['no test', [rule({ point: DAT })], 'ambiguous-test', 'interlocks[0].when', /needs one test/],
    [
      'clearAbove under below',
      [rule({ point: DAT, below: 5, clearAbove: 4 })],
      'inverted-hysteresis',
      'interlocks[0].when.clearAbove',
      /clearAbove 4 is under below 5/,
    ],
    [
      'clearBelow over above',
      [rule({ point: DAT, above: 30, clearBelow: 31 })],
      'inverted-hysteresis',
      'interlocks[0].when.clearBelow',
      /clearBelow 31 is over above 30/,
    ],
    [
      'below on a binary point',
      [rule({ all: [{ point: 'ahu-1.supply-fan-status', below: 1 }] })],
      'threshold-on-discrete-point',
      'interlocks[0].when.all[0].below',
      /is binary: compare it with equals/,
    ],
    [
      'above on a multistate point',
      [rule({ point: 'ahu-1.mode', above: 1 })],
      'threshold-on-discrete-point',
      'interlocks[0].when.above',
      /is multistate/,
    ],
    [
      'equals on an analog point',
      [rule({ point: DAT, equals: 5 })],
      'equals-on-analog-point',
      'interlocks[0].when.equals',
      /is analog/,
    ],
    [
      'equals 2 on a binary point',
      [rule({ point: 'ahu-1.supply-fan-status', equals: 2 })],
      'equals-impossible-value',
      'interlocks[0].when.equals',
      /0 or 1, got 2/,
    ],
    [
      'equals an undeclared state',
      [rule({ point: 'ahu-1.mode', equals: 4 })],
      'equals-impossible-value',
      'interlocks[0].when.equals',
      /no state 4 \(states: 1, 2, 3\)/,
    ],
    [
      'priority 8',
      [rule({ point: DAT, below: 5 }, [act({ priority: 8 })])],
      'priority-not-interlock',
      'interlocks[0].then[0].priority',
      /must be 1 or 2.*got 8/,
    ],
    [
      'an action on a read-only point',
      [rule({ point: DAT, below: 5 }, [act({ point: DAT })])],
      'read-only-point',
      'interlocks[0].then[0].point',
      /read-only/,
    ],
    [
      'a value outside the safe range',
      [rule({ point: DAT, below: 5 }, [act({ value: 120 })])],
      'out-of-safe-range',
      'interlocks[0].then[0].value',
      /120.*0.*100/,
    ],
    [
      'a binary value that is not 0 or 1',
      [rule({ point: DAT, below: 5 }, [act({ point: 'ahu-1.supply-fan-cmd', value: 2 })])],
      'not-binary',
      'interlocks[0].then[0].value',
      /2/,
    ],
    [
      'failSafe on a point without one',
      [rule({ point: DAT, below: 5 }, [{ point: 'vav-1-01.reheat-cmd', failSafe: true, priority: 2 }])],
      'no-fail-safe-value',
      'interlocks[0].then[0].failSafe',
      /declares no failSafe/,
    ],
    [
      'one rule acting twice on a slot',
      [rule({ point: DAT, below: 5 }, [act(), act()])],
      'duplicate-action',
      'interlocks[0].then[1]',
      /already acts on "ahu-1.outside-air-damper" at priority 2 \(then\[0\]\)/,
    ],
    [
      'two rules, one slot, different values',
      [rule({ point: DAT, below: 5 }), rule({ point: DAT, below: 4 }, [act({ value: 10 })], 's')],
      'conflicting-actions',
      'interlocks[1].then[0]',
      /to 10, but rule "r" \(interlocks\[0\]\.then\[0\]\) commands it to 0/,
    ],
    // the damper's fail-safe value is 0 in the index, vav's is 50
    [
      'a fail-safe that differs from another rule’s value',
      [
        rule({ point: DAT, below: 5 }, [act({ point: 'vav-1-01.damper-cmd' })]),
        rule({ point: DAT, below: 4 }, [{ point: 'vav-1-01.damper-cmd', failSafe: true, priority: 2 }], 's'),
      ],
      'conflicting-actions',
      'interlocks[1].then[0]',
      /to 50, but rule "r"/,
    ],
  ];

  it.each(cases)('names %s', (_name, rules, code, path, message) => {
    const issues = validateRules(rules, POINTS);
    const found = issues.filter((issue) => issue.code === code && issue.path === path);
    expect(found).toHaveLength(1);
    expect(found[0].message).toMatch(message);
  });

  it('gives ruleId and the field inside the rule', () => {
    const [issue] = validateRules([rule({ point: DAT, below: 5 }, [act({ value: -1 })], 'freeze')], POINTS);
    expect(issue).toEqual({
      code: 'out-of-safe-range',
      path: 'interlocks[0].then[0].value',
      ruleId: 'freeze',
      field: 'then[0].value',
      message: expect.stringContaining('ahu-1.outside-air-damper') as unknown,
    });
    expect(formatRuleIssue(issue)).toMatch(
      /^interlocks\[0\]\.then\[0\]\.value: rule "freeze" \[out-of-safe-range\] /,
    );
  });

  it('treats the same slot at the same value in two rules, and a fail-safe equal to a value, as no conflict', () => {
    const rules = [
      rule({ point: DAT, below: 5 }, [act(), { point: 'vav-1-01.damper-cmd', value: 50, priority: 2 }]),
      rule(
        { point: DAT, below: 4 },
        [act(), { point: 'vav-1-01.damper-cmd', failSafe: true, priority: 2 }],
        's',
      ),
      rule({ point: DAT, below: 3 }, [act({ value: 100, priority: 1 })], 't'),
    ];
    expect(validateRules(rules, POINTS)).toEqual([]);
  });

  it('reports every problem at once, across rules', () => {
    const rules = [
      rule({ point: 'ahu-1.nope', below: 5 }, [act({ priority: 3 })]),
      rule({ point: DAT, below: 5, clearAbove: 1 }, [act({ value: 500 })], 's'),
    ];
    expect(validateRules(rules, POINTS).map((i) => i.code)).toEqual([
      'unknown-point',
      'priority-not-interlock',
      'inverted-hysteresis',
      'out-of-safe-range',
    ]);
  });

  it('without a point index checks everything that needs none, and nothing that does', () => {
    const rules = [
      rule({ point: 'ahu-1.nope', below: 5, clearAbove: 1 }, [act({ value: 500, priority: 16 })]),
    ];
    expect(validateRules(rules).map((i) => i.code)).toEqual([
      'inverted-hysteresis',
      'priority-not-interlock',
    ]);
  });

  it('uses a custom root in paths', () => {
    expect(validateRules([rule({ point: DAT, equals: 1 })], POINTS, 'site.interlocks')[0].path).toBe(
      'site.interlocks[0].when.equals',
    );
  });

  it('assertValidRules throws RulesValidationError carrying every issue', () => {
    const rules: unknown = [
      rule({ point: DAT, below: 5 }, [act({ value: 500 })]),
      rule({ point: DAT }, [act()], 's'),
    ];
    const thrown = (() => {
      try {
        assertValidRules(rules, POINTS);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(thrown).toBeInstanceOf(RulesValidationError);
    expect((thrown as RulesValidationError).issues.map((i) => i.code)).toEqual([
      'out-of-safe-range',
      'ambiguous-test',
      'conflicting-actions',
    ]);
  });
});

describe('pointIndexOf', () => {
  it('keys every point of every device as deviceId.pointId, from the device’s profile', () => {
    const temp = { ...POINTS.get(DAT)!, name: 'T', description: '', dataType: 'real' as const, tags: [] };
    const index = pointIndexOf({
      devices: [
        { id: 'ahu-1', name: 'AHU', profile: 'p.yaml', pollIntervalMs: 1000 },
        { id: 'ahu-2', name: 'AHU', profile: 'p.yaml', pollIntervalMs: 1000 },
        { id: 'lost', name: 'X', profile: 'missing.yaml', pollIntervalMs: 1000 },
      ],
      profiles: {
        'p.yaml': {
          schemaVersion: 1,
          vendor: 'v',
          model: 'm',
          protocol: 'bacnet',
          description: '',
          source: '',
          points: [temp],
        },
      },
    });
    expect([...index.keys()]).toEqual(['ahu-1.discharge-air-temp', 'ahu-2.discharge-air-temp']);
    const rules: Interlock[] = [{ id: 'r', when: { point: 'ahu-2.discharge-air-temp', below: 5 }, then: [] }];
    expect(validateRules(rules, index).map((i) => i.code)).toEqual(['invalid-shape']); // then is empty; the point is known
  });
});
