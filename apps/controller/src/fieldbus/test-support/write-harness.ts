/** A WriteService outside Nest, on real drivers, for int tests. */
import { pino } from 'pino';
import { systemClock } from '#libs/fieldbus';
import type { FieldbusDriver } from '#libs/fieldbus';
import type { LoadedSite, Profile, SiteDevice } from '#libs/profiles';
import { LiveValues } from '../../points/live-values.js';
import { WriteService } from '../../writes/write.service.js';

export function loadedSite(devices: SiteDevice[], profiles: Record<string, Profile>): LoadedSite {
  return { schemaVersion: 1, name: 'test', timeZone: 'UTC', file: 'site.yaml', devices, profiles };
}

export function writeService(
  site: LoadedSite,
  driver: FieldbusDriver,
): { writes: WriteService; live: LiveValues } {
  const live = new LiveValues(site, systemClock);
  const writes = new WriteService(
    site,
    new Map([[driver.protocol, driver]]),
    systemClock,
    pino({ level: 'silent' }),
    live,
  );
  writes.policy = { retries: 2, backoff: { baseMs: 50, maxMs: 200 } };
  return { writes, live };
}
