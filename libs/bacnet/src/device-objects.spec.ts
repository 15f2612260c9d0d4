import { describe, expect, it } from '@jest/globals';
import { ObjectTable } from './device-objects.js';
import type { DeviceObjectDef } from './device-objects.js';
import {
  ASN1_ARRAY_ALL,
  ApplicationTag,
  ErrorClass,
  ErrorCode,
  ObjectType,
  PropertyIdentifier as P,
} from './vendor.js';
import type { LibAppData } from './vendor.js';

const INFO = {
  deviceInstance: 7,
  deviceName: 'dev',
  vendorId: 1,
  maxApdu: 1476,
  supportsRpm: true,
  supportsCov: true,
  currentCommandPriority: true,
};
const AO = { type: ObjectType.ANALOG_OUTPUT, instance: 1 };
const AI = { type: ObjectType.ANALOG_INPUT, instance: 1 };
const MSV = { type: ObjectType.MULTI_STATE_VALUE, instance: 2 };
const real = (v: number): LibAppData => ({ type: ApplicationTag.REAL, value: v });
const nul: LibAppData = { type: ApplicationTag.NULL, value: null };
const ALL = ASN1_ARRAY_ALL;

function table(extra: DeviceObjectDef[] = []): ObjectTable {
  return new ObjectTable(INFO, [
    {
      type: 'analog-output',
      instance: 1,
      name: 'ao',
      presentValue: 0,
      commandable: true,
      relinquishDefault: 10,
    },
    { type: 'analog-input', instance: 1, name: 'ai', units: 'kW', presentValue: 3, commandable: false },
    {
      type: 'multi-state-value',
      instance: 2,
      name: 'msv',
      presentValue: 1,
      commandable: false,
      stateTexts: ['a', 'b'],
    },
    ...extra,
  ]);
}

