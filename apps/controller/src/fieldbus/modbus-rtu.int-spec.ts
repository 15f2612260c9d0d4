/**
 * Modbus RTU through the driver, on a real serial device path: a socat pty
 * pair, with Debian's pymodbus serial server on the far end serving the ABB
 * ACS580 drive profile (an RTU device in real life) on unit ids 1 and 2.
 * Unit id 3 is configured in the site but nobody answers it: a dead device on
 * the shared line.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import type { PointDef, Profile, SiteDevice } from '#libs/profiles';
import { Children, waitForPaths } from '../../../../libs/modbus/test-support/processes.js';
import { ModbusDriver } from './modbus-driver.js';
import { openModbusLink } from './modbus-line.js';
import type { LinkOpener, ModbusLink } from './modbus-line.js';
import { servePymodbus } from './test-support/pymodbus-peer.js';
import type { PymodbusPeer } from './test-support/pymodbus-peer.js';
import { loadedSite, writeService } from './test-support/write-harness.js';

const children = new Children();
const base = `/tmp/bulwark-rtu-line-${process.pid}-${Date.now().toString(36)}`;
const links = { a: `${base}-A`, b: `${base}-B` };
const BAUD = 19200;
const TIMEOUT_MS = 150;
const POLL_MS = 300;

const acs580 = loadProfile(resolve(findRepoRoot(), 'hardware-profiles/modbus/abb/acs580.yaml'));
/** The real profile plus the whole control word as a plain register, to see every bit a write leaves alone. */
const controlWord: PointDef = {
  id: 'control-word',
  name: 'Control word',
  description: '',
  kind: 'analog',
  access: 'read',
  dataType: 'uint16',
  modbus: { function: 3, address: 1 },
  unit: '',
  tags: [],
};
const profile: Profile = { ...acs580, modbus: { ...acs580.modbus!, timeoutMs: TIMEOUT_MS } };
const withControlWord: Profile = { ...profile, points: [...profile.points, controlWord] };
const unit = (id: string, unitId: number): SiteDevice => ({
  id,
  name: id,
  profile: 'modbus/abb/acs580.yaml',
  pollIntervalMs: POLL_MS,
  modbus: { transport: 'rtu', path: links.a, baudRate: BAUD, unitId },
});
const [u1, u2, u3] = [unit('fan-1', 1), unit('fan-2', 2), unit('fan-dead', 3)];
let peer: PymodbusPeer;

beforeAll(async () => {
  await children.start(
    'socat',
    ['-d', '-d', `pty,raw,echo=0,link=${links.a}`, `pty,raw,echo=0,link=${links.b}`],
    /starting data transfer loop/,
  );
  await waitForPaths([links.a, links.b]);
  peer = await servePymodbus(children, profile, { rtu: links.b, baud: BAUD }, [
    '--units',
    '1,2',
    '--size',
    '20300',
  ]);
}, 15000);

afterAll(async () => {
  await children.killAll();
});

describe('Modbus RTU through the driver against pymodbus on a serial line', () => {
  it('reads every point of the ACS580 profile on two unit ids sharing the line', async () => {
    const driver = new ModbusDriver();
    try {
      for (const device of [u1, u2]) {
        const out = await driver.readMany({ site: device, profile }, profile.points);
        expect(Object.fromEntries(out.map((o) => [o.pointId, o.value ?? o.error]))).toEqual(
          Object.fromEntries(peer.expected),
        );
      }
    } finally {
      await driver.close();
    }
  }, 10000);

  it('writes verified: the speed reference (int16 × 0.005, function 6) and the run bit inside the control word, keeping its other bits', async () => {
    const driver = new ModbusDriver();
    const site = loadedSite([u1, u2], { 'modbus/abb/acs580.yaml': withControlWord });
    const { writes } = writeService(site, driver);
    const read = async (device: SiteDevice, id: string) =>
      (
        await driver.readMany({ site: device, profile: withControlWord }, [
          withControlWord.points.find((p) => p.id === id)!,
        ])
      )[0].value;
    try {
      const before = await read(u1, 'control-word');
      const speed = await writes.write({ deviceId: 'fan-1', pointId: 'speed-ref', value: 72.5 });
      expect([speed.readBack, speed.attempts.length]).toEqual([72.5, 1]);
      const run = await writes.write({ deviceId: 'fan-1', pointId: 'run-cmd', value: 1 });
      expect(run.readBack).toBe(1);
      expect(await read(u1, 'control-word')).toBe(before! | 1);
      await writes.write({ deviceId: 'fan-1', pointId: 'run-cmd', value: 0 });
      expect(await read(u1, 'control-word')).toBe(before! & ~1);
      // Unit 2 on the same line kept its own values.
      expect(await read(u2, 'speed-ref')).toBe(peer.expected.get('speed-ref'));
    } finally {
      await driver.close();
    }
  }, 10000);

  it('writes the run bit with mask write (function 22) where the profile says so', async () => {
    const masked: Profile = {
      ...withControlWord,
      points: withControlWord.points.map((p) =>
        p.id === 'run-cmd' ? { ...p, modbus: { ...p.modbus!, writeFunction: 22 as const } } : p,
      ),
    };
    const driver = new ModbusDriver();
    const { writes } = writeService(loadedSite([u2], { 'modbus/abb/acs580.yaml': masked }), driver);
    const word = async () => (await driver.readMany({ site: u2, profile: masked }, [controlWord]))[0].value!;
    try {
      const before = await word();
      await writes.write({ deviceId: 'fan-2', pointId: 'run-cmd', value: 1 });
      expect(await word()).toBe(before | 1);
      await writes.write({ deviceId: 'fan-2', pointId: 'run-cmd', value: 0 });
      expect(await word()).toBe(before & ~1);
    } finally {
      await driver.close();
    }
  }, 10000);
});

