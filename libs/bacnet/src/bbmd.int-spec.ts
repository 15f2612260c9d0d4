/**
 * Devices behind a BBMD (ASHRAE 135 Annex J), over real UDP on loopback: the
 * client registers as a foreign device, keeps the registration alive before
 * its TTL runs out, discovers through Distribute-Broadcast-To-Network, binds
 * each device to its own address (not the BBMD's), follows a device that
 * moved, and answers a forwarded device at its own address (STACK.md trap 6).
 */
import { createSocket } from 'node:dgram';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient } from './index.js';
import type { BacnetDevice, CovNotification } from './index.js';
import { TestBbmd } from './test-support/bbmd.js';
import { OBJECTS, testDevice } from './test-support/fixtures.js';
import { BVLC, peekApdu } from './wire.js';

const AI = { type: 'analog-input' as const, instance: 1 };
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('behind a BBMD', () => {
  let bbmd: TestBbmd;
  let devices: BacnetDevice[];
  let addresses: string[];
  const clients: BacnetClient[] = [];

  const client = async (bbmdOptions: { address: string; ttlSeconds?: number }): Promise<BacnetClient> => {
    const c = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 500, bbmd: bbmdOptions });
    clients.push(c);
    await c.start();
    return c;
  };

  beforeAll(async () => {
    bbmd = new TestBbmd({ graceSeconds: 0 });
    const at = await bbmd.start();
    // Their "local broadcast" is the BBMD: it stands in for the subnet they share.
    devices = [270001, 270002].map((deviceInstance) =>
      testDevice({ deviceInstance, broadcastAddress: at, iAmBroadcast: true }),
    );
    addresses = [];
    for (const d of devices) addresses.push(`127.0.0.1:${(await d.start()).port}`);
    for (const a of addresses) bbmd.serve(a);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.close()));
    await bbmd.close();
  });

  it('registers as a foreign device and discovers the devices at their own addresses', async () => {
    const c = await client({ address: bbmd.address, ttlSeconds: 60 });
    expect(c.foreignDevice()).toMatchObject({ bbmd: bbmd.address, registered: true, registrations: 1 });
    expect(bbmd.table().map((e) => [e.address, e.ttlSeconds])).toEqual([[`127.0.0.1:${c.port}`, 60]]);

    const found = await c.whoIs({ waitMs: 300 });
    expect(found.map((d) => [d.deviceInstance, d.address]).sort()).toEqual([
      [270001, addresses[0]],
      [270002, addresses[1]],
    ]);
    expect(found.every((d) => d.address !== bbmd.address)).toBe(true);
    expect(bbmd.stats().distributed).toBe(1);
    expect(c.binding(270002)?.address).toBe(addresses[1]);
    // Later requests go straight to the device, not through the BBMD.
    expect(await c.readProperty(c.binding(270002)!.address, AI, 'present-value')).toBe(
      OBJECTS[0].presentValue,
    );
  });

  it('re-registers at half the TTL, so the BBMD keeps forwarding after the TTL has run out', async () => {
    const c = await client({ address: bbmd.address, ttlSeconds: 1 });
    await pause(2200);
    expect(c.foreignDevice()!.registrations).toBeGreaterThanOrEqual(4);
    expect(bbmd.table().map((e) => e.address)).toContain(`127.0.0.1:${c.port}`);
    const found = await c.whoIs({ lowLimit: 270001, highLimit: 270001, waitMs: 300 });
    expect(found.map((d) => d.address)).toEqual([addresses[0]]);
  });

  it('names a refused registration, and hears nothing through a BBMD that NAKs its broadcasts', async () => {
    const refusing = new TestBbmd({ refuseRegistrations: true, served: addresses });
    await refusing.start();
    try {
      const c = await client({ address: refusing.address, ttlSeconds: 60 });
      expect(c.foreignDevice()).toMatchObject({ registered: false, registrations: 0 });
      expect(c.foreignDevice()!.lastError).toMatch(/refused foreign-device registration/);
      expect(await c.whoIs({ waitMs: 200 })).toEqual([]);
      expect(refusing.stats().naks).toBeGreaterThanOrEqual(2); // the registration and the broadcast
    } finally {
      await refusing.close();
    }
  });

  it('follows a device that moved: its I-Am from the new address rebinds it', async () => {
    const c = await client({ address: bbmd.address, ttlSeconds: 60 });
    await c.whoIs({ lowLimit: 270002, highLimit: 270002, waitMs: 300 });
    expect(c.binding(270002)?.address).toBe(addresses[1]);
    const moves: [string, string][] = [];
    c.onDeviceMoved((b, from) => moves.push([from, b.address]));

    const moved = testDevice({ deviceInstance: 270002, broadcastAddress: bbmd.address, iAmBroadcast: true });
    await devices[1].close();
    const next = `127.0.0.1:${(await moved.start()).port}`;
    bbmd.serve(addresses[1], false);
    bbmd.serve(next);
    devices[1] = moved;
    const old = addresses[1];
    addresses[1] = next;
    moved.announce();
    const until = Date.now() + 1000;
    while (c.binding(270002)?.address !== next && Date.now() < until) await pause(5);
    expect(c.binding(270002)?.address).toBe(next);
    expect(moves).toEqual([[old, next]]);
    expect(await c.readProperty(next, AI, 'object-name')).toBe('Zone temp');
  });

  it('acknowledges a forwarded confirmed notification at the device, as Original-Unicast (trap 6)', async () => {
    const c = await client({ address: bbmd.address, ttlSeconds: 60 });
    const got: CovNotification[] = [];
    c.onCov((n) => got.push(n));
    const device = createSocket('udp4');
    const relay = createSocket('udp4');
    const heard: { by: string; frame: Buffer }[] = [];
    device.on('message', (m) => heard.push({ by: 'device', frame: m }));
    relay.on('message', (m) => heard.push({ by: 'relay', frame: m }));
    await Promise.all(
      [device, relay].map((s) => new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))),
    );
    try {
      const origin = device.address();
      // ConfirmedCOVNotification (§13.7): process 1, device 99, analog-input 1, 60 s left, present-value 42.5.
      const real = Buffer.alloc(4);
      real.writeFloatBE(42.5);
      const apdu = [
        0x00,
        0x05,
        0x21,
        0x01,
        0x09,
        0x01,
        0x1c,
        0x02,
        0x00,
        0x00,
        0x63,
        0x2c,
        0x00,
        0x00,
        0x00,
        0x01,
        0x39,
        0x3c,
        0x4e,
        0x09,
        0x55,
        0x2e,
        0x44,
        ...real,
        0x2f,
        0x4f,
      ];
      const npdu = [0x01, 0x04, ...apdu];
      const len = 10 + npdu.length;
      const octets = origin.address.split('.').map(Number);
      const frame = Buffer.from([
        0x81,
        BVLC.FORWARDED_NPDU,
        len >> 8,
        len & 0xff,
        ...octets,
        origin.port >> 8,
        origin.port & 0xff,
        ...npdu,
      ]);
      relay.send(frame, c.port, '127.0.0.1');
      const until = Date.now() + 1000;
      while (heard.length === 0 && Date.now() < until) await pause(5);
      await pause(50);
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({
        address: `127.0.0.1:${origin.port}`,
        object: AI,
        values: { 'present-value': 42.5 },
        confirmed: true,
      });
      expect(heard.map((h) => h.by)).toEqual(['device']);
      const ack = heard[0].frame;
      expect(ack[1]).toBe(BVLC.ORIGINAL_UNICAST_NPDU);
      expect(peekApdu(ack)).toMatchObject({ pduType: 2, invokeId: 0x21 });
    } finally {
      device.close();
      relay.close();
    }
  });
});