describe('ObjectTable command prioritization (ASHRAE 135 §19.2)', () => {
  it('starts a commandable object at its relinquish default with an empty array', () => {
    expect(table().state({ type: 'analog-output', instance: 1 })).toEqual({
      presentValue: 10,
      priorityArray: new Array(16).fill(null),
      relinquishDefault: 10,
      commandable: true,
    });
  });

  it('takes the lowest-numbered non-null slot, and falls back through the slots on relinquish', () => {
    const t = table();
    const ref = { type: 'analog-output' as const, instance: 1 };
    expect(t.write(AO, P.PRESENT_VALUE, ALL, [real(30)], 12)).toMatchObject({
      ok: true,
      presentValueChanged: true,
    });
    expect(t.write(AO, P.PRESENT_VALUE, ALL, [real(20)], 3)).toMatchObject({
      command: { value: 20, priority: 3 },
    });
    expect(t.state(ref).presentValue).toBe(20);
    expect(t.write(AO, P.PRESENT_VALUE, ALL, [real(25)], 14)).toMatchObject({ presentValueChanged: false });
    expect(t.write(AO, P.PRESENT_VALUE, ALL, [nul], 3)).toMatchObject({
      command: { value: null, priority: 3 },
    });
    expect(t.state(ref).presentValue).toBe(30);
    t.write(AO, P.PRESENT_VALUE, ALL, [nul], 12);
    t.write(AO, P.PRESENT_VALUE, ALL, [nul], 14);
    expect(t.state(ref).presentValue).toBe(10);
    t.write(AO, P.RELINQUISH_DEFAULT, ALL, [real(11)], 16);
    expect(t.state(ref).presentValue).toBe(11);
  });

  it('reads the priority array whole, by element, and its length at index 0', () => {
    const t = table();
    t.write(AO, P.PRESENT_VALUE, ALL, [real(30)], 12);
    const whole = t.read(AO, P.PRIORITY_ARRAY, ALL) as { values: LibAppData[] };
    expect(whole.values.map((v) => v.value)).toEqual([
      ...new Array<null>(11).fill(null),
      30,
      null,
      null,
      null,
      null,
    ]);
    expect(t.read(AO, P.PRIORITY_ARRAY, 12)).toEqual({ values: [real(30)] });
    expect(t.read(AO, P.PRIORITY_ARRAY, 0)).toEqual({
      values: [{ type: ApplicationTag.UNSIGNED_INTEGER, value: 16 }],
    });
    expect(t.read(AO, P.PRIORITY_ARRAY, 17)).toEqual({
      errorClass: ErrorClass.PROPERTY,
      errorCode: ErrorCode.INVALID_ARRAY_INDEX,
    });
    expect(t.read(AO, P.PRESENT_VALUE, 1)).toEqual({
      errorClass: ErrorClass.PROPERTY,
      errorCode: ErrorCode.PROPERTY_IS_NOT_AN_ARRAY,
    });
  });

  it('refuses writes with the error a device gives', () => {
    const t = table();
    const err = (errorClass: number, errorCode: number): object => ({ errorClass, errorCode });
    expect(t.write(AI, P.PRESENT_VALUE, ALL, [real(1)], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED),
    );
    expect(t.write(AO, P.OBJECT_NAME, ALL, [real(1)], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.WRITE_ACCESS_DENIED),
    );
    expect(t.write(AO, P.STATE_TEXT, ALL, [real(1)], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.UNKNOWN_PROPERTY),
    );
    expect(t.write({ type: 2, instance: 9 }, P.PRESENT_VALUE, ALL, [real(1)], 16)).toEqual(
      err(ErrorClass.OBJECT, ErrorCode.UNKNOWN_OBJECT),
    );
    const text: LibAppData = { type: ApplicationTag.CHARACTER_STRING, value: 'x' };
    expect(t.write(AO, P.PRESENT_VALUE, ALL, [text], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE),
    );
    const three: LibAppData = { type: ApplicationTag.UNSIGNED_INTEGER, value: 3 };
    expect(t.write(MSV, P.PRESENT_VALUE, ALL, [three], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.VALUE_OUT_OF_RANGE),
    );
    expect(t.write(MSV, P.PRESENT_VALUE, ALL, [nul], 16)).toEqual(
      err(ErrorClass.PROPERTY, ErrorCode.INVALID_DATA_TYPE),
    );
  });

  it('writes a non-commandable value object directly and has no priority array on it', () => {
    const t = table();
    const two: LibAppData = { type: ApplicationTag.UNSIGNED_INTEGER, value: 2 };
    expect(t.write(MSV, P.PRESENT_VALUE, ALL, [two], 8)).toEqual({
      ok: true,
      ref: { type: 'multi-state-value', instance: 2 },
      presentValueChanged: true,
      command: { value: 2 },
    });
    expect(t.read(MSV, P.PRIORITY_ARRAY, ALL)).toEqual({
      errorClass: ErrorClass.PROPERTY,
      errorCode: ErrorCode.UNKNOWN_PROPERTY,
    });
    expect(t.read(MSV, P.NUMBER_OF_STATES, ALL)).toEqual({
      values: [{ type: ApplicationTag.UNSIGNED_INTEGER, value: 2 }],
    });
  });

  it('maps profile units to engineering units', () => {
    expect(table().read(AI, P.UNITS, ALL)).toEqual({
      values: [{ type: ApplicationTag.ENUMERATED, value: 48 }],
    }); // kilowatts
  });

  it('lists every object in the device object-list, device first, and answers the wildcard instance', () => {
    const t = table();
    const list = t.read({ type: ObjectType.DEVICE, instance: 4194303 }, P.OBJECT_LIST, ALL) as {
      values: LibAppData[];
    };
    expect(list.values.map((v) => v.value)).toEqual([
      { type: ObjectType.DEVICE, instance: 7 },
      { type: ObjectType.ANALOG_OUTPUT, instance: 1 },
      { type: ObjectType.ANALOG_INPUT, instance: 1 },
      { type: ObjectType.MULTI_STATE_VALUE, instance: 2 },
    ]);
    expect(t.read({ type: ObjectType.DEVICE, instance: 8 }, P.OBJECT_NAME, ALL)).toEqual({
      errorClass: ErrorClass.OBJECT,
      errorCode: ErrorCode.UNKNOWN_OBJECT,
    });
  });

  it('rejects duplicate objects and bad instances at construction', () => {
    expect(() =>
      table([{ type: 'analog-input', instance: 1, name: 'dup', presentValue: 0, commandable: false }]),
    ).toThrow(/duplicate BACnet object analog-input:1/);
    expect(() =>
      table([{ type: 'analog-input', instance: 4194303, name: 'x', presentValue: 0, commandable: false }]),
    ).toThrow(/instance must be/);
  });

  it('changes its version with every accepted write and value set to another value, never with a refused write', () => {
    const t = table();
    const v0 = t.version;
    expect('errorClass' in t.write(AI, P.PRESENT_VALUE, ALL, [real(1)], 16)).toBe(true);
    expect(t.version).toBe(v0);
    t.write(AO, P.PRESENT_VALUE, ALL, [real(20)], 8);
    const v1 = t.version;
    expect(v1).not.toBe(v0);
    t.setPresentValue({ type: 'analog-input', instance: 1 }, 4);
    const v2 = t.version;
    expect(v2).not.toBe(v1);
    t.setPresentValue({ type: 'analog-input', instance: 1 }, 4); // the same value: answers made before still hold
    expect(t.version).toBe(v2);
    t.setPresentValue({ type: 'analog-input', instance: 1 }, 0);
    const v3 = t.version;
    t.setPresentValue({ type: 'analog-input', instance: 1 }, -0); // equal, but its REAL is another octet string
    expect(t.version).not.toBe(v3);
  });
});
