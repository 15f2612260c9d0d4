/**
 * Schedule and Calendar objects a simulated BACnet device may host, so the
 * controller's schedule import and export have something to talk to. Real
 * field controllers have them (a JCI FEC air handler keeps its occupancy
 * program in Schedule objects), but hardware profiles describe points, not
 * programs, so which device hosts them is a simulator setting
 * (`--schedule-objects DEVICE:COUNT`), not profile data. The objects keep what
 * is written (libs/bacnet device-schedules.ts); they do not drive outputs.
 */
import type { ScheduleObjectDef } from '#libs/bacnet';
import type { LoadedSite } from '#libs/profiles';

/** The most of each kind one device may host: enough for any test, few enough to stay a field controller. */
export const MAX_SCHEDULE_OBJECTS = 64;

/** Schedule 1..count and Calendar 1..count, all writable. */
export function scheduleObjectsFor(count: number): ScheduleObjectDef[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_SCHEDULE_OBJECTS)
    throw new RangeError(`schedule objects per device must be 1..${MAX_SCHEDULE_OBJECTS}, got ${count}`);
  return Array.from({ length: count }, (_, i) => [
    { type: 'schedule' as const, instance: i + 1, name: `Schedule ${i + 1}` },
    { type: 'calendar' as const, instance: i + 1, name: `Calendar ${i + 1}` },
  ]).flat();
}

/** Every device named must be a BACnet device of the site; the error names the one that is not. */
export function checkScheduleHosts(site: LoadedSite, hosts: Iterable<string>): void {
  for (const id of hosts) {
    const device = site.devices.find((d) => d.id === id);
    if (!device) throw new RangeError(`schedule objects: no device "${id}" in the site`);
    if (!device.bacnet) throw new RangeError(`schedule objects: device "${id}" is not a BACnet device`);
  }
}
