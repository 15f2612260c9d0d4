import { describe, expect, it } from '@jest/globals';
import type { PointDef } from '#libs/profiles';
import { checkCommandValue } from './envelope.js';
import {
  InvalidCommandError,
  NoSafeRangeError,
  NotBinaryValueError,
  NotWritableError,
  OutOfSafeRangeError,
  UnknownStateError,
} from './errors.js';

const damper: PointDef = {
  id: 'damper',
  name: 'Outside-air damper',
  description: '',
  kind: 'analog',
  access: 'write',
  dataType: 'real',
  unit: '%',
  safeRange: { min: 0, max: 100 },
  failSafe: 0,
  tags: [],
};
const fan: PointDef = { ...damper, id: 'fan', kind: 'binary', unit: '', safeRange: undefined, failSafe: 0 };
const mode: PointDef = {
  ...damper,
  id: 'mode',
  kind: 'multistate',
  unit: '',
  states: { '1': 'off', '2': 'heat', '3': 'cool' },
  safeRange: { min: 1, max: 3 },
};

describe('checkCommandValue', () => {
  it('accepts values inside the safe range, bounds included', () => {
    for (const value of [0, 42.5, 100])
      expect(() => checkCommandValue(damper, value, 'ahu-1.damper')).not.toThrow();
  });

  it('refuses a value outside the safe range, naming point, value and range', () => {
    expect(() => checkCommandValue(damper, 120, 'ahu-1.damper')).toThrow(
      new OutOfSafeRangeError('ahu-1.damper', 120, 0, 100, '%'),
    );
    expect(() => checkCommandValue(damper, 120, 'ahu-1.damper')).toThrow(
      'point "ahu-1.damper" value 120 outside safe range 0..100 %',
    );
    expect(() => checkCommandValue(damper, -0.1)).toThrow(
      'point "damper" value -0.1 outside safe range 0..100 %',
    );
    expect(() => checkCommandValue({ ...mode, safeRange: { min: 1, max: 2 } }, 3)).toThrow(
      'point "mode" value 3 outside safe range 1..2',
    );
  });

  it('refuses any command to a read-only point (NotWritableError)', () => {
    expect(() => checkCommandValue({ ...damper, access: 'read' }, 50, 'ahu-1.oat')).toThrow(
      new NotWritableError('ahu-1.oat'),
    );
    expect(() => checkCommandValue({ ...damper, access: 'read' }, 50, 'ahu-1.oat')).toThrow(
      'point "ahu-1.oat" is read-only and cannot be commanded',
    );
  });

  it('refuses non-finite values (InvalidCommandError)', () => {
    expect(() => checkCommandValue(damper, Number.NaN)).toThrow(InvalidCommandError);
    expect(() => checkCommandValue(damper, Number.POSITIVE_INFINITY)).toThrow(InvalidCommandError);
  });

  it('accepts only 0 and 1 on binary points (NotBinaryValueError)', () => {
    expect(() => checkCommandValue(fan, 0)).not.toThrow();
    expect(() => checkCommandValue(fan, 1)).not.toThrow();
    expect(() => checkCommandValue(fan, 2)).toThrow(NotBinaryValueError);
    expect(() => checkCommandValue(fan, 0.5)).toThrow(
      'point "fan" value 0.5 is not binary: must be 0 (off) or 1 (on)',
    );
  });

  it('accepts only declared states on multistate points (UnknownStateError)', () => {
    expect(() => checkCommandValue(mode, 2)).not.toThrow();
    expect(() => checkCommandValue(mode, 4)).toThrow(UnknownStateError);
    expect(() => checkCommandValue(mode, 0)).toThrow(
      'point "mode" value 0 is not a declared state (1, 2, 3)',
    );
    expect(() => checkCommandValue(mode, 1.5)).toThrow(UnknownStateError);
  });

  it('refuses commands to an analog or multistate point without a safe range (NoSafeRangeError)', () => {
    expect(() => checkCommandValue({ ...damper, safeRange: undefined }, 50)).toThrow(NoSafeRangeError);
    expect(() => checkCommandValue({ ...mode, safeRange: undefined }, 2)).toThrow(
      'point "mode" declares no safe range: commands are refused',
    );
  });

  it('checks writability before the value', () => {
    expect(() => checkCommandValue({ ...fan, access: 'read' }, 7)).toThrow(NotWritableError);
  });
});
