/**
 * The whole of `npm run discover` but the files: find devices, describe each,
 * draft one profile per model (devices with the same vendor, model and object
 * list share it) and a site with one entry per device. Pure data out; the
 * script writes YAML and validates it with libs/profiles.
 */
import type { Profile, SiteDevice, SiteFile } from '#libs/profiles';
import type { BacnetClient } from './client.js';
import { describeDevice, findDevices } from './discovery.js';
import type { DeviceDescription, ScanOptions, ScanProgress } from './discovery.js';
import { draftProfile, draftSiteDevice, modelKey, profilePath } from './draft-profile.js';
import type { DiscoveredDevice } from './types.js';

export interface DiscoverOptions extends ScanOptions {
  /** Default 5000. */
  pollIntervalMs?: number;
  siteName?: string;
  /** IANA zone of the site; default the system's. */
  timeZone?: string;
  /** ISO date for the drafts; default today. */
  date?: string;
}

export interface DraftedProfile {
  /** Relative to a profiles root: bacnet/<vendor>/<model>.yaml */
  path: string;
  profile: Profile;
  deviceInstances: number[];
}

export interface DiscoverResult {
  found: DiscoveredDevice[];
  described: DeviceDescription[];
  profiles: DraftedProfile[];
  site: SiteFile;
  /** Devices found but not drafted, and why. */
  skipped: { device: DiscoveredDevice; reason: string }[];
}

export async function discover(client: BacnetClient, o: DiscoverOptions): Promise<DiscoverResult> {
  const date = o.date ?? new Date().toISOString().slice(0, 10);
  const found = await findDevices(client, o);
  const described: DeviceDescription[] = [];
  const skipped: DiscoverResult['skipped'] = [];
  for (const [i, device] of found.entries()) {
    const progress = (objectsDone: number, objects: number): void =>
      o.onProgress?.({
        phase: 'read',
        done: i,
        total: found.length,
        found: found.length,
        current: `device ${device.deviceInstance}: object ${objectsDone}/${objects}`,
      } satisfies ScanProgress);
    try {
      const d = await describeDevice(client, device, { onObject: progress });
      if (d.objects.length === 0)
        skipped.push({ device, reason: 'no point objects (analog, binary, multi-state)' });
      else described.push(d);
    } catch (err) {
      skipped.push({ device, reason: err instanceof Error ? err.message : String(err) });
    }
    o.onProgress?.({ phase: 'read', done: i + 1, total: found.length, found: found.length });
  }

  const byModel = new Map<string, DraftedProfile>();
  const paths = new Set<string>();
  const siteIds = new Set<string>();
  const devices: SiteDevice[] = [];
  for (const d of described) {
    const key = modelKey(d);
    let drafted = byModel.get(key);
    if (!drafted) {
      drafted = {
        path: uniquePath(profilePath(d), paths),
        profile: draftProfile(d, { date }),
        deviceInstances: [],
      };
      byModel.set(key, drafted);
    }
    drafted.deviceInstances.push(d.device.deviceInstance);
    devices.push(
      draftSiteDevice(d, drafted.path, { pollIntervalMs: o.pollIntervalMs ?? 5000, ids: siteIds }),
    );
  }
  const site: SiteFile = {
    schemaVersion: 1,
    name: o.siteName ?? 'Discovered site',
    timeZone: o.timeZone ?? Intl.DateTimeFormat().resolvedOptions().timeZone,
    devices,
  };
  return { found, described, profiles: [...byModel.values()], site, skipped };
}

function uniquePath(path: string, taken: Set<string>): string {
  const stem = path.replace(/\.yaml$/, '');
  let p = path;
  for (let n = 2; taken.has(p); n++) p = `${stem}-${n}.yaml`;
  taken.add(p);
  return p;
}
