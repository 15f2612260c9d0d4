/**
 * The simulator's BACnet devices host Schedule and Calendar objects when told
 * to (`--schedule-objects DEVICE:COUNT`): a client on loopback writes and
 * reads them back, and a device not told to has none.
 */
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError, readCalendar, readSchedule, writeCalendar } from '#libs/bacnet';
import { findRepoRoot, loadSite } from '#libs/profiles';
import type { LoadedSite } from '#libs/profiles';
import { Simulator } from '../simulator.js';
import { scheduleObjectsFor } from './schedule-objects.js';

const root = findRepoRoot();

describe('schedule objects in the simulator', () => {
  let sim: Simulator;
  let client: BacnetClient;
  let site: LoadedSite;
  const address = (id: string): string => site.devices.find((d) => d.id === id)!.bacnet!.address;

  beforeAll(async () => {
    const demo = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
    sim = await Simulator.start({
      site: {
        ...demo,
        devices: demo.devices
          .filter((d) => d.id === 'ahu-1' || d.id === 'vav-1-01')
          .map((d) => ({ ...d, bacnet: { ...d.bacnet!, address: '127.0.0.1:0' } })),
      },
      control: null,
      scheduleObjects: new Map([['ahu-1', scheduleObjectsFor(2)]]),
    });
    site = sim.resolvedSite();
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await client.start();
  });
  afterAll(async () => {
    await client?.close();
    await sim?.close();
  });

  it('the AHU hosts Schedule 1-2 and Calendar 1-2 that keep what is written', async () => {
    expect((await readSchedule(client, address('ahu-1'), 2)).objectName).toBe('Schedule 2');
    const calendar = {
      objectName: 'Public holidays',
      dateList: [{ type: 'date' as const, date: { year: 255, month: 12, day: 25, dayOfWeek: 255 } }],
    };
    await writeCalendar(client, address('ahu-1'), 2, calendar);
    expect(await readCalendar(client, address('ahu-1'), 2)).toEqual(calendar);
  });

  it('a device not named has no Schedule objects (object/unknown-object)', async () => {
    const err = await readSchedule(client, address('vav-1-01'), 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BacnetError);
    expect(err).toMatchObject({ errorClass: 'object', errorCode: 'unknown-object' });
  });

  it('refuses schedule objects on a device that is not in the site or not BACnet', async () => {
    const demo = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
    await expect(
      Simulator.start({
        site: demo,
        control: null,
        scheduleObjects: new Map([['meter-main', scheduleObjectsFor(1)]]),
      }),
    ).rejects.toThrow('schedule objects: device "meter-main" is not a BACnet device');
  });
});
