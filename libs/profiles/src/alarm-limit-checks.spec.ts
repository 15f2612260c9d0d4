/** The site's alarmLimits: each error names the file, line, limit and point. */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { formatIssue } from './issues.js';
import { findRepoRoot } from './repo-root.js';
import { parseSite } from './site-loader.js';

const PROFILES = path.join(findRepoRoot(), 'libs/profiles/fixtures/valid');

const site = (limits: string): string => `schemaVersion: 1
name: Test building
timeZone: Europe/Berlin
devices:
  - id: meter-1
    name: Main meter
    profile: modbus/acme/mini-meter.yaml
    pollIntervalMs: 1000
    modbus: { transport: tcp, host: 127.0.0.1, port: 15020, unitId: 1 }
alarmLimits:
${limits}`;

const problems = (limits: string): string[] =>
  parseSite(site(limits), 'site.yaml', PROFILES).issues.map(formatIssue);

describe('alarmLimits in a site file', () => {
  it('accepts limits on analog points and keeps them on the loaded site', () => {
    const r = parseSite(
      site('  - { point: meter-1.l1_power, low: 0, high: 50, deadband: 2, delaySeconds: 10 }\n'),
      'site.yaml',
      PROFILES,
    );
    expect(r.issues).toEqual([]);
    expect(r.value?.alarmLimits).toEqual([
      { point: 'meter-1.l1_power', low: 0, high: 50, deadband: 2, delaySeconds: 10 },
    ]);
  });

  it('names an unknown point, an unknown device, a binary point, low above high and a second entry for a point', () => {
    expect(
      problems(
        [
          '  - { point: meter-1.no_such_point, high: 3 }',
          '  - { point: meter-9.l1_power, high: 3 }',
          '  - { point: meter-1.relay, high: 1 }',
          '  - { point: meter-1.l1_power, low: 5, high: 3 }',
          '  - { point: meter-1.l1_power, high: 9 }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'site.yaml:11: field "alarmLimits[0].point": point "meter-1.no_such_point": profile modbus/acme/mini-meter.yaml has no point "no_such_point"',
      'site.yaml:12: field "alarmLimits[1].point": point "meter-9.l1_power": no device "meter-9" in this site',
      'site.yaml:13: field "alarmLimits[2].point": point "meter-1.relay" is binary: limits apply to analog points only',
      'site.yaml:14: field "alarmLimits[3].low": point "meter-1.l1_power": low 5 must lie below high 3',
      'site.yaml:15: field "alarmLimits[4].point": point "meter-1.l1_power" already has limits at alarmLimits[3] (line 14): give low and high in one entry',
    ]);
  });

  it('needs low or high', () => {
    expect(problems('  - { point: meter-1.l1_power }\n')).toEqual([
      'site.yaml:11: field "alarmLimits[0].high": point "meter-1.l1_power": give low, high or both',
    ]);
  });

  it('refuses by schema a negative deadband and an unknown field', () => {
    expect(
      problems(
        [
          '  - { point: meter-1.l1_power, high: 3, deadband: -1 }',
          '  - { point: meter-1.l2, high: 3, colour: red }',
          '',
        ].join('\n'),
      ),
    ).toEqual([
      'site.yaml:11: field "alarmLimits[0].deadband": must be >= 0',
      'site.yaml:12: field "alarmLimits[1].colour": is not a known field (known: point, low, high, deadband, delaySeconds)',
    ]);
  });
});
