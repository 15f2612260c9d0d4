/**
 * The controller's Modbus driver reading real device register maps, through
 * their hardware profiles, from an independent peer: Debian's pymodbus, whose
 * own BinaryPayloadBuilder lays out the registers. A simulator written here
 * could share our misreading of a byte order or an addressing base; pymodbus
 * cannot.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { effectiveEncoding, findRepoRoot, loadProfile, pduAddress } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import { Children, PYMODBUS_SERVER, PYTHON } from '../../../../libs/modbus/test-support/processes.js';
import { ModbusDriver } from './modbus-driver.js';
import { tidy } from './engineering.js';

const root = findRepoRoot();
const children = new Children();
afterAll(() => children.killAll());

const TABLE = { 1: 'coils', 2: 'discrete', 3: 'holding', 4: 'input' } as const;

/** A distinct raw value per point, so a shifted address or swapped word cannot pass by luck. */
function rawFor(p: PointDef, i: number): number {
  if (p.dataType.startsWith('float')) return 100.25 + i * 7.5;
  if (p.dataType === 'int16' || p.dataType === 'int32') return i % 2 ? -(120 + i) : 120 + i;
  return 300 + i;
}

async function servePymodbus(profile: Profile) {
  const map: Record<string, Array<Record<string, unknown>>> = {
    holding: [],
    input: [],
    coils: [],
    discrete: [],
  };
  const bits = new Map<string, boolean>();
  profile.points.forEach((p, i) => {
    const table = TABLE[p.modbus!.function];
    const address = pduAddress(profile, p);
    if (table === 'coils' || table === 'discrete') {
      bits.set(p.id, i % 2 === 0);
      map[table].push({ address, values: [i % 2 === 0] });
      return;
    }
    const enc = effectiveEncoding(profile, p);
    map[table].push({
      address,
      type: p.dataType,
      value: rawFor(p, i),
      byteorder: enc.byteOrder,
      wordorder: enc.wordOrder,
    });
  });
  const { line } = await children.start(
    PYTHON,
    [PYMODBUS_SERVER, 'tcp', '0', JSON.stringify(map)],
    /^READY /,
  );
  const ready = JSON.parse(line.slice('READY '.length)) as { port: number; values: Record<string, number> };
  const expected = new Map<string, number>();
  for (const p of profile.points) {
    const table = TABLE[p.modbus!.function];
    if (table === 'coils' || table === 'discrete') expected.set(p.id, bits.get(p.id) ? 1 : 0);
    else {
      const { scale, offset } = effectiveEncoding(profile, p);
      expected.set(p.id, tidy(ready.values[`${table}:${pduAddress(profile, p)}`] * scale + offset, p));
    }
  }
  return { port: ready.port, expected };
}

describe.each([
  ['modbus/eastron/sdm630.yaml', 'float32 input registers, zero-based'],
  ['modbus/produal/hls34.yaml', 'scaled int16, coils and discrete inputs, one-based'],
  ['modbus/lochinvar/ftxl.yaml', 'uint16 with scale and offset, one-based'],
])('ModbusDriver against pymodbus serving %s (%s)', (profilePath) => {
  it('decodes every point of the profile to the value pymodbus encoded', async () => {
    const profile = loadProfile(resolve(root, 'hardware-profiles', profilePath));
    const { port, expected } = await servePymodbus(profile);
    const driver = new ModbusDriver();
    try {
      const outcomes = await driver.readMany(
        {
          profile,
          site: {
            id: 'peer',
            name: 'pymodbus',
            profile: profilePath,
            pollIntervalMs: 1000,
            modbus: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1 },
          },
        },
        profile.points,
      );
      expect(outcomes.map((o) => o.pointId).sort()).toEqual(profile.points.map((p) => p.id).sort());
      for (const o of outcomes) {
        expect(o.error).toBeUndefined();
        expect({ point: o.pointId, value: o.value }).toEqual({
          point: o.pointId,
          value: expected.get(o.pointId),
        });
      }
    } finally {
      await driver.close();
    }
  }, 20000);
});
