/** PDU addresses (MODBUS 1.1b3 §4.4) and encodings with their defaults applied. */
import { describe, expect, it } from '@jest/globals';
import { effectiveEncoding, modbusRegisterCount, NotAModbusPointError, pduAddress } from './index.js';
import type { ModbusDataType } from './index.js';
import { analogInput, bacnetPoint, bacnetProfile, modbusProfile } from './test-support/builders.js';

describe('pduAddress', () => {
  it('is the address itself for zero-based maps', () => {
    const point = analogInput({ modbus: { function: 4, address: 52 } });
    expect(pduAddress(modbusProfile([point]), point)).toBe(52);
  });

  it('is one less for one-based maps (register N is PDU address N-1)', () => {
    const point = analogInput({ modbus: { function: 3, address: 1 } });
    expect(pduAddress(modbusProfile([point], { modbus: { addressing: 'one-based' } }), point)).toBe(0);
    const last = analogInput({ modbus: { function: 3, address: 65536 } });
    expect(pduAddress(modbusProfile([last], { modbus: { addressing: 'one-based' } }), last)).toBe(65535);
  });

  it('refuses a point without a modbus address', () => {
    const point = bacnetPoint();
    expect(() => pduAddress(bacnetProfile([point]), point)).toThrow(NotAModbusPointError);
    expect(() => pduAddress(bacnetProfile([point]), point)).toThrow(
      'point "zone_temp" of Test B has no modbus address',
    );
  });
});

describe('effectiveEncoding', () => {
  it('defaults to big-endian bytes and words, scale 1, offset 0', () => {
    const point = analogInput();
    expect(effectiveEncoding(modbusProfile([point]), point)).toEqual({
      byteOrder: 'big',
      wordOrder: 'big',
      scale: 1,
      offset: 0,
    });
  });

  it('takes the device quirks over the defaults', () => {
    const point = analogInput();
    const profile = modbusProfile([point], {
      modbus: { addressing: 'zero-based', byteOrder: 'little', wordOrder: 'little' },
    });
    expect(effectiveEncoding(profile, point)).toEqual({
      byteOrder: 'little',
      wordOrder: 'little',
      scale: 1,
      offset: 0,
    });
  });

  it('takes the point over the device quirks, one field at a time', () => {
    const point = analogInput({
      modbus: { function: 4, address: 0, wordOrder: 'big' },
      scale: 0.1,
      offset: -40,
    });
    const profile = modbusProfile([point], {
      modbus: { addressing: 'zero-based', byteOrder: 'little', wordOrder: 'little' },
    });
    expect(effectiveEncoding(profile, point)).toEqual({
      byteOrder: 'little',
      wordOrder: 'big',
      scale: 0.1,
      offset: -40,
    });
  });

  it('gives BACnet points their scaling and neutral byte orders', () => {
    const point = bacnetPoint({ scale: 2 });
    expect(effectiveEncoding(bacnetProfile([point]), point)).toEqual({
      byteOrder: 'big',
      wordOrder: 'big',
      scale: 2,
      offset: 0,
    });
  });
});

describe('modbusRegisterCount', () => {
  it.each<[ModbusDataType, number]>([
    ['bool', 1],
    ['int16', 1],
    ['uint16', 1],
    ['int32', 2],
    ['uint32', 2],
    ['float32', 2],
    ['int64', 4],
    ['uint64', 4],
    ['float64', 4],
  ])('%s spans %i', (dataType, count) => {
    expect(modbusRegisterCount(dataType)).toBe(count);
  });
});
