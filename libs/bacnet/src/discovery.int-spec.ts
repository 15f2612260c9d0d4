/**
 * Discovery over real UDP against awkward devices: a 50-octet APDU (object
 * list and state texts read element by element, batches narrowed), no
 * ReadPropertyMultiple at all, and targets where nobody answers.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, describeDevice, findDevices } from './index.js';
import type { BacnetDevice, DeviceObjectDef } from './index.js';
import { OBJECTS, testDevice } from './test-support/fixtures.js';

const LONG_STATES: DeviceObjectDef = {
  type: 'multi-state-value',
  instance: 7,
  name: 'Operating mode',
  presentValue: 2,
  commandable: true,
  relinquishDefault: 1,
  stateTexts: ['Automatic operation', 'Manual override active', 'Maintenance lockout'],
};

describe('discovery of awkward devices', () => {
  let tiny: BacnetDevice;
  let noRpm: BacnetDevice;
  let client: BacnetClient;
  const at: Record<string, string> = {};

  beforeAll(async () => {
    tiny = testDevice({ deviceInstance: 280001, maxApdu: 50, objects: [...OBJECTS, LONG_STATES] });
    noRpm = testDevice({ deviceInstance: 280002, supportsRpm: false });
    at.tiny = `127.0.0.1:${(await tiny.start()).port}`;
    at.noRpm = `127.0.0.1:${(await noRpm.start()).port}`;
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 500 });
    await client.start();
  });
  afterAll(async () => {
    await client.close();
    await tiny.close();
    await noRpm.close();
  });

  it('finds devices by directed Who-Is within the instance range, and nothing where nobody answers', async () => {
    const progress: number[] = [];
    const found = await findDevices(client, {
      targets: [at.tiny, at.noRpm, '127.0.0.1:9'],
      lowLimit: 280000,
      highLimit: 280001,
      waitMs: 200,
      onProgress: (p) => progress.push(p.done),
    });
    expect(found.map((d) => [d.deviceInstance, d.address, d.maxApdu])).toEqual([[280001, at.tiny, 50]]);
    expect(progress.sort()).toEqual([1, 2, 3]);
  });

  it('describes a 50-octet device completely: object list, long state texts, commandability', async () => {
    const [device] = await findDevices(client, { targets: [at.tiny], waitMs: 200 });
    const d = await describeDevice(client, device);
    expect(d.objects).toHaveLength(OBJECTS.length + 1);
    const mode = d.objects.find((o) => o.object.instance === 7)!;
    expect(mode).toMatchObject({
      name: 'Operating mode',
      stateTexts: LONG_STATES.stateTexts,
      commandable: true,
      relinquishDefault: 1,
    });
    const commandable = d.objects
      .filter((o) => o.commandable)
      .map((o) => `${o.object.type}:${o.object.instance}`);
    expect(commandable.sort()).toEqual([
      'analog-output:1',
      'binary-output:1',
      'multi-state-output:1',
      'multi-state-value:7',
    ]);
    expect(d.objects.find((o) => o.object.type === 'analog-input')).toMatchObject({
      name: 'Zone temp',
      units: 62,
    });
    // Neither the 10-entry object list nor the three state texts fit 50 octets: both came element by element.
    expect(d.device.maxApdu).toBe(50);
  });

  it('describes a device without ReadPropertyMultiple with ReadProperty, and says so', async () => {
    const [device] = await findDevices(client, { targets: [at.noRpm], waitMs: 200 });
    const d = await describeDevice(client, device);
    expect(d.rpm).toBe(false);
    expect(d.cov).toBe(true);
    expect(d.objects.map((o) => o.name)).toEqual(OBJECTS.map((o) => o.name));
    expect(d.objects.find((o) => o.object.type === 'multi-state-input')?.stateTexts).toEqual([
      'Off',
      'Low',
      'High',
    ]);
    expect(d.learned.join()).toMatch(/ReadPropertyMultiple refused \(unrecognized-service\)/);
  });
});