describe('a dead device on a shared RTU line', () => {
  interface BusEvent {
    unit: number;
    start: number;
    end: number;
  }
  /** Every request that went on the wire, per unit id, with when it held the line. */
  const recording =
    (events: BusEvent[]): LinkOpener =>
    async (ep, timeoutMs) => {
      const link = await openModbusLink(ep, timeoutMs);
      const timed =
        <A extends unknown[], R>(f: (unit: number, ...a: A) => Promise<R>) =>
        async (unitId: number, ...a: A): Promise<R> => {
          const start = Date.now();
          try {
            return await f(unitId, ...a);
          } finally {
            events.push({ unit: unitId, start, end: Date.now() });
          }
        };
      const recorded: ModbusLink = {
        readRegisters: timed(link.readRegisters.bind(link)),
        readBits: timed(link.readBits.bind(link)),
        writeRegisters: timed(link.writeRegisters.bind(link)),
        writeCoil: timed(link.writeCoil.bind(link)),
        writeCoils: timed(link.writeCoils.bind(link)),
        maskWriteRegister: timed(link.maskWriteRegister.bind(link)),
        readRegistersThen: (unitId, table, address, count, o, done) => {
          const start = Date.now();
          link.readRegistersThen(unitId, table, address, count, o, (ok, value) => {
            events.push({ unit: unitId, start, end: Date.now() });
            done(ok, value);
          });
        },
        readBitsThen: (unitId, table, address, count, o, done) => {
          const start = Date.now();
          link.readBitsThen(unitId, table, address, count, o, (ok, value) => {
            events.push({ unit: unitId, start, end: Date.now() });
            done(ok, value);
          });
        },
        close: () => link.close(),
      };
      return recorded;
    };

  it('does not delay the others by more than one timeout per cycle', async () => {
    const events: BusEvent[] = [];
    const driver = new ModbusDriver({ open: recording(events) });
    const scan = async (device: SiteDevice) => {
      const t0 = Date.now();
      try {
        const out = await driver.readMany({ site: device, profile }, profile.points);
        return { ms: Date.now() - t0, ok: out.every((o) => o.value !== undefined), code: null };
      } catch (err) {
        return { ms: Date.now() - t0, ok: false, code: (err as { code?: string }).code ?? 'thrown' };
      }
    };
    const cycle = async (devices: SiteDevice[]) => {
      const t0 = Date.now();
      const results = await Promise.all(devices.map(scan));
      await new Promise((r) => setTimeout(r, Math.max(0, POLL_MS - (Date.now() - t0))));
      return { t0, results };
    };
    try {
      // Baseline: the two live devices alone, every read fired at once (the worst case for waiting).
      const baseline: number[] = [];
      for (let i = 0; i < 2; i++) baseline.push(...(await cycle([u1, u2])).results.map((r) => r.ms));
      const alone = Math.max(...baseline);
      const cycles: Array<Awaited<ReturnType<typeof cycle>>> = [];
      for (let i = 0; i < 7; i++) cycles.push(await cycle([u1, u2, u3]));
      const deadCodes = new Set<string | null>();
      let timeouts = 0;
      for (const [k, c] of cycles.entries()) {
        const [r1, r2, dead] = c.results;
        expect([r1.ok, r2.ok, dead.ok]).toEqual([true, true, false]);
        deadCodes.add(dead.code);
        // The line time the dead unit took this cycle: at most one timeout.
        const until = k + 1 < cycles.length ? cycles[k + 1].t0 : Infinity;
        const deadTime = events
          .filter((e) => e.unit === 3 && e.start >= c.t0 && e.start < until)
          .reduce((ms, e) => ms + (e.end - e.start), 0);
        if (deadTime > 0) timeouts++;
        expect(deadTime).toBeLessThanOrEqual(TIMEOUT_MS + 40);
        // Neither neighbour waited more than one timeout beyond its own time alone on the line.
        expect(Math.max(r1.ms, r2.ms)).toBeLessThanOrEqual(alone + TIMEOUT_MS + 100);
      }
      expect([...deadCodes].sort()).toEqual(['breaker-open', 'timeout']);
      // The breaker's backoff keeps the dead unit off the line in most cycles (3 requests a cycle without it).
      expect(timeouts).toBeLessThan(cycles.length);
      expect(events.filter((e) => e.unit === 3).length).toBe(timeouts);
    } finally {
      await driver.close();
    }
  }, 20000);
});
