/**
 * Events and alarms end to end against the simulated building, through the
 * controller's REST API and the simulator's fault injection only: a device
 * taken offline raises a comm-fail alarm that a person acknowledges with a
 * comment and that clears when the device answers again; one that clears
 * before anyone acknowledged it stays listed as `cleared`; a zone temperature
 * stuck above its limit raises a limit alarm after its on-delay; a write the
 * device refuses raises a write-failed alarm that the next good write clears;
 * and every change is an event of type `alarm`, in order.
 */
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { AlarmDto, EventDto, PointDto, ProblemDetails } from '#libs/contracts';
import { demoSiteOnFreePorts, eventually, getJson, startBuilding } from './support/building.js';
import type { Building } from './support/building.js';

const POLL_MS = 300;
jest.setTimeout(30000);

describe('events and alarms against the simulated building', () => {
  let b: Building;
  const api = (path: string): string => `${b.controller.url}/api/v1${path}`;
  const faults = async (deviceId: string, body: unknown): Promise<void> => {
    const res = await fetch(`${b.sim.controlUrl}/devices/${deviceId}/faults`, {
      method: body === null ? 'DELETE' : 'PUT',
      headers: { 'content-type': 'application/json' },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBeLessThan(300);
  };
  const alarms = (query = ''): Promise<AlarmDto[]> => getJson<AlarmDto[]>(api(`/alarms${query}`));
  const alarmOf = (kind: string, subject: string, query = '?state=all') =>
    eventually(
      async () => (await alarms(query)).find((a) => a.kind === kind && a.subject === subject),
      8000,
      `${kind} alarm of ${subject} (${query})`,
    );
  const ack = (id: number | string, body: unknown): Promise<Response> =>
    fetch(api(`/alarms/${id}/acknowledge`), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    const site = demoSiteOnFreePorts(POLL_MS);
    b = await startBuilding({
      ...site,
      alarmLimits: [{ point: 'vav-1-05.zone-temp', low: 10, high: 30, deadband: 1, delaySeconds: 1 }],
    });
    await eventually(
      async () => {
        const points = await getJson<PointDto[]>(api('/points'));
        return points.every((p) => p.quality === 'good') ? true : undefined;
      },
      10000,
      'every point good',
    );
  });
  afterAll(async () => {
    await b?.close();
  });

  it('a device offline raises a comm-fail alarm; a person acknowledges it; it clears when the device answers', async () => {
    expect((await alarms()).filter((a) => a.kind === 'comm-fail')).toEqual([]);
    await faults('vav-1-03', { offline: true });
    const raised = await alarmOf('comm-fail', 'vav-1-03', '?state=active');
    expect(raised).toMatchObject({
      state: 'active',
      severity: 'major',
      clearedAt: null,
      acknowledgedBy: null,
    });
    expect(raised.message).toMatch(/device vav-1-03 \(bacnet\) does not answer/);
    expect(await getJson<AlarmDto>(api(`/alarms/${raised.id}`))).toEqual(raised);

    // Acknowledging needs a person and a comment: 422 naming the field, nothing changes.
    const refusals: Array<[unknown, RegExp]> = [
      [{ by: 'Dana Fischer' }, /^comment: is required/],
      [{ comment: 'looking into it' }, /^by: is required/],
      [{ by: '  ', comment: 'looking into it' }, /^by: must not be empty/],
      [{ by: 'Dana Fischer', comment: '' }, /^comment: must not be empty/],
      [{ by: 'Dana Fischer', comment: 'x', colour: 'red' }, /^colour: unknown field/],
    ];
    for (const [body, detail] of refusals) {
      const res = await ack(raised.id, body);
      expect({ body, status: res.status }).toEqual({ body, status: 422 });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await res.json()) as ProblemDetails).detail).toMatch(detail);
    }
    expect((await ack(999999, { by: 'Dana Fischer', comment: 'x' })).status).toBe(404);
    expect((await ack('abc', { by: 'Dana Fischer', comment: 'x' })).status).toBe(404);
    expect((await fetch(api('/alarms/999999'))).status).toBe(404);
    expect((await getJson<AlarmDto>(api(`/alarms/${raised.id}`))).state).toBe('active');

    const res = await ack(raised.id, {
      by: 'Dana Fischer',
      comment: 'VAV 1-03 breaker tripped, electrician called',
    });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as AlarmDto;
    expect(acked).toMatchObject({
      id: raised.id,
      state: 'acknowledged',
      acknowledgedBy: 'Dana Fischer',
      acknowledgementComment: 'VAV 1-03 breaker tripped, electrician called',
    });
    const again = await ack(raised.id, { by: 'Sam Okafor', comment: 'me too' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as ProblemDetails).detail).toMatch(/already acknowledged by Dana Fischer/);
    expect((await alarms('?state=acknowledged')).map((a) => a.id)).toContain(raised.id);

    await faults('vav-1-03', null);
    const closed = await alarmOf('comm-fail', 'vav-1-03', '?state=closed');
    expect(closed.id).toBe(raised.id);
    expect(closed.clearedAt).not.toBeNull();
    expect((await alarms()).map((a) => a.id)).not.toContain(raised.id);

    const events = await getJson<EventDto[]>(api('/events?type=alarm&subject=vav-1-03&after=0'));
    expect(events.map((e) => [e.data?.action, e.source, e.data?.alarmId])).toEqual([
      ['raised', 'scanner', raised.id],
      ['acknowledged', 'Dana Fischer', raised.id],
      ['cleared', 'scanner', raised.id],
    ]);
    expect(events[0].seq).toBeLessThan(events[1].seq);
    expect(events[1].seq).toBeLessThan(events[2].seq);
  });

  it('an alarm that clears before acknowledgement stays listed as cleared until someone acknowledges it', async () => {
    await faults('vav-1-04', { offline: true });
    const raised = await alarmOf('comm-fail', 'vav-1-04', '?state=active');
    await faults('vav-1-04', null);
    const cleared = await alarmOf('comm-fail', 'vav-1-04', '?state=cleared');
    expect(cleared).toMatchObject({ id: raised.id, state: 'cleared', acknowledgedAt: null });
    expect((await alarms()).map((a) => a.id)).toContain(raised.id);
    const res = await ack(raised.id, { by: 'Sam Okafor', comment: 'network switch restarted at 10:02' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as AlarmDto).state).toBe('closed');
    expect((await alarms()).map((a) => a.id)).not.toContain(raised.id);
  });

  it('a zone temperature stuck above its high limit raises a limit alarm after the on-delay, and clears below the deadband', async () => {
    const t0 = Date.now();
    await faults('vav-1-05', { stuck: { 'zone-temp': 35.5 } });
    const raised = await alarmOf('limit-high', 'vav-1-05.zone-temp', '?state=active');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    expect(raised.message).toMatch(/vav-1-05\.zone-temp .*35\.5 degC above high limit 30 degC/);
    expect(raised.data).toMatchObject({ value: 35.5, limit: 30, deadband: 1 });
    await faults('vav-1-05', null);
    const cleared = await alarmOf('limit-high', 'vav-1-05.zone-temp', '?state=cleared');
    expect(cleared.id).toBe(raised.id);
  });

  it('a write the device refuses raises a write-failed alarm; the next good write clears it', async () => {
    const key = 'fcu-l0-reception.fan-speed-cmd';
    await faults('fcu-l0-reception', { exceptionCode: 2 });
    const post = (value: number): Promise<Response> =>
      fetch(api(`/points/${key}/commands`), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ value }),
      });
    expect((await post(2)).status).toBe(502);
    const raised = await alarmOf('write-failed', key, '?state=active');
    expect(raised.message).toMatch(/write fcu-l0-reception\.fan-speed-cmd = 2 .*failed .*modbus-exception/);
    await faults('fcu-l0-reception', null);
    expect((await post(3)).status).toBe(201);
    expect((await alarmOf('write-failed', key, '?state=cleared')).id).toBe(raised.id);
    const commands = await getJson<EventDto[]>(api(`/events?type=command&subject=${key}`));
    expect(commands[0]).toMatchObject({
      type: 'command',
      source: 'operator',
      data: { value: 3, priority: 8 },
    });
  });

  it('the events and alarms APIs name a bad parameter with 400', async () => {
    const cases: Array<[string, RegExp]> = [
      ['/events?limit=1001', /^limit: "1001" must be an integer 1\.\.1000/],
      ['/events?type=nope', /^type: "nope" is not one of command, relinquish/],
      ['/events?since=yesterday', /^since: "yesterday" is not an ISO 8601 instant/],
      ['/events?colour=red', /^colour: unknown parameter/],
      ['/alarms?state=sleeping', /^state: "sleeping" is not one of open, active/],
    ];
    for (const [path, detail] of cases) {
      const res = await fetch(api(path));
      expect({ path, status: res.status }).toEqual({ path, status: 400 });
      expect(((await res.json()) as ProblemDetails).detail).toMatch(detail);
    }
  });
});
