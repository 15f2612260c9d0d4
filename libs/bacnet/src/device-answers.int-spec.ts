/**
 * The simulated device's answer cache (device-answers.ts) over real UDP: a
 * repeated read is answered from the cache, and never with a stale value —
 * not after a value set from outside, not after a write — and a cached answer
 * obeys the device's faults like any other.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError } from './index.js';
import type { BacnetDevice, ObjectRef } from './index.js';
import { testDevice } from './test-support/fixtures.js';

const AI: ObjectRef = { type: 'analog-input', instance: 1 };
const AO: ObjectRef = { type: 'analog-output', instance: 1 };

describe('BacnetDevice answer cache', () => {
  let device: BacnetDevice;
  let client: BacnetClient;
  let address: string;

  const readBoth = async (): Promise<unknown[]> =>
    (
      await client.readPropertyMultiple(address, [
        { object: AI, properties: ['present-value'] },
        { object: AO, properties: ['present-value', 'priority-array'] },
      ])
    ).map((r) => r.value);

  beforeAll(async () => {
    device = testDevice();
    address = `127.0.0.1:${(await device.start()).port}`;
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
  });
  afterAll(async () => {
    await client.close();
    await device.close();
  });

  it('answers repeated reads alike', async () => {
    const first = await readBoth();
    expect(first[0]).toBeCloseTo(21.5);
    expect(await readBoth()).toEqual(first);
    expect(await client.readProperty(address, AI, 'present-value')).toBeCloseTo(21.5);
    expect(await client.readProperty(address, AI, 'present-value')).toBeCloseTo(21.5);
  });

  it('answers with the new value after a value set from outside', async () => {
    await readBoth();
    device.setPresentValue(AI, 30.25);
    expect((await readBoth())[0]).toBe(30.25);
    expect(await client.readProperty(address, AI, 'present-value')).toBe(30.25);
  });

  it('answers with the new value and priority array after a write', async () => {
    await readBoth();
    await client.writeProperty(address, AO, 'present-value', 40, { priority: 8 });
    const [, value, slots] = await readBoth();
    expect(value).toBe(40);
    expect((slots as unknown[])[7]).toBe(40);
    await client.relinquish(address, AO, 8);
    expect((await readBoth())[1]).toBe(5);
  });

  it('delays and silences cached answers as the device is told to', async () => {
    await readBoth();
    await readBoth();
    device.setFault({ delayMs: 300 });
    const t0 = performance.now();
    await readBoth();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    device.setFault({ offline: true });
    await expect(readBoth()).rejects.toThrow(BacnetError);
    device.setFault({});
    expect((await readBoth())[0]).toBe(30.25);
  });
});
