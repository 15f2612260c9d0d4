/**
 * The site's `alarmLimits` beyond the schema: each names an analog point of a
 * device of this site, has low or high (or both), low lies below high, and a point has one entry (two
 * would raise two alarms for one condition). Findings name the limit's path,
 * so the issue carries the file and line; messages name the point.
 */
import type { Finding } from './schema-check.js';
import type { DeviceEntry } from './site-checks.js';
import type { AlarmLimit, Profile } from './types.js';
import type { DataPath } from './yaml-source.js';

export interface AlarmLimitContext {
  alarmLimits?: readonly AlarmLimit[];
  /** Devices the schema accepted. */
  devices: readonly DeviceEntry[];
  /** Loaded profiles by SiteDevice.profile; absent when missing or invalid. */
  profiles: ReadonlyMap<string, Profile>;
  lineAt: (path: DataPath) => number | undefined;
}

export function checkAlarmLimits(context: AlarmLimitContext): Finding[] {
  const findings: Finding[] = [];
  const first = new Map<string, number>();
  (context.alarmLimits ?? []).forEach((limit, i) => {
    const at = (field: string, message: string): void => {
      findings.push({ path: ['alarmLimits', i, field], message });
    };
    const [deviceId, pointId] = limit.point.split('.');
    const entry = context.devices.find((d) => d.device.id === deviceId);
    if (entry === undefined) {
      at('point', `point "${limit.point}": no device "${deviceId}" in this site`);
    } else {
      const profile = context.profiles.get(entry.device.profile);
      const point = profile?.points.find((p) => p.id === pointId);
      // A missing or broken profile is reported against the profile itself.
      if (profile !== undefined && point === undefined)
        at('point', `point "${limit.point}": profile ${entry.device.profile} has no point "${pointId}"`);
      else if (point !== undefined && point.kind !== 'analog')
        at('point', `point "${limit.point}" is ${point.kind}: limits apply to analog points only`);
    }
    if (limit.low === undefined && limit.high === undefined)
      at('high', `point "${limit.point}": give low, high or both`);
    if (limit.low !== undefined && limit.high !== undefined && limit.low >= limit.high)
      at('low', `point "${limit.point}": low ${limit.low} must lie below high ${limit.high}`);
    const earlier = first.get(limit.point);
    if (earlier === undefined) first.set(limit.point, i);
    else {
      const line = context.lineAt(['alarmLimits', earlier]);
      at(
        'point',
        `point "${limit.point}" already has limits at alarmLimits[${earlier}]${line === undefined ? '' : ` (line ${line})`}: give low and high in one entry`,
      );
    }
  });
  return findings;
}
