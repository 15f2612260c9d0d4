/**
 * The Modbus driver against fake connections (test-support/modbus-fakes.ts):
 * planning, learned splits, named errors, the breaker, and every write form.
 * The same behaviour against real peers is in the *.int-spec.ts files.
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { BusRegistry, FakeClock, FieldbusError, flushPromises } from '#libs/fieldbus';
import type { DeviceContext } from '#libs/fieldbus';
import { ModbusDriver } from './modbus-driver.js';
import { rtuSilenceMs } from './modbus-line.js';
import { ctx, FakeLink, FakeModbusDevice, point, profile, tcpDevice } from './test-support/modbus-fakes.js';

const drivers: ModbusDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

function setup(devices: FakeModbusDevice[], latencyMs = 0, clock?: FakeClock) {
  const map = new Map(devices.map((d) => [d.unitId, d]));
  const links: FakeLink[] = [];
  const buses = new BusRegistry(clock ? { clock } : {});
  const driver = new ModbusDriver({
    buses,
    open: () => {
      links.push(new FakeLink(map, latencyMs));
      return Promise.resolve(links[links.length - 1]);
    },
  });
  drivers.push(driver);
  return { driver, buses, opened: () => links.length, links };
}

const meter = profile(
  [
    point({ id: 'v1', modbus: { function: 4, address: 0 } }),
    point({ id: 'v2', modbus: { function: 4, address: 1 } }),
    point({ id: 'e', dataType: 'uint32', modbus: { function: 4, address: 6 } }),
    point({ id: 'far', modbus: { function: 4, address: 200 } }),
    point({ id: 'relay', kind: 'binary', dataType: 'bool', modbus: { function: 1, address: 3 } }),
  ],
  { timeoutMs: 30, maxGap: 8 },
);

function meterDevice(unit = 1): FakeModbusDevice {
  const d = new FakeModbusDevice(unit);
  for (let a = 0; a < 8; a++) d.registers[4].set(a, 100 + a);
  d.registers[4].set(200, 7);
  d.bits[1].set(3, true);
  return d;
}

describe('ModbusDriver reads', () => {
  it('coalesces by table into the fewest requests and decodes every point', async () => {
    const dev = meterDevice();
    const { driver } = setup([dev]);
    const out = await driver.readMany(ctx(tcpDevice('m', 1), meter), meter.points);
    expect(out).toEqual([
      { pointId: 'v1', value: 100 },
      { pointId: 'v2', value: 101 },
      { pointId: 'e', value: 106 * 65536 + 107 },
      { pointId: 'far', value: 7 },
      { pointId: 'relay', value: 1 },
    ]);
    expect(dev.log.map((r) => `${r.table}@${r.address}+${r.count}`)).toEqual(['1@3+1', '4@0+8', '4@200+1']);
  });

  it('splits a request refused with illegal-data-address and remembers it: the next cycle does not send it', async () => {
    const dev = meterDevice();
    dev.registers[4].delete(4); // a hole the plan reads through between v2 and e
    const { driver } = setup([dev]);
    const device = ctx(tcpDevice('m', 1), meter);
    const points = meter.points.filter((p) => p.modbus!.function === 4 && p.id !== 'far');
    const first = await driver.readMany(device, points);
    expect(first.every((o) => o.value !== undefined)).toBe(true);
    expect(driver.learnedSplits(device)[4]).toEqual([6]);
    dev.log.length = 0;
    await driver.readMany(device, points);
    expect(dev.log.map((r) => `${r.address}+${r.count}`)).toEqual(['0+2', '6+2']);
  });

  it('names an exception on one block on its points and reads the rest', async () => {
    const dev = meterDevice();
    const { driver } = setup([dev]);
    dev.faults.push(6); // the coil block (read first) answers server-device-busy
    const out = await driver.readMany(ctx(tcpDevice('m', 1), meter), meter.points);
    expect(out.find((o) => o.pointId === 'relay')).toEqual({
      pointId: 'relay',
      error: { code: 'modbus-exception:server-device-busy', message: expect.stringContaining('exception 6') },
    });
    expect(out.filter((o) => o.value !== undefined).map((o) => o.pointId)).toEqual(['v1', 'v2', 'e', 'far']);
  });

  it('a silent device fails the read at its first request (timeout) and then fails fast with breaker-open', async () => {
    const dev = meterDevice();
    dev.silent = true;
    // The buses' time stands still: whatever waits on it (a backoff, a queue, a timeout) never ends.
    const clock = new FakeClock(0);
    const { driver } = setup([dev], 0, clock);
    const device = ctx(tcpDevice('m', 1, 5000), meter);
    await expect(driver.readMany(device, meter.points)).rejects.toMatchObject({ code: 'timeout' });
    expect(dev.log).toHaveLength(1);
    let outcome: unknown;
    void driver.readMany(device, meter.points).then(
      () => (outcome = 'resolved'),
      (err: unknown) => (outcome = err),
    );
    await flushPromises();
    // Fails fast: settled without any time passing, and without a request to the device.
    expect(outcome).toMatchObject({ code: 'breaker-open' });
    expect(dev.log).toHaveLength(1);
  });

  it('retries a garbled reply within the same request when the profile asks for retries', async () => {
    const dev = meterDevice();
    dev.faults.push('garbage');
    const p = profile(meter.points, { timeoutMs: 30, retries: 1 });
    const { driver } = setup([dev]);
    const out = await driver.readMany(ctx(tcpDevice('m', 1), p), [p.points[0]]);
    expect(out).toEqual([{ pointId: 'v1', value: 100 }]);
    expect(dev.log).toHaveLength(2);
  });

  it('without retries a garbled reply is a named bad-response', async () => {
    const dev = meterDevice();
    dev.faults.push('garbage');
    const { driver } = setup([dev]);
    await expect(driver.readMany(ctx(tcpDevice('m', 1), meter), [meter.points[0]])).rejects.toMatchObject({
      code: 'bad-response',
    });
  });

  it('reads through the link’s callback reads, retries and named errors alike', async () => {
    const dev = meterDevice();
    const { driver, links } = setup([dev]);
    const device = ctx(tcpDevice('m', 1), profile(meter.points, { timeoutMs: 30, retries: 1 }));
    expect(await driver.readMany(device, meter.points)).toEqual([
      { pointId: 'v1', value: 100 },
      { pointId: 'v2', value: 101 },
      { pointId: 'e', value: 106 * 65536 + 107 },
      { pointId: 'far', value: 7 },
      { pointId: 'relay', value: 1 },
    ]);
    dev.faults.push('garbage'); // retried within the request
    expect(await driver.readMany(device, [device.profile.points[0]])).toEqual([
      { pointId: 'v1', value: 100 },
    ]);
    dev.faults.push('garbage', 'garbage'); // both attempts garbled: a named error
    await expect(driver.readMany(device, [device.profile.points[0]])).rejects.toMatchObject({
      code: 'bad-response',
    });
    expect(links[0].callbackReads).toEqual([3, 0, 200, 0, 0, 0, 0]);
  });

  it('shares one bus between unit ids behind one gateway', async () => {
    const a = meterDevice(1);
    const b = meterDevice(2);
    const { driver, buses, opened } = setup([a, b]);
    await Promise.all([
      driver.readMany(ctx(tcpDevice('a', 1), meter), meter.points),
      driver.readMany(ctx(tcpDevice('b', 2), meter), meter.points),
    ]);
    expect(buses.stats().map((s) => [s.name, s.started.poll, s.peakInFlight])).toEqual([
      ['modbus-tcp:127.0.0.1:1502', 6, 1],
    ]);
    expect(opened()).toBe(1);
  });
});

describe('ModbusDriver buses', () => {
  it('lets a TCP endpoint’s maxInFlight requests fly at once, each on its own connection', async () => {
    const devs = [1, 2, 3, 4].map((u) => meterDevice(u));
    const { driver, buses, opened } = setup(devs, 5);
    const wide = (id: string, unit: number) => {
      const site = tcpDevice(id, unit);
      return ctx({ ...site, modbus: { ...site.modbus!, maxInFlight: 3 } as typeof site.modbus }, meter);
    };
    await Promise.all(devs.map((d) => driver.readMany(wide(`d${d.unitId}`, d.unitId), meter.points)));
    expect(buses.stats()[0].peakInFlight).toBe(3);
    expect(opened()).toBe(3);
  });

  it('keeps an RTU line to one request at a time with the 3.5-character silence between frames', async () => {
    const { driver, buses } = setup([meterDevice(1), meterDevice(2)], 1);
    const rtu = (id: string, unitId: number) =>
      ctx(
        {
          ...tcpDevice(id, unitId),
          modbus: { transport: 'rtu', path: '/dev/ttyFAKE', baudRate: 9600, unitId },
        },
        meter,
      );
    await Promise.all([
      driver.readMany(rtu('a', 1), meter.points),
      driver.readMany(rtu('b', 2), meter.points),
    ]);
    expect(buses.stats().map((s) => [s.name, s.peakInFlight, s.started.poll])).toEqual([
      ['modbus-rtu:/dev/ttyFAKE', 1, 6],
    ]);
    expect([rtuSilenceMs(9600), rtuSilenceMs(38400)]).toEqual([(3.5 * 11 * 1000) / 9600, 1.75]);
  });
});

describe('ModbusDriver writes', () => {
  const drive = profile(
    [
      point({
        id: 'run',
        kind: 'binary',
        access: 'write',
        dataType: 'bool',
        modbus: { function: 3, address: 0, bit: 0, writeFunction: 6 },
      }),
      point({
        id: 'run-masked',
        kind: 'binary',
        access: 'write',
        dataType: 'bool',
        modbus: { function: 3, address: 1, bit: 3, writeFunction: 22 },
      }),
      point({
        id: 'speed',
        access: 'write',
        dataType: 'int16',
        scale: 0.1,
        modbus: { function: 3, address: 2, writeFunction: 6 },
      }),
      point({
        id: 'limit',
        access: 'write',
        dataType: 'float32',
        modbus: { function: 3, address: 4, writeFunction: 16 },
      }),
      point({
        id: 'coil',
        kind: 'binary',
        access: 'write',
        dataType: 'bool',
        modbus: { function: 1, address: 0, writeFunction: 5 },
      }),
      point({
        id: 'coils',
        kind: 'binary',
        access: 'write',
        dataType: 'bool',
        modbus: { function: 1, address: 1, writeFunction: 15 },
      }),
      point({ id: 'status', modbus: { function: 4, address: 0 } }),
    ],
    { timeoutMs: 50 },
  );
  function driveDevice(): FakeModbusDevice {
    const d = new FakeModbusDevice(1);
    for (const a of [0, 1, 2, 4, 5]) d.registers[3].set(a, 0);
    d.registers[3].set(0, 0x047e);
    d.registers[3].set(1, 0x00f0);
    d.registers[4].set(0, 1);
    d.bits[1].set(0, false);
    d.bits[1].set(1, false);
    return d;
  }
  const byId = (id: string) => drive.points.find((p) => p.id === id)!;
  let device: DeviceContext;

  it('writes a bit packed in a holding register read-modify-write, keeping the other bits', async () => {
    const dev = driveDevice();
    const { driver } = setup([dev]);
    device = ctx(tcpDevice('d', 1), drive);
    await driver.write(device, { point: byId('run'), value: 1 });
    expect(dev.registers[3].get(0)).toBe(0x047f);
    await driver.write(device, { point: byId('run'), value: 0 });
    expect(dev.registers[3].get(0)).toBe(0x047e);
    expect(dev.log.map((o) => o.op)).toEqual(['read', 'fc6', 'read', 'fc6']);
  });

  it('runs the read-modify-write as one scheduled unit: no poll comes between its read and its write', async () => {
    const dev = driveDevice();
    const { driver } = setup([dev], 2);
    device = ctx(tcpDevice('d', 1), drive);
    const polls = [1, 2, 3].map(() => driver.readMany(device, [byId('status')]));
    await new Promise((r) => setTimeout(r, 1)); // the first poll is on the wire, the others queued
    const write = driver.write(device, { point: byId('run'), value: 1 });
    await Promise.all([...polls, write]);
    const ops = dev.log.map((o) => `${o.op}:${o.table}`);
    const rmw = ops.indexOf('read:3');
    expect(ops[rmw + 1]).toBe('fc6:3');
    // And the write went ahead of the polls queued before it (one was already in flight).
    expect(ops.slice(0, rmw)).toEqual(['read:4']);
  });

  it('writes a packed bit with mask write (22) where the profile says so', async () => {
    const dev = driveDevice();
    const { driver } = setup([dev]);
    device = ctx(tcpDevice('d', 1), drive);
    await driver.write(device, { point: byId('run-masked'), value: 0 });
    expect(dev.registers[3].get(1)).toBe(0x00f0 & ~0x0008);
    await driver.write(device, { point: byId('run-masked'), value: 1 });
    expect(dev.registers[3].get(1)).toBe(0x00f8);
    expect(dev.log.map((o) => [o.op, o.values])).toEqual([
      ['fc22', [0xfff7, 0]],
      ['fc22', [0xfff7, 0x0008]],
    ]);
  });

  it('writes registers with 6 or 16 and coils with 5 or 15, as the profile says', async () => {
    const dev = driveDevice();
    const { driver } = setup([dev]);
    device = ctx(tcpDevice('d', 1), drive);
    await driver.write(device, { point: byId('speed'), value: 21.3 });
    await driver.write(device, { point: byId('limit'), value: 123.456 });
    await driver.write(device, { point: byId('coil'), value: 1 });
    await driver.write(device, { point: byId('coils'), value: 1 });
    expect(dev.log.map((o) => [o.op, o.address, o.values])).toEqual([
      ['fc6', 2, [213]],
      ['fc16', 4, [0x42f6, 0xe979]],
      ['fc5', 0, [true]],
      ['fc15', 1, [true]],
    ]);
  });

  it('refuses a read-only point and a value the encoding cannot hold, with named errors, sending nothing', async () => {
    const dev = driveDevice();
    const { driver } = setup([dev]);
    device = ctx(tcpDevice('d', 1), drive);
    await expect(driver.write(device, { point: byId('status'), value: 1 })).rejects.toMatchObject({
      code: 'not-writable',
    });
    await expect(driver.write(device, { point: byId('speed'), value: 5000 })).rejects.toMatchObject({
      code: 'out-of-range',
    });
    await expect(driver.write(device, { point: byId('coil'), value: 2 })).rejects.toMatchObject({
      code: 'out-of-range',
    });
    expect(dev.log).toEqual([]);
  });

  it('names a device’s refusal of a write by its exception', async () => {
    const dev = driveDevice();
    dev.faults.push(3);
    const { driver } = setup([dev]);
    await expect(
      driver.write(ctx(tcpDevice('d', 1), drive), { point: byId('speed'), value: 1 }),
    ).rejects.toMatchObject({ code: 'modbus-exception:illegal-data-value' });
  });

  it('has no priority array, no relinquish and no push', async () => {
    const { driver } = setup([driveDevice()]);
    device = ctx(tcpDevice('d', 1), drive);
    const err = await driver.relinquish(device, byId('speed'), 8).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FieldbusError);
    expect((err as FieldbusError).code).toBe('not-supported');
    expect((err as FieldbusError).message).toContain('the controller keeps it and writes the next winner');
    expect(await driver.readPriorityArray()).toBeNull();
    expect(await driver.subscribe()).toEqual(new Set());
  });
});

describe('ModbusDriver selfTest', () => {
  it('connects, reads one point of each table and shows the plan, each check on its own', async () => {
    const dev = meterDevice();
    const { driver } = setup([dev]);
    const report = await driver.selfTest(ctx(tcpDevice('m', 1), meter));
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['connect', true],
      ['read coils', true],
      ['read input registers', true],
      ['read plan', true],
    ]);
    expect(report.checks[3].detail).toBe('5 point(s) in 3 request(s) (max 125 registers, 2000 bits, gap 8)');
    expect(report.ok).toBe(true);
    dev.bits[1].delete(3);
    const refused = await driver.selfTest(ctx(tcpDevice('m', 1), meter));
    expect(refused.ok).toBe(false);
    expect(refused.checks[1]).toEqual({
      name: 'read coils',
      ok: false,
      detail: expect.stringContaining('relay: modbus-exception:illegal-data-address'),
    });
  });

  it('reports a device it cannot connect to', async () => {
    const driver = new ModbusDriver({
      open: () => Promise.reject(new FieldbusError('connection', 'ECONNREFUSED')),
    });
    drivers.push(driver);
    const report = await driver.selfTest(ctx(tcpDevice('m', 1), meter));
    expect(report).toEqual({
      deviceId: 'm',
      ok: false,
      checks: [{ name: 'connect', ok: false, detail: 'connection: ECONNREFUSED' }],
    });
  });
});
