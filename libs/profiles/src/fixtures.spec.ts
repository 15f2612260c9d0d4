/**
 * Every negative fixture is rejected for its named defect, and only for it:
 * field, point or device, line and a fragment of the message.
 */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { listProfileFiles, loadProfile, loadSite, validateProfileFile, validateSiteFile } from './index.js';
import type { ValidationIssue } from './index.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const VALID_ROOT = path.join(FIXTURES, 'valid');

type Expected = Pick<ValidationIssue, 'field' | 'line'> & {
  pointId?: string;
  deviceId?: string;
  item?: string;
  fragment: string;
};

const PROFILE_FIXTURES: [string, Expected[]][] = [
  [
    'meter-overlapping-registers.yaml',
    [
      {
        pointId: 'total_power',
        field: 'modbus.address',
        line: 29,
        fragment: 'overlaps point "l1_power" (registers 12-13)',
      },
    ],
  ],
  [
    'meter-word-order-invalid.yaml',
    [
      {
        pointId: 'total_energy',
        field: 'modbus.wordOrder',
        line: 21,
        fragment: '"middle" is not allowed: must be one of big, little',
      },
    ],
  ],
  [
    'meter-coil-with-float32.yaml',
    [
      {
        pointId: 'frequency',
        field: 'dataType',
        line: 17,
        fragment: 'float32 cannot live in coils (function 1)',
      },
    ],
  ],
  [
    'meter-bacnet-address-in-modbus-profile.yaml',
    [{ pointId: 'frequency', field: 'bacnet', line: 19, fragment: 'is not allowed in a modbus profile' }],
  ],
  [
    'relay-write-on-discrete-input.yaml',
    [{ pointId: 'relay', field: 'access', line: 16, fragment: 'discrete inputs (function 2) are read-only' }],
  ],
  [
    'drive-failsafe-outside-safe-range.yaml',
    [{ pointId: 'speed_sp', field: 'failSafe', line: 22, fragment: '60 is outside safeRange 0..50' }],
  ],
  [
    'drive-write-function-6-on-float32.yaml',
    [{ pointId: 'speed_sp', field: 'modbus.writeFunction', line: 18, fragment: 'float32 spans 2: use 16' }],
  ],
  [
    'relay-binary-output-missing-min-on-off.yaml',
    [
      {
        pointId: 'pump',
        field: 'minOnSeconds',
        line: 11,
        fragment: 'is required for a writable binary point',
      },
      {
        pointId: 'pump',
        field: 'minOffSeconds',
        line: 11,
        fragment: 'is required for a writable binary point',
      },
    ],
  ],
  [
    'thermostat-multistate-without-states.yaml',
    [{ pointId: 'mode', field: 'states', line: 11, fragment: 'is required for a multistate point' }],
  ],
  [
    'thermostat-binary-failsafe-not-0-or-1.yaml',
    [{ pointId: 'fan', field: 'failSafe', line: 19, fragment: 'must be 0 (off/inactive) or 1 (on/active)' }],
  ],
  [
    'vav-unknown-object-type.yaml',
    [
      {
        pointId: 'zone_temp',
        field: 'bacnet.objectType',
        line: 18,
        fragment: '"analog-variable" is not allowed',
      },
    ],
  ],
  [
    'vav-duplicate-object.yaml',
    [
      {
        pointId: 'supply_temp',
        field: 'bacnet.instance',
        line: 28,
        fragment: 'duplicate object analog-input 1: also used by point "zone_temp" (line 11)',
      },
    ],
  ],
  [
    'vav-write-on-analog-input.yaml',
    [
      {
        pointId: 'zone_temp',
        field: 'access',
        line: 15,
        fragment: 'analog-input objects cannot be commanded',
      },
    ],
  ],
  ['profile-yaml-syntax-error.yaml', [{ field: '', line: 18, fragment: 'YAML syntax error' }]],
  ['profile-missing-point-id.yaml', [{ field: 'points[1].id', line: 20, fragment: 'is required' }]],
  [
    'profile-duplicate-point-id.yaml',
    [
      {
        pointId: 'zone_temp',
        field: 'id',
        line: 20,
        fragment: 'duplicate point id: also used by point "zone_temp" (line 11)',
      },
    ],
  ],
];

