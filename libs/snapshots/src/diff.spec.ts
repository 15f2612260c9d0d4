import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { configurationArb, editArb, applyEdit } from '../test-support/arbitraries.js';
import { edited, meta, sampleConfiguration } from '../test-support/builders.js';
import { FaultyStore } from '../test-support/faulty-store.js';
import { canonicalJson } from './canonical.js';
import { diff, diffConfigurations, invertChanges } from './diff.js';
import { PatchConflictError } from './errors.js';
import { InMemorySnapshotStore } from './memory-store.js';
import { commit } from './operations.js';
import { applyChanges } from './patch.js';
import type { Configuration } from './tree.js';

type Lobby = { scheduleDefault: number; weekly: { monday: { time: string; value: number }[] } };
const lobby = (c: Configuration) => c.schedules['lobby-lights'] as Lobby;

describe('diff of two configurations', () => {
  const base = sampleConfiguration();

  it('is empty for equal configurations', () => {
    expect(diffConfigurations(base, structuredClone(base))).toEqual([]);
  });

  it('goes down to the field inside a changed part', () => {
    const next = edited(base, (c) => {
      lobby(c).weekly.monday = [
        { time: '06:30', value: 1 },
        { time: '19:00', value: 0 },
        { time: '22:00', value: 0 },
      ];
      c.site.timeZone = 'America/New_York';
    });
    expect(diffConfigurations(base, next)).toEqual([
      { path: ['site', 'timeZone'], kind: 'changed', before: 'Europe/Berlin', after: 'America/New_York' },
      {
        path: ['schedules', 'lobby-lights', 'weekly', 'monday', 0, 'time'],
        kind: 'changed',
        before: '07:00',
        after: '06:30',
      },
      {
        path: ['schedules', 'lobby-lights', 'weekly', 'monday', 2],
        kind: 'added',
        after: { time: '22:00', value: 0 },
      },
    ]);
  });

  it('reports whole parts added and removed, and a change of type as one change', () => {
    const next = edited(base, (c) => {
      delete c.devices.meter;
      c.calendars.summer = { name: 'summer', entries: [] };
      c.overrides['vav-1-01/damper'] = { value: 40 };
    });
    expect(diffConfigurations(base, next)).toEqual([
      { path: ['devices', 'meter'], kind: 'removed', before: base.devices.meter },
      { path: ['calendars', 'summer'], kind: 'added', after: { name: 'summer', entries: [] } },
      {
        path: ['overrides', 'vav-1-01/damper'],
        kind: 'changed',
        before: base.overrides['vav-1-01/damper'],
        after: { value: 40 },
      },
    ]);
  });

  it('reports one change per changed part at granularity "parts"', () => {
    const next = edited(base, (c) => {
      lobby(c).scheduleDefault = 1;
      lobby(c).weekly.monday = [];
    });
    expect(diffConfigurations(base, next, { granularity: 'parts' })).toEqual([
      {
        path: ['schedules', 'lobby-lights'],
        kind: 'changed',
        before: base.schedules['lobby-lights'],
        after: next.schedules['lobby-lights'],
      },
    ]);
    expect(diffConfigurations(base, next)).toHaveLength(3); // default + two removed monday entries
  });

  it('treats "__proto__" as an ordinary part id', () => {
    const next = edited(base, (c) => {
      Object.defineProperty(c.schedules, '__proto__', {
        value: { id: 'x' },
        enumerable: true,
        writable: true,
        configurable: true,
      });
    });
    const changes = diffConfigurations(base, next);
    expect(changes).toEqual([{ path: ['schedules', '__proto__'], kind: 'added', after: { id: 'x' } }]);
    expect(canonicalJson(applyChanges(base, changes))).toBe(canonicalJson(next));
    expect(({} as Record<string, unknown>).id).toBeUndefined();
  });

  it('is correct, symmetric and invertible for any two configurations (property)', () => {
    fc.assert(
      fc.property(
        configurationArb,
        configurationArb,
        fc.constantFrom('fields' as const, 'parts' as const),
        (a, b, granularity) => {
          const forward = diffConfigurations(a, b, { granularity });
          const backward = diffConfigurations(b, a, { granularity });
          expect(backward).toEqual(invertChanges(forward));
          expect(canonicalJson(applyChanges(a, forward))).toBe(canonicalJson(b));
          expect(canonicalJson(applyChanges(b, backward))).toBe(canonicalJson(a));
          expect(forward.length === 0).toBe(canonicalJson(a) === canonicalJson(b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses to apply a change list to a configuration it does not fit', () => {
    const next = edited(base, (c) => void (lobby(c).scheduleDefault = 1));
    const changes = diffConfigurations(base, next);
    expect(() => applyChanges(next, changes)).toThrow(PatchConflictError);
    expect(() => applyChanges(base, invertChanges(changes))).toThrow(PatchConflictError);
    const added = diffConfigurations(
      base,
      edited(base, (c) => void (c.rules.extra = {})),
    );
    expect(() =>
      applyChanges(
        edited(base, (c) => void (c.rules.extra = 1)),
        added,
      ),
    ).toThrow(/already exists/);
  });
});

describe('diff of two stored versions', () => {
  it('equals the in-memory diff for any two versions, adjacent or not (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        configurationArb,
        fc.array(editArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        fc.nat(),
        async (start, edits, i, j) => {
          const store = new InMemorySnapshotStore();
          const configs = [start];
          let head = (await commit(store, start, meta(null))).version.id;
          const ids = [head];
          for (const [n, edit] of edits.entries()) {
            const next = applyEdit(configs.at(-1)!, edit);
            head = (await commit(store, next, meta(head, n + 1))).version.id;
            if (head !== ids.at(-1)) {
              configs.push(next);
              ids.push(head);
            }
          }
          const a = i % ids.length;
          const b = j % ids.length;
          const stored = await diff(store, ids[a], ids[b]);
          expect(stored).toEqual(diffConfigurations(configs[a], configs[b]));
          expect(await diff(store, ids[b], ids[a])).toEqual(invertChanges(stored));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('reads only the roots, the indexes and the parts that differ', async () => {
    const inner = new InMemorySnapshotStore();
    const store = new FaultyStore(inner);
    const base = sampleConfiguration();
    const v1 = (await commit(store, base, meta(null))).version;
    const next = edited(base, (c) => void (lobby(c).scheduleDefault = 1));
    const v2 = (await commit(store, next, meta(v1.id, 1))).version;
    store.blobReads = 0;
    const changes = await diff(store, v1.id, v2.id);
    expect(changes).toEqual([
      { path: ['schedules', 'lobby-lights', 'scheduleDefault'], kind: 'changed', before: 0, after: 1 },
    ]);
    expect(store.blobReads).toBe(6); // 2 roots + 2 schedules indexes + 2 versions of the schedule
    store.blobReads = 0;
    expect(await diff(store, v2.id, v2.id)).toEqual([]);
    expect(store.blobReads).toBe(0);
  });
});
