/**
 * Drafting rules, on a described device with one object of each kind of
 * difficulty; every draft must pass libs/profiles' validator as YAML, with
 * no TODO anywhere, and each conservative choice named in its description.
 */
import { describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { parseProfile, parseSite } from '#libs/profiles';
import type { PointDef } from '#libs/profiles';
import type { DescribedObject, DeviceDescription } from './discovery.js';
import {
  DEFAULT_MIN_ON_OFF_S,
  draftProfile,
  draftSiteDevice,
  modelKey,
  profilePath,
  slug,
} from './draft-profile.js';

const DEGC = 62;
const PERCENT = 98;
const PASCALS = 53;

function obj(
  type: DescribedObject['object']['type'],
  instance: number,
  over: Partial<DescribedObject>,
): DescribedObject {
  return {
    object: { type, instance },
    name: `${type} ${instance}`,
    description: '',
    commandable: false,
    ...over,
  };
}

const OBJECTS: DescribedObject[] = [
  obj('analog-input', 1, { name: 'Zone Temp', description: 'Room sensor.', units: DEGC, presentValue: 21.5 }),
  obj('analog-input', 2, { name: 'Zone Temp', presentValue: 3 }), // same name, no units
  obj('analog-output', 1, {
    name: 'Valve',
    units: PERCENT,
    commandable: true,
    relinquishDefault: 10,
    minPresValue: 0,
    maxPresValue: 50,
  }),
  obj('analog-output', 2, { name: 'Damper', units: PERCENT, commandable: true, relinquishDefault: 30 }),
  obj('analog-value', 1, {
    name: 'DP setpoint',
    units: PASCALS,
    commandable: true,
    presentValue: 250,
    relinquishDefault: 200,
  }),
  obj('analog-value', 2, { name: 'Internal calc', units: PASCALS, presentValue: 4 }),
  obj('binary-output', 1, {
    name: 'Fan',
    commandable: true,
    relinquishDefault: 0,
    minimumOnTime: 300,
    minimumOffTime: 120,
  }),
  obj('binary-value', 1, {
    name: 'Enable',
    commandable: true,
    relinquishDefault: 1,
    activeText: 'On',
    inactiveText: 'Off',
  }),
  obj('multi-state-value', 1, {
    name: 'Mode',
    commandable: true,
    relinquishDefault: 2,
    stateTexts: ['Auto', 'Heat', 'Cool'],
  }),
  obj('multi-state-input', 1, { name: 'Speed', numberOfStates: 3, presentValue: 2 }),
  obj('multi-state-output', 1, { name: '', commandable: true, relinquishDefault: 9, numberOfStates: 3 }),
];

const DESCRIPTION: DeviceDescription = {
  device: { address: '10.0.0.5:47808', deviceInstance: 77, maxApdu: 500, segmentation: 'none', vendorId: 5 },
  name: 'AHU 3 Controller',
  vendorName: 'Johnson Controls',
  modelName: 'FEC2611-0',
  firmwareRevision: '10.1',
  rpm: true,
  cov: false,
  segmentation: 'none',
  objects: OBJECTS,
  skipped: { schedule: 2, 'trend-log': 1 },
  learned: [],
};

const byName = (points: PointDef[], name: string): PointDef => points.find((p) => p.name === name)!;

describe('draftProfile', () => {
  const profile = draftProfile(DESCRIPTION, { date: '2026-01-02' });
  const points = profile.points;

  it('is a valid profile as YAML, with no TODO', () => {
    const text = stringify(profile);
    expect(parseProfile(text, 'draft.yaml').issues).toEqual([]);
    expect(text).not.toMatch(/TODO|TBD|FIXME/i);
  });

  it('takes identity and quirks from the device: a 500-octet APDU becomes the legal 480', () => {
    expect(profile).toMatchObject({
      vendor: 'Johnson Controls',
      model: 'FEC2611-0',
      bacnet: { readPropertyMultiple: true, cov: false, maxApdu: 480, segmentation: 'none', vendorId: 5 },
    });
    expect(profile.description).toMatch(/not mapped \(no point can be one\): 2 schedule, 1 trend-log/);
    expect(profile.source).toMatch(/firmware 10\.1/);
  });

  it('maps kinds, data types and units by object type; ids are unique slugs of the names', () => {
    expect(points.map((p) => p.id)).toEqual([
      'zone-temp',
      'zone-temp-2',
      'valve',
      'damper',
      'dp-setpoint',
      'internal-calc',
      'fan',
      'enable',
      'mode',
      'speed',
      'multi-state-output-1',
    ]);
    expect(points.map((p) => [p.kind, p.dataType, p.unit])).toEqual([
      ['analog', 'real', 'degC'],
      ['analog', 'real', ''],
      ['analog', 'real', '%'],
      ['analog', 'real', '%'],
      ['analog', 'real', 'Pa'],
      ['analog', 'real', 'Pa'],
      ['binary', 'enumerated', ''],
      ['binary', 'enumerated', ''],
      ['multistate', 'unsigned', ''],
      ['multistate', 'unsigned', ''],
      ['multistate', 'unsigned', ''],
    ]);
    expect(byName(points, 'Zone Temp').description).toBe('analog-input 1: Room sensor.');
    expect(points[1].description).toMatch(/no units/);
  });

  it('writes outputs and commandable values only; a plain value object stays read-only, and says why', () => {
    expect(points.map((p) => p.access)).toEqual([
      'read',
      'read',
      'write',
      'write',
      'write',
      'read',
      'write',
      'write',
      'write',
      'read',
      'write',
    ]);
    expect(byName(points, 'Internal calc').description).toMatch(
      /without a priority array: drafted read-only/,
    );
    expect(byName(points, 'DP setpoint').bacnet).toEqual({
      objectType: 'analog-value',
      instance: 1,
      commandable: true,
    });
    expect(byName(points, 'Zone Temp').bacnet?.commandable).toBeUndefined();
  });

  it('safe ranges: min/max-pres-value, else 0..100 for %, else only the span seen; fail-safe = relinquish default', () => {
    expect(byName(points, 'Valve')).toMatchObject({ safeRange: { min: 0, max: 50 }, failSafe: 10 });
    expect(byName(points, 'Valve').description).toMatch(/min-pres-value and max-pres-value/);
    expect(byName(points, 'Damper')).toMatchObject({ safeRange: { min: 0, max: 100 }, failSafe: 30 });
    expect(byName(points, 'DP setpoint')).toMatchObject({ safeRange: { min: 200, max: 250 }, failSafe: 200 });
    expect(byName(points, 'DP setpoint').description).toMatch(/only the span .* widen it/);
  });

  it('binary: minimum on/off from the device, else the conservative default, named', () => {
    expect(byName(points, 'Fan')).toMatchObject({ failSafe: 0, minOnSeconds: 300, minOffSeconds: 120 });
    expect(byName(points, 'Enable')).toMatchObject({
      failSafe: 1,
      minOnSeconds: DEFAULT_MIN_ON_OFF_S,
      minOffSeconds: DEFAULT_MIN_ON_OFF_S,
    });
    expect(byName(points, 'Enable').description).toMatch(/0 = Off, 1 = On.*60 s chosen conservatively/);
  });

  it('multi-state: states from state-text, else named from number-of-states; an impossible relinquish default is not the fail-safe', () => {
    expect(byName(points, 'Mode')).toMatchObject({
      states: { 1: 'Auto', 2: 'Heat', 3: 'Cool' },
      safeRange: { min: 1, max: 3 },
      failSafe: 2,
    });
    expect(byName(points, 'Speed').states).toEqual({ 1: 'state 1', 2: 'state 2', 3: 'state 3' });
    expect(points[10]).toMatchObject({ failSafe: 1, safeRange: { min: 1, max: 3 } });
    expect(points[10].description).toMatch(/No usable relinquish default/);
  });
});

describe('site entry and file names', () => {
  it('names the site entry after the device, unique, at the device address; a valid site with the profile', () => {
    const ids = new Set(['ahu-3-controller']);
    const entry = draftSiteDevice(DESCRIPTION, profilePath(DESCRIPTION), { pollIntervalMs: 5000, ids });
    expect(entry).toEqual({
      id: 'ahu-3-controller-2',
      name: 'AHU 3 Controller',
      profile: 'bacnet/johnson-controls/fec2611-0.yaml',
      pollIntervalMs: 5000,
      bacnet: { address: '10.0.0.5:47808', deviceInstance: 77 },
    });
    expect(slug('  Zürich — Zone #4  ', 'x')).toBe('zurich-zone-4');
    expect(slug('***', 'fallback')).toBe('fallback');
    const other = { ...DESCRIPTION, device: { ...DESCRIPTION.device, deviceInstance: 78 } };
    expect(modelKey(other)).toBe(modelKey(DESCRIPTION));
    expect(modelKey({ ...other, objects: OBJECTS.slice(1) })).not.toBe(modelKey(DESCRIPTION));
    const site = { schemaVersion: 1, name: 's', timeZone: 'Europe/Berlin', devices: [entry] };
    expect(parseSite(stringify(site), 'site.yaml', '/nonexistent').issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/no profile "bacnet\/johnson-controls\/fec2611-0.yaml"/),
    ]);
  });
});
