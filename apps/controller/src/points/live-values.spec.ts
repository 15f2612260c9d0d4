import { describe, expect, it } from '@jest/globals';
import type { LoadedSite, Profile } from '#libs/profiles';
import { LiveValues } from './live-values.js';

const profile = {
  points: ['power', 'energy', 'temp'].map((id) => ({
    id,
    name: id,
    kind: 'analog',
    access: 'read',
    unit: '',
  })),
} as unknown as Profile;
const site = {
  devices: [{ id: 'm', profile: 'p.yaml', pollIntervalMs: 1000, pointPollIntervalMs: { energy: 60000 } }],
  profiles: { 'p.yaml': profile },
} as unknown as LoadedSite;

describe('LiveValues', () => {
  it('ages each value by its own poll interval', () => {
    let now = 0;
    const live = new LiveValues(site, { now: () => now });
    live.update('m', 'power', 1, 0);
    live.update('m', 'energy', 2, 0);
    now = 3001;
    expect([live.quality('m.power'), live.quality('m.energy')]).toEqual(['stale', 'good']);
    now = 180001;
    expect(live.quality('m.energy')).toBe('stale');
  });

  it('does not age a value pushed by COV while its subscription holds', () => {
    let now = 0;
    const live = new LiveValues(site, { now: () => now });
    live.update('m', 'temp', 21, 0);
    live.setPushed('m', 'temp', true);
    now = 100000;
    expect(live.quality('m.temp')).toBe('good');
    live.setPushed('m', 'temp', false);
    expect(live.quality('m.temp')).toBe('stale');
  });

  it('keeps the last value of a failed point, flagged, with the error that flagged it', () => {
    const live = new LiveValues(site, { now: () => 0 });
    live.update('m', 'power', 5, 0);
    live.fail('m', 'power', { code: 'modbus-exception:illegal-data-address', message: 'x' });
    expect(live.get('m.power')).toMatchObject({ value: 5, quality: 'comm-fail' });
    expect(live.error('m.power')).toEqual({ code: 'modbus-exception:illegal-data-address', message: 'x' });
    live.update('m', 'power', 6, 1);
    expect(live.error('m.power')).toBeNull();
  });

  it('gives value, quality and time raw, stale derived as in the DTO', () => {
    let now = 0;
    const live = new LiveValues(site, { now: () => now });
    expect(live.raw('m.power')).toEqual({ value: null, quality: 'comm-fail', at: null });
    live.update('m', 'power', 7, 500);
    expect(live.raw('m.power')).toEqual({ value: 7, quality: 'good', at: 500 });
    now = 3501;
    expect(live.raw('m.power')).toEqual({ value: 7, quality: 'stale', at: 500 });
    expect(live.raw('m.power')?.quality).toBe(live.get('m.power')?.quality);
    expect(live.raw('m.nope')).toBeUndefined();
  });
});
