/**
 * A profile's register map served by Debian's pymodbus (an independent peer:
 * its BinaryPayloadBuilder lays out the registers, not our codec), and the
 * engineering value each point must then read as.
 */
import { effectiveEncoding, pduAddress } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import { PYMODBUS_SERVER, PYTHON } from '../../../../../libs/modbus/test-support/processes.js';
import type { Children } from '../../../../../libs/modbus/test-support/processes.js';
import { tidy } from '../engineering.js';

const TABLE = { 1: 'coils', 2: 'discrete', 3: 'holding', 4: 'input' } as const;

/** A distinct raw value per point, so a shifted address or swapped word cannot pass by luck. */
function rawFor(p: PointDef, i: number): number {
  if (p.dataType.startsWith('float')) return 100.25 + i * 7.5;
  if (p.dataType === 'int16' || p.dataType === 'int32') return i % 2 ? -(120 + i) : 120 + i;
  return 300 + i;
}

export interface PymodbusPeer {
  /** TCP port, or null over RTU. */
  port: number | null;
  expected: Map<string, number>;
}

export async function servePymodbus(
  children: Children,
  profile: Profile,
  where: { tcp: true } | { rtu: string; baud: number },
  extra: string[] = [],
): Promise<PymodbusPeer> {
  const map: Record<string, Array<Record<string, unknown>>> = {
    holding: [],
    input: [],
    coils: [],
    discrete: [],
  };
  const expected = new Map<string, number>();
  const packed = new Map<string, { table: 'holding' | 'input'; address: number; word: number }>();
  profile.points.forEach((p, i) => {
    const table = TABLE[p.modbus!.function];
    const address = pduAddress(profile, p);
    if (table === 'coils' || table === 'discrete') {
      map[table].push({ address, values: [i % 2 === 0] });
      expected.set(p.id, i % 2 === 0 ? 1 : 0);
    } else if (p.modbus!.bit !== undefined) {
      // Bools packed in one register: compose the word, big-endian bytes as the wire carries it.
      const on = i % 3 !== 0;
      const key = `${table}:${address}`;
      const w = packed.get(key) ?? { table, address, word: 0 };
      if (on) w.word |= 1 << p.modbus!.bit;
      packed.set(key, w);
      expected.set(p.id, on ? 1 : 0);
    } else {
      const enc = effectiveEncoding(profile, p);
      map[table].push({
        address,
        type: p.dataType,
        value: rawFor(p, i),
        byteorder: enc.byteOrder,
        wordorder: enc.wordOrder,
      });
    }
  });
  for (const w of packed.values()) map[w.table].push({ address: w.address, type: 'uint16', value: w.word });
  const args =
    'tcp' in where
      ? [PYMODBUS_SERVER, 'tcp', '0', JSON.stringify(map), ...extra]
      : [PYMODBUS_SERVER, 'rtu', where.rtu, JSON.stringify(map), '--baud', String(where.baud), ...extra];
  const { line } = await children.start(PYTHON, args, /^READY /);
  const ready = JSON.parse(line.slice('READY '.length)) as {
    port: number | null;
    values: Record<string, number>;
  };
  for (const p of profile.points) {
    const table = TABLE[p.modbus!.function];
    if (expected.has(p.id) || table === 'coils' || table === 'discrete') continue;
    const { scale, offset } = effectiveEncoding(profile, p);
    expected.set(p.id, tidy(ready.values[`${table}:${pduAddress(profile, p)}`] * scale + offset, p));
  }
  return { port: ready.port, expected };
}
