/**
 * The BACnet driver against simulated devices over real UDP on loopback,
 * through real hardware profiles: batched reads, what it learns from devices
 * that abort or reject ReadPropertyMultiple, named errors, commands at a
 * priority, relinquish, the priority array and current command priority.
 */
import { resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import { BacnetClient } from '#libs/bacnet';
import type { BacnetDevice } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';
import type { DeviceContext } from '#libs/fieldbus';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import type { PointDef, Profile } from '#libs/profiles';
import {
  countingClient,
  deviceForProfile,
  objectsOf,
} from '../../../../libs/bacnet/src/test-support/profile-device.js';
import { BacnetDriver } from './bacnet-driver.js';

const root = findRepoRoot();
const VAV = loadProfile(resolve(root, 'hardware-profiles/bacnet/johnson-controls/cvm-vav.yaml'));
const TIMEOUT_MS = 300;

const point = (profile: Profile, id: string): PointDef => profile.points.find((p) => p.id === id)!;

async function errorOf(p: Promise<unknown>): Promise<FieldbusError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof FieldbusError)) throw new Error(`expected a FieldbusError, got ${String(err)}`);
  return err;
}

describe('BacnetDriver', () => {
  const devices: BacnetDevice[] = [];
  const drivers: BacnetDriver[] = [];

  /** A device from `profile` on a free port, and a driver (with its own client) pointed at it. */
  async function setup(
    profile: Profile,
    deviceOver: Parameters<typeof deviceForProfile>[1],
    quirks: Partial<NonNullable<Profile['bacnet']>> = {},
  ) {
    const device = deviceForProfile(profile, deviceOver);
    devices.push(device);
    const { port } = await device.start();
    const counted = countingClient(
      new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: TIMEOUT_MS }),
    );
    const driver = new BacnetDriver(counted.client);
    drivers.push(driver);
    const ctx: DeviceContext = {
      profile: { ...profile, bacnet: { ...profile.bacnet!, ...quirks } },
      site: {
        id: `dev-${deviceOver.deviceInstance}`,
        name: 'test device',
        profile: 'test',
        pollIntervalMs: 1000,
        bacnet: { address: `127.0.0.1:${port}`, deviceInstance: deviceOver.deviceInstance },
      },
    };
    return { device, driver, ctx, log: counted.log };
  }

  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close()));
    await Promise.all(devices.splice(0).map((d) => d.close()));
  });

  it('reads every point of the VAV profile in one ReadPropertyMultiple, to the value the device holds', async () => {
    const { driver, ctx, log } = await setup(VAV, { deviceInstance: 301 });
    const outcomes = await driver.readMany(ctx, VAV.points);
    const objects = objectsOf(VAV);
    expect(outcomes).toEqual(
      VAV.points.map((p, i) => ({
        pointId: p.id,
        value: objects[i].commandable ? objects[i].relinquishDefault : objects[i].presentValue,
      })),
    );
    expect(log).toMatchObject({ rpm: 1, rp: 0 });
  });

  it('small max APDU (128, not in the profile): the batch shrinks after an abort, and is remembered', async () => {
    const { driver, ctx, log } = await setup(
      VAV,
      { deviceInstance: 302, maxApdu: 128 },
      { maxApdu: undefined },
    );
    const first = await driver.readMany(ctx, VAV.points);
    expect(first.every((o) => o.error === undefined)).toBe(true);
    expect(driver.learned(ctx).budget).toBeLessThanOrEqual(128);
    expect(
      driver
        .learned(ctx)
        .events.map((e) => e.what)
        .join(),
    ).toMatch(/abort segmentation-not-supported/);
    const before = log.rpm;
    const second = await driver.readMany(ctx, VAV.points);
    expect(second).toEqual(first);
    // 17 REAL/Unsigned present-values, 7 per 128-octet answer (3 + 16 × 7 = 115): 3 requests, no abort.
    expect(log.rpm - before).toBe(3);
  });

  it('I-Am says 206: connect() sizes the batches before the first read, so nothing aborts', async () => {
    const { driver, ctx, log } = await setup(
      VAV,
      { deviceInstance: 303, maxApdu: 206 },
      { maxApdu: undefined },
    );
    await driver.connect(ctx);
    await driver.readMany(ctx, VAV.points);
    expect(driver.learned(ctx).events.map((e) => e.what)).toEqual(['max APDU 206 (budget 1476 → 206)']);
    expect(log.rpm).toBe(Math.ceil(17 / Math.floor((206 - 3) / 16)));
  });

  it('a device rejecting RPM: falls back to ReadProperty, and remembers', async () => {
    const { driver, ctx, log } = await setup(VAV, { deviceInstance: 304, supportsRpm: false });
    const first = await driver.readMany(ctx, VAV.points);
    expect(first.every((o) => o.value !== undefined)).toBe(true);
    expect(driver.learned(ctx).rpm).toBe(false);
    expect(log).toMatchObject({ rpm: 1, rp: 17 });
    await driver.readMany(ctx, VAV.points);
    expect(log).toMatchObject({ rpm: 1, rp: 34 });
  });

  it('an unknown object: that point carries bacnet-error:object/unknown-object, the others their values', async () => {
    const { driver, ctx } = await setup(VAV, { deviceInstance: 305 });
    const ghost: PointDef = {
      ...point(VAV, 'zone-temp'),
      id: 'ghost',
      bacnet: { objectType: 'analog-input', instance: 9999 },
    };
    const out = await driver.readMany(ctx, [point(VAV, 'zone-temp'), ghost, point(VAV, 'airflow')]);
    expect(out.map((o) => o.error?.code ?? 'ok')).toEqual(['ok', 'bacnet-error:object/unknown-object', 'ok']);
  });

  it('an offline device: one timeout, then the breaker answers at once', async () => {
    const { device, driver, ctx, log } = await setup(VAV, { deviceInstance: 306 });
    device.setFault({ offline: true });
    const t0 = Date.now();
    expect((await errorOf(driver.readMany(ctx, VAV.points))).code).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(3 * TIMEOUT_MS);
    const t1 = Date.now();
    expect((await errorOf(driver.readMany(ctx, VAV.points))).code).toBe('breaker-open');
    expect(Date.now() - t1).toBeLessThan(50);
    expect(log.rpm + log.rp).toBeLessThanOrEqual(2);
    expect(
      (await errorOf(driver.write(ctx, { point: point(VAV, 'damper-cmd'), value: 50, priority: 8 }))).code,
    ).toBe('breaker-open');
  });

  it('commands at a priority, relinquishes with NULL, reads the array and the current command priority', async () => {
    const { device, driver, ctx } = await setup(VAV, { deviceInstance: 307 });
    const damper = point(VAV, 'damper-cmd');
    await driver.write(ctx, { point: damper, value: 40, priority: 8 });
    await driver.write(ctx, { point: damper, value: 60, priority: 10 });
    const both = await driver.readPriorityArray(ctx, damper);
    expect(both).toEqual({
      slots: Array.from({ length: 16 }, (_, i) => (i === 7 ? 40 : i === 9 ? 60 : null)),
      relinquishDefault: 30,
      currentCommandPriority: 8,
    });
    await driver.relinquish(ctx, damper, 8);
    expect((await driver.readPriorityArray(ctx, damper))?.currentCommandPriority).toBe(10);
    expect((await driver.readMany(ctx, [damper]))[0].value).toBe(60);
    await driver.relinquish(ctx, damper, 10);
    expect(await driver.readPriorityArray(ctx, damper)).toMatchObject({
      currentCommandPriority: null,
      relinquishDefault: 30,
    });
    expect(
      device.getObjectState({ type: 'analog-output', instance: 2131 }).priorityArray.every((v) => v === null),
    ).toBe(true);
    // Non-commandable objects have no priority array.
    expect(await driver.readPriorityArray(ctx, point(VAV, 'zone-temp'))).toBeNull();
  });

  it('computes the current command priority from the array for a device before 135-2016', async () => {
    const { driver, ctx } = await setup(VAV, { deviceInstance: 308, currentCommandPriority: false });
    const sp = point(VAV, 'occupied-cooling-sp');
    await driver.write(ctx, { point: sp, value: 25, priority: 12 });
    expect(await driver.readPriorityArray(ctx, sp)).toMatchObject({
      currentCommandPriority: 12,
      relinquishDefault: 24,
    });
    await driver.relinquish(ctx, sp, 12);
    expect(await driver.readPriorityArray(ctx, sp)).toMatchObject({ currentCommandPriority: null });
  });

  it('reads the priority array element by element on a device whose 50-octet APDU cannot carry it whole', async () => {
    const { driver, ctx } = await setup(VAV, { deviceInstance: 309, maxApdu: 50 }, { maxApdu: undefined });
    const valve = point(VAV, 'reheat-valve');
    await driver.write(ctx, { point: valve, value: 70, priority: 9 });
    expect(await driver.readPriorityArray(ctx, valve)).toEqual({
      slots: Array.from({ length: 16 }, (_, i) => (i === 8 ? 70 : null)),
      relinquishDefault: 25,
      currentCommandPriority: 9,
    });
  });

  it('names refused writes: read-only point, value out of range, priority out of range, non-commandable relinquish', async () => {
    const { driver, ctx } = await setup(VAV, { deviceInstance: 310 });
    expect((await errorOf(driver.write(ctx, { point: point(VAV, 'zone-temp'), value: 1 }))).code).toBe(
      'not-writable',
    );
    const occ = point(VAV, 'occupancy-cmd');
    expect((await errorOf(driver.write(ctx, { point: occ, value: 7, priority: 8 }))).code).toBe(
      'bacnet-error:property/value-out-of-range',
    );
    expect((await errorOf(driver.write(ctx, { point: occ, value: 2, priority: 17 }))).code).toBe(
      'out-of-range',
    );
    expect((await errorOf(driver.write(ctx, { point: occ, value: 2.5, priority: 8 }))).code).toBe(
      'out-of-range',
    );
    const input: PointDef = { ...point(VAV, 'zone-temp'), access: 'write' };
    expect((await errorOf(driver.write(ctx, { point: input, value: 1 }))).code).toBe(
      'bacnet-error:property/write-access-denied',
    );
    const plainValue: PointDef = { ...point(VAV, 'effective-occupancy'), access: 'write' };
    expect((await errorOf(driver.relinquish(ctx, plainValue, 8))).code).toBe('not-supported');
  });

  it('self-test: reachable, services as the profile says, every object type reads', async () => {
    const { driver, ctx } = await setup(VAV, { deviceInstance: 311 });
    const report = await driver.selfTest(ctx);
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual([
      'i-am',
      'device-object',
      'services',
      'read analog-input',
      'read analog-value',
      'read analog-output',
      'read multi-state-value',
      'priority-array',
      'learned',
    ]);
    const noCov = await setup(VAV, { deviceInstance: 312, supportsCov: false });
    const bad = await noCov.driver.selfTest(noCov.ctx);
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => c.name === 'services')?.detail).toMatch(/SubscribeCOV/);
  });
});

