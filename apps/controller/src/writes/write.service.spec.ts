import { describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { FieldbusDriver, PointReadOutcome, ReadOptions, WriteRequest } from '#libs/fieldbus';
import type { LoadedSite, PointDef, Profile } from '#libs/profiles';
import { LiveValues } from '../points/live-values.js';
import { WriteService } from './write.service.js';

const sp: PointDef = {
  id: 'sp',
  name: 'Setpoint',
  description: '',
  kind: 'analog',
  access: 'write',
  dataType: 'int16',
  scale: 0.1,
  modbus: { function: 3, address: 0, writeFunction: 6 },
  unit: 'degC',
  safeRange: { min: 10, max: 30 },
  failSafe: 20,
  tags: [],
};
const temp: PointDef = { ...sp, id: 'temp', access: 'read', safeRange: undefined, failSafe: undefined };
const profile = { protocol: 'modbus', points: [sp, temp] } as unknown as Profile;
const site = {
  devices: [{ id: 'fcu', profile: 'p.yaml', pollIntervalMs: 1000 }],
  profiles: { 'p.yaml': profile },
} as unknown as LoadedSite;

/** A device that holds what it is written, rounded to its int16 × 0.1 register; `readFails` read-backs fail first. */
function fakeDriver(readFails: PointReadOutcome['error'][] = []) {
  let held = 0;
  const calls: Array<{ op: string; kind?: string; req?: WriteRequest }> = [];
  const driver = {
    protocol: 'modbus',
    write: (_d: unknown, req: WriteRequest) => {
      calls.push({ op: 'write', req });
      held = Math.round(req.value * 10) / 10;
      return Promise.resolve();
    },
    readMany: (_d: unknown, points: PointDef[], o?: ReadOptions) => {
      calls.push({ op: 'read', kind: o?.kind });
      const error = readFails.shift();
      return Promise.resolve(
        points.map((p) => (error ? { pointId: p.id, error } : { pointId: p.id, value: held })),
      );
    },
  } as unknown as FieldbusDriver;
  return { driver, calls };
}

function service(driver: FieldbusDriver) {
  const live = new LiveValues(site, { now: () => 5 });
  const writes = new WriteService(
    site,
    new Map([['modbus', driver]]),
    { now: () => 5 },
    pino({ level: 'silent' }),
    live,
  );
  writes.policy = { retries: 2, backoff: { baseMs: 1, maxMs: 2 } };
  return { writes, live };
}

describe('WriteService', () => {
  it('writes at priority 16 by default, reads back as a write request, and makes the read-back the live value', async () => {
    const { driver, calls } = fakeDriver();
    const { writes, live } = service(driver);
    const out = await writes.write({ deviceId: 'fcu', pointId: 'sp', value: 21.34 });
    expect(out.readBack).toBe(21.3);
    expect(calls.map((c) => [c.op, c.kind ?? c.req?.priority])).toEqual([
      ['write', 16],
      ['read', 'write'],
    ]);
    expect(live.get('fcu.sp')).toMatchObject({ value: 21.3, quality: 'good' });
  });

  it('retries when the read-back fails and reports each attempt', async () => {
    const { driver } = fakeDriver([{ code: 'timeout', message: 'no response' }]);
    const { writes } = service(driver);
    const seen: Array<string | undefined> = [];
    await writes.write({
      deviceId: 'fcu',
      pointId: 'sp',
      value: 20,
      onAttempt: (a) => seen.push(a.error?.code),
    });
    expect(seen).toEqual(['timeout', undefined]);
  });

  it('names what it refuses: an unknown point, a read-only point, a value outside the safe range', async () => {
    const { driver, calls } = fakeDriver();
    const { writes } = service(driver);
    await expect(writes.write({ deviceId: 'fcu', pointId: 'nope', value: 1 })).rejects.toMatchObject({
      code: 'unknown-point',
      message: 'unknown-point: no point "nope" on device "fcu"',
    });
    await expect(writes.write({ deviceId: 'fcu', pointId: 'temp', value: 1 })).rejects.toMatchObject({
      code: 'not-writable',
    });
    await expect(writes.write({ deviceId: 'fcu', pointId: 'sp', value: 35 })).rejects.toMatchObject({
      code: 'out-of-range',
      message: 'out-of-range: fcu.sp: 35 is outside the safe range 10..30',
    });
    expect(calls).toEqual([]);
  });
});