const SCHEDULE = 'schedule "vav-occupancy"';

const SITE_FIXTURES: [string, Expected[]][] = [
  [
    'site-unknown-profile.yaml',
    [
      {
        deviceId: 'meter-2',
        field: 'profile',
        line: 14,
        fragment: 'no profile "modbus/acme/no-such-meter.yaml"',
      },
    ],
  ],
  [
    'site-invalid-time-zone.yaml',
    [{ field: 'timeZone', line: 5, fragment: '"Europe/Berlim" is not an IANA time zone' }],
  ],
  [
    'site-duplicate-device-id.yaml',
    [
      {
        deviceId: 'meter-1',
        field: 'id',
        line: 12,
        fragment: 'duplicate device id: also used by device "meter-1" (line 7)',
      },
    ],
  ],
  [
    'site-protocol-mismatch.yaml',
    [
      {
        deviceId: 'meter-1',
        field: 'bacnet',
        line: 11,
        fragment: 'speaks modbus, but this device has a bacnet endpoint',
      },
    ],
  ],
  [
    'site-duplicate-modbus-address.yaml',
    [
      {
        deviceId: 'meter-2',
        field: 'modbus.unitId',
        line: 20,
        fragment: 'Modbus 127.0.0.1:15020 unit 1 is already used by device "meter-1"',
      },
    ],
  ],
  [
    'site-duplicate-bacnet-instance.yaml',
    [
      {
        deviceId: 'vav-2',
        field: 'bacnet.deviceInstance',
        line: 16,
        fragment: 'BACnet device instance 1001 is already used by device "vav-1"',
      },
    ],
  ],
  [
    'site-poll-interval-too-short.yaml',
    [{ deviceId: 'vav-1', field: 'pollIntervalMs', line: 10, fragment: 'must be >= 100' }],
  ],
  [
    'site-schedule-unknown-calendar.yaml',
    [
      {
        item: SCHEDULE,
        field: 'exceptions[0].period.calendar',
        line: 39,
        fragment: 'unknown calendar "holidays"',
      },
    ],
  ],
  [
    'site-schedule-time-past-midnight.yaml',
    [
      {
        item: SCHEDULE,
        field: 'weekly.monday[1].time',
        line: 28,
        fragment: '"24:00" is past the end of the day',
      },
    ],
  ],
  [
    'site-schedule-overlapping-exceptions.yaml',
    [
      {
        item: SCHEDULE,
        field: 'exceptions[1].period',
        line: 39,
        fragment: 'overlaps exceptions[0] at equal priority 10: both hold on 2026-12-25',
      },
    ],
  ],
  [
    'site-schedule-invalid-zone.yaml',
    [{ item: SCHEDULE, field: 'timeZone', line: 38, fragment: '"Europe/Hamburg" is not an IANA time zone' }],
  ],
  [
    'site-schedule-unknown-target.yaml',
    [
      {
        item: SCHEDULE,
        field: 'targets[1]',
        line: 26,
        fragment: '"vav-9.occupancy" is no point of this site',
      },
    ],
  ],
  [
    'site-schedule-read-only-target.yaml',
    [{ item: SCHEDULE, field: 'targets[0]', line: 26, fragment: '"vav-1.zone_temp" is read-only' }],
  ],
  [
    'site-schedule-value-not-a-state.yaml',
    [
      {
        item: SCHEDULE,
        field: 'weekly.monday[1].value',
        line: 28,
        fragment: 'point "vav-1.occupancy" value 7 is not a declared state',
      },
    ],
  ],
  [
    'site-schedule-unknown-kind.yaml',
    [
      {
        item: SCHEDULE,
        field: 'kind',
        line: 25,
        fragment: '"backup" is not allowed: must be one of local, fallback',
      },
    ],
  ],
  [
    'site-interlock-unknown-point.yaml',
    [
      {
        item: 'interlock "relay-off-on-overload"',
        field: 'then[0].point',
        line: 25,
        fragment: 'unknown point "meter-1.no_such_relay"',
      },
    ],
  ],
];

