/**
 * The scanner's sink: what the interlocks hear after each read cycle. A tick
 * must come once per device per recorded batch, and only once the batch's
 * values are in LiveValues (an interlock evaluated on a tick reads them).
 */
import { describe, expect, it } from '@jest/globals';
import type { LoadedSite, Profile } from '#libs/profiles';
import { LiveValues } from '../points/live-values.js';
import { scanSink } from './scanner.service.js';
import type { ScanTick } from './scanner.service.js';

const profile = {
  points: ['t', 'u'].map((id) => ({ id, name: id, kind: 'analog', access: 'read', unit: '' })),
} as unknown as Profile;
const site = {
  devices: ['a', 'b'].map((id) => ({ id, profile: 'p.yaml', pollIntervalMs: 1000 })),
  profiles: { 'p.yaml': profile },
} as unknown as LoadedSite;

describe('scanSink', () => {
  it('ticks once per device of a recorded batch, after its values are live, and still records history', async () => {
    const live = new LiveValues(site, { now: () => 0 });
    const recorded: string[] = [];
    const seen: Array<ScanTick & { value: number | null | undefined }> = [];
    const sink = scanSink(
      live,
      { record: (rows) => Promise.resolve(void recorded.push(...rows.map((r) => r.pointId))) },
      (t) => seen.push({ ...t, value: live.get(`${t.deviceId}.t`)?.value }),
      () => 42,
    );
    sink.value('a', 't', 5, 40);
    sink.value('a', 'u', 6, 40);
    sink.fail('b', 't', { code: 'timeout', message: 'no response' });
    await sink.record([
      { deviceId: 'a', pointId: 't', ts: 40, value: 5, quality: 'good' },
      { deviceId: 'a', pointId: 'u', ts: 40, value: 6, quality: 'good' },
      { deviceId: 'b', pointId: 't', ts: 40, value: null, quality: 'comm-fail' },
    ]);
    expect(seen).toEqual([
      { deviceId: 'a', at: 42, value: 5 },
      { deviceId: 'b', at: 42, value: null },
    ]);
    expect(recorded).toEqual(['a.t', 'a.u', 'b.t']);
    expect(live.quality('b.t')).toBe('comm-fail');
  });

  it('does not tick for an empty batch', async () => {
    const ticks: ScanTick[] = [];
    const sink = scanSink(
      new LiveValues(site, { now: () => 0 }),
      { record: () => Promise.resolve() },
      (t) => ticks.push(t),
      () => 1,
    );
    await sink.record([]);
    expect(ticks).toEqual([]);
  });
});
