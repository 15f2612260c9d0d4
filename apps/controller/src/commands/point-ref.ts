/**
 * The command path's view of the site's points: where each one is arbitrated,
 * and the in-memory state the service keeps per commanded point.
 */
import type { DeviceContext } from '#libs/fieldbus';
import type { OutputState, PriorityArray } from '#libs/priority';
import type { LoadedSite, PointDef } from '#libs/profiles';
import type { Pending } from './priority-view.js';

export interface PointRef {
  key: string;
  device: DeviceContext;
  point: PointDef;
  /** 'device' for BACnet commandable objects (the device keeps the array), 'controller' otherwise. */
  arbitration: 'device' | 'controller';
}

export interface PointState {
  ref: PointRef;
  array: PriorityArray;
  output: OutputState;
  pending?: Pending;
}

/** Every point of the site by key (`deviceId.pointId`), read-only ones included (so errors can say so). */
export function pointRefs(site: LoadedSite): Map<string, PointRef> {
  const refs = new Map<string, PointRef>();
  for (const s of site.devices) {
    const profile = site.profiles[s.profile];
    for (const point of profile.points) {
      const key = `${s.id}.${point.id}`;
      const commandable = profile.protocol === 'bacnet' && point.bacnet?.commandable === true;
      refs.set(key, {
        key,
        device: { site: s, profile },
        point,
        arbitration: commandable ? 'device' : 'controller',
      });
    }
  }
  return refs;
}
