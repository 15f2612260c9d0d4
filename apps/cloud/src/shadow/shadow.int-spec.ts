/**
 * Desired and reported state on PostgreSQL: the admin sets desired commands
 * (version bumps), a signed controller long-polls them (at once when newer,
 * 204 after the wait otherwise, woken by a PUT meanwhile), reports what is in
 * force, and the admin sees per point who holds it, operator overrides
 * included; bad bodies and unsigned calls are refused with named reasons.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { admin, enrolController, send, startTestCloud } from '../test-support/cloud-fixture.js';
import type { HttpResult, TestCloud, TestController } from '../test-support/cloud-fixture.js';

const SITE = 'shadow-site';

/* The answers' shapes, so assertions read typed fields (HttpResult.json is untyped). */
interface Answer {
  at: string;
  reason: string;
  detail: string;
  version: number;
  commands: { point: string; value: number; leaseMs: number; leaseId: string }[];
  desired: { version: number };
  inSync: boolean;
  reported: unknown;
  points: unknown;
}
const body = (r: HttpResult): Answer => r.json as Answer;

describe('desired and reported state', () => {
  let t: TestCloud;
  let ctl: TestController & { id: number };
  let other: TestController & { id: number };
  const get = (c: TestController, path: string): Promise<HttpResult> =>
    send(`${c.origin}${path}`, { headers: c.sign('GET', path, '') });

  beforeAll(async () => {
    t = await startTestCloud();
    await admin(t.cloud, 'POST', '/api/v1/sites', { slug: SITE });
    ctl = await enrolController(t.cloud, SITE, 'ctl-1');
    other = await enrolController(t.cloud, SITE, 'ctl-2');
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  });

  it('answers a signed ping and refuses an unsigned one with the reason', async () => {
    const ok = await get(ctl, '/api/v1/sync/ping');
    expect(ok.status).toBe(200);
    expect(Date.parse(body(ok).at)).toBeGreaterThan(0);
    expect(ok.headers.date).toBeDefined();
    const unsigned = await send(`${ctl.origin}/api/v1/sync/ping`);
    expect(unsigned.status).toBe(401);
    expect(body(unsigned).reason).toBe('missing-signature');
  });

  it('bumps the version on each PUT and long-polls: at once when newer, 204 after the wait, woken by a PUT', async () => {
    expect((await get(ctl, '/api/v1/sync/desired?after=0&waitSeconds=0')).status).toBe(204);
    const put = await admin(t.cloud, 'PUT', `/api/v1/controllers/${ctl.id}/desired`, {
      commands: [{ point: 'ahu-1.fan', value: 1, leaseMs: 60_000, leaseId: 'L-fan' }],
    });
    expect(put.status).toBe(200);
    expect(body(put)).toEqual({
      version: 1,
      commands: [{ point: 'ahu-1.fan', value: 1, leaseMs: 60_000, leaseId: 'L-fan' }],
    });
    const now = await get(ctl, '/api/v1/sync/desired?after=0&waitSeconds=25');
    expect(now.status).toBe(200);
    expect(body(now).version).toBe(1);

    const started = Date.now();
    const waited = await get(ctl, '/api/v1/sync/desired?after=1&waitSeconds=1');
    expect(waited.status).toBe(204);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);

    const polling = get(ctl, '/api/v1/sync/desired?after=1&waitSeconds=20');
    await new Promise((r) => setTimeout(r, 300));
    const second = await admin(t.cloud, 'PUT', `/api/v1/controllers/${ctl.id}/desired`, {
      commands: [{ point: 'ahu-1.fan', value: 0 }],
    });
    const woken = await polling;
    expect(woken.status).toBe(200);
    expect(body(woken).version).toBe(2);
    expect(body(woken).commands[0]).toMatchObject({ point: 'ahu-1.fan', value: 0, leaseMs: 300_000 });
    expect(body(woken).commands[0].leaseId).toBe(body(second).commands[0].leaseId);
    expect(Date.now() - started).toBeLessThan(10_000);
    // Another controller's desired state is its own.
    expect((await get(other, '/api/v1/sync/desired?after=0&waitSeconds=0')).status).toBe(204);
  });

  it('stores the report and shows per point what is in force, who holds it, and the cloud command outranked', async () => {
    await admin(t.cloud, 'PUT', `/api/v1/controllers/${ctl.id}/desired`, {
      commands: [
        { point: 'ahu-1.fan', value: 1, leaseId: 'L1' },
        { point: 'vav-1.damper', value: 40, leaseId: 'L2' },
      ],
    });
    const version = body(await admin(t.cloud, 'GET', `/api/v1/controllers/${ctl.id}/state`)).desired.version;
    const report = {
      appliedVersion: version,
      mode: 'CONNECTED',
      points: {
        'ahu-1.fan': { value: 1, priority: 10, source: 'cloud' },
        'vav-1.damper': { value: 80, priority: 8, source: 'operator' },
        'vav-2.damper': { value: 30, priority: null, source: 'relinquish-default' },
      },
      notes: [{ point: 'vav-1.damper', leaseId: 'L2', reason: 'outranked by operator at priority 8' }],
    };
    const posted = await ctl.post('/api/v1/sync/reported', JSON.stringify(report));
    expect(posted.status).toBe(204);
    const state = body(await admin(t.cloud, 'GET', `/api/v1/controllers/${ctl.id}/state`));
    expect(state.inSync).toBe(true);
    expect(state.reported).toMatchObject({ appliedVersion: version, mode: 'CONNECTED' });
    expect(state.points).toEqual({
      'ahu-1.fan': {
        value: 1,
        priority: 10,
        source: 'cloud',
        desired: { value: 1, leaseId: 'L1' },
        cloudInForce: true,
      },
      'vav-1.damper': {
        value: 80,
        priority: 8,
        source: 'operator',
        desired: { value: 40, leaseId: 'L2' },
        cloudInForce: false,
        note: 'outranked by operator at priority 8',
      },
      'vav-2.damper': {
        value: 30,
        priority: null,
        source: 'relinquish-default',
        desired: null,
        cloudInForce: false,
      },
    });
  });

  it('refuses bad desired bodies and reports, naming the field, and an unknown controller', async () => {
    const bad = async (input: unknown) =>
      body(await admin(t.cloud, 'PUT', `/api/v1/controllers/${ctl.id}/desired`, input)).detail;
    expect(await bad({})).toBe('commands: must be an array');
    expect(await bad({ commands: [{ point: 'fan', value: 1 }] })).toBe(
      'commands[0].point: must be "device.point", got "fan"',
    );
    expect(await bad({ commands: [{ point: 'a.b', value: 'on' }] })).toBe(
      'commands[0].value: must be a finite number, got "on"',
    );
    expect(await bad({ commands: [{ point: 'a.b', value: 1, leaseMs: 3_600_000 }] })).toMatch(
      /^commands\[0\]\.leaseMs: must be an integer from 1000 to 900000/,
    );
    expect(await bad({ commands: [], colour: 1 })).toBe('colour: unknown field (commands, configuration)');
    const missing = await admin(t.cloud, 'PUT', `/api/v1/controllers/99999/desired`, { commands: [] });
    expect([missing.status, body(missing).reason]).toEqual([404, 'controller-not-found']);
    const report = await ctl.post(
      '/api/v1/sync/reported',
      JSON.stringify({ appliedVersion: 1, mode: 'ASLEEP', points: {} }),
    );
    expect([report.status, body(report).detail]).toEqual([
      400,
      'mode: must be one of CONNECTED, DEGRADED, AUTONOMOUS',
    ]);
    const noToken = await send(`${t.cloud.url}/api/v1/controllers/${ctl.id}/state`);
    expect(noToken.status).toBe(401);
  });
});
