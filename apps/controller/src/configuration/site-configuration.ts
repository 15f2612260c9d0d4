/**
 * The configuration as the site file gives it, and the parts of a
 * configuration that only a restart can apply.
 *
 * Keys: devices by id, profiles by the devices' `profile` reference, schedules
 * by id, calendars by name, rules (the site's `interlocks`) by id. Overrides
 * are not in a site file: they are the operator overrides in force when a
 * version is committed (configuration.service.ts fills them in).
 */
import type { LoadedSite } from '#libs/profiles';
import { configurationHash } from '#libs/snapshots';
import type { Configuration, Hash } from '#libs/snapshots';

export function configurationFromSite(site: LoadedSite): Configuration {
  const byKey = <T>(list: readonly T[] | undefined, key: (item: T) => string): Record<string, unknown> =>
    Object.fromEntries((list ?? []).map((item) => [key(item), structuredClone(item)]));
  const profiles: Record<string, unknown> = {};
  for (const device of site.devices)
    profiles[device.profile] = structuredClone(site.profiles[device.profile]);
  return {
    site: { name: site.name, timeZone: site.timeZone },
    devices: byKey(site.devices, (device) => device.id),
    profiles,
    schedules: byKey(site.schedules, (schedule) => schedule.id),
    calendars: byKey(site.calendars, (calendar) => calendar.name),
    rules: byKey(site.interlocks, (rule) => rule.id),
    overrides: {},
  };
}

/** The same configuration with an empty overrides record: what the site file and the editors decide. */
export function withoutOverrides(config: Configuration): Configuration {
  return { ...config, overrides: {} };
}

/**
 * A hash of what the scan is built from at boot (site settings, devices,
 * profiles): equal hashes mean a version runs without a restart.
 */
export function bootPartsHash(config: Configuration): Hash {
  return configurationHash({
    site: config.site,
    devices: config.devices,
    profiles: config.profiles,
    schedules: {},
    calendars: {},
    rules: {},
    overrides: {},
  });
}
