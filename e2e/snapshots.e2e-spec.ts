/**
 * Schedules, calendars and snapshots through the controller's HTTP API, with
 * the demo building running: the site file's import is the first version; a
 * schedule edit is a new version whose id the answer carries; bad edits are
 * refused with problem details naming the field and make no version; the
 * history lists newest first, diffs any two versions, and rolls back as a new
 * version that shows up live in GET /schedules.
 */
import { describe, expect, it } from '@jest/globals';
import type { ProblemDetails } from '#libs/contracts';
import { getJson, sendJson } from './support/building.js';
import { demoBuildingPerSuite } from './support/suite.js';

interface VersionDto {
  id: string;
  parent: string | null;
  kind: string;
  author: string;
  message: string;
  rolledBackTo?: string;
}
interface EditAnswer {
  status: string;
  version: VersionDto;
  restartRequired: boolean;
}
interface ScheduleDto {
  id: string;
  kind: string;
  targets: string[];
  weekly: Record<string, { time: string; value: number | null }[]>;
  exceptions: unknown[];
  scheduleDefault: number | null;
  effective: { value: number | null; source: string; priority?: number };
  next: { at: string; value: number | null } | null;
}
interface ListAnswer {
  head: string;
  versions: VersionDto[];
}
interface ChangeDto {
  path: (string | number)[];
  kind: string;
  before?: unknown;
  after?: unknown;
}

