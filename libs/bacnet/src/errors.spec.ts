import { describe, expect, it } from '@jest/globals';
import { BacnetError, isUnsupportedService, toBacnetError } from './errors.js';
import {
  engineeringUnitsOf,
  objectTypeNumber,
  profileUnitOf,
  propertyName,
  propertyNumber,
} from './names.js';
import { bitString, bitsToBooleans, fromAppDataList, parseObjectId, toWriteAppData } from './values.js';
import { ApplicationTag, PropertyIdentifier } from './vendor.js';

describe('toBacnetError', () => {
  it('names the class and code of a peer Error PDU', () => {
    const e = toBacnetError(new Error('BacnetError - Class:1 - Code:31'), 'ctx');
    expect(e).toMatchObject({ kind: 'error', errorClass: 'object', errorCode: 'unknown-object' });
    expect(toBacnetError(new Error('BacnetError - Class:2 - Code:40'), 'ctx')).toMatchObject({
      errorClass: 'property',
      errorCode: 'write-access-denied',
    });
    expect(e.message).toBe('BACnet error object/unknown-object: ctx');
  });

  it('tells reject from abort by what the transport saw', () => {
    const text = new Error('BacnetAbort - Reason:9');
    expect(toBacnetError(text, 'ctx', true)).toMatchObject({
      kind: 'reject',
      errorCode: 'unrecognized-service',
    });
    expect(toBacnetError(text, 'ctx', false)).toMatchObject({ kind: 'abort', errorCode: 'out-of-resources' });
    expect(isUnsupportedService(toBacnetError(text, 'ctx', true))).toBe(true);
    expect(isUnsupportedService(toBacnetError(new Error('BacnetError - Class:5 - Code:67'), 'ctx'))).toBe(
      true,
    );
    expect(isUnsupportedService(toBacnetError(text, 'ctx', false))).toBe(false);
  });

  it('maps the library timeout and decode failures', () => {
    expect(toBacnetError(new Error('ERR_TIMEOUT'), 'ctx').kind).toBe('timeout');
    expect(toBacnetError(new Error('INVALID_DECODING'), 'ctx').kind).toBe('decode');
    const same = new BacnetError('reject', 'x');
    expect(toBacnetError(same, 'ctx')).toBe(same);
  });
});

describe('names and values', () => {
  it('converts kebab-case names both ways', () => {
    expect(objectTypeNumber('multi-state-output')).toBe(14);
    expect(propertyNumber('current-command-priority')).toBe(431);
    expect(propertyNumber('512')).toBe(512);
    expect(propertyName(PropertyIdentifier.PRIORITY_ARRAY)).toBe('priority-array');
    expect(() => propertyNumber('present_value')).toThrow(RangeError);
  });

  it('maps profile units to BACnet engineering units and back', () => {
    const units = [
      'degC',
      '%',
      'Pa',
      'W',
      'kW',
      'kWh',
      'V',
      'A',
      'Hz',
      'rpm',
      'L/s',
      'm3/h',
      'ppm',
      '%RH',
      'h',
      '',
    ];
    for (const u of units) expect(profileUnitOf(engineeringUnitsOf(u))).toBe(u);
    expect(engineeringUnitsOf('furlongs')).toBe(95); // no-units
    expect(profileUnitOf(50)).toBe('btus-per-hour');
  });

  it('keeps arrays arrays and unwraps scalars and elements', () => {
    const s = (v: string) => ({ type: ApplicationTag.CHARACTER_STRING, value: v });
    expect(fromAppDataList([s('a')], PropertyIdentifier.STATE_TEXT)).toEqual(['a']);
    expect(fromAppDataList([s('a')], PropertyIdentifier.STATE_TEXT, 1)).toBe('a');
    expect(fromAppDataList([s('a')], PropertyIdentifier.OBJECT_NAME)).toBe('a');
    expect(fromAppDataList([], PropertyIdentifier.OBJECT_LIST)).toEqual([]);
    expect(() => fromAppDataList([{ type: ApplicationTag.OCTET_STRING, value: [1] }], 85)).toThrow(
      BacnetError,
    );
  });

  it('round-trips bit strings in the library layout', () => {
    expect(bitsToBooleans(bitString(10, [0, 3, 9]))).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });

  it('encodes writes in the requested datatype, refusing values that do not fit', () => {
    expect(toWriteAppData(true, 'enumerated')).toEqual({ type: ApplicationTag.ENUMERATED, value: 1 });
    expect(toWriteAppData(null, 'real')).toEqual({ type: ApplicationTag.NULL, value: null });
    expect(toWriteAppData(-2, 'signed')).toEqual({ type: ApplicationTag.SIGNED_INTEGER, value: -2 });
    expect(() => toWriteAppData(1.5, 'unsigned')).toThrow(RangeError);
    expect(() => toWriteAppData(-1, 'enumerated')).toThrow(RangeError);
    expect(() => toWriteAppData(Number.NaN, 'real')).toThrow(RangeError);
  });

  it('parses object identifiers as object-list reads them', () => {
    expect(parseObjectId('analog-value:12')).toEqual({ type: 'analog-value', instance: 12 });
    expect(parseObjectId('device:260001')).toEqual({ type: 'device', instance: 260001 });
    expect(parseObjectId('trend-log:1')).toBeUndefined();
    expect(parseObjectId('nonsense')).toBeUndefined();
  });
});
