/**
 * Writing one Modbus point as its profile says (MODBUS 1.1b3): a coil with
 * function 5 (§6.5) or 15 (§6.11); a register value with 6 (§6.6) or 16
 * (§6.12); a bool packed in a holding register either read-modify-write
 * (read the register, change the one bit, write it back: the caller runs this
 * as one scheduled unit so no other request on the bus comes between) or,
 * where the profile names function 22, a mask write (§6.16) that changes the
 * bit in the device without a read.
 */
import { FieldbusError } from '#libs/fieldbus';
import { encodeBit, encodeRegisters } from '#libs/modbus';
import type { RequestOptions } from '#libs/modbus';
import { pduAddress } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import type { ModbusLink } from './modbus-line.js';
import { encodingOf } from './modbus-points.js';

/** Refuses what cannot be written before anything goes on the wire. */
function checkWritable(p: PointDef): void {
  const table = p.modbus?.function;
  if (p.access !== 'write' || table === 2 || table === 4)
    throw new FieldbusError(
      'not-writable',
      `point ${p.id} is read-only (${table === 2 ? 'discrete input' : table === 4 ? 'input register' : 'access: read'})`,
    );
}

export async function writePoint(
  link: ModbusLink,
  unitId: number,
  profile: Profile,
  p: PointDef,
  value: number,
  options: RequestOptions,
): Promise<void> {
  checkWritable(p);
  const address = pduAddress(profile, p);
  const fn = p.modbus!.writeFunction;
  if (p.modbus!.function === 1) {
    const state = encodeBit(value);
    if (fn === 15) return link.writeCoils(unitId, address, [state], options);
    return link.writeCoil(unitId, address, state, options);
  }
  const enc = encodingOf(profile, p);
  if (p.modbus!.bit !== undefined) {
    // The register as it goes on the wire with only this bit set (byte order applied), so masks match the wire.
    const mask = encodeRegisters(1, enc)[0];
    const on = encodeBit(value);
    if (fn === 22) return link.maskWriteRegister(unitId, address, ~mask & 0xffff, on ? mask : 0, options);
    const [current] = await link.readRegisters(unitId, 3, address, 1, options);
    const next = on ? current | mask : current & ~mask & 0xffff;
    return link.writeRegisters(unitId, address, [next], fn === 16 ? 16 : 6, options);
  }
  const registers = encodeRegisters(value, enc);
  const code = fn === 6 || fn === 16 ? fn : registers.length === 1 ? 6 : 16;
  return link.writeRegisters(unitId, address, registers, code, options);
}