describe('BacnetDriver and profiles of the demo', () => {
  const devices: BacnetDevice[] = [];
  afterAll(async () => Promise.all(devices.map((d) => d.close())));

  it.each([
    'bacnet/johnson-controls/fec-ahu.yaml',
    'bacnet/lutron/quantum-area.yaml',
    'bacnet/loytec/l-dali.yaml',
  ])('reads every point of %s as the device holds it', async (file) => {
    const profile = loadProfile(resolve(root, 'hardware-profiles', file));
    const device = deviceForProfile(profile, { deviceInstance: 320 + devices.length });
    devices.push(device);
    const { port } = await device.start();
    const driver = new BacnetDriver(
      new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: TIMEOUT_MS }),
    );
    try {
      const ctx: DeviceContext = {
        profile,
        site: {
          id: 'x',
          name: 'x',
          profile: file,
          pollIntervalMs: 1000,
          bacnet: { address: `127.0.0.1:${port}`, deviceInstance: 320 + devices.length - 1 },
        },
      };
      const out = await driver.readMany(ctx, profile.points);
      const objects = objectsOf(profile);
      expect(out.map((o) => o.value)).toEqual(
        objects.map((o) => (o.commandable ? o.relinquishDefault : o.presentValue)),
      );
    } finally {
      await driver.close();
    }
  });
});
