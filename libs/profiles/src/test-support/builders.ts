/** Profiles and sites built in memory for tests: a valid base, then one change per test. */
import { stringify } from 'yaml';
import type { PointDef, Profile, SiteDevice, SiteFile } from '../types.js';

export function analogInput(overrides: Partial<PointDef> = {}): PointDef {
  return {
    id: 'temp',
    name: 'Temperature',
    description: '',
    kind: 'analog',
    access: 'read',
    dataType: 'float32',
    modbus: { function: 4, address: 0 },
    unit: 'degC',
    tags: ['temp', 'sensor'],
    ...overrides,
  };
}

/** A writable analog holding register with a complete safety envelope. */
export function analogSetpoint(overrides: Partial<PointDef> = {}): PointDef {
  return {
    id: 'sp',
    name: 'Setpoint',
    description: '',
    kind: 'analog',
    access: 'write',
    dataType: 'int16',
    modbus: { function: 3, address: 100, writeFunction: 6 },
    unit: 'degC',
    safeRange: { min: 10, max: 30 },
    failSafe: 20,
    tags: ['temp', 'sp'],
    ...overrides,
  };
}

/** A writable coil with a complete safety envelope. */
export function relay(overrides: Partial<PointDef> = {}): PointDef {
  return {
    id: 'relay',
    name: 'Relay',
    description: '',
    kind: 'binary',
    access: 'write',
    dataType: 'bool',
    modbus: { function: 1, address: 0, writeFunction: 5 },
    unit: '',
    failSafe: 0,
    minOnSeconds: 30,
    minOffSeconds: 30,
    tags: ['cmd'],
    ...overrides,
  };
}

export function modbusProfile(points: PointDef[], overrides: Partial<Profile> = {}): Profile {
  return {
    schemaVersion: 1,
    vendor: 'Test',
    model: 'M',
    protocol: 'modbus',
    description: '',
    source: 'test',
    modbus: { addressing: 'zero-based' },
    points,
    ...overrides,
  };
}

export function bacnetPoint(overrides: Partial<PointDef> = {}): PointDef {
  return {
    id: 'zone_temp',
    name: 'Zone temperature',
    description: '',
    kind: 'analog',
    access: 'read',
    dataType: 'real',
    bacnet: { objectType: 'analog-input', instance: 1 },
    unit: 'degC',
    tags: ['zone', 'temp'],
    ...overrides,
  };
}

export function bacnetProfile(points: PointDef[], overrides: Partial<Profile> = {}): Profile {
  return {
    schemaVersion: 1,
    vendor: 'Test',
    model: 'B',
    protocol: 'bacnet',
    description: '',
    source: 'test',
    bacnet: { readPropertyMultiple: true, cov: false },
    points,
    ...overrides,
  };
}

export function site(devices: SiteDevice[], overrides: Partial<SiteFile> = {}): SiteFile {
  return { schemaVersion: 1, name: 'Test site', timeZone: 'Europe/Berlin', devices, ...overrides };
}

export function tcpDevice(id: string, unitId: number, overrides: Partial<SiteDevice> = {}): SiteDevice {
  return {
    id,
    name: id,
    profile: 'modbus/acme/mini-meter.yaml',
    pollIntervalMs: 1000,
    modbus: { transport: 'tcp', host: '127.0.0.1', port: 15020, unitId },
    ...overrides,
  };
}

export function bacnetDevice(
  id: string,
  deviceInstance: number,
  overrides: Partial<SiteDevice> = {},
): SiteDevice {
  return {
    id,
    name: id,
    profile: 'bacnet/acme/mini-vav.yaml',
    pollIntervalMs: 1000,
    bacnet: { address: '127.0.0.1:47810', deviceInstance },
    ...overrides,
  };
}

/** Any value as YAML text (undefined fields dropped), for the text-taking parsers. */
export function yaml(value: unknown): string {
  return stringify(JSON.parse(JSON.stringify(value)) as unknown);
}

/** Removes one field, e.g. without(point, 'id'), for "is required" tests. */
export function without<T extends object>(value: T, key: keyof T): T {
  const copy = { ...value };
  delete copy[key];
  return copy;
}
