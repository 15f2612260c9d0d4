/**
 * The audit log end to end, with the demo building running: a command, a
 * refused command, a relinquish, a schedule PUT and a rollback each leave one
 * entry in GET /api/v1/audit with who, the target, the outcome, and what was
 * before and after (the priority array; the schedule and the version ids);
 * each entry and each new configuration version is in the outbox.
 */
import { describe, expect, it } from '@jest/globals';
import type { PriorityArrayDto } from '#libs/contracts';
import type { AuditEntryDto } from '../apps/controller/src/audit/audit-store.js';
import { OutboxService } from '../apps/controller/src/outbox/outbox.service.js';
import { getJson, sendJson } from './support/building.js';
import { demoBuildingPerSuite } from './support/suite.js';

const DAMPER = 'vav-1-01.damper-cmd';

interface EditAnswer {
  status: string;
  version: { id: string; parent: string | null };
}

describe('audit log over HTTP', () => {
  const suite = demoBuildingPerSuite(1000);

  const send = (method: string, path: string, body?: unknown, user?: string): Promise<Response> =>
    sendJson(method, `${suite.api}${path}`, body, user ? { 'x-bulwark-user': user } : {});
  const audit = (query: string): Promise<AuditEntryDto[]> =>
    getJson<AuditEntryDto[]>(`${suite.api}/audit${query}`);
  const outbox = () =>
    suite.building.controller.app
      .get(OutboxService)
      .peek({ maxRecords: 10_000, maxBytes: 64 << 20, afterSeq: 0 });

  it('records commands with the priority array before and after, refusals with their problem', async () => {
    const ok = await send('POST', `/points/${DAMPER}/commands`, { value: 40 }, 'alice');
    expect(ok.status).toBe(201);
    const refused = await send('POST', `/points/${DAMPER}/commands`, { value: 5 }, 'alice');
    expect(refused.status).toBe(422);
    const relinquished = await send('DELETE', `/points/${DAMPER}/commands/8`, undefined, 'bob');
    expect(relinquished.status).toBe(200);

    const entries = await audit(`?target=points/${DAMPER}&after=0`);
    expect(entries.map((e) => [e.actor, e.method, e.status])).toEqual([
      ['alice', 'POST', 201],
      ['alice', 'POST', 422],
      ['bob', 'DELETE', 200],
    ]);
    const [command, refusal, relinquish] = entries;
    const slot8 = (a: unknown) => (a as PriorityArrayDto).slots.find((s) => s.priority === 8);
    expect(command.route).toBe('/api/v1/points/:id/commands');
    expect(slot8(command.before)).toBeUndefined();
    expect(slot8(command.after)).toMatchObject({ value: 40, source: 'operator' });
    expect(refusal).toMatchObject({ title: 'Unprocessable Entity', after: null });
    expect(refusal.detail).toMatch(/value 5 outside safe range 10\.\.100/);
    expect(slot8(refusal.before)).toMatchObject({ value: 40 });
    expect(relinquish.path).toBe(`/api/v1/points/${DAMPER}/commands/8`);
    expect(slot8(relinquish.before)).toMatchObject({ value: 40 });
    expect(slot8(relinquish.after)).toBeUndefined();

    const records = outbox().filter((r) => r.kind === 'audit');
    expect(records.map((r) => r.body.action)).toEqual([
      `POST /api/v1/points/${DAMPER}/commands -> 201 Created`,
      `POST /api/v1/points/${DAMPER}/commands -> 422 Unprocessable Entity`,
      `DELETE /api/v1/points/${DAMPER}/commands/8 -> 200 Ok`,
    ]);
  });

  it('records a schedule PUT and a rollback with the schedule and version ids before and after', async () => {
    const office = await getJson<Record<string, unknown>>(`${suite.api}/schedules/office-hours`);
    const { effective: _e, next: _n, version: _v, ...stored } = office;
    const saturday = [
      { time: '09:00', value: 1 },
      { time: '13:00', value: 2 },
    ];
    const put = await send(
      'PUT',
      '/schedules/office-hours',
      { ...stored, weekly: { ...(stored.weekly as object), saturday } },
      'carol',
    );
    expect(put.status).toBe(200);
    const edit = (await put.json()) as EditAnswer;
    const [entry] = await audit('?target=schedules/office-hours&actor=carol');
    expect(entry).toMatchObject({ method: 'PUT', status: 200, route: '/api/v1/schedules/:id' });
    const before = entry.before as { version: string; schedule: { weekly: Record<string, unknown> } };
    const after = entry.after as { version: string; schedule: { weekly: Record<string, unknown> } };
    expect(before.version).toBe(edit.version.parent);
    expect(after.version).toBe(edit.version.id);
    expect(before.schedule.weekly.saturday).not.toEqual(saturday);
    expect(after.schedule.weekly.saturday).toEqual(saturday);

    const rollback = await send('POST', `/snapshots/${edit.version.parent}/rollback`, { author: 'dave' });
    expect(rollback.status).toBe(201);
    const rolled = (await rollback.json()) as EditAnswer;
    const [undo] = await audit('?actor=dave');
    expect(undo).toMatchObject({
      target: `snapshots/${edit.version.parent}`,
      status: 201,
      before: { version: edit.version.id },
      after: { version: rolled.version.id, status: 'created' },
    });

    // Every version, the site file's import included, is in the outbox with its blobs.
    const snapshots = outbox()
      .filter((r) => r.kind === 'snapshot')
      .map((r) => r.body);
    const ids = snapshots.map((s) => s.version.id);
    expect(ids.slice(-2)).toEqual([edit.version.id, rolled.version.id]);
    const { versions } = await getJson<{ versions: Array<{ id: string }> }>(`${suite.api}/snapshots`);
    expect([...ids].reverse()).toEqual(versions.map((v) => v.id));
    expect(Object.keys(snapshots[0].blobs).length).toBeGreaterThan(0);
  });
});
