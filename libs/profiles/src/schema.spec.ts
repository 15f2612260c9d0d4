/**
 * The JSON Schemas: standalone draft-07 files that accept exactly what
 * types.ts describes, and the loader's translation of their errors.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { parseProfile } from './index.js';
import type { BacnetDataType, BacnetObjectType, ModbusDataType, PointDef, Profile } from './index.js';
import { loadSchema } from './schema-check.js';
import {
  analogInput,
  bacnetPoint,
  bacnetProfile,
  modbusProfile,
  relay,
  without,
  yaml,
} from './test-support/builders.js';

type Schema = {
  required: string[];
  properties: Record<string, { enum?: unknown[] }>;
  definitions: Record<string, Schema>;
};
const profileSchema = loadSchema('profile') as Schema;
const pointSchema = profileSchema.definitions.point;

/** Keys a type requires, so the schema's `required` lists can be checked against types.ts at compile time. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

const issuesOf = (profile: unknown) => parseProfile(yaml(profile), 'mem.yaml').issues;

describe('schema files', () => {
  it('are standalone draft-07 documents editors can load by relative path', () => {
    for (const name of ['profile', 'site']) {
      const text = fs.readFileSync(
        path.join(import.meta.dirname, '..', 'schema', `${name}.schema.json`),
        'utf8',
      );
      expect((JSON.parse(text) as { $schema: string }).$schema).toBe(
        'http://json-schema.org/draft-07/schema#',
      );
      // every $ref is internal, so a yaml-language-server modeline is all an editor needs
      for (const ref of text.match(/"\$ref": "[^"]*"/g) ?? []) expect(ref).toMatch(/"\$ref": "#\//);
    }
  });

  it('list the same fields as types.ts, and require the same ones', () => {
    const profileKeys: Record<keyof Profile, true> = {
      schemaVersion: true,
      vendor: true,
      model: true,
      protocol: true,
      description: true,
      source: true,
      modbus: true,
      bacnet: true,
      points: true,
    };
    const profileRequired: Record<RequiredKeys<Profile>, true> = {
      schemaVersion: true,
      vendor: true,
      model: true,
      protocol: true,
      description: true,
      source: true,
      points: true,
    };
    const pointKeys: Record<keyof PointDef, true> = {
      id: true,
      name: true,
      description: true,
      kind: true,
      access: true,
      dataType: true,
      modbus: true,
      bacnet: true,
      scale: true,
      offset: true,
      unit: true,
      states: true,
      safeRange: true,
      failSafe: true,
      minOnSeconds: true,
      minOffSeconds: true,
      maxRatePerMinute: true,
      tags: true,
    };
    const pointRequired: Record<RequiredKeys<PointDef>, true> = {
      id: true,
      name: true,
      description: true,
      kind: true,
      access: true,
      dataType: true,
      unit: true,
      tags: true,
    };
    expect(Object.keys(profileSchema.properties).sort()).toEqual(Object.keys(profileKeys).sort());
    expect([...profileSchema.required].sort()).toEqual(Object.keys(profileRequired).sort());
    expect(Object.keys(pointSchema.properties).sort()).toEqual(Object.keys(pointKeys).sort());
    expect([...pointSchema.required].sort()).toEqual(Object.keys(pointRequired).sort());
  });

  it('enumerate exactly the data and object types of types.ts', () => {
    const modbus: Record<ModbusDataType, true> = {
      bool: true,
      int16: true,
      uint16: true,
      int32: true,
      uint32: true,
      float32: true,
      int64: true,
      uint64: true,
      float64: true,
    };
    const bacnet: Record<BacnetDataType, true> = {
      real: true,
      enumerated: true,
      unsigned: true,
      boolean: true,
      signed: true,
    };
    const objects: Record<BacnetObjectType, true> = {
      'analog-input': true,
      'analog-output': true,
      'analog-value': true,
      'binary-input': true,
      'binary-output': true,
      'binary-value': true,
      'multi-state-input': true,
      'multi-state-output': true,
      'multi-state-value': true,
    };
    expect(pointSchema.properties.dataType.enum).toEqual([...Object.keys(modbus), ...Object.keys(bacnet)]);
    expect(profileSchema.definitions.bacnetPointAddress.properties.objectType.enum).toEqual(
      Object.keys(objects),
    );
  });
});

describe('profile schema rules', () => {
  const meter = (points: PointDef[]) => modbusProfile(points);

  it('accepts the base builders', () => {
    expect(issuesOf(meter([analogInput(), relay()]))).toEqual([]);
    const tuned = { addressing: 'zero-based', timeoutMs: 300, interRequestDelayMs: 20, retries: 2 } as const;
    expect(issuesOf({ ...meter([analogInput()]), modbus: tuned })).toEqual([]);
    expect(issuesOf(bacnetProfile([bacnetPoint()]))).toEqual([]);
  });

  it.each<[string, unknown, string, string]>([
    [
      'unknown top-level field',
      { ...meter([analogInput()]), colour: 'red' },
      'colour',
      'is not a known field',
    ],
    ['schemaVersion 2', { ...meter([analogInput()]), schemaVersion: 2 }, 'schemaVersion', 'must be 1'],
    [
      'unknown protocol',
      { ...meter([analogInput()]), protocol: 'knx' },
      'protocol',
      '"knx" is not allowed: must be one of modbus, bacnet',
    ],
    ['no points', meter([]), 'points', 'must NOT have fewer than 1 items'],
    [
      'modbus profile without device quirks',
      without(meter([analogInput()]), 'modbus'),
      'modbus',
      'is required in a modbus profile',
    ],
    [
      'bacnet profile without device quirks',
      without(bacnetProfile([bacnetPoint()]), 'bacnet'),
      'bacnet',
      'is required in a bacnet profile',
    ],
    [
      'bacnet quirks in a modbus profile',
      { ...meter([analogInput()]), bacnet: { readPropertyMultiple: true, cov: true } },
      'bacnet',
      'is not allowed in a modbus profile',
    ],
    [
      'unknown addressing',
      { ...meter([analogInput()]), modbus: { addressing: 'one' } },
      'modbus.addressing',
      '"one" is not allowed',
    ],
    [
      'maxRegistersPerRequest above 125',
      { ...meter([analogInput()]), modbus: { addressing: 'zero-based', maxRegistersPerRequest: 126 } },
      'modbus.maxRegistersPerRequest',
      'must be <= 125',
    ],
    [
      'retries above 5',
      { ...meter([analogInput()]), modbus: { addressing: 'zero-based', retries: 6 } },
      'modbus.retries',
      'must be <= 5',
    ],
    [
      'maxApdu not a BACnet size',
      bacnetProfile([bacnetPoint()], { bacnet: { readPropertyMultiple: true, cov: true, maxApdu: 512 } }),
      'bacnet.maxApdu',
      '512 is not allowed',
    ],
  ])('rejects %s', (_name, profile, field, fragment) => {
    expect(issuesOf(profile)).toEqual([
      expect.objectContaining({ field, message: expect.stringContaining(fragment) }),
    ]);
  });

  it.each<[string, Partial<PointDef> | ((p: PointDef) => PointDef), string, string]>([
    ['an id with capitals', { id: 'Zone_Temp' }, 'id', 'must match ^[a-z0-9][a-z0-9_-]*$'],
    [
      'a kind outside the enum',
      { kind: 'counter' as never },
      'kind',
      '"counter" is not allowed: must be one of analog, binary, multistate',
    ],
    ['an access outside the enum', { access: 'readwrite' as never }, 'access', 'must be one of read, write'],
    [
      'a BACnet data type in a modbus profile',
      { dataType: 'real' },
      'dataType',
      '"real" is not allowed in a modbus profile: must be one of bool, int16',
    ],
    [
      'a function code that is not a read table',
      { modbus: { function: 6 as never, address: 0 } },
      'modbus.function',
      'must be one of 1, 2, 3, 4',
    ],
    [
      'an address above 65536',
      { modbus: { function: 4, address: 70000 } },
      'modbus.address',
      'must be <= 65536',
    ],
    [
      'a fractional address',
      { modbus: { function: 4, address: 1.5 } },
      'modbus.address',
      'must be an integer, not 1.5',
    ],
    [
      'a bit above 15',
      { dataType: 'bool', kind: 'binary', modbus: { function: 4, address: 0, bit: 16 } },
      'modbus.bit',
      'must be <= 15',
    ],
    ['tags given as one string', { tags: 'temp' as never }, 'tags', 'must be an array, not "temp"'],
    ['a number among the tags', { tags: ['temp', 7 as never] }, 'tags[1]', 'must be a string, not 7'],
    ['a repeated tag', { tags: ['temp', 'temp'] }, 'tags', 'must NOT have duplicate items'],
    [
      'a non-integer state key',
      { kind: 'multistate', dataType: 'uint16', states: { one: 'x' } },
      'states.one',
      'key "one" must match',
    ],
    ['a safe range without max', { safeRange: { min: 0 } as never }, 'safeRange.max', 'is required'],
    ['a negative minOnSeconds', { minOnSeconds: -1 }, 'minOnSeconds', 'must be >= 0'],
    ['a zero maxRatePerMinute', { maxRatePerMinute: 0 }, 'maxRatePerMinute', 'must be > 0'],
    [
      'no modbus address in a modbus profile',
      (p) => without(p, 'modbus'),
      'modbus',
      'is required in a modbus profile',
    ],
    ['a missing unit', (p) => without(p, 'unit'), 'unit', 'is required'],
    ['an unknown point field', { colour: 'red' } as never, 'colour', 'is not a known field (known: id, name'],
  ])('rejects a point with %s', (_name, change, field, fragment) => {
    const point = typeof change === 'function' ? change(analogInput()) : analogInput(change);
    const issues = issuesOf(meter([point]));
    expect(issues).toContainEqual(
      expect.objectContaining({ pointId: point.id, field, message: expect.stringContaining(fragment) }),
    );
  });

  it('rejects BACnet points with modbus addresses or modbus data types', () => {
    const issues = issuesOf(
      bacnetProfile([bacnetPoint({ dataType: 'float32', modbus: { function: 4, address: 0 } })]),
    );
    expect(issues.map((issue) => [issue.field, issue.message])).toEqual([
      [
        'dataType',
        expect.stringContaining(
          '"float32" is not allowed in a bacnet profile: must be one of real, enumerated',
        ),
      ],
      ['modbus', 'is not allowed in a bacnet profile'],
    ]);
  });

  it('rejects a BACnet instance beyond 22 bits and a property other than present-value', () => {
    const issues = issuesOf(
      bacnetProfile([
        bacnetPoint({
          bacnet: { objectType: 'analog-input', instance: 4194303, property: 'units' as never },
        }),
      ]),
    );
    expect(issues.map((issue) => issue.field).sort()).toEqual(['bacnet.instance', 'bacnet.property']);
  });

  it('reports a document that is not a mapping once, at the top', () => {
    expect(parseProfile('- just\n- a list\n', 'mem.yaml').issues).toEqual([
      { file: 'mem.yaml', line: 1, field: '', message: 'must be an object, not a list' },
    ]);
    expect(parseProfile('', 'mem.yaml').issues).toEqual([
      { file: 'mem.yaml', field: '', message: 'must be an object, not null' },
    ]);
  });
});
