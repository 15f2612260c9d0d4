/**
 * Modbus wire rules a schema cannot express (MODBUS Application Protocol
 * 1.1b3): which data types fit which table, what may be written and with which
 * function, address bounds, and registers claimed by two points.
 */
import { pointFinding } from './check-context.js';
import type { PointEntry, ProfileCheck, ProfileCheckContext } from './check-context.js';
import { modbusRegisterCount, pduSpan, toPduAddress } from './encoding.js';
import type { Finding } from './schema-check.js';
import type { ModbusDataType, ModbusPointAddress, ModbusTable } from './types.js';

type Addressing = 'zero-based' | 'one-based';
interface ModbusEntry extends PointEntry {
  modbus: ModbusPointAddress;
  dataType: ModbusDataType;
}

/** MODBUS 1.1b3 §4.3: the four primary tables. */
const TABLE: Record<ModbusTable, string> = {
  1: 'coils (function 1)',
  2: 'discrete inputs (function 2)',
  3: 'holding registers (function 3)',
  4: 'input registers (function 4)',
};

export const checkModbus: ProfileCheck = (context) => {
  if (context.profile.protocol !== 'modbus' || context.profile.modbus === undefined) return [];
  const addressing = context.profile.modbus.addressing;
  const entries = context.points.flatMap((entry): ModbusEntry[] =>
    entry.point.modbus === undefined
      ? []
      : [{ ...entry, modbus: entry.point.modbus, dataType: entry.point.dataType as ModbusDataType }],
  );
  return [
    ...entries.flatMap((entry) => [...typeAndTable(entry), ...bounds(entry, addressing), ...writing(entry)]),
    ...overlaps(context, entries, addressing),
  ];
};

const isBitTable = (table: ModbusTable): boolean => table === 1 || table === 2;
const spanOf = (entry: ModbusEntry): number =>
  isBitTable(entry.modbus.function) ? 1 : modbusRegisterCount(entry.dataType);

function typeAndTable(entry: ModbusEntry): Finding[] {
  const { modbus, dataType, point } = entry;
  const findings: Finding[] = [];
  const add = (field: string[], message: string) => findings.push(pointFinding(entry, field, message));
  const table = TABLE[modbus.function];

  if (isBitTable(modbus.function)) {
    if (dataType !== 'bool')
      add(['dataType'], `${dataType} cannot live in ${table}, which hold single bits: use bool`);
    if (modbus.bit !== undefined)
      add(['modbus', 'bit'], `does not apply to ${table}: each address already is one bit`);
    if (modbus.byteOrder !== undefined) add(['modbus', 'byteOrder'], `does not apply to ${table}`);
  } else if (modbus.bit !== undefined && dataType !== 'bool') {
    add(['modbus', 'bit'], `only applies to dataType bool, not ${dataType}`);
  } else if (modbus.bit === undefined && dataType === 'bool') {
    add(['modbus', 'bit'], `is required for a bool in ${table}: name the bit (0 = least significant)`);
  }
  if (modbus.wordOrder !== undefined && modbusRegisterCount(dataType) === 1) {
    add(['modbus', 'wordOrder'], `only applies to 32- and 64-bit values, not ${dataType}`);
  }
  if (dataType === 'bool' && point.kind !== 'binary')
    add(['dataType'], `bool can only hold a binary point, not ${point.kind}`);
  if (point.kind === 'multistate' && dataType.startsWith('float')) {
    add(['dataType'], `a multistate point needs an integer type, not ${dataType}`);
  }
  return findings;
}

function bounds(entry: ModbusEntry, addressing: Addressing): Finding[] {
  // MODBUS 1.1b3 §4.4: PDU addresses 0..65535; a map numbered from 1 runs 1..65536.
  const [low, high] = addressing === 'one-based' ? [1, 65536] : [0, 65535];
  const { address } = entry.modbus;
  if (address < low || address > high) {
    return [
      pointFinding(
        entry,
        ['modbus', 'address'],
        `${address} is outside ${low}..${high} (${addressing} addressing)`,
      ),
    ];
  }
  const last = address + spanOf(entry) - 1;
  if (last > high) {
    return [
      pointFinding(
        entry,
        ['modbus', 'address'],
        `${entry.dataType} at ${address} needs registers up to ${last}, past ${high}`,
      ),
    ];
  }
  return [];
}

