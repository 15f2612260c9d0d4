/**
 * How a Modbus point sits on the wire once defaults are applied: its PDU
 * address, how many registers it spans, its byte and word order, its scaling.
 */
import type { ByteOrder, DataType, ModbusDataType, ModbusPointAddress, PointDef, Profile } from './types.js';

export interface EffectiveEncoding {
  byteOrder: ByteOrder;
  wordOrder: ByteOrder;
  scale: number;
  offset: number;
}

export class NotAModbusPointError extends Error {
  override readonly name = 'NotAModbusPointError';
  constructor(profile: Profile, point: PointDef) {
    super(`point "${point.id}" of ${profile.vendor} ${profile.model} has no modbus address`);
  }
}

/** 16-bit registers a value occupies (MODBUS 1.1b3 §4.2: registers are 16 bits); bool = 1 (one bit or one register). */
const REGISTERS: Record<ModbusDataType, number> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  int64: 4,
  uint64: 4,
  float64: 4,
};

export const MODBUS_DATA_TYPES = Object.keys(REGISTERS) as ModbusDataType[];

export function isModbusDataType(dataType: DataType): dataType is ModbusDataType {
  return Object.hasOwn(REGISTERS, dataType);
}

/** Number of 16-bit registers (or, for bool in coils/discrete inputs, bits) a data type spans. */
export function modbusRegisterCount(dataType: ModbusDataType): number {
  return REGISTERS[dataType];
}

/** Point -> device quirks -> big/big; scale 1, offset 0. */
export function effectiveEncoding(profile: Profile, point: PointDef): EffectiveEncoding {
  return {
    byteOrder: point.modbus?.byteOrder ?? profile.modbus?.byteOrder ?? 'big',
    wordOrder: point.modbus?.wordOrder ?? profile.modbus?.wordOrder ?? 'big',
    scale: point.scale ?? 1,
    offset: point.offset ?? 0,
  };
}

/**
 * The 0-based address sent in the PDU. MODBUS 1.1b3 §4.4: "in the MODBUS PDU
 * each data is addressed from 0 to 65535", while maps numbered from 1 call
 * that data item N+1; a one-based profile's address N is PDU address N-1.
 */
export function pduAddress(profile: Profile, point: PointDef): number {
  if (point.modbus === undefined) throw new NotAModbusPointError(profile, point);
  return toPduAddress(profile.modbus?.addressing ?? 'zero-based', point.modbus.address);
}

export function toPduAddress(addressing: 'zero-based' | 'one-based', address: number): number {
  return addressing === 'one-based' ? address - 1 : address;
}

/** First and last PDU address a point occupies in its table. */
export function pduSpan(
  addressing: 'zero-based' | 'one-based',
  modbus: ModbusPointAddress,
  dataType: ModbusDataType,
): { first: number; last: number } {
  const first = toPduAddress(addressing, modbus.address);
  return { first, last: first + modbusRegisterCount(dataType) - 1 };
}
