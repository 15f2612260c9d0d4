/** Protocol-independent point rules: ids, states, and the safety envelope of writable points. */
import { describe, expect, it } from '@jest/globals';
import { parseProfile } from './index.js';
import type { PointDef } from './index.js';
import {
  analogInput,
  analogSetpoint,
  bacnetPoint,
  bacnetProfile,
  modbusProfile,
  relay,
  without,
  yaml,
} from './test-support/builders.js';

const issuesOf = (...points: PointDef[]) =>
  parseProfile(yaml(modbusProfile(points)), 'mem.yaml').issues.map(({ pointId, field, message }) => ({
    pointId,
    field,
    message,
  }));

const multistate = (overrides: Partial<PointDef> = {}): PointDef =>
  analogSetpoint({
    id: 'mode',
    kind: 'multistate',
    dataType: 'uint16',
    states: { '0': 'off', '1': 'heat', '2': 'cool' },
    safeRange: { min: 0, max: 2 },
    failSafe: 0,
    ...overrides,
  });

describe('point ids', () => {
  it('rejects a repeated id on the later point', () => {
    expect(issuesOf(analogInput(), analogInput({ modbus: { function: 4, address: 10 } }))).toEqual([
      {
        pointId: 'temp',
        field: 'id',
        message: expect.stringContaining('duplicate point id: also used by point "temp" (line'),
      },
    ]);
  });
});

describe('states', () => {
  it('are required on multistate points', () => {
    expect(issuesOf(without(multistate(), 'states'))).toContainEqual({
      pointId: 'mode',
      field: 'states',
      message: 'is required for a multistate point (value -> text)',
    });
  });

  it.each<[string, PointDef]>([
    ['binary', relay({ states: { '0': 'off', '1': 'on' } })],
    ['analog', analogInput({ states: { '1': 'x' } })],
  ])('are refused on %s points', (kind, point) => {
    expect(issuesOf(point)).toEqual([
      { pointId: point.id, field: 'states', message: `only applies to multistate points, not ${kind}` },
    ]);
  });

  it('accept a complete multistate point', () => {
    expect(issuesOf(multistate())).toEqual([]);
  });
});

describe('writable points', () => {
  it.each<[string, PointDef, string, string]>([
    [
      'analog without safeRange',
      without(analogSetpoint(), 'safeRange'),
      'safeRange',
      'is required for a writable analog point',
    ],
    [
      'multistate without safeRange',
      without(multistate(), 'safeRange'),
      'safeRange',
      'is required for a writable multistate point',
    ],
    [
      'analog without failSafe',
      without(analogSetpoint(), 'failSafe'),
      'failSafe',
      'is required for a writable point',
    ],
    ['binary without failSafe', without(relay(), 'failSafe'), 'failSafe', 'is required for a writable point'],
    [
      'binary without minOnSeconds',
      without(relay(), 'minOnSeconds'),
      'minOnSeconds',
      'is required for a writable binary point',
    ],
    [
      'binary without minOffSeconds',
      without(relay(), 'minOffSeconds'),
      'minOffSeconds',
      'is required for a writable binary point',
    ],
    [
      'safeRange upside down',
      analogSetpoint({ safeRange: { min: 30, max: 10 } }),
      'safeRange.min',
      'min 30 is greater than max 10',
    ],
    [
      'failSafe below safeRange',
      analogSetpoint({ failSafe: 9.5 }),
      'failSafe',
      '9.5 is outside safeRange 10..30',
    ],
    [
      'failSafe above safeRange',
      analogSetpoint({ failSafe: 31 }),
      'failSafe',
      '31 is outside safeRange 10..30',
    ],
    ['binary failSafe 2', relay({ failSafe: 2 }), 'failSafe', '2 is not a binary value'],
    ['binary failSafe 0.5', relay({ failSafe: 0.5 }), 'failSafe', '0.5 is not a binary value'],
    [
      'multistate failSafe not a state',
      multistate({ failSafe: 3, safeRange: { min: 0, max: 5 } }),
      'failSafe',
      '3 is not one of the states (0, 1, 2)',
    ],
    [
      'analog with minOnSeconds',
      analogSetpoint({ minOnSeconds: 10 }),
      'minOnSeconds',
      'only applies to binary points, not analog',
    ],
    [
      'binary with maxRatePerMinute',
      relay({ maxRatePerMinute: 1 }),
      'maxRatePerMinute',
      'only applies to analog points, not binary',
    ],
    ['scale 0', analogSetpoint({ scale: 0 }), 'scale', 'must not be 0'],
  ])('rejects %s', (_name, point, field, fragment) => {
    expect(issuesOf(point)).toEqual([
      { pointId: point.id, field, message: expect.stringContaining(fragment) },
    ]);
  });

  it('accept the failSafe on the edges of the safe range', () => {
    expect(issuesOf(analogSetpoint({ failSafe: 10 }))).toEqual([]);
    expect(issuesOf(analogSetpoint({ failSafe: 30 }))).toEqual([]);
  });

  it('accept a binary output without safeRange', () => {
    expect(issuesOf(relay())).toEqual([]);
  });
});

describe('read-only points', () => {
  it.each(['safeRange', 'failSafe', 'minOnSeconds', 'minOffSeconds', 'maxRatePerMinute'] as const)(
    'refuse %s, which only a writable point can use',
    (field) => {
      const values = {
        safeRange: { min: 0, max: 1 },
        failSafe: 0,
        minOnSeconds: 1,
        minOffSeconds: 1,
        maxRatePerMinute: 1,
      };
      const point = analogInput({ [field]: values[field] });
      expect(issuesOf(point)).toEqual([
        { pointId: 'temp', field, message: 'only applies to writable points (access: write)' },
      ]);
    },
  );
});

describe('partial checking', () => {
  it('still runs the semantic checks on the points the schema accepted', () => {
    const issues = parseProfile(
      yaml(modbusProfile([analogInput({ kind: 'gauge' as never }), analogSetpoint({ failSafe: 99 })])),
      'mem.yaml',
    ).issues;
    expect(issues.map((issue) => `${issue.pointId} ${issue.field}`)).toEqual(['temp kind', 'sp failSafe']);
  });

  it('skips them when the top level is broken, rather than guessing', () => {
    const issues = parseProfile(
      yaml({ ...modbusProfile([analogSetpoint({ failSafe: 99 })]), protocol: 'knx' }),
      'mem.yaml',
    ).issues;
    expect(issues.map((issue) => issue.field)).toEqual(['protocol']);
  });

  it('applies to BACnet profiles as well', () => {
    const issues = parseProfile(yaml(bacnetProfile([bacnetPoint({ access: 'write' })])), 'mem.yaml').issues;
    expect(issues.map((issue) => issue.field).sort()).toEqual(['access', 'failSafe', 'safeRange']);
  });
});
