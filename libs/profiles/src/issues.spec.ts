/** Issues: how they are located in the YAML, formatted and thrown. */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  formatIssue,
  parseProfile,
  ProfileValidationError,
  loadProfile,
  validateProfileFile,
} from './index.js';
import type { ValidationIssue } from './index.js';
import { analogInput, modbusProfile, yaml } from './test-support/builders.js';

describe('formatIssue', () => {
  it('names file, line, point and field', () => {
    const issue: ValidationIssue = {
      file: path.join(process.cwd(), 'hardware-profiles/modbus/eastron/sdm630.yaml'),
      line: 42,
      pointId: 'total_power',
      field: 'modbus.address',
      message: 'overlaps point "l1_power" (registers 12-13)',
    };
    expect(formatIssue(issue)).toBe(
      'hardware-profiles/modbus/eastron/sdm630.yaml:42: point "total_power" field "modbus.address": overlaps point "l1_power" (registers 12-13)',
    );
  });

  it('names the device for site issues', () => {
    expect(
      formatIssue({ file: 'sites/a.yaml', line: 3, deviceId: 'm1', field: 'profile', message: 'x' }),
    ).toBe('sites/a.yaml:3: device "m1" field "profile": x');
  });

  it('leaves out what is unknown', () => {
    expect(formatIssue({ file: 'a.yaml', field: '', message: 'cannot read: file not found' })).toBe(
      'a.yaml: cannot read: file not found',
    );
    expect(formatIssue({ file: 'a.yaml', line: 7, field: 'timeZone', message: 'x' })).toBe(
      'a.yaml:7: field "timeZone": x',
    );
  });

  it('keeps absolute paths outside the working directory absolute', () => {
    expect(formatIssue({ file: '/elsewhere/a.yaml', field: '', message: 'x' })).toBe('/elsewhere/a.yaml: x');
  });
});

describe('ProfileValidationError', () => {
  it('carries every issue and lists them one per line in its message', () => {
    const file = path.join(
      import.meta.dirname,
      '..',
      'fixtures',
      'invalid',
      'relay-binary-output-missing-min-on-off.yaml',
    );
    let caught: unknown;
    try {
      loadProfile(file);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ProfileValidationError);
    const error = caught as ProfileValidationError;
    expect(error.name).toBe('ProfileValidationError');
    expect(error.issues.map((issue) => issue.field)).toEqual(['minOnSeconds', 'minOffSeconds']);
    expect(error.message.split('\n')).toEqual(error.issues.map(formatIssue));
  });
});

describe('line numbers', () => {
  const text = [
    'schemaVersion: 1', // 1
    'vendor: Test', // 2
    'model: M', // 3
    'protocol: modbus', // 4
    "description: ''", // 5
    'source: test', // 6
    'modbus:', // 7
    '  addressing: zero-based', // 8
    'points:', // 9
    '  - id: a', // 10
    '    name: A', // 11
    "    description: ''", // 12
    '    kind: analog', // 13
    '    access: read', // 14
    '    dataType: float32', // 15
    '    modbus: &addr', // 16
    '      function: 4', // 17
    '      address: 12', // 18
    '    unit: W', // 19
    '    tags: [elec,', // 20
    '      power, 7]', // 21
    '  - id: b', // 22
    '    name: B', // 23
    "    description: ''", // 24
    '    kind: analog', // 25
    '    access: read', // 26
    '    dataType: float32', // 27
    '    modbus: *addr', // 28
    '    unit: W', // 29
    '    tags: []', // 30
    '    colour:', // 31
    '      red', // 32
  ].join('\n');

  it('point at the key of the offending field, an item of a list, or the parent of a missing field', () => {
    const issues = parseProfile(text, 'mem.yaml').issues;
    expect(issues.map(({ line, pointId, field }) => ({ line, pointId, field }))).toEqual([
      { line: 21, pointId: 'a', field: 'tags[2]' },
      { line: 31, pointId: 'b', field: 'colour' },
    ]);
  });

  it('follow an alias to its anchor', () => {
    const fixed = text.replace('      power, 7]', '      power]').replace('    colour:\n      red', '');
    const issues = parseProfile(fixed, 'mem.yaml').issues;
    expect(issues).toEqual([
      expect.objectContaining({
        line: 28,
        pointId: 'b',
        field: 'modbus.address',
        message: expect.stringContaining('overlaps point "a"'),
      }),
    ]);
  });

  it('report the line of a required field missing from a point as the point line', () => {
    const full = yaml(
      modbusProfile([analogInput({ id: 'x' }), analogInput({ modbus: { function: 4, address: 2 } })]),
    );
    const at = full.lastIndexOf('    unit: degC\n');
    const withoutUnit = full.slice(0, at) + full.slice(at + '    unit: degC\n'.length);
    const issues = parseProfile(withoutUnit, 'mem.yaml').issues;
    const lines = withoutUnit.split('\n');
    expect(issues).toEqual([
      expect.objectContaining({ pointId: 'temp', field: 'unit', message: 'is required' }),
    ]);
    expect(lines[(issues[0].line ?? 0) - 1]).toBe('  - id: temp');
  });

  it('are given for YAML syntax errors', () => {
    expect(parseProfile('a: 1\nb: [1, 2\nc: 3\n', 'mem.yaml').issues[0]).toEqual(
      expect.objectContaining({
        file: 'mem.yaml',
        line: expect.any(Number),
        field: '',
        message: expect.stringContaining('YAML syntax error'),
      }),
    );
    expect(parseProfile('a: 1\na: 2\n', 'mem.yaml').issues).toEqual([
      { file: 'mem.yaml', line: 2, field: '', message: 'YAML syntax error: Map keys must be unique' },
    ]);
  });
});

describe('YAML features', () => {
  it('merge keys let points share a template', () => {
    const merged = [
      'schemaVersion: 1',
      'vendor: T',
      'model: M',
      'protocol: modbus',
      "description: ''",
      'source: s',
      'modbus: { addressing: zero-based }',
      'points:',
      '  - &a { id: a, name: A, kind: analog, access: read, dataType: uint16, unit: W, description: "", tags: [], modbus: { function: 4, address: 0 } }',
      '  - { <<: *a, id: b, name: B, modbus: { function: 4, address: 1 } }',
    ].join('\n');
    expect(parseProfile(merged, 'mem.yaml')).toEqual({
      value: expect.objectContaining({
        points: [
          expect.objectContaining({ id: 'a' }),
          expect.objectContaining({ id: 'b', dataType: 'uint16' }),
        ],
      }),
      issues: [],
    });
  });

  it('an alias bomb is refused, not expanded', () => {
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => `${k}: &${k} [${Array(10).fill(`*${'abcdefg'[i]}`).join(', ')}]`),
    ].join('\n');
    expect(parseProfile(bomb, 'mem.yaml').issues).toEqual([
      { file: 'mem.yaml', field: '', message: expect.stringContaining('YAML error: Excessive alias count') },
    ]);
  });
});

describe('files', () => {
  it('a missing profile file is one issue', () => {
    expect(validateProfileFile('/nonexistent/p.yaml')).toEqual({
      issues: [{ file: '/nonexistent/p.yaml', field: '', message: 'cannot read: file not found' }],
    });
  });
});
