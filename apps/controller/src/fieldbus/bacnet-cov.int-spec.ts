/**
 * COV through the BACnet driver against simulated devices over real UDP:
 * pushed values, confirmed notifications acknowledged, renewal at half the
 * lifetime (a short one, so the test takes about a second), a device that
 * refuses COV left to polling, and a renewal that fails handed back to
 * polling through sink.lost.
 */
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { BacnetClient } from '#libs/bacnet';
import type { BacnetDevice } from '#libs/bacnet';
import type { DeviceContext, FieldbusErrorInfo, ValueSink } from '#libs/fieldbus';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import { countingClient, deviceForProfile } from '../../../../libs/bacnet/src/test-support/profile-device.js';
import { BacnetDriver } from './bacnet-driver.js';
import type { BacnetDriverOptions } from './bacnet-driver.js';

const VAV = loadProfile(resolve(findRepoRoot(), 'hardware-profiles/bacnet/johnson-controls/cvm-vav.yaml'));
const point = (id: string): PointDef => VAV.points.find((p) => p.id === id)!;
const ZONE = point('zone-temp');
const DAMPER = point('damper-cmd');
const AIRFLOW = point('airflow');

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class RecordingSink implements ValueSink {
  values: [string, number][] = [];
  lostCalls: [string[], FieldbusErrorInfo][] = [];
  value(pointId: string, value: number): void {
    this.values.push([pointId, value]);
  }
  lost(pointIds: string[], reason: FieldbusErrorInfo): void {
    this.lostCalls.push([pointIds, reason]);
  }
  lostPoints(): string[] {
    return this.lostCalls.flatMap(([ids]) => ids);
  }
  async waitFor(test: () => boolean, ms = 2000): Promise<void> {
    const until = Date.now() + ms;
    while (!test() && Date.now() < until) await pause(5);
    if (!test()) throw new Error(`condition not met in ${ms} ms; values ${JSON.stringify(this.values)}`);
  }
}

describe('BacnetDriver COV', () => {
  const devices: BacnetDevice[] = [];
  const drivers: BacnetDriver[] = [];
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close()));
    await Promise.all(devices.splice(0).map((d) => d.close()));
  });

  async function setup(
    deviceOver: Parameters<typeof deviceForProfile>[1],
    o: BacnetDriverOptions = {},
    profile: Profile = VAV,
  ) {
    const device = deviceForProfile(profile, deviceOver);
    devices.push(device);
    const { port } = await device.start();
    const counted = countingClient(new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 300 }));
    const driver = new BacnetDriver(counted.client, o);
    drivers.push(driver);
    const ctx: DeviceContext = {
      profile,
      site: {
        id: `cov-${deviceOver.deviceInstance}`,
        name: 'cov device',
        profile: 'test',
        pollIntervalMs: 1000,
        bacnet: { address: `127.0.0.1:${port}`, deviceInstance: deviceOver.deviceInstance },
      },
    };
    return { device, driver, ctx, log: counted.log };
  }

  it('pushes the current values, then each change; confirmed notifications are acknowledged', async () => {
    const { device, driver, ctx } = await setup({ deviceInstance: 401 });
    const sink = new RecordingSink();
    const ids = await driver.subscribe(ctx, [ZONE, DAMPER, AIRFLOW], sink);
    expect([...ids].sort()).toEqual(['airflow', 'damper-cmd', 'zone-temp']);
    await sink.waitFor(() => sink.values.length >= 3); // §13.1.2: a new subscription gets the values at once
    device.setPresentValue({ type: 'analog-input', instance: 1106 }, 23.5);
    await driver.write(ctx, { point: DAMPER, value: 55, priority: 8 });
    await sink.waitFor(() => sink.values.some(([id, v]) => id === 'zone-temp' && v === 23.5));
    await sink.waitFor(() => sink.values.some(([id, v]) => id === 'damper-cmd' && v === 55));
    await sink.waitFor(() => device.getCovStats().acknowledged === device.getCovStats().sent);
    expect(device.getCovStats()).toMatchObject({ failed: 0 });
    expect(device.getCovStats().sent).toBeGreaterThanOrEqual(5);
  });

  it('renews each subscription at half its lifetime, so changes keep coming after the lifetime ran out', async () => {
    const { device, driver, ctx, log } = await setup({ deviceInstance: 402 }, { covLifetimeSeconds: 1 });
    const sink = new RecordingSink();
    await driver.subscribe(ctx, [ZONE], sink);
    expect(log.subscribes).toBe(1);
    await pause(1600); // past the 1 s lifetime: without renewal the device would have dropped us
    expect(log.subscribes).toBeGreaterThanOrEqual(3); // at 0.5 s and 1.0 s (and 1.5 s)
    expect(log.subscribes).toBeLessThanOrEqual(4);
    sink.values.length = 0;
    device.setPresentValue({ type: 'analog-input', instance: 1106 }, 19.75);
    await sink.waitFor(() => sink.values.some(([, v]) => v === 19.75));
    expect(sink.lostCalls).toEqual([]);
  });

  it('a device refusing COV: nothing subscribed, remembered, and the points poll as before', async () => {
    const { driver, ctx, log } = await setup({ deviceInstance: 403, supportsCov: false });
    const sink = new RecordingSink();
    expect(await driver.subscribe(ctx, [ZONE, AIRFLOW], sink)).toEqual(new Set());
    expect(driver.learned(ctx).covRefused).toBe(true);
    expect(log.subscribes).toBe(1);
    expect(await driver.subscribe(ctx, [ZONE, AIRFLOW], sink)).toEqual(new Set());
    expect(log.subscribes).toBe(1);
    const polled = await driver.readMany(ctx, [ZONE, AIRFLOW]);
    expect(polled.every((o) => typeof o.value === 'number')).toBe(true);
  });

  it('an object the device refuses is left to polling; a profile without COV sends nothing', async () => {
    const { driver, ctx, log } = await setup({ deviceInstance: 404 });
    const ghost: PointDef = { ...ZONE, id: 'ghost', bacnet: { objectType: 'analog-input', instance: 4242 } };
    expect(await driver.subscribe(ctx, [ZONE, ghost], new RecordingSink())).toEqual(new Set(['zone-temp']));

    const noCov = await setup(
      { deviceInstance: 405 },
      {},
      { ...VAV, bacnet: { ...VAV.bacnet!, cov: false } },
    );
    expect(await noCov.driver.subscribe(noCov.ctx, [ZONE], new RecordingSink())).toEqual(new Set());
    expect(noCov.log.subscribes).toBe(0);
    expect(log.subscribes).toBe(2);
  });

  it('a renewal that fails hands the points back to polling through sink.lost, named', async () => {
    const { device, driver, ctx } = await setup({ deviceInstance: 406 }, { covLifetimeSeconds: 1 });
    const sink = new RecordingSink();
    await driver.subscribe(ctx, [ZONE, AIRFLOW], sink);
    device.setFault({ offline: true });
    await sink.waitFor(() => sink.lostPoints().length === 2, 2000);
    expect(sink.lostCalls[0][1].code).toBe('timeout');
    expect(sink.lostPoints().sort()).toEqual(['airflow', 'zone-temp']);
    expect(driver.subscribed(ctx)).toEqual([]);
  });
});
