/**
 * The STACK.md traps the facade guards against, pinned on real UDP: a silent
 * device times out by our own timer, late answers never settle later requests,
 * invoke ids wrap many times without a hang, and requests in flight per device
 * stay bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError } from './index.js';
import type { BacnetDevice, ObjectRef } from './index.js';
import { testDevice } from './test-support/fixtures.js';

const AI: ObjectRef = { type: 'analog-input', instance: 1 };
const AO: ObjectRef = { type: 'analog-output', instance: 1 };

describe('BacnetClient robustness', () => {
  let device: BacnetDevice;
  let address: string;

  beforeAll(async () => {
    device = testDevice();
    const { port } = await device.start();
    address = `127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await device.close();
  });

  it('rejects with kind timeout within timeoutMs when the device is offline, then recovers', async () => {
    const client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 300 });
    await client.start();
    try {
      device.setFault({ offline: true });
      const t0 = Date.now();
      const err = await client.readProperty(address, AI, 'present-value').then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - t0;
      expect(err).toBeInstanceOf(BacnetError);
      expect((err as BacnetError).kind).toBe('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(290);
      expect(elapsed).toBeLessThan(600);
      expect(await client.whoIs({ address, waitMs: 200 })).toEqual([]);

      device.setFault({});
      expect(await client.readProperty(address, AI, 'present-value')).toBe(21.5);
    } finally {
      device.setFault({});
      await client.close();
    }
  });

  it('never lets a late answer settle a later request', async () => {
    // 200 requests time out together; their answers arrive 100 ms later, while new requests reuse the id space.
    const client = new BacnetClient({
      interface: '127.0.0.1',
      port: 0,
      timeoutMs: 150,
      maxInFlightPerDevice: 250,
    });
    await client.start();
    try {
      device.setFault({ delayMs: 250 });
      const late = await Promise.allSettled(
        Array.from({ length: 200 }, () => client.readProperty(address, AI, 'object-name')),
      );
      expect(late.every((r) => r.status === 'rejected' && (r.reason as BacnetError).kind === 'timeout')).toBe(
        true,
      );
      device.setFault({});
      const outcomes = new Set<string>();
      const until = Date.now() + 500;
      while (Date.now() < until) {
        outcomes.add(
          await client.readProperty(address, AI, 'present-value').then(
            (v) => String(v),
            (e: BacnetError) => e.kind,
          ),
        );
      }
      expect([...outcomes]).toEqual(['21.5']);
    } finally {
      device.setFault({});
      await client.close();
    }
  });

  it('survives 2,000 sequential reads (invoke ids wrap ~8 times) without a lost answer', async () => {
    const client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
    try {
      const outcomes = new Map<string, number>();
      for (let i = 0; i < 2000; i++) {
        const r = await client.readProperty(address, AI, 'present-value').then(
          (v) => String(v),
          (e: BacnetError) => e.kind,
        );
        outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
      }
      expect(Object.fromEntries(outcomes)).toEqual({ '21.5': 2000 });
    } finally {
      await client.close();
    }
  });

  it('loses no answer with 60 requests in flight and invoke ids reused within the timeout', async () => {
    // The library's own request table orphans ~2% of these (answers dropped, promises never settled).
    const client = new BacnetClient({
      interface: '127.0.0.1',
      port: 0,
      timeoutMs: 200,
      maxInFlightPerDevice: 100,
    });
    await client.start();
    try {
      const outcomes = new Map<string, number>();
      const until = Date.now() + 1000;
      await Promise.all(
        Array.from({ length: 60 }, async () => {
          while (Date.now() < until) {
            const r = await client.readProperty(address, AI, 'present-value').then(
              (v) => String(v),
              (e: BacnetError) => e.kind,
            );
            outcomes.set(r, (outcomes.get(r) ?? 0) + 1);
          }
        }),
      );
      expect([...outcomes.keys()]).toEqual(['21.5']);
      expect(outcomes.get('21.5')).toBeGreaterThan(300);
    } finally {
      await client.close();
    }
  });

  it('survives 1,000 concurrent reads across two devices, bounded per device', async () => {
    const other = testDevice({ deviceInstance: 260002 });
    const { port } = await other.start();
    const client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 2000 });
    await client.start();
    try {
      const otherAddress = `127.0.0.1:${port}`;
      const reads = Array.from({ length: 1000 }, (_, i) =>
        client.readProperty(i % 2 ? address : otherAddress, i % 3 ? AI : AO, 'present-value'),
      );
      const values = await Promise.all(reads);
      expect(values.filter((v, i) => v === (i % 3 ? 21.5 : 5))).toHaveLength(1000);
    } finally {
      await client.close();
      await other.close();
    }
  });

  it('holds at most maxInFlightPerDevice requests at a device, queueing the rest', async () => {
    const client = new BacnetClient({
      interface: '127.0.0.1',
      port: 0,
      timeoutMs: 2000,
      maxInFlightPerDevice: 2,
    });
    await client.start();
    try {
      device.setFault({ delayMs: 100 });
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 6 }, () => client.readProperty(address, AI, 'present-value')));
      // Six requests, two at a time, 100 ms each: three rounds.
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    } finally {
      device.setFault({});
      await client.close();
    }
  });

  it('settles pending requests when closed, and refuses new ones', async () => {
    const client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 5000 });
    await client.start();
    device.setFault({ offline: true });
    try {
      const pending = client.readProperty(address, AI, 'present-value');
      await new Promise((r) => setTimeout(r, 50));
      const t0 = Date.now();
      await client.close();
      await expect(pending).rejects.toMatchObject({ kind: 'abort' });
      expect(Date.now() - t0).toBeLessThan(1000);
      await expect(client.readProperty(address, AI, 'present-value')).rejects.toMatchObject({
        kind: 'abort',
      });
    } finally {
      device.setFault({});
    }
  });
});
