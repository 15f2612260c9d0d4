/**
 * Site rules beyond the schema: unique device ids, one endpoint per device in
 * the protocol its profile speaks, no two devices at one fieldbus address, and
 * a time zone the schedules can use.
 */
import type { Finding } from './schema-check.js';
import { timeZoneProblem } from './time-zone.js';
import type { Profile, SiteDevice, SiteFile } from './types.js';
import type { DataPath } from './yaml-source.js';

export interface DeviceEntry {
  device: SiteDevice;
  index: number;
}

export interface SiteCheckContext {
  site: SiteFile;
  /** Devices the schema accepted, with their index in the file. */
  devices: DeviceEntry[];
  /** Loaded profiles by SiteDevice.profile; absent when missing or invalid. */
  profiles: ReadonlyMap<string, Profile>;
  lineAt: (path: DataPath) => number | undefined;
}

export function checkSite(context: SiteCheckContext): Finding[] {
  const findings: Finding[] = [];
  const problem = timeZoneProblem(context.site.timeZone);
  if (problem !== undefined) findings.push({ path: ['timeZone'], message: problem });
  findings.push(
    ...duplicates(
      context,
      (d) => d.id,
      ['id'],
      (other) => `duplicate device id: also used by ${other}`,
    ),
  );
  for (const entry of context.devices) {
    const profile = context.profiles.get(entry.device.profile);
    findings.push(...endpoint(entry, profile), ...pointIntervals(entry, profile));
  }
  findings.push(
    ...duplicates(
      context,
      modbusKey,
      ['modbus', 'unitId'],
      (other, d) => `${describeModbus(d)} is already used by ${other}`,
    ),
    ...duplicates(
      context,
      (d) => (d.bacnet === undefined ? undefined : String(d.bacnet.deviceInstance)),
      ['bacnet', 'deviceInstance'],
      (other, d) => `BACnet device instance ${d.bacnet?.deviceInstance} is already used by ${other}`,
    ),
    ...serialLines(context),
    ...bacnetPorts(context),
  );
  return findings;
}

function at(entry: DeviceEntry, field: readonly string[], message: string): Finding {
  return { path: ['devices', entry.index, ...field], message };
}

function deviceRef(context: SiteCheckContext, entry: DeviceEntry): string {
  const line = context.lineAt(['devices', entry.index]);
  return line === undefined ? `device "${entry.device.id}"` : `device "${entry.device.id}" (line ${line})`;
}

function duplicates(
  context: SiteCheckContext,
  keyOf: (device: SiteDevice) => string | undefined,
  field: readonly string[],
  message: (other: string, device: SiteDevice) => string,
): Finding[] {
  const first = new Map<string, DeviceEntry>();
  const findings: Finding[] = [];
  for (const entry of context.devices) {
    const key = keyOf(entry.device);
    if (key === undefined) continue;
    const earlier = first.get(key);
    if (earlier === undefined) first.set(key, entry);
    else findings.push(at(entry, field, message(deviceRef(context, earlier), entry.device)));
  }
  return findings;
}

/** The device's endpoint must be the one its profile's protocol needs, and only that one. */
function endpoint(entry: DeviceEntry, profile: Profile | undefined): Finding[] {
  const { device } = entry;
  const has = { modbus: device.modbus !== undefined, bacnet: device.bacnet !== undefined };
  if (profile === undefined) {
    if (!has.modbus && !has.bacnet)
      return [at(entry, ['modbus'], 'a device needs a modbus or a bacnet endpoint')];
    if (has.modbus && has.bacnet)
      return [at(entry, ['bacnet'], 'a device speaks one protocol: give modbus or bacnet, not both')];
    return [];
  }
  const wanted = profile.protocol;
  const other = wanted === 'modbus' ? 'bacnet' : 'modbus';
  if (has[other]) {
    return [
      at(
        entry,
        [other],
        `profile ${device.profile} speaks ${wanted}, but this device has a ${other} endpoint`,
      ),
    ];
  }
  if (!has[wanted]) return [at(entry, [wanted], `is required: profile ${device.profile} speaks ${wanted}`)];
  return [];
}

/** Per-point poll intervals must name points of the device's profile, or a typo would silently poll at the default. */
function pointIntervals(entry: DeviceEntry, profile: Profile | undefined): Finding[] {
  const overrides = entry.device.pointPollIntervalMs;
  if (overrides === undefined || profile === undefined) return [];
  const ids = new Set(profile.points.map((p) => p.id));
  return Object.keys(overrides)
    .filter((id) => !ids.has(id))
    .map((id) => at(entry, ['pointPollIntervalMs', id], `names no point of profile ${entry.device.profile}`));
}

function modbusKey(device: SiteDevice): string | undefined {
  const m = device.modbus;
  if (m === undefined) return undefined;
  return m.transport === 'tcp'
    ? `tcp\u0000${m.host.toLowerCase()}\u0000${m.port}\u0000${m.unitId}`
    : `rtu\u0000${m.path}\u0000${m.unitId}`;
}

function describeModbus(device: SiteDevice): string {
  const m = device.modbus;
  if (m === undefined) return 'this address';
  return m.transport === 'tcp'
    ? `Modbus ${m.host}:${m.port} unit ${m.unitId}`
    : `Modbus ${m.path} unit ${m.unitId}`;
}

/** One serial line has one baud rate and parity; devices disagreeing on them cannot share it. */
function serialLines(context: SiteCheckContext): Finding[] {
  const first = new Map<string, DeviceEntry>();
  const findings: Finding[] = [];
  for (const entry of context.devices) {
    const m = entry.device.modbus;
    if (m?.transport !== 'rtu') continue;
    const earlier = first.get(m.path);
    if (earlier === undefined) {
      first.set(m.path, entry);
      continue;
    }
    const e = earlier.device.modbus;
    if (e?.transport !== 'rtu') continue;
    if (e.baudRate !== m.baudRate) {
      findings.push(
        at(
          entry,
          ['modbus', 'baudRate'],
          `${m.baudRate} differs from ${e.baudRate} on ${m.path} (${deviceRef(context, earlier)})`,
        ),
      );
    }
    if ((e.parity ?? 'none') !== (m.parity ?? 'none')) {
      findings.push(
        at(
          entry,
          ['modbus', 'parity'],
          `${m.parity ?? 'none'} differs from ${e.parity ?? 'none'} on ${m.path} (${deviceRef(context, earlier)})`,
        ),
      );
    }
  }
  return findings;
}

function bacnetPorts(context: SiteCheckContext): Finding[] {
  return context.devices.flatMap((entry) => {
    const address = entry.device.bacnet?.address;
    if (address === undefined) return [];
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535
      ? []
      : [at(entry, ['bacnet', 'address'], `port ${port} is outside 1..65535`)];
  });
}
