/**
 * The configuration service on the in-memory store: what boot imports and
 * when, edits validated whole (a refused edit commits nothing), rollback as a
 * new version, the overrides record, events, and the order of changes$.
 */
import path from 'node:path';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { findRepoRoot, loadSite } from '#libs/profiles';
import type { LoadedSite } from '#libs/profiles';
import { UnknownVersionError } from '#libs/snapshots';
import { MemoryEventSink } from '../events/event-sink.js';
import { ConfigurationInvalidError } from './configuration-checks.js';
import { InMemoryConfigurationStore } from './configuration-store.js';
import type { ConfigurationState, ControllerSchedule } from './configuration.port.js';
import { ConfigurationService } from './configuration.service.js';

const FIXTURES = path.join(findRepoRoot(), 'libs', 'profiles', 'fixtures');
const baseSite = loadSite(path.join(FIXTURES, 'valid-sites', 'mini-site.yaml'), path.join(FIXTURES, 'valid'));

function siteWith(change: (site: LoadedSite) => void): LoadedSite {
  const site = structuredClone(baseSite);
  change(site);
  return site;
}

describe('ConfigurationService', () => {
  let store: InMemoryConfigurationStore;
  let events: MemoryEventSink;
  let now: number;
  let overrides: Record<string, unknown>;

  const service = (site: LoadedSite = baseSite): ConfigurationService =>
    new ConfigurationService(
      store,
      site,
      { now: () => now },
      events,
      { operatorOverrides: () => Promise.resolve(structuredClone(overrides)) },
      pino({ level: 'silent' }),
    );
  const booted = async (site?: LoadedSite): Promise<ConfigurationService> => {
    const s = service(site);
    await s.boot();
    now += 60_000;
    return s;
  };
  const schedule = (s: ConfigurationService): ControllerSchedule =>
    structuredClone(s.current().configuration.schedules['vav-occupancy'] as ControllerSchedule);

  beforeEach(() => {
    store = new InMemoryConfigurationStore();
    events = new MemoryEventSink();
    now = Date.UTC(2026, 0, 5, 9);
    overrides = {};
  });

  it('imports the site file on first boot as one import version, with an event', async () => {
    const s = await booted();
    const versions = await store.listVersions();
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ kind: 'import', author: 'site-file', parent: null });
    expect(versions[0].message).toContain('first import');
    const { configuration } = s.current();
    expect(configuration.site).toEqual({ name: 'Test building', timeZone: 'Europe/Berlin' });
    expect(Object.keys(configuration.devices)).toEqual(['meter-1', 'meter-2', 'vav-1']);
    expect(Object.keys(configuration.profiles).sort()).toEqual([
      'bacnet/acme/mini-vav.yaml',
      'modbus/acme/mini-meter.yaml',
    ]);
    expect(Object.keys(configuration.calendars)).toEqual(['public-holidays']);
    expect(Object.keys(configuration.rules)).toEqual(['relay-off-on-overload']);
    expect(events.events).toEqual([
      expect.objectContaining({ type: 'configuration', source: 'site-file', subject: versions[0].id }),
    ]);
  });

  it('makes no version when restarted on an unchanged file, whatever the overrides', async () => {
    const first = await booted();
    overrides = { 'vav-1.zone_temp_sp': [{ priority: 8, value: 21, source: 'operator', at: 'x' }] };
    const second = await booted();
    expect(await store.listVersions()).toHaveLength(1);
    expect(second.current().version).toEqual(first.current().version);
  });

  it('imports a changed file as a new version on top of head, keeping API edits to other parts', async () => {
    const first = await booted();
    await first.edit('alice', 'add a calendar', (draft) => {
      draft.calendars.closures = { name: 'closures', entries: [{ kind: 'date', date: '2026-08-14' }] };
    });
    const changed = siteWith((site) => {
      site.schedules![0].scheduleDefault = 3;
    });
    const second = await booted(changed);
    const [head, edit] = await store.listVersions();
    expect(head).toMatchObject({ kind: 'import', parent: edit.id });
    expect(head.message).toContain('1 change(s) applied on top of head');
    expect(await second.diff(edit.id, head.id)).toEqual([
      { path: ['schedules', 'vav-occupancy', 'scheduleDefault'], kind: 'changed', before: 2, after: 3 },
    ]);
    expect(Object.keys(second.current().configuration.calendars).sort()).toEqual([
      'closures',
      'public-holidays',
    ]);
  });

  it('takes a changed file whole when the edits on head would make it invalid', async () => {
    const first = await booted();
    await first.edit('alice', 'holidays by another name', (draft) => {
      const s = draft.schedules['vav-occupancy'] as ControllerSchedule;
      s.exceptions = [];
      draft.calendars.feiertage = { ...(draft.calendars['public-holidays'] as object), name: 'feiertage' };
      delete draft.calendars['public-holidays'];
    });
    // The file now adds a second schedule using public-holidays, which head no longer has.
    const changed = siteWith((site) => {
      site.schedules!.push({ ...structuredClone(site.schedules![0]), id: 'second', kind: 'fallback' });
    });
    const second = await booted(changed);
    const head = (await store.listVersions())[0];
    expect(head.message).toContain('unknown calendar "public-holidays"');
    expect(head.message).toContain('file taken whole');
    expect(Object.keys(second.current().configuration.calendars)).toEqual(['public-holidays']);
  });

  it('refuses an invalid edit naming part and field, and commits nothing', async () => {
    const s = await booted();
    const seen: ConfigurationState[] = [];
    s.changes$.subscribe((state) => seen.push(state));
    const before = s.current();
    const bad = schedule(s);
    bad.targets = ['vav-1.zone_temp', 'vav-9.occupancy'];
    bad.weekly.friday = [{ time: '24:00', value: 1 }];
    const attempt = s.edit('alice', 'bad', (draft) => {
      draft.schedules['vav-occupancy'] = bad;
    });
    await expect(attempt).rejects.toBeInstanceOf(ConfigurationInvalidError);
    await expect(attempt).rejects.toThrow(
      'schedule "vav-occupancy" field "weekly.friday[0].time": "24:00" is past the end of the day',
    );
    await expect(attempt).rejects.toThrow(
      'schedule "vav-occupancy" field "targets[0]": "vav-1.zone_temp" is read-only',
    );
    await expect(attempt).rejects.toThrow('field "targets[1]": "vav-9.occupancy" is no point of this site');
    expect(await store.listVersions()).toHaveLength(1);
    expect(s.current()).toBe(before);
    expect(seen).toEqual([before]); // the replayed head only
  });

  it('refuses removing a calendar a schedule refers to (unknown calendar)', async () => {
    const s = await booted();
    await expect(
      s.edit('alice', 'drop holidays', (draft) => {
        delete draft.calendars['public-holidays'];
      }),
    ).rejects.toThrow('field "exceptions[0].period.calendar": unknown calendar "public-holidays"');
  });

  it('commits a valid edit with the overrides in force then, and answers unchanged for a no-op', async () => {
    const s = await booted();
    overrides = { 'vav-1.zone_temp_sp': [{ priority: 8, value: 21, source: 'operator', at: 'then' }] };
    const edited = schedule(s);
    edited.weekly.saturday = [{ time: '09:00', value: 1 }];
    const answer = await s.edit('alice', 'open on saturdays', (draft) => {
      draft.schedules['vav-occupancy'] = edited;
    });
    expect(answer).toMatchObject({ status: 'created', restartRequired: false });
    expect(answer.version).toMatchObject({ kind: 'edit', author: 'alice', message: 'open on saturdays' });
    expect(s.current().configuration.overrides).toEqual(overrides);
    expect(await s.diff(answer.version.parent!, answer.version.id)).toEqual(
      expect.arrayContaining([
        {
          path: ['schedules', 'vav-occupancy', 'weekly', 'saturday', 0],
          kind: 'added',
          after: edited.weekly.saturday[0],
        },
      ]),
    );
    const again = await s.edit('alice', 'same again', (draft) => {
      draft.schedules['vav-occupancy'] = edited;
    });
    expect(again).toMatchObject({ status: 'unchanged', version: answer.version });
  });

  it('rolls back as a new version restoring the target configuration, and refuses an unknown one', async () => {
    const s = await booted();
    const imported = s.current();
    await s.edit('alice', 'default 1', (draft) => {
      (draft.schedules['vav-occupancy'] as ControllerSchedule).scheduleDefault = 1;
    });
    now += 60_000;
    const answer = await s.rollback(imported.version.id, 'bob');
    expect(answer.version).toMatchObject({
      kind: 'rollback',
      rolledBackTo: imported.version.id,
      author: 'bob',
    });
    expect((await store.listVersions()).map((v) => v.kind)).toEqual(['rollback', 'edit', 'import']);
    expect(s.current().configuration).toEqual(imported.configuration);
    expect(await s.diff(imported.version.id, answer.version.id)).toEqual([]);
    await expect(s.rollback('0'.repeat(64), 'bob')).rejects.toBeInstanceOf(UnknownVersionError);
    expect(events.events.map((e) => e.data?.kind)).toEqual(['import', 'edit', 'rollback']);
  });

  it('says when a version needs a restart: its devices differ from those the scan runs with', async () => {
    await booted();
    const first = (await store.listVersions())[0];
    const moved = siteWith((site) => {
      site.devices[0].pollIntervalMs = 2500;
    });
    const s = await booted(moved);
    expect(s.restartRequired(s.current().configuration)).toBe(false);
    const answer = await s.rollback(first.id, 'bob');
    expect(answer.restartRequired).toBe(true);
  });

  it('emits every head on changes$ in commit order, however the edits interleave', async () => {
    const s = await booted();
    const seen: string[] = [];
    s.changes$.subscribe((state) => seen.push(state.version.message));
    const edits = [1, 2, 3].map((n) =>
      s.edit('alice', `edit ${n}`, (draft) => {
        (draft.schedules['vav-occupancy'] as ControllerSchedule).scheduleDefault = n;
      }),
    );
    await Promise.all(edits);
    expect(seen).toEqual([expect.stringContaining('first import'), 'edit 1', 'edit 2', 'edit 3']);
    expect((await store.listVersions()).map((v) => v.message).slice(0, 3)).toEqual([
      'edit 3',
      'edit 2',
      'edit 1',
    ]);
  });
});