function expectIssues(file: string, issues: ValidationIssue[], expected: Expected[]): void {
  expect(issues).toHaveLength(expected.length);
  issues.forEach((issue, i) => {
    const { fragment, ...where } = expected[i];
    expect(issue).toEqual({ file, ...where, message: expect.stringContaining(fragment) });
  });
}

describe('negative profile fixtures', () => {
  it('has a test for every file in fixtures/invalid', () => {
    const names = listProfileFiles(path.join(FIXTURES, 'invalid')).map((file) => path.basename(file));
    expect(names).toEqual(PROFILE_FIXTURES.map(([name]) => name).sort());
  });

  it.each(PROFILE_FIXTURES)('%s is rejected for its defect', (name, expected) => {
    const file = path.join(FIXTURES, 'invalid', name);
    const { profile, issues } = validateProfileFile(file);
    expect(profile).toBeUndefined();
    expectIssues(file, issues, expected);
  });
});

describe('negative site fixtures (profiles from fixtures/valid)', () => {
  it('has a test for every file in fixtures/invalid-sites', () => {
    const names = listProfileFiles(path.join(FIXTURES, 'invalid-sites')).map((file) => path.basename(file));
    expect(names).toEqual(SITE_FIXTURES.map(([name]) => name).sort());
  });

  it.each(SITE_FIXTURES)('%s is rejected for its defect', (name, expected) => {
    const file = path.join(FIXTURES, 'invalid-sites', name);
    const { site, issues } = validateSiteFile(file, VALID_ROOT);
    expect(site).toBeUndefined();
    expectIssues(file, issues, expected);
  });
});

describe('valid fixtures', () => {
  it('load without issues', () => {
    const files = listProfileFiles(VALID_ROOT);
    expect(files.map((file) => path.relative(VALID_ROOT, file))).toEqual([
      'bacnet/acme/mini-vav.yaml',
      'modbus/acme/mini-meter.yaml',
    ]);
    for (const file of files) expect(validateProfileFile(file).issues).toEqual([]);
  });

  it('the site loads with each profile once, keyed by its path', () => {
    const file = path.join(FIXTURES, 'valid-sites', 'mini-site.yaml');
    const site = loadSite(file, VALID_ROOT);
    expect(site.file).toBe(file);
    expect(site.timeZone).toBe('Europe/Berlin');
    expect(site.devices.map((device) => device.id)).toEqual(['meter-1', 'meter-2', 'vav-1']);
    expect(Object.keys(site.profiles).sort()).toEqual([
      'bacnet/acme/mini-vav.yaml',
      'modbus/acme/mini-meter.yaml',
    ]);
    expect(site.profiles['modbus/acme/mini-meter.yaml']).toEqual(
      loadProfile(path.join(VALID_ROOT, 'modbus/acme/mini-meter.yaml')),
    );
    expect(site.profiles['bacnet/acme/mini-vav.yaml'].points.map((point) => point.id)).toEqual([
      'zone_temp',
      'zone_temp_sp',
      'fan',
      'occupancy',
    ]);
  });

  it('the site carries its calendars, schedules and interlocks as written', () => {
    const site = loadSite(path.join(FIXTURES, 'valid-sites', 'mini-site.yaml'), VALID_ROOT);
    expect(site.calendars?.map((calendar) => calendar.name)).toEqual(['public-holidays']);
    expect(site.calendars?.[0].entries[0]).toEqual({ kind: 'date', date: '*-12-25' });
    expect(site.schedules?.map((s) => [s.id, s.kind, s.targets])).toEqual([
      ['vav-occupancy', 'local', ['vav-1.occupancy']],
    ]);
    expect(site.schedules?.[0].weekly.monday).toEqual([
      { time: '07:00', value: 1 },
      { time: '19:00', value: 2 },
    ]);
    expect(site.interlocks?.map((rule) => rule.id)).toEqual(['relay-off-on-overload']);
  });

  it('YAML integer keys of states become the string keys the types promise', () => {
    const meter = loadProfile(path.join(VALID_ROOT, 'modbus/acme/mini-meter.yaml'));
    expect(meter.points.find((point) => point.id === 'tariff')?.states).toEqual({ '1': 'day', '2': 'night' });
  });
});
