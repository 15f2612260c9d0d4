/**
 * The simulator as the controller and tests meet it: real Modbus TCP and
 * BACnet/IP on loopback, the control API's view of the hardware, physics that
 * answers to outputs, and each fault injection doing what it says.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError } from '#libs/bacnet';
import type { ObjectRef } from '#libs/bacnet';
import { ModbusClient, ModbusError } from '#libs/modbus';
import { findRepoRoot, loadSite, pduAddress } from '#libs/profiles';
import type { LoadedSite, SiteDevice } from '#libs/profiles';
import type { ProblemDetails, SimDeviceState } from '#libs/contracts';
import { Simulator } from './simulator.js';

const root = findRepoRoot();
let sim: Simulator;
let site: LoadedSite;
let bacnet: BacnetClient;
const modbus: ModbusClient[] = [];

beforeAll(async () => {
  const demo = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
  sim = await Simulator.start({
    site: {
      ...demo,
      devices: demo.devices.map((d) => ({
        ...d,
        ...(d.modbus?.transport === 'tcp' ? { modbus: { ...d.modbus, port: 0 } } : {}),
        ...(d.bacnet ? { bacnet: { ...d.bacnet, address: '127.0.0.1:0' } } : {}),
      })),
    },
    control: { host: '127.0.0.1', port: 0 },
    tickMs: 50,
  });
  site = sim.resolvedSite();
  bacnet = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
  await bacnet.start();
}, 20000);

afterAll(async () => {
  await Promise.allSettled(modbus.map((c) => c.close()));
  await bacnet?.close();
  await sim?.close();
});

const device = (id: string): SiteDevice => site.devices.find((d) => d.id === id)!;
const point = (deviceId: string, pointId: string) =>
  site.profiles[device(deviceId).profile].points.find((p) => p.id === pointId)!;
const state = async (id: string): Promise<SimDeviceState> =>
  (await fetch(`${sim.controlUrl}/devices/${id}`)).json() as Promise<SimDeviceState>;
const value = async (deviceId: string, pointId: string): Promise<number> =>
  (await state(deviceId)).points.find((p) => p.id === pointId)!.value;
const putFaults = (id: string, body: unknown): Promise<Response> =>
  fetch(`${sim.controlUrl}/devices/${id}/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const settle = (ms = 300): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function modbusTo(id: string): Promise<ModbusClient> {
  const ep = device(id).modbus!;
  if (ep.transport !== 'tcp') throw new Error('tcp only');
  const c = await ModbusClient.connectTcp({ host: ep.host, port: ep.port, timeoutMs: 500 });
  modbus.push(c);
  return c;
}

function objectOf(deviceId: string, pointId: string): ObjectRef {
  const b = point(deviceId, pointId).bacnet!;
  return { type: b.objectType, instance: b.instance };
}

describe('the simulated building', () => {
  it('lists every site device on the control API', async () => {
    const all = (await (await fetch(`${sim.controlUrl}/devices`)).json()) as SimDeviceState[];
    expect(all.map((d) => d.id).sort()).toEqual(site.devices.map((d) => d.id).sort());
    expect(new Set(all.map((d) => d.protocol))).toEqual(new Set(['modbus', 'bacnet']));
  });

  it('keeps a real priority array on a BACnet commandable object and shows what was written where', async () => {
    const addr = device('vav-1-01').bacnet!.address;
    const damper = objectOf('vav-1-01', 'damper-cmd');
    await bacnet.writeProperty(addr, damper, 'present-value', 40, { priority: 10 });
    await bacnet.writeProperty(addr, damper, 'present-value', 80, { priority: 8 });
    let p = (await state('vav-1-01')).points.find((x) => x.id === 'damper-cmd')!;
    expect(p.priorityArray).toEqual([
      { priority: 8, value: 80 },
      { priority: 10, value: 40 },
    ]);
    expect(p.value).toBe(80);
    expect(p.lastWrite).toMatchObject({ value: 80, priority: 8 });
    await bacnet.relinquish(addr, damper, 8);
    p = (await state('vav-1-01')).points.find((x) => x.id === 'damper-cmd')!;
    expect(p.value).toBe(40);
    await bacnet.relinquish(addr, damper, 10);
    p = (await state('vav-1-01')).points.find((x) => x.id === 'damper-cmd')!;
    expect(p.priorityArray).toEqual([]);
    expect(p.value).toBe(p.relinquishDefault);
  });

  it('makes airflow follow the damper the controller commands', async () => {
    const addr = device('vav-1-02').bacnet!.address;
    const damper = objectOf('vav-1-02', 'damper-cmd');
    await bacnet.writeProperty(addr, damper, 'present-value', 100, { priority: 8 });
    await settle();
    const open = (await bacnet.readProperty(
      addr,
      objectOf('vav-1-02', 'airflow'),
      'present-value',
    )) as number;
    await bacnet.writeProperty(addr, damper, 'present-value', 0, { priority: 8 });
    await settle();
    const closed = (await bacnet.readProperty(
      addr,
      objectOf('vav-1-02', 'airflow'),
      'present-value',
    )) as number;
    await bacnet.relinquish(addr, damper, 8);
    expect(open).toBeGreaterThan(300);
    expect(closed).toBeLessThan(20);
  });

  it('makes the meter see lighting relays switch off', async () => {
    const relays = await modbusTo('lighting-l1');
    const profile = site.profiles[device('lighting-l1').profile];
    const coils = profile.points.filter((p) => p.access === 'write' && p.modbus!.function === 1);
    const before = await value('meter-main', 'total-power');
    for (const c of coils)
      await relays.writeCoil(device('lighting-l1').modbus!.unitId, pduAddress(profile, c), false);
    await settle();
    const after = await value('meter-main', 'total-power');
    expect((await state('lighting-l1')).points.find((p) => p.id === coils[0].id)!.lastWrite).toMatchObject({
      value: 0,
    });
    // 1200 W per relay circuit; the meter's noise is well under 1 %.
    expect(before - after).toBeGreaterThan(coils.length * 1200 * 0.8);
    for (const c of coils)
      await relays.writeCoil(device('lighting-l1').modbus!.unitId, pduAddress(profile, c), true);
  });

  it('takes a drive control word written whole and stops the fan it drives', async () => {
    const drive = await modbusTo('drive-ahu-1-sf');
    const profile = site.profiles[device('drive-ahu-1-sf').profile];
    const run = point('drive-ahu-1-sf', 'run-cmd');
    await drive.writeRegisters(1, pduAddress(profile, run), [0], 6);
    await settle();
    expect(await value('drive-ahu-1-sf', 'run-cmd')).toBe(0);
    expect(await value('drive-ahu-1-sf', 'output-frequency')).toBe(0);
    await drive.writeRegisters(1, pduAddress(profile, run), [1], 6);
    await settle();
    expect(await value('drive-ahu-1-sf', 'run-cmd')).toBe(1);
    expect(await value('drive-ahu-1-sf', 'output-frequency')).toBeGreaterThan(10);
    // The status word is read-only: writing it is refused.
    const status = point('drive-ahu-1-sf', 'running');
    const err = await drive.writeRegisters(1, pduAddress(profile, status), [0], 6).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'exception', exceptionName: 'illegal-data-address' });
  });

  it('answers with the injected Modbus exception, named by the client', async () => {
    const meter = await modbusTo('meter-main');
    const total = point('meter-main', 'total-power');
    const profile = site.profiles[device('meter-main').profile];
    expect((await putFaults('meter-main', { exceptionCode: 6 })).status).toBe(200);
    const err = await meter.readRegisters(1, 4, pduAddress(profile, total), 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusError);
    expect(err).toMatchObject({ kind: 'exception', exceptionCode: 6, exceptionName: 'server-device-busy' });
    await fetch(`${sim.controlUrl}/devices/meter-main/faults`, { method: 'DELETE' });
    expect(await meter.readRegisters(1, 4, pduAddress(profile, total), 2)).toHaveLength(2);
  });

  it('answers late when slowed and not at all when offline', async () => {
    const addr = device('vav-1-03').bacnet!.address;
    const zone = objectOf('vav-1-03', 'zone-temp');
    await putFaults('vav-1-03', { delayMs: 300 });
    const t0 = Date.now();
    await bacnet.readProperty(addr, zone, 'present-value');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    await putFaults('vav-1-03', { offline: true });
    const err = await bacnet.readProperty(addr, zone, 'present-value').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BacnetError);
    expect((err as BacnetError).kind).toBe('timeout');
    await putFaults('vav-1-03', {});
    expect(typeof (await bacnet.readProperty(addr, zone, 'present-value'))).toBe('number');
  });

  it('holds a stuck sensor and reports an out-of-range one far outside plausibility', async () => {
    await putFaults('vav-1-04', { stuck: { 'zone-temp': 35.5 }, outOfRange: ['discharge-air-temp'] });
    await settle(200);
    const addr = device('vav-1-04').bacnet!.address;
    expect(await bacnet.readProperty(addr, objectOf('vav-1-04', 'zone-temp'), 'present-value')).toBeCloseTo(
      35.5,
      3,
    );
    expect(await bacnet.readProperty(addr, objectOf('vav-1-04', 'discharge-air-temp'), 'present-value')).toBe(
      999999,
    );
    await putFaults('vav-1-04', {});
    await settle(200);
    expect(await bacnet.readProperty(addr, objectOf('vav-1-04', 'zone-temp'), 'present-value')).toBeLessThan(
      30,
    );
  });

  it.each([
    ['vav-1-05', { stuck: { 'no-such-point': 1 } }, 400, 'no point "no-such-point"'],
    ['vav-1-05', { stuck: { 'damper-cmd': 1 } }, 400, 'is an output'],
    ['vav-1-05', { exceptionCode: 6 }, 400, 'Modbus devices only'],
    ['meter-main', { colour: 'red' }, 400, 'unknown field(s): colour'],
    ['meter-main', { offline: 'yes' }, 400, 'offline: must be a boolean'],
    ['no-such-device', {}, 404, 'no device "no-such-device"'],
  ])('refuses bad faults for %s %j with problem details', async (id, body, status, detail) => {
    const res = await putFaults(id, body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as ProblemDetails).detail).toContain(detail);
    // Nothing half-applied: the device's faults are as they were (none), or the device does not exist.
    const current = await fetch(`${sim.controlUrl}/devices/${id}/faults`);
    expect(current.status === 404 ? {} : await current.json()).toEqual({});
  });
});
