import { describe, expect, it } from '@jest/globals';
import type { LoadedSite } from '#libs/profiles';
import { checkScheduleHosts, scheduleObjectsFor } from './schedule-objects.js';

describe('schedule objects of simulated BACnet devices', () => {
  it('numbers Schedule and Calendar objects from 1, all writable', () => {
    expect(scheduleObjectsFor(2)).toEqual([
      { type: 'schedule', instance: 1, name: 'Schedule 1' },
      { type: 'calendar', instance: 1, name: 'Calendar 1' },
      { type: 'schedule', instance: 2, name: 'Schedule 2' },
      { type: 'calendar', instance: 2, name: 'Calendar 2' },
    ]);
    expect(() => scheduleObjectsFor(0)).toThrow('schedule objects per device must be 1..64, got 0');
  });

  it('names a host that is not a BACnet device of the site', () => {
    const site = {
      devices: [
        { id: 'ahu-1', bacnet: { address: '127.0.0.1:0', deviceInstance: 1 } },
        { id: 'meter', modbus: { transport: 'tcp', host: '127.0.0.1', port: 0, unitId: 1 } },
      ],
    } as unknown as LoadedSite;
    expect(() => checkScheduleHosts(site, ['ahu-1'])).not.toThrow();
    expect(() => checkScheduleHosts(site, ['meter'])).toThrow('device "meter" is not a BACnet device');
    expect(() => checkScheduleHosts(site, ['ahu-9'])).toThrow('no device "ahu-9" in the site');
  });
});
