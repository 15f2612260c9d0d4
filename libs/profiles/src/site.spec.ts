/** Site files: schema, referenced profiles and the rules across devices. Profiles come from fixtures/valid. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadSite, parseSite, ProfileValidationError, validateSiteFile } from './index.js';
import type { SiteDevice, SiteFile } from './index.js';
import { bacnetDevice, site, tcpDevice, without, yaml } from './test-support/builders.js';

const VALID_ROOT = path.join(import.meta.dirname, '..', 'fixtures', 'valid');

const parse = (value: SiteFile | object, root = VALID_ROOT) => parseSite(yaml(value), 'site.yaml', root);
const issuesOf = (value: SiteFile | object, root = VALID_ROOT) =>
  parse(value, root).issues.map(({ file, deviceId, field, message }) => ({ file, deviceId, field, message }));

describe('a valid site', () => {
  it('loads with its profiles keyed by the path each device names', () => {
    const { value, issues } = parse(site([tcpDevice('meter-1', 1), bacnetDevice('vav-1', 1001)]));
    expect(issues).toEqual([]);
    expect(value?.file).toBe('site.yaml');
    expect(value?.devices.map((device) => device.id)).toEqual(['meter-1', 'vav-1']);
    expect(value?.profiles['modbus/acme/mini-meter.yaml'].model).toBe('MM-1');
    expect(value?.profiles['bacnet/acme/mini-vav.yaml'].model).toBe('VAV-1');
  });

  it('may have no devices yet', () => {
    expect(parse(site([])).value?.profiles).toEqual({});
  });
});

describe('time zone', () => {
  it.each(['Europe/Berlin', 'America/Argentina/Buenos_Aires', 'UTC', 'Etc/GMT+5'])(
    'accepts %s',
    (timeZone) => {
      expect(issuesOf(site([], { timeZone }))).toEqual([]);
    },
  );

  it.each<[string, string]>([
    ['Mars/Olympus_Mons', '"Mars/Olympus_Mons" is not an IANA time zone'],
    ['+01:00', '"+01:00" is not an IANA time zone'],
    ['CET+1', '"CET+1" is not an IANA time zone'],
    ['europe/berlin', 'use "Europe/Berlin"'],
  ])('rejects %s', (timeZone, fragment) => {
    expect(issuesOf(site([], { timeZone }))).toEqual([
      {
        file: 'site.yaml',
        deviceId: undefined,
        field: 'timeZone',
        message: expect.stringContaining(fragment),
      },
    ]);
  });
});

describe('devices', () => {
  it('ids are unique', () => {
    expect(issuesOf(site([tcpDevice('m', 1), tcpDevice('m', 2)]))).toEqual([
      {
        file: 'site.yaml',
        deviceId: 'm',
        field: 'id',
        message: expect.stringContaining('duplicate device id: also used by device "m"'),
      },
    ]);
  });

  it('poll no faster than every 100 ms', () => {
    expect(issuesOf(site([tcpDevice('m', 1, { pollIntervalMs: 99 })]))).toEqual([
      { file: 'site.yaml', deviceId: 'm', field: 'pollIntervalMs', message: 'must be >= 100' },
    ]);
    expect(issuesOf(site([tcpDevice('m', 1, { pollIntervalMs: 100 })]))).toEqual([]);
  });

  it('may poll single points at their own interval, naming points of the profile, no faster than 100 ms', () => {
    const ok = tcpDevice('m', 1, { pointPollIntervalMs: { l1_power: 500, total_energy: 60000 } });
    expect(issuesOf(site([ok]))).toEqual([]);
    const typo = tcpDevice('m', 1, { pointPollIntervalMs: { l1_powr: 500 } });
    expect(issuesOf(site([typo]))).toEqual([
      {
        file: 'site.yaml',
        deviceId: 'm',
        field: 'pointPollIntervalMs.l1_powr',
        message: 'names no point of profile modbus/acme/mini-meter.yaml',
      },
    ]);
    const fast = tcpDevice('m', 1, { pointPollIntervalMs: { l1_power: 50 } });
    expect(issuesOf(site([fast])).map((i) => [i.field, i.message])).toEqual([
      ['pointPollIntervalMs.l1_power', 'must be >= 100'],
    ]);
  });

  it('a BACnet endpoint may allow a few requests in flight, within 1..16', () => {
    const ok = bacnetDevice('v', 1001, {
      bacnet: { address: '127.0.0.1:47811', deviceInstance: 1001, maxInFlight: 4 },
    });
    expect(issuesOf(site([ok]))).toEqual([]);
    const tooMany = bacnetDevice('v', 1001, {
      bacnet: { address: '127.0.0.1:47811', deviceInstance: 1001, maxInFlight: 17 },
    });
    expect(issuesOf(site([tooMany])).map((i) => i.field)).toEqual(['bacnet.maxInFlight']);
  });

  it('a Modbus TCP endpoint may allow a few requests in flight, an RTU line may not', () => {
    const tcp = tcpDevice('m', 1);
    const wide = { ...tcp, modbus: { ...tcp.modbus!, maxInFlight: 4 } } as SiteDevice;
    expect(issuesOf(site([wide]))).toEqual([]);
    const rtu = {
      ...tcp,
      modbus: { transport: 'rtu', path: '/dev/ttyUSB0', baudRate: 9600, unitId: 1, maxInFlight: 2 },
    } as SiteDevice;
    expect(issuesOf(site([rtu])).map((i) => [i.field, i.message])).toEqual([
      ['modbus.maxInFlight', 'is not allowed for transport rtu'],
    ]);
  });

  it('name an existing profile (each device naming a missing one is reported)', () => {
    const profile = 'modbus/acme/nope.yaml';
    expect(issuesOf(site([tcpDevice('m', 1, { profile }), tcpDevice('n', 2, { profile })]))).toEqual(
      ['m', 'n'].map((deviceId) => ({
        file: 'site.yaml',
        deviceId,
        field: 'profile',
        message: expect.stringContaining('no profile "modbus/acme/nope.yaml" in'),
      })),
    );
  });

  it.each(['../valid/modbus/acme/mini-meter.yaml', '/etc/profile.yaml', 'modbus/acme/mini-meter.yml'])(
    'refuse the profile path %s',
    (profile) => {
      expect(issuesOf(site([tcpDevice('m', 1, { profile })]))).toEqual([
        {
          file: 'site.yaml',
          deviceId: 'm',
          field: 'profile',
          message: expect.stringContaining('must match'),
        },
      ]);
    },
  );

  it.each<[string, SiteDevice, string, string]>([
    [
      'a modbus profile with a bacnet endpoint',
      { ...without(tcpDevice('m', 1), 'modbus'), bacnet: { address: '127.0.0.1:47810', deviceInstance: 1 } },
      'bacnet',
      'profile modbus/acme/mini-meter.yaml speaks modbus, but this device has a bacnet endpoint',
    ],
    [
      'a bacnet profile with a modbus endpoint',
      {
        ...without(bacnetDevice('m', 1), 'bacnet'),
        modbus: { transport: 'tcp', host: 'h', port: 502, unitId: 1 },
      },
      'modbus',
      'profile bacnet/acme/mini-vav.yaml speaks bacnet, but this device has a modbus endpoint',
    ],
    [
      'a modbus profile with both endpoints',
      { ...tcpDevice('m', 1), bacnet: { address: '127.0.0.1:47810', deviceInstance: 1 } },
      'bacnet',
      'profile modbus/acme/mini-meter.yaml speaks modbus, but this device has a bacnet endpoint',
    ],
    [
      'a modbus profile with no endpoint',
      without(tcpDevice('m', 1), 'modbus'),
      'modbus',
      'is required: profile modbus/acme/mini-meter.yaml speaks modbus',
    ],
  ])('match their endpoint to the profile: %s', (_name, device, field, message) => {
    expect(issuesOf(site([device]))).toEqual([{ file: 'site.yaml', deviceId: 'm', field, message }]);
  });

  it('without a usable profile still need exactly one endpoint', () => {
    const missing = { profile: 'modbus/acme/nope.yaml' };
    expect(
      issuesOf(site([without(tcpDevice('m', 1, missing), 'modbus')])).map((issue) => issue.message),
    ).toContain('a device needs a modbus or a bacnet endpoint');
    const both = { ...tcpDevice('m', 1, missing), bacnet: { address: '127.0.0.1:47810', deviceInstance: 1 } };
    expect(issuesOf(site([both])).map((issue) => issue.message)).toContain(
      'a device speaks one protocol: give modbus or bacnet, not both',
    );
  });
});

describe('fieldbus addresses', () => {
  const rtu = (id: string, unitId: number, baudRate = 9600, parity?: 'even'): SiteDevice => ({
    ...tcpDevice(id, unitId),
    modbus: { transport: 'rtu', path: '/dev/ttyUSB0', baudRate, unitId, ...(parity ? { parity } : {}) },
  });

  it('one Modbus TCP (host, port, unit) per device; host compared without case', () => {
    const tcp = (host: string) => ({ modbus: { transport: 'tcp', host, port: 15020, unitId: 1 } as const });
    const first = tcpDevice('a', 1, tcp('localhost'));
    const other = tcpDevice('b', 1, tcp('LOCALHOST'));
    expect(issuesOf(site([first, other]))).toEqual([
      {
        file: 'site.yaml',
        deviceId: 'b',
        field: 'modbus.unitId',
        message: expect.stringContaining('Modbus LOCALHOST:15020 unit 1 is already used by device "a"'),
      },
    ]);
    expect(issuesOf(site([tcpDevice('a', 1), tcpDevice('b', 2)]))).toEqual([]);
  });

  it('one RTU (path, unit) per device, and one baud rate and parity per line', () => {
    expect(issuesOf(site([rtu('a', 1), rtu('b', 2)]))).toEqual([]);
    expect(issuesOf(site([rtu('a', 1), rtu('b', 1)])).map((issue) => issue.field)).toEqual(['modbus.unitId']);
    expect(
      issuesOf(site([rtu('a', 1), rtu('b', 2, 19200, 'even')])).map((issue) => [issue.field, issue.message]),
    ).toEqual([
      ['modbus.baudRate', expect.stringContaining('19200 differs from 9600 on /dev/ttyUSB0')],
      ['modbus.parity', expect.stringContaining('even differs from none on /dev/ttyUSB0')],
    ]);
  });

  it('RTU endpoints need a path and baud rate, unit ids 1..247, and no TCP fields', () => {
    const device = { ...tcpDevice('a', 1), modbus: { transport: 'rtu', host: 'x', unitId: 248 } };
    expect(issuesOf(site([device as SiteDevice])).map((issue) => [issue.field, issue.message])).toEqual([
      ['modbus.path', 'is required for transport rtu'],
      ['modbus.baudRate', 'is required for transport rtu'],
      ['modbus.host', 'is not allowed for transport rtu'],
      ['modbus.unitId', 'must be <= 247 for transport rtu'],
    ]);
  });

  it('one BACnet device instance per device', () => {
    const second = bacnetDevice('b', 1001, { bacnet: { address: '127.0.0.1:47811', deviceInstance: 1001 } });
    expect(issuesOf(site([bacnetDevice('a', 1001), second]))).toEqual([
      {
        file: 'site.yaml',
        deviceId: 'b',
        field: 'bacnet.deviceInstance',
        message: expect.stringContaining('BACnet device instance 1001 is already used by device "a"'),
      },
    ]);
  });

  it('BACnet addresses are host:port with a real port', () => {
    const bad = (address: string) =>
      issuesOf(site([{ ...bacnetDevice('a', 1), bacnet: { address, deviceInstance: 1 } }]));
    expect(bad('127.0.0.1')).toEqual([
      expect.objectContaining({ field: 'bacnet.address', message: expect.stringContaining('must match') }),
    ]);
    expect(bad('127.0.0.1:70000')).toEqual([
      expect.objectContaining({ field: 'bacnet.address', message: 'port 70000 is outside 1..65535' }),
    ]);
  });
});

describe('sites whose profiles are invalid', () => {
  let root: string;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'profiles-site-'));
    fs.mkdirSync(path.join(root, 'modbus', 'acme'), { recursive: true });
    const meter = fs.readFileSync(path.join(VALID_ROOT, 'modbus/acme/mini-meter.yaml'), 'utf8');
    fs.writeFileSync(
      path.join(root, 'modbus/acme/mini-meter.yaml'),
      meter.replace('failSafe: 250', 'failSafe: 900'),
    );
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('report the profile issue once, against the profile file, however many devices use it', () => {
    const { value, issues } = parse(site([tcpDevice('a', 1), tcpDevice('b', 2)]), root);
    expect(value).toBeUndefined();
    expect(issues).toEqual([
      {
        file: path.join(root, 'modbus/acme/mini-meter.yaml'),
        line: expect.any(Number),
        pointId: 'demand_limit',
        field: 'failSafe',
        message: '900 is outside safeRange 0..500',
      },
    ]);
  });
});

describe('site files on disk', () => {
  it('loadSite throws a ProfileValidationError naming every issue', () => {
    const file = path.join(
      import.meta.dirname,
      '..',
      'fixtures',
      'invalid-sites',
      'site-duplicate-device-id.yaml',
    );
    expect(() => loadSite(file, VALID_ROOT)).toThrow(ProfileValidationError);
    expect(() => loadSite(file, VALID_ROOT)).toThrow(
      /site-duplicate-device-id\.yaml:12: device "meter-1" field "id": duplicate/,
    );
  });

  it('a missing site file is one issue, not an exception', () => {
    expect(validateSiteFile('/nonexistent/site.yaml', VALID_ROOT)).toEqual({
      issues: [{ file: '/nonexistent/site.yaml', field: '', message: 'cannot read: file not found' }],
    });
  });
});
