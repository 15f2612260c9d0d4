/**
 * Section checks beyond what the negative fixtures show: two schedules of one
 * kind on one point, duplicate ids, a refused value reported once, a local and
 * a fallback schedule sharing a point (allowed: different slots), and paths as
 * the schedule and rule validators write them.
 */
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { checkSiteSections, loadSite, parseIssuePath } from './index.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures');
const site = loadSite(path.join(FIXTURES, 'valid-sites', 'mini-site.yaml'), path.join(FIXTURES, 'valid'));
const base = site.schedules![0];
const schedule = (over: Record<string, unknown>) => ({ ...structuredClone(base), ...over });
const check = (schedules: unknown[]) =>
  checkSiteSections({ devices: site.devices, profiles: site.profiles, calendars: site.calendars, schedules });

describe('checkSiteSections', () => {
  it('accepts the valid site sections', () => {
    expect(check(site.schedules!)).toEqual([]);
  });

  it('names a point two schedules of one kind would both command, but lets local and fallback share it', () => {
    expect(check([base, schedule({ id: 'other' })])).toEqual([
      {
        path: ['schedules', 1, 'targets', 0],
        message: expect.stringContaining(
          '"vav-1.occupancy" is also a target of local schedule "vav-occupancy"',
        ),
      },
    ]);
    expect(check([base, schedule({ id: 'other', kind: 'fallback' })])).toEqual([]);
  });

  it('names a duplicate schedule id and reports a refused value once per target, where first written', () => {
    const findings = check([
      base,
      schedule({
        kind: 'fallback',
        scheduleDefault: 9,
        weekly: { ...base.weekly, friday: [{ time: '08:00', value: 9 }] },
      }),
    ]);
    expect(findings).toEqual([
      {
        path: ['schedules', 1, 'scheduleDefault'],
        message: expect.stringContaining('value 9 is not a declared state'),
      },
      { path: ['schedules', 1, 'id'], message: 'duplicate schedule id "vav-occupancy": also schedules[0]' },
    ]);
  });

  it('reads issue paths as the validators write them', () => {
    expect(parseIssuePath('weekly.monday[1].time')).toEqual(['weekly', 'monday', 1, 'time']);
    expect(parseIssuePath('interlocks[0].then[12].value')).toEqual(['interlocks', 0, 'then', 12, 'value']);
    expect(parseIssuePath('')).toEqual([]);
  });
});
