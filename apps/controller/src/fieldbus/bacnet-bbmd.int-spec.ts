/**
 * The driver reaching a device behind a BBMD as a foreign device, and
 * following it when it moves: the site still names the old address, the
 * first read times out, the driver's Who-Is goes out through the BBMD, the
 * device's I-Am (forwarded by the BBMD) rebinds it, and the next read reaches
 * it at its new address.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BacnetClient } from '#libs/bacnet';
import type { BacnetDevice } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';
import type { DeviceContext } from '#libs/fieldbus';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import { TestBbmd } from '../../../../libs/bacnet/src/test-support/bbmd.js';
import { deviceForProfile } from '../../../../libs/bacnet/src/test-support/profile-device.js';
import { loadConfig } from '../config/controller-config.js';
import { BacnetDriver } from './bacnet-driver.js';

const VAV = loadProfile(resolve(findRepoRoot(), 'hardware-profiles/bacnet/johnson-controls/cvm-vav.yaml'));
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('BacnetDriver behind a BBMD', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('reads a forwarded device at its own address and follows it to a new one', async () => {
    const bbmd = new TestBbmd({ graceSeconds: 0 });
    await bbmd.start();
    closers.push(() => bbmd.close());
    const behind = (): BacnetDevice =>
      deviceForProfile(VAV, { deviceInstance: 601, broadcastAddress: bbmd.address, iAmBroadcast: true });
    let device = behind();
    const first = `127.0.0.1:${(await device.start()).port}`;
    bbmd.serve(first);

    const client = new BacnetClient({
      interface: '127.0.0.1',
      port: 0,
      timeoutMs: 300,
      bbmd: { address: bbmd.address, ttlSeconds: 60 },
    });
    const driver = new BacnetDriver(client, { breaker: () => ({ baseMs: 50, maxMs: 100 }) });
    closers.push(() => driver.close());
    const ctx: DeviceContext = {
      profile: VAV,
      site: {
        id: 'vav-behind-bbmd',
        name: 'VAV behind a BBMD',
        profile: 'bacnet/johnson-controls/cvm-vav.yaml',
        pollIntervalMs: 1000,
        bacnet: { address: first, deviceInstance: 601 },
      },
    };
    await driver.connect(ctx);
    expect(client.foreignDevice()?.registered).toBe(true);
    expect((await driver.readMany(ctx, VAV.points)).every((o) => o.error === undefined)).toBe(true);

    // The device comes back at another address (a new DHCP lease); the site file still names the old one.
    await device.close();
    device = behind();
    const moved = `127.0.0.1:${(await device.start()).port}`;
    closers.push(() => device.close());
    bbmd.serve(first, false);
    bbmd.serve(moved);

    const err = await driver.readMany(ctx, VAV.points).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FieldbusError);
    expect((err as FieldbusError).code).toBe('timeout');
    const until = Date.now() + 2000;
    while (client.binding(601)?.address !== moved && Date.now() < until) await pause(10);
    expect(client.binding(601)?.address).toBe(moved);
    await pause(120); // the breaker's backoff
    const after = await driver.readMany(ctx, VAV.points);
    expect(after.every((o) => o.error === undefined)).toBe(true);
  });

  it('registers with the BBMD the controller config names, at its time-to-live, and finds a device behind it', async () => {
    const bbmd = new TestBbmd({ graceSeconds: 0 });
    await bbmd.start();
    closers.push(() => bbmd.close());
    const device = deviceForProfile(VAV, {
      deviceInstance: 602,
      broadcastAddress: bbmd.address,
      iAmBroadcast: true,
    });
    const at = `127.0.0.1:${(await device.start()).port}`;
    closers.push(() => device.close());
    bbmd.serve(at);

    const config = loadConfig(
      { BULWARK_BACNET_BBMD: bbmd.address, BULWARK_BACNET_BBMD_TTL: '90', BULWARK_BACNET_PORT: '0' },
      findRepoRoot(),
    );
    // As the fieldbus module builds the controller's client: the config's BACnet section, spread.
    const client = new BacnetClient({ ...config.bacnet, timeoutMs: 300 });
    await client.start();
    closers.push(() => client.close());
    expect(client.foreignDevice()).toMatchObject({ bbmd: bbmd.address, ttlSeconds: 90, registered: true });
    expect(bbmd.table()).toEqual([
      expect.objectContaining({ address: `127.0.0.1:${client.port}`, ttlSeconds: 90 }),
    ]);
    // A broadcast Who-Is goes through the BBMD, and the device's I-Am comes back through it.
    const found = await client.whoIs({ lowLimit: 602, highLimit: 602, waitMs: 1000 });
    expect(found.map((d) => d.address)).toEqual([at]);
  });
});