function writing(entry: ModbusEntry): Finding[] {
  const { modbus, point, dataType } = entry;
  const table = TABLE[modbus.function];
  const writeFunction = modbus.writeFunction;
  if (point.access === 'read') {
    return writeFunction === undefined
      ? []
      : [pointFinding(entry, ['modbus', 'writeFunction'], 'only applies to writable points (access: write)')];
  }
  // §6.5/§6.11 write coils (5 single, 15 multiple); §6.6/§6.12 write holding registers (6 single, 16 multiple).
  if (modbus.function === 2 || modbus.function === 4) {
    return [pointFinding(entry, ['access'], `${table} are read-only: a point there cannot be written`)];
  }
  // §6.16 mask write changes bits of one holding register: only for a bool packed in one (`bit`).
  const allowed = modbus.function === 1 ? [5, 15] : modbus.bit !== undefined ? [6, 16, 22] : [6, 16];
  if (writeFunction === undefined) {
    return [
      pointFinding(
        entry,
        ['modbus', 'writeFunction'],
        `is required for a writable point in ${table}: ${allowed.join(' or ')}`,
      ),
    ];
  }
  if (!allowed.includes(writeFunction)) {
    return [
      pointFinding(
        entry,
        ['modbus', 'writeFunction'],
        `${writeFunction} does not write ${table}: use ${allowed.join(' or ')}`,
      ),
    ];
  }
  const registers = modbusRegisterCount(dataType);
  if (writeFunction === 6 && registers > 1) {
    return [
      pointFinding(
        entry,
        ['modbus', 'writeFunction'],
        `6 writes a single register but ${dataType} spans ${registers}: use 16`,
      ),
    ];
  }
  return [];
}

/** Two points overlap when they share a table and an address; bools on distinct bits of one register do not. */
function overlaps(context: ProfileCheckContext, entries: ModbusEntry[], addressing: Addressing): Finding[] {
  const findings: Finding[] = [];
  for (let j = 1; j < entries.length; j++) {
    const later = entries[j];
    for (let i = 0; i < j; i++) {
      const earlier = entries[i];
      if (!sharesSpace(earlier, later, addressing)) continue;
      const line = context.lineAt(['points', earlier.index]);
      const message = `overlaps point "${earlier.point.id}" (${describe(earlier)})${line === undefined ? '' : ` at line ${line}`}`;
      findings.push(pointFinding(later, ['modbus', 'address'], message));
      break; // one finding per point is enough to locate the clash
    }
  }
  return findings;
}

function sharesSpace(a: ModbusEntry, b: ModbusEntry, addressing: Addressing): boolean {
  if (a.modbus.function !== b.modbus.function) return false;
  const spanA = isBitTable(a.modbus.function)
    ? pduBit(a, addressing)
    : pduSpan(addressing, a.modbus, a.dataType);
  const spanB = isBitTable(b.modbus.function)
    ? pduBit(b, addressing)
    : pduSpan(addressing, b.modbus, b.dataType);
  if (spanA.last < spanB.first || spanB.last < spanA.first) return false;
  const bitA = a.modbus.bit;
  const bitB = b.modbus.bit;
  return bitA === undefined || bitB === undefined || bitA === bitB;
}

function pduBit(entry: ModbusEntry, addressing: Addressing): { first: number; last: number } {
  const first = toPduAddress(addressing, entry.modbus.address);
  return { first, last: first };
}

/** The other point's span as the profile writes it, e.g. "registers 12-13" or "register 40 bit 3". */
function describe(entry: ModbusEntry): string {
  const { address, bit } = entry.modbus;
  if (entry.modbus.function === 1) return `coil ${address}`;
  if (entry.modbus.function === 2) return `discrete input ${address}`;
  const count = spanOf(entry);
  if (count > 1) return `registers ${address}-${address + count - 1}`;
  return bit === undefined ? `register ${address}` : `register ${address} bit ${bit}`;
}
