/**
 * SubscribeCOV between BacnetClient and BacnetDevice (ASHRAE 135 §13.14):
 * unconfirmed and confirmed notifications (the latter acknowledged by the
 * client, STACK.md trap 5), notifications on change only, cancellation, and a
 * device without COV.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError } from './index.js';
import type { BacnetDevice, CovNotification, ObjectRef } from './index.js';
import { DEVICE_INSTANCE, testDevice } from './test-support/fixtures.js';

const AI: ObjectRef = { type: 'analog-input', instance: 1 };
const AO: ObjectRef = { type: 'analog-output', instance: 1 };
const BI: ObjectRef = { type: 'binary-input', instance: 1 };

/** Collects notifications; `next(n)` waits until n have arrived (or fails after 2 s). */
function collector(client: BacnetClient): {
  all: CovNotification[];
  next: (count: number) => Promise<CovNotification[]>;
} {
  const all: CovNotification[] = [];
  client.onCov((n) => all.push(n));
  const next = async (count: number): Promise<CovNotification[]> => {
    const until = Date.now() + 2000;
    while (all.length < count && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    if (all.length < count) throw new Error(`expected ${count} notifications, got ${all.length}`);
    return all.slice(0, count);
  };
  return { all, next };
}

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('COV subscriptions', () => {
  let device: BacnetDevice;
  let address: string;
  let client: BacnetClient;

  beforeAll(async () => {
    device = testDevice();
    const { port } = await device.start();
    address = `127.0.0.1:${port}`;
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
  });
  afterAll(async () => {
    await client.close();
    await device.close();
  });

  it('sends unconfirmed notifications: the current value at once, then each change', async () => {
    const local = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await local.start();
    try {
      const c = collector(local);
      await local.subscribeCov(address, AI, { lifetimeSeconds: 60, confirmed: false, processId: 7 });
      const [initial] = await c.next(1);
      expect(initial).toMatchObject({
        address,
        deviceInstance: DEVICE_INSTANCE,
        object: AI,
        processId: 7,
        confirmed: false,
        values: { 'present-value': 21.5, 'status-flags': [false, false, false, false] },
      });
      expect(initial.timeRemaining).toBeGreaterThan(55);
      expect(initial.timeRemaining).toBeLessThanOrEqual(60);

      device.setPresentValue(AI, 22.25);
      device.setPresentValue(AI, 22.25); // no change, no notification
      device.setPresentValue(BI, 0); // another object, not subscribed
      device.setPresentValue(AI, 23);
      const got = await c.next(3);
      expect(got.map((n) => n.values['present-value'])).toEqual([21.5, 22.25, 23]);
      await pause(100);
      expect(c.all).toHaveLength(3);

      await local.unsubscribeCov(address, AI, 7);
      device.setPresentValue(AI, 24);
      await pause(150);
      expect(c.all).toHaveLength(3);
    } finally {
      device.setPresentValue(AI, 21.5);
      device.setPresentValue(BI, 1);
      await local.close();
    }
  });

  it('sends confirmed notifications for commanded changes, and the client acknowledges them', async () => {
    const c = collector(client);
    const before = device.getCovStats();
    await client.subscribeCov(address, AO, { lifetimeSeconds: 0, confirmed: true });
    await c.next(1);
    await client.writeProperty(address, AO, 'present-value', 55, { priority: 8 });
    await client.relinquish(address, AO, 8);
    const got = await c.next(3);
    expect(got.map((n) => [n.object, n.confirmed, n.timeRemaining, n.values['present-value']])).toEqual([
      [AO, true, 0, 5],
      [AO, true, 0, 55],
      [AO, true, 0, 5],
    ]);
    const until = Date.now() + 1000;
    while (device.getCovStats().acknowledged - before.acknowledged < 3 && Date.now() < until) await pause(5);
    const after = device.getCovStats();
    expect(after.acknowledged - before.acknowledged).toBe(3);
    expect(after.failed - before.failed).toBe(0);
    await client.unsubscribeCov(address, AO);
  });

  it('stops notifying when the subscription lifetime has run out', async () => {
    const local = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await local.start();
    try {
      const c = collector(local);
      await local.subscribeCov(address, AI, { lifetimeSeconds: 1, confirmed: false });
      await c.next(1);
      await pause(1100);
      device.setPresentValue(AI, 30);
      await pause(150);
      expect(c.all).toHaveLength(1);
    } finally {
      device.setPresentValue(AI, 21.5);
      await local.close();
    }
  });

  it('names the errors: unknown object, and a device without COV', async () => {
    const e = await client
      .subscribeCov(
        address,
        { type: 'analog-input', instance: 77 },
        { lifetimeSeconds: 60, confirmed: false },
      )
      .then(
        () => undefined,
        (err: unknown) => err,
      );
    expect(e).toBeInstanceOf(BacnetError);
    expect(e).toMatchObject({ kind: 'error', errorClass: 'object', errorCode: 'unknown-object' });

    const noCov = testDevice({ supportsCov: false });
    const { port } = await noCov.start();
    try {
      await expect(
        client.subscribeCov(`127.0.0.1:${port}`, AI, { lifetimeSeconds: 60, confirmed: false }),
      ).rejects.toMatchObject({ kind: 'reject', errorCode: 'unrecognized-service' });
    } finally {
      await noCov.close();
    }
  });
});
