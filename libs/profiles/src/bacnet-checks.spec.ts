/** BACnet rules beyond the schema (ASHRAE 135 clause 12 object types, §19.2 command prioritization). */
import { describe, expect, it } from '@jest/globals';
import { parseProfile } from './index.js';
import type { BacnetObjectType, PointDef } from './index.js';
import { bacnetPoint, bacnetProfile, yaml } from './test-support/builders.js';

const issuesOf = (...points: PointDef[]) =>
  parseProfile(yaml(bacnetProfile(points)), 'mem.yaml').issues.map(({ pointId, field, message }) => ({
    pointId,
    field,
    message,
  }));

const object = (objectType: BacnetObjectType, overrides: Partial<PointDef> = {}): PointDef =>
  bacnetPoint({ bacnet: { objectType, instance: 1 }, ...overrides });

describe('object type and kind', () => {
  it.each<[BacnetObjectType, PointDef['kind'], PointDef['dataType']]>([
    ['analog-input', 'analog', 'real'],
    ['analog-value', 'analog', 'real'],
    ['binary-input', 'binary', 'enumerated'],
    ['binary-value', 'binary', 'enumerated'],
    ['multi-state-input', 'multistate', 'unsigned'],
  ])('%s carries a %s point of %s', (objectType, kind, dataType) => {
    const states = kind === 'multistate' ? { states: { '1': 'a', '2': 'b' } } : {};
    expect(issuesOf(object(objectType, { kind, dataType, ...states }))).toEqual([]);
  });

  it.each<[BacnetObjectType, PointDef['kind']]>([
    ['analog-input', 'binary'],
    ['binary-value', 'analog'],
    ['multi-state-value', 'analog'],
  ])('%s refuses a %s point', (objectType, kind) => {
    const issues = issuesOf(
      object(objectType, { kind, ...(kind === 'binary' ? { dataType: 'enumerated' } : {}) }),
    );
    expect(issues).toContainEqual({
      pointId: 'zone_temp',
      field: 'bacnet.objectType',
      message: expect.stringContaining(`but the point's kind is ${kind}`),
    });
  });

  it.each<[BacnetObjectType, PointDef['kind'], PointDef['dataType'], string]>([
    ['analog-input', 'analog', 'unsigned', 'real'],
    ['binary-input', 'binary', 'boolean', 'enumerated'],
    ['multi-state-input', 'multistate', 'signed', 'unsigned'],
  ])('the present-value of %s is typed by the standard', (objectType, kind, dataType, expected) => {
    const states = kind === 'multistate' ? { states: { '1': 'a' } } : {};
    expect(issuesOf(object(objectType, { kind, dataType, ...states }))).toEqual([
      {
        pointId: 'zone_temp',
        field: 'dataType',
        message: expect.stringContaining(`is ${expected} (ASHRAE 135 clause 12), not ${dataType}`),
      },
    ]);
  });

  it('multi-state values start at 1', () => {
    const point = object('multi-state-input', {
      kind: 'multistate',
      dataType: 'unsigned',
      states: { '0': 'off', '1': 'on' },
    });
    expect(issuesOf(point)).toEqual([
      {
        pointId: 'zone_temp',
        field: 'states.0',
        message: expect.stringContaining('multi-state values start at 1'),
      },
    ]);
  });
});

describe('commanding', () => {
  const writable = { access: 'write', safeRange: { min: 0, max: 40 }, failSafe: 20 } as const;

  it('an input object cannot be written', () => {
    expect(issuesOf(object('analog-input', writable))).toEqual([
      {
        pointId: 'zone_temp',
        field: 'access',
        message: 'analog-input objects cannot be commanded: use an output or value object',
      },
    ]);
  });

  it.each<BacnetObjectType>(['analog-output', 'analog-value'])('%s can be written', (objectType) => {
    expect(issuesOf(object(objectType, writable))).toEqual([]);
  });

  it('an input has no priority array; an output always has one', () => {
    expect(
      issuesOf(bacnetPoint({ bacnet: { objectType: 'analog-input', instance: 1, commandable: true } })),
    ).toEqual([
      {
        pointId: 'zone_temp',
        field: 'bacnet.commandable',
        message: expect.stringContaining('have no priority array'),
      },
    ]);
    expect(
      issuesOf(bacnetPoint({ bacnet: { objectType: 'analog-output', instance: 1, commandable: false } })),
    ).toEqual([
      {
        pointId: 'zone_temp',
        field: 'bacnet.commandable',
        message: expect.stringContaining('always have a priority array'),
      },
    ]);
  });
});

describe('object identity', () => {
  it('the same instance under different object types is fine', () => {
    expect(issuesOf(object('analog-input'), object('analog-value', { id: 'sp' }))).toEqual([]);
  });

  it('a repeated (object type, instance) is reported on the later point', () => {
    expect(issuesOf(object('analog-value'), object('analog-value', { id: 'sp' }))).toEqual([
      {
        pointId: 'sp',
        field: 'bacnet.instance',
        message: expect.stringContaining('duplicate object analog-value 1: also used by point "zone_temp"'),
      },
    ]);
  });
});
