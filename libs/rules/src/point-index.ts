/**
 * The points a rule set may name: `deviceId.pointId` → the point's definition
 * from its device's hardware profile (profile = the model, site = the instance,
 * CONVENTIONS.md habit 3). Validation reads kind, access, safe range, states and
 * fail-safe value from here.
 */
import type { LoadedSite, PointDef } from '#libs/profiles';
import type { PointKey } from './types.js';

/** The fields of a point that rule validation reads. */
export type RulePoint = Pick<
  PointDef,
  'id' | 'kind' | 'access' | 'unit' | 'safeRange' | 'states' | 'failSafe'
>;

export type PointIndex = ReadonlyMap<PointKey, RulePoint>;

/** Same alphabet as device and point ids in the profile and site schemas, joined by one dot. */
export const POINT_KEY_PATTERN = /^[a-z0-9][a-z0-9_-]*\.[a-z0-9][a-z0-9_-]*$/;

export function pointKey(deviceId: string, pointId: string): PointKey {
  return `${deviceId}.${pointId}`;
}

/** Every point of every device of a loaded site; devices whose profile is missing contribute nothing. */
export function pointIndexOf(site: Pick<LoadedSite, 'devices' | 'profiles'>): Map<PointKey, PointDef> {
  const index = new Map<PointKey, PointDef>();
  for (const device of site.devices) {
    const profile = site.profiles[device.profile];
    if (profile === undefined) continue;
    for (const point of profile.points) index.set(pointKey(device.id, point.id), point);
  }
  return index;
}
