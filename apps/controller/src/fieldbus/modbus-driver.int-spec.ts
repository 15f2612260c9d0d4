/**
 * The controller's Modbus driver reading real device register maps, through
 * their hardware profiles, from an independent peer: Debian's pymodbus, whose
 * own BinaryPayloadBuilder lays out the registers. A simulator written here
 * could share our misreading of a byte order or an addressing base; pymodbus
 * cannot. (Writes and RTU: modbus-tcp.int-spec.ts, modbus-rtu.int-spec.ts.)
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import { Children } from '../../../../libs/modbus/test-support/processes.js';
import { ModbusDriver } from './modbus-driver.js';
import { servePymodbus } from './test-support/pymodbus-peer.js';

const root = findRepoRoot();
const children = new Children();
afterAll(() => children.killAll());

describe.each([
  ['modbus/eastron/sdm630.yaml', 'float32 input registers, zero-based'],
  ['modbus/produal/hls34.yaml', 'scaled int16, coils and discrete inputs, one-based'],
  ['modbus/lochinvar/ftxl.yaml', 'uint16 with scale and offset, one-based'],
])('ModbusDriver against pymodbus serving %s (%s)', (profilePath) => {
  it('decodes every point of the profile to the value pymodbus encoded', async () => {
    const profile = loadProfile(resolve(root, 'hardware-profiles', profilePath));
    const { port, expected } = await servePymodbus(children, profile, { tcp: true });
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
            modbus: { transport: 'tcp', host: '127.0.0.1', port: port!, unitId: 1 },
          },
        },
        profile.points,
      );
      expect(outcomes.map((o) => o.pointId)).toEqual(profile.points.map((p) => p.id));
      expect(Object.fromEntries(outcomes.map((o) => [o.pointId, o.value ?? o.error]))).toEqual(
        Object.fromEntries(expected),
      );
    } finally {
      await driver.close();
    }
  }, 20000);
});
