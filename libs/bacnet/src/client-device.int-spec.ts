/**
 * BacnetClient against BacnetDevice over real UDP on loopback (both on port 0):
 * discovery, reads of every object kind, ReadPropertyMultiple with per-property
 * errors, command prioritization and named errors.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError, isUnsupportedService, parseObjectId, profileUnitOf } from './index.js';
import type { BacnetDevice, ObjectRef } from './index.js';
import { DEVICE_INSTANCE, testDevice } from './test-support/fixtures.js';

const AI: ObjectRef = { type: 'analog-input', instance: 1 };
const AO: ObjectRef = { type: 'analog-output', instance: 1 };
const AV: ObjectRef = { type: 'analog-value', instance: 1 };
const BI: ObjectRef = { type: 'binary-input', instance: 1 };
const BO: ObjectRef = { type: 'binary-output', instance: 1 };
const BV: ObjectRef = { type: 'binary-value', instance: 1 };
const MSI: ObjectRef = { type: 'multi-state-input', instance: 1 };
const MSO: ObjectRef = { type: 'multi-state-output', instance: 1 };
const DEV = { type: 'device' as const, instance: DEVICE_INSTANCE };

async function bacnetErrorOf(p: Promise<unknown>): Promise<BacnetError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof BacnetError) return err;
    throw err;
  }
  throw new Error('expected a BacnetError, but the call succeeded');
}

describe('BacnetClient ↔ BacnetDevice', () => {
  let device: BacnetDevice;
  let client: BacnetClient;
  let address: string;
  const writes: [ObjectRef, number | null, number | undefined][] = [];

  beforeAll(async () => {
    device = testDevice({ maxApdu: 480 });
    device.onWrite((ref, value, priority) => writes.push([ref, value, priority]));
    const { port } = await device.start();
    address = `127.0.0.1:${port}`;
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
  });
  afterAll(async () => {
    await client.close();
    await device.close();
  });

  it('binds free ports, never 47808', () => {
    expect(client.port).toBeGreaterThan(0);
    expect(client.port).not.toBe(47808);
    expect(address).not.toBe('127.0.0.1:47808');
  });

  it('discovers the device with a directed Who-Is', async () => {
    const found = await client.whoIs({ address, waitMs: 500 });
    expect(found).toEqual([
      { address, deviceInstance: DEVICE_INSTANCE, maxApdu: 480, segmentation: 'none', vendorId: 999 },
    ]);
  });

  it('answers a ranged Who-Is only when its instance is inside the range', async () => {
    const inside = await client.whoIs({
      address,
      lowLimit: DEVICE_INSTANCE,
      highLimit: DEVICE_INSTANCE,
      waitMs: 500,
    });
    expect(inside.map((d) => d.deviceInstance)).toEqual([DEVICE_INSTANCE]);
    const outside = await client.whoIs({ address, lowLimit: 1, highLimit: DEVICE_INSTANCE - 1, waitMs: 200 });
    expect(outside).toEqual([]);
  });

  it('discovers by broadcast Who-Is a device bound to all interfaces on the broadcast port', async () => {
    // Linux delivers 127.255.255.255 only to sockets bound to 0.0.0.0 (a 127.0.0.1-bound device hears directed Who-Is only).
    const wide = testDevice({ interface: '0.0.0.0', deviceInstance: 260009 });
    const { port } = await wide.start();
    const local = new BacnetClient({
      interface: '127.0.0.1',
      port: 0,
      broadcastAddress: `127.255.255.255:${port}`,
    });
    await local.start();
    try {
      const found = await local.whoIs({ waitMs: 300 });
      expect(found.map((d) => [d.deviceInstance, d.address])).toEqual([[260009, `127.0.0.1:${port}`]]);
    } finally {
      await local.close();
      await wide.close();
    }
  });

  it('reads present-value of every object kind in its own datatype', async () => {
    expect(await client.readProperty(address, AI, 'present-value')).toBe(21.5);
    expect(await client.readProperty(address, AO, 'present-value')).toBe(5); // relinquish default
    expect(await client.readProperty(address, AV, 'present-value')).toBe(22);
    expect(await client.readProperty(address, BI, 'present-value')).toBe(1);
    expect(await client.readProperty(address, BO, 'present-value')).toBe(0);
    expect(await client.readProperty(address, BV, 'present-value')).toBe(0);
    expect(await client.readProperty(address, MSI, 'present-value')).toBe(2);
    expect(await client.readProperty(address, MSO, 'present-value')).toBe(1);
  });

  it('reads names, units, flags, state texts and array elements', async () => {
    expect(await client.readProperty(address, AO, 'object-name')).toBe('Damper');
    expect(await client.readProperty(address, AO, 'description')).toBe('supply damper position');
    expect(profileUnitOf((await client.readProperty(address, AI, 'units')) as number)).toBe('degC');
    expect(profileUnitOf((await client.readProperty(address, AO, 'units')) as number)).toBe('%');
    expect(await client.readProperty(address, AI, 'status-flags')).toEqual([false, false, false, false]);
    expect(await client.readProperty(address, MSI, 'state-text')).toEqual(['Off', 'Low', 'High']);
    expect(await client.readProperty(address, MSI, 'state-text', 3)).toBe('High');
    expect(await client.readProperty(address, MSI, 'number-of-states')).toBe(3);
    expect(await client.readProperty(address, AI, 'object-identifier')).toBe('analog-input:1');
  });

  it('reads the device object: object-list, vendor, max-APDU, services', async () => {
    const list = (await client.readProperty(address, DEV, 'object-list')) as string[];
    expect(list[0]).toBe(`device:${DEVICE_INSTANCE}`);
    expect(list).toHaveLength(9);
    expect(list.map(parseObjectId)).toContainEqual(MSO);
    expect(await client.readProperty(address, DEV, 'object-list', 0)).toBe(9);
    expect(await client.readProperty(address, DEV, 'object-name')).toBe('AHU-1');
    expect(await client.readProperty(address, DEV, 'vendor-identifier')).toBe(999);
    expect(await client.readProperty(address, DEV, 'max-apdu-length-accepted')).toBe(480);
    const services = (await client.readProperty(address, DEV, 'protocol-services-supported')) as boolean[];
    expect(services[12]).toBe(true); // readProperty
    expect(services[14]).toBe(true); // readPropertyMultiple
    expect(services[16]).toBe(false); // writePropertyMultiple
    // The wildcard instance 4194303 names whichever device answers (ASHRAE 135 §12.11.1).
    expect(await client.readProperty(address, { type: 'device', instance: 4194303 }, 'object-name')).toBe(
      'AHU-1',
    );
  });

  it('reads many properties in one ReadPropertyMultiple, errors per property', async () => {
    const r = await client.readPropertyMultiple(address, [
      { object: AI, properties: ['present-value', 'object-name', 'units', 'priority-array'] },
      { object: BO, properties: ['present-value', 'relinquish-default', 'units'] },
      { object: { type: 'analog-value', instance: 99 }, properties: ['present-value'] },
      { object: DEV, properties: ['object-name', 'vendor-identifier'] },
    ]);
    expect(r).toEqual([
      { object: AI, property: 'present-value', value: 21.5 },
      { object: AI, property: 'object-name', value: 'Zone temp' },
      { object: AI, property: 'units', value: 62 },
      {
        object: AI,
        property: 'priority-array',
        error: { errorClass: 'property', errorCode: 'unknown-property' },
      },
      { object: BO, property: 'present-value', value: 0 },
      { object: BO, property: 'relinquish-default', value: 0 },
      { object: BO, property: 'units', error: { errorClass: 'property', errorCode: 'unknown-property' } },
      {
        object: { type: 'analog-value', instance: 99 },
        property: 'present-value',
        error: { errorClass: 'object', errorCode: 'unknown-object' },
      },
      { object: DEV, property: 'object-name', value: 'AHU-1' },
      { object: DEV, property: 'vendor-identifier', value: 999 },
    ]);
  });

  it('commands by priority: 8 then 10, relinquish 8 → slot 10, relinquish all → relinquish default', async () => {
    writes.length = 0;
    await client.writeProperty(address, AO, 'present-value', 40, { priority: 8 });
    await client.writeProperty(address, AO, 'present-value', 60, { priority: 10 });
    expect(await client.readProperty(address, AO, 'present-value')).toBe(40);
    expect(await client.readProperty(address, AO, 'current-command-priority')).toBe(8);

    await client.relinquish(address, AO, 8);
    expect(await client.readProperty(address, AO, 'present-value')).toBe(60);
    const pa = (await client.readProperty(address, AO, 'priority-array')) as (number | null)[];
    expect(pa).toHaveLength(16);
    expect(pa[9]).toBe(60);
    expect(pa.filter((v) => v !== null)).toEqual([60]);
    expect(await client.readProperty(address, AO, 'priority-array', 10)).toBe(60);
    expect(device.getObjectState(AO).priorityArray[9]).toBe(60);

    await client.relinquish(address, AO, 10);
    expect(await client.readProperty(address, AO, 'present-value')).toBe(5);
    expect(await client.readProperty(address, AO, 'current-command-priority')).toBeNull();
    expect(device.getObjectState(AO)).toEqual({
      presentValue: 5,
      priorityArray: new Array(16).fill(null),
      relinquishDefault: 5,
      commandable: true,
    });
    expect(writes).toEqual([
      [AO, 40, 8],
      [AO, 60, 10],
      [AO, null, 8],
      [AO, null, 10],
    ]);
  });

  it('writes at priority 16 when none is given, binary and multi-state in their datatypes', async () => {
    await client.writeProperty(address, BO, 'present-value', true);
    expect(device.getObjectState(BO).priorityArray[15]).toBe(1);
    expect(await client.readProperty(address, BO, 'present-value')).toBe(1);
    await client.relinquish(address, BO, 16);
    expect(await client.readProperty(address, BO, 'present-value')).toBe(0);

    await client.writeProperty(address, MSO, 'present-value', 3, { priority: 12 });
    expect(await client.readProperty(address, MSO, 'present-value')).toBe(3);
    await client.relinquish(address, MSO, 12);
  });

  it('writes a non-commandable value object directly', async () => {
    writes.length = 0;
    await client.writeProperty(address, AV, 'present-value', 23.5, { priority: 8 });
    expect(await client.readProperty(address, AV, 'present-value')).toBe(23.5);
    expect(device.getPresentValue(AV)).toBe(23.5);
    expect(writes).toEqual([[AV, 23.5, undefined]]);
    await client.writeProperty(address, BV, 'present-value', 1);
    expect(device.getPresentValue(BV)).toBe(1);
  });

  it('names the error when writing an input', async () => {
    const e = await bacnetErrorOf(client.writeProperty(address, AI, 'present-value', 30));
    expect(e).toMatchObject({ kind: 'error', errorClass: 'property', errorCode: 'write-access-denied' });
    expect(e.message).toContain('analog-input:1');
    expect(device.getPresentValue(AI)).toBe(21.5);
  });

  it('names unknown objects and properties', async () => {
    const obj = await bacnetErrorOf(
      client.readProperty(address, { type: 'analog-input', instance: 42 }, 'present-value'),
    );
    expect(obj).toMatchObject({ kind: 'error', errorClass: 'object', errorCode: 'unknown-object' });
    const prop = await bacnetErrorOf(client.readProperty(address, BI, 'units'));
    expect(prop).toMatchObject({ kind: 'error', errorClass: 'property', errorCode: 'unknown-property' });
  });

  it('refuses a multi-state value outside its states and a bad array index', async () => {
    const e = await bacnetErrorOf(client.writeProperty(address, MSO, 'present-value', 4, { priority: 8 }));
    expect(e).toMatchObject({ kind: 'error', errorClass: 'property', errorCode: 'value-out-of-range' });
    const idx = await bacnetErrorOf(client.readProperty(address, AO, 'priority-array', 17));
    expect(idx).toMatchObject({ errorClass: 'property', errorCode: 'invalid-array-index' });
  });

  it('aborts an answer larger than the device max-APDU instead of sending it truncated', async () => {
    const big = testDevice({
      maxApdu: 50,
      objects: [
        {
          type: 'multi-state-value',
          instance: 1,
          name: 'm',
          presentValue: 1,
          commandable: false,
          stateTexts: ['a'.repeat(25), 'b'.repeat(25)],
        },
      ],
    });
    const { port } = await big.start();
    try {
      const e = await bacnetErrorOf(
        client.readProperty(`127.0.0.1:${port}`, { type: 'multi-state-value', instance: 1 }, 'state-text'),
      );
      expect(e).toMatchObject({ kind: 'abort', errorCode: 'segmentation-not-supported' });
      expect(
        await client.readProperty(
          `127.0.0.1:${port}`,
          { type: 'multi-state-value', instance: 1 },
          'state-text',
          2,
        ),
      ).toBe('b'.repeat(25));
    } finally {
      await big.close();
    }
  });

  it('names the Reject of a device without ReadPropertyMultiple', async () => {
    const noRpm = testDevice({ supportsRpm: false });
    const { port } = await noRpm.start();
    try {
      const e = await bacnetErrorOf(
        client.readPropertyMultiple(`127.0.0.1:${port}`, [{ object: AI, properties: ['present-value'] }]),
      );
      expect(e).toMatchObject({ kind: 'reject', errorCode: 'unrecognized-service' });
      expect(isUnsupportedService(e)).toBe(true);
      const services = (await client.readProperty(
        `127.0.0.1:${port}`,
        DEV,
        'protocol-services-supported',
      )) as boolean[];
      expect(services[14]).toBe(false);
    } finally {
      await noRpm.close();
    }
  });

  it('refuses priorities outside 1..16 before sending', async () => {
    await expect(client.writeProperty(address, AO, 'present-value', 1, { priority: 0 })).rejects.toThrow(
      RangeError,
    );
    await expect(client.readProperty(address, AO, 'no-such-property')).rejects.toThrow(
      /unknown BACnet property/,
    );
  });
});
