/**
 * The operator overrides in force (slot 8), as a version records them in its
 * `overrides` section: read from CommandService's priority arrays, read-only.
 * A port so the configuration service is unit-tested without the command path.
 */
import type { PriorityArrayDto } from '#libs/contracts';
import { SOURCE_SLOTS } from '#libs/priority';
import type { LoadedSite } from '#libs/profiles';

export interface OverridesSource {
  /** Point key -> the operator slots held on it now; points without one are absent. */
  operatorOverrides(): Promise<Record<string, unknown>>;
}

export const OVERRIDES = Symbol('OVERRIDES');

const OPERATOR_SLOTS: readonly number[] = SOURCE_SLOTS.operator;

export function overridesFromCommands(
  commands: { priorityArray(pointId: string): Promise<PriorityArrayDto> },
  site: LoadedSite,
): OverridesSource {
  const writable = site.devices.flatMap((device) =>
    (site.profiles[device.profile]?.points ?? [])
      .filter((point) => point.access === 'write')
      .map((point) => `${device.id}.${point.id}`),
  );
  return {
    async operatorOverrides() {
      const arrays = await Promise.all(writable.map((key) => commands.priorityArray(key)));
      const overrides: Record<string, unknown> = {};
      for (const array of arrays) {
        const slots = array.slots.filter((slot) => OPERATOR_SLOTS.includes(slot.priority));
        // Through JSON: an absent expiry must be absent, not undefined (canonical JSON refuses undefined).
        if (slots.length > 0) overrides[array.pointId] = JSON.parse(JSON.stringify(slots)) as unknown;
      }
      return overrides;
    },
  };
}
