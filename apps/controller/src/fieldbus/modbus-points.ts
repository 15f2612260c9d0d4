/**
 * A profile's Modbus points as the planner and the codecs need them: plan
 * items with PDU addresses, the device's limits and each point's encoding
 * (MODBUS 1.1b3 §4.3, §6.1–6.4); modbus-scan-plan.ts decodes with them.
 */
import { registerCount } from '#libs/modbus';
import type { Encoding, PlanItem, PlanLimits } from '#libs/modbus';
import { effectiveEncoding, pduAddress } from '#libs/profiles';
import type { ModbusDataType, PointDef, Profile } from '#libs/profiles';

/** MODBUS 1.1b3 §6.1–6.4 maxima; profiles may set less. */
const DEFAULT_MAX_REGISTERS = 125;
const DEFAULT_MAX_BITS = 2000;
const DEFAULT_MAX_GAP = 8;

export const isBitTable = (p: PointDef): boolean => p.modbus!.function === 1 || p.modbus!.function === 2;

export function planItem(profile: Profile, p: PointDef): PlanItem {
  return {
    key: p.id,
    table: p.modbus!.function,
    address: pduAddress(profile, p),
    count: isBitTable(p) ? 1 : registerCount(p.dataType as ModbusDataType),
  };
}

export function limitsOf(profile: Profile): PlanLimits {
  const q = profile.modbus!;
  return {
    maxRegisters: q.maxRegistersPerRequest ?? DEFAULT_MAX_REGISTERS,
    maxBits: q.maxBitsPerRequest ?? DEFAULT_MAX_BITS,
    maxGap: q.maxGap ?? DEFAULT_MAX_GAP,
  };
}

export function encodingOf(profile: Profile, p: PointDef): Encoding {
  return { dataType: p.dataType as ModbusDataType, ...effectiveEncoding(profile, p), bit: p.modbus!.bit };
}