describe('schedules, calendars and snapshots over HTTP', () => {
  const suite = demoBuildingPerSuite(1000);

  const send = (method: string, path: string, body?: unknown, user = 'alice'): Promise<Response> =>
    sendJson(method, `${suite.api}${path}`, body, { 'x-bulwark-user': user });
  const problem = async (res: Response, status: number): Promise<ProblemDetails> => {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    return (await res.json()) as ProblemDetails;
  };
  const versions = async (): Promise<ListAnswer> => getJson<ListAnswer>(`${suite.api}/snapshots`);

  it('starts from the site file, imported as the first version, with effective and next', async () => {
    const list = await versions();
    expect(list.versions).toHaveLength(1);
    expect(list.versions[0]).toMatchObject({ kind: 'import', author: 'site-file', parent: null });
    expect(list.head).toBe(list.versions[0].id);
    const { schedules } = await getJson<{ schedules: ScheduleDto[] }>(`${suite.api}/schedules`);
    const office = schedules.find((s) => s.id === 'office-hours')!;
    expect(office.kind).toBe('local');
    expect(office.targets).toContain('vav-1-01.occupancy-cmd');
    expect([1, 2]).toContain(office.effective.value);
    expect(office.next).not.toBeNull();
    expect(Date.parse(office.next!.at)).toBeGreaterThan(Date.now());
    const calendar = await getJson<{ name: string; entries: unknown[] }>(
      `${suite.api}/calendars/public-holidays`,
    );
    expect(calendar.entries).toContainEqual({ kind: 'date', date: '*-12-25' });
  });

  it('edits, lists, diffs and rolls back a schedule, each step a version', async () => {
    const imported = (await versions()).versions[0];
    const office = await getJson<ScheduleDto>(`${suite.api}/schedules/office-hours`);
    const { effective: _e, next: _n, ...stored } = office as ScheduleDto & { version?: string };
    delete (stored as { version?: string }).version;
    const saturday = [
      { time: '09:00', value: 1 },
      { time: '13:00', value: 2 },
    ];

    const put = await send('PUT', '/schedules/office-hours', {
      ...stored,
      weekly: { ...stored.weekly, saturday },
    });
    expect(put.status).toBe(200);
    const edited = (await put.json()) as EditAnswer & { schedule: ScheduleDto };
    expect(edited).toMatchObject({ status: 'created', restartRequired: false });
    expect(edited.version).toMatchObject({ kind: 'edit', author: 'alice', parent: imported.id });
    expect(edited.schedule.weekly.saturday).toEqual(saturday);

    const list = await versions();
    expect(list.versions.map((v) => v.id)).toEqual([edited.version.id, imported.id]);
    const paged = await getJson<ListAnswer>(`${suite.api}/snapshots?limit=1&offset=1`);
    expect(paged.versions.map((v) => v.id)).toEqual([imported.id]);

    const diff = await getJson<{ from: string; to: string; changes: ChangeDto[] }>(
      `${suite.api}/snapshots/${edited.version.id}/diff?against=${imported.id}`,
    );
    expect(diff.from).toBe(imported.id);
    expect(diff.changes).toEqual(
      expect.arrayContaining([
        { path: ['schedules', 'office-hours', 'weekly', 'saturday', 0], kind: 'added', after: saturday[0] },
        { path: ['schedules', 'office-hours', 'weekly', 'saturday', 1], kind: 'added', after: saturday[1] },
      ]),
    );
    // Without `against`, the diff is against the version's parent.
    const toParent = await getJson<{ from: string }>(`${suite.api}/snapshots/${edited.version.id}/diff`);
    expect(toParent.from).toBe(imported.id);

    const rollback = await send(
      'POST',
      `/snapshots/${imported.id}/rollback`,
      { message: 'undo saturday' },
      'bob',
    );
    expect(rollback.status).toBe(201);
    const rolled = (await rollback.json()) as EditAnswer;
    expect(rolled.version).toMatchObject({
      kind: 'rollback',
      rolledBackTo: imported.id,
      parent: edited.version.id,
      author: 'bob',
      message: 'undo saturday',
    });
    expect((await versions()).versions.map((v) => v.kind)).toEqual(['rollback', 'edit', 'import']);
    const live = await getJson<ScheduleDto>(`${suite.api}/schedules/office-hours`);
    expect(live.weekly.saturday).toEqual([]);
    const whole = await getJson<{ version: VersionDto; head: boolean }>(
      `${suite.api}/snapshots/${rolled.version.id}`,
    );
    expect(whole.head).toBe(true);
  });

  it('refuses bad edits with problem details naming the field, and makes no version', async () => {
    const before = (await versions()).versions.length;
    const office = await getJson<ScheduleDto & { version: string }>(`${suite.api}/schedules/office-hours`);
    const { effective: _e, next: _n, version: _v, ...stored } = office;

    const late = await problem(
      await send('PUT', '/schedules/office-hours', {
        ...stored,
        weekly: { ...stored.weekly, sunday: [{ time: '24:00', value: 1 }] },
      }),
      422,
    );
    expect(late.detail).toContain('field "weekly.sunday[0].time": "24:00" is past the end of the day');

    const readOnly = await problem(
      await send('PUT', '/schedules/office-hours', { ...stored, targets: ['vav-1-01.zone-temp'] }),
      422,
    );
    expect(readOnly.detail).toContain('"vav-1-01.zone-temp" is read-only');

    const unknownCalendar = await problem(
      await send('PUT', '/schedules/office-hours', {
        ...stored,
        exceptions: [
          {
            period: { kind: 'calendar', calendar: 'holidays' },
            times: [{ time: '00:00', value: 2 }],
            priority: 10,
          },
        ],
      }),
      422,
    );
    expect(unknownCalendar.detail).toContain('unknown calendar "holidays"');

    const badZone = await problem(
      await send('PUT', '/schedules/office-hours', { ...stored, timeZone: 'Mars/Olympus' }),
      422,
    );
    expect(badZone.detail).toContain('field "timeZone"');

    const malformed = await problem(
      await send('PUT', '/schedules/office-hours', { ...stored, kind: 'backup' }),
      400,
    );
    expect(malformed.detail).toContain('kind: "backup" is not allowed');

    const inUse = await problem(await send('DELETE', '/calendars/public-holidays'), 409);
    expect(inUse.detail).toContain('used by schedule(s) "office-hours"');

    await problem(await send('GET', '/schedules/no-such'), 404);
    await problem(await send('DELETE', '/schedules/no-such'), 404);
    await problem(await send('GET', `/snapshots/${'0'.repeat(64)}`), 404);
    await problem(await send('POST', `/snapshots/${'0'.repeat(64)}/rollback`), 404);
    await problem(await send('GET', '/snapshots/not-a-version/diff'), 404);
    await problem(await send('GET', '/snapshots?limit=0'), 400);

    expect((await versions()).versions).toHaveLength(before);
  });

  it('creates and deletes a calendar and a schedule, each a version', async () => {
    const created = await send('PUT', '/calendars/closures', {
      entries: [{ kind: 'range', from: '2026-08-10', to: '2026-08-14' }],
    });
    expect(created.status).toBe(201);
    const calendarVersion = ((await created.json()) as EditAnswer).version;
    const lights = {
      name: 'Level 2 lights',
      kind: 'local',
      targets: ['lighting-l2.lighting-scene'],
      weekly: Object.fromEntries(
        ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((d) => [
          d,
          [
            { time: '06:30', value: 2 },
            { time: '20:00', value: 1 },
          ],
        ]),
      ),
      exceptions: [
        {
          period: { kind: 'calendar', calendar: 'closures' },
          times: [{ time: '00:00', value: 1 }],
          priority: 5,
        },
      ],
      effectivePeriod: { from: 'any', to: 'any' },
      scheduleDefault: 1,
    };
    const put = await send('PUT', '/schedules/l2-lights', lights);
    expect(put.status).toBe(201);
    const answer = (await put.json()) as EditAnswer & { schedule: ScheduleDto };
    expect(answer.version.parent).toBe(calendarVersion.id);
    expect(answer.schedule.next).not.toBeNull();
    const removed = await send('DELETE', '/schedules/l2-lights');
    expect(removed.status).toBe(200);
    expect(((await removed.json()) as EditAnswer).version.message).toBe('delete schedule l2-lights');
    expect((await send('DELETE', '/calendars/closures')).status).toBe(200);
    await problem(await send('GET', '/calendars/closures'), 404);
  });
});
