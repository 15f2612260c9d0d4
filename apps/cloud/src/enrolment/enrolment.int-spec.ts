import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { admin, bodyOf, newKey, problemOf, send, startTestCloud } from '../test-support/cloud-fixture.js';
import type { ControllerDto, EnrolResult } from './enrolment.service.js';
import type { TestCloud } from '../test-support/cloud-fixture.js';

describe('cloud on PostgreSQL: migrations and enrolment API', () => {
  let t: TestCloud;
  beforeAll(async () => {
    t = await startTestCloud();
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  });

  it('runs its migrations at boot: every table exists, samples keyed on (controller_id, seq)', async () => {
    const tables = (
      await t.db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
      )
    ).map((r) => r.table_name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'organizations',
        'sites',
        'controllers',
        'controller_keys',
        'controller_progress',
        'used_nonces',
        'points',
        'samples',
        'events',
        'alarms',
        'audit',
        'snapshot_versions',
        'snapshot_blobs',
        'loss_ledger',
        'thinned_ranges',
        'desired_state',
        'reported_state',
        'migrations',
      ]),
    );
    const pk = await t.db.query<{ column_name: string }>(
      `SELECT a.attname AS column_name FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = 'samples'::regclass AND i.indisprimary ORDER BY a.attname`,
    );
    expect(pk.map((r) => r.column_name)).toEqual(['controller_id', 'seq']);
    const migrations = await t.db.query<{ name: string }>(`SELECT name FROM migrations`);
    expect(migrations.map((m) => m.name)).toEqual(['CloudInit1764748800000']);
  });

  it('refuses the admin API without the bearer token, or with a wrong one', async () => {
    const none = await send(`${t.cloud.url}/api/v1/sites`);
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(problemOf(none).reason).toBe('missing-token');
    const wrong = await send(`${t.cloud.url}/api/v1/sites`, {
      headers: { authorization: 'Bearer nope-nope-nope-nope' },
    });
    expect(wrong.status).toBe(401);
    expect(problemOf(wrong).reason).toBe('bad-token');
  });

  it('creates a site, enrols a controller with its fingerprint, lists it', async () => {
    const site = await admin(t.cloud, 'POST', '/api/v1/sites', {
      slug: 'demo-office',
      name: 'Harbourside Office',
    });
    expect(site.status).toBe(201);
    expect(site.json).toMatchObject({
      slug: 'demo-office',
      name: 'Harbourside Office',
      organization: 'default',
    });
    expect(problemOf(await admin(t.cloud, 'POST', '/api/v1/sites', { slug: 'demo-office' })).reason).toBe(
      'site-exists',
    );

    const key = newKey();
    const enrolled = await admin(t.cloud, 'POST', '/api/v1/sites/demo-office/controllers', {
      name: 'ctl-1',
      publicKey: key.publicLine,
    });
    expect(enrolled.status).toBe(201);
    expect(bodyOf<EnrolResult>(enrolled).fingerprint).toBe(key.fingerprint);
    expect(bodyOf<EnrolResult>(enrolled).controller).toMatchObject({
      site: 'demo-office',
      name: 'ctl-1',
      highWaterMark: 0,
      keys: [{ fingerprint: key.fingerprint, status: 'active', revokedAt: null }],
    });
    // The same name with the same key again is harmless: 200, nothing new.
    const again = await admin(t.cloud, 'POST', '/api/v1/sites/demo-office/controllers', {
      name: 'ctl-1',
      publicKey: key.publicLine,
    });
    expect(again.status).toBe(200);
    expect(bodyOf<EnrolResult>(again).created).toBe(false);

    const list = await admin(t.cloud, 'GET', '/api/v1/sites/demo-office/controllers');
    expect(bodyOf<ControllerDto[]>(list).map((c) => c.name)).toEqual(['ctl-1']);
  });

  it('names what is wrong in a bad enrolment', async () => {
    const key = newKey();
    const cases: [string, unknown, number, string][] = [
      ['/api/v1/sites/nowhere/controllers', { name: 'x', publicKey: key.publicLine }, 404, 'site-not-found'],
      [
        '/api/v1/sites/demo-office/controllers',
        { name: 'bad name!', publicKey: key.publicLine },
        400,
        'invalid-input',
      ],
      [
        '/api/v1/sites/demo-office/controllers',
        { name: 'ctl-9', publicKey: 'ssh-rsa AAAA nope' },
        400,
        'invalid-key',
      ],
      [
        '/api/v1/sites/demo-office/controllers',
        { name: 'ctl-1', publicKey: key.publicLine },
        409,
        'controller-exists',
      ],
    ];
    for (const [path, body, status, reason] of cases) {
      const res = await admin(t.cloud, 'POST', path, body);
      expect({ path, status: res.status, reason: problemOf(res).reason }).toEqual({ path, status, reason });
    }
    const badJson = await send(`${t.cloud.url}/api/v1/sites`, {
      method: 'POST',
      headers: {
        authorization: 'Bearer test-admin-token-0123456789abcdef',
        'content-type': 'application/json',
      },
      body: '{"slug": ',
    });
    expect(badJson.status).toBe(400);
    expect(problemOf(badJson).reason).toBe('invalid-json');
  });

  it('rotates (two active keys), refuses a third, revokes, and a key is enrolled once', async () => {
    await admin(t.cloud, 'POST', '/api/v1/sites', { slug: 'rotation' });
    const first = newKey();
    const enrolled = await admin(t.cloud, 'POST', '/api/v1/sites/rotation/controllers', {
      name: 'ctl-r',
      publicKey: first.publicLine,
    });
    const id = bodyOf<EnrolResult>(enrolled).controller.id;
    const second = newKey();
    const added = await admin(t.cloud, 'POST', `/api/v1/controllers/${id}/keys`, {
      publicKey: second.publicLine,
    });
    expect(added.status).toBe(201);
    expect(bodyOf<EnrolResult>(added).controller.keys.map((k) => k.status)).toEqual(['active', 'active']);
    const third = await admin(t.cloud, 'POST', `/api/v1/controllers/${id}/keys`, {
      publicKey: newKey().publicLine,
    });
    expect(third.status).toBe(409);
    expect(problemOf(third).reason).toBe('too-many-keys');
    const reused = await admin(t.cloud, 'POST', '/api/v1/sites/rotation/controllers', {
      name: 'ctl-other',
      publicKey: first.publicLine,
    });
    expect(problemOf(reused).reason).toBe('key-in-use');

    const revoked = await admin(
      t.cloud,
      'DELETE',
      `/api/v1/controllers/${id}/keys/${encodeURIComponent(first.fingerprint)}`,
    );
    expect(revoked.status).toBe(200);
    const byFingerprint = Object.fromEntries(
      bodyOf<ControllerDto>(revoked).keys.map((k) => [k.fingerprint, k.status]),
    );
    expect(byFingerprint).toEqual({ [first.fingerprint]: 'revoked', [second.fingerprint]: 'active' });
    const unknown = await admin(t.cloud, 'DELETE', `/api/v1/controllers/${id}/keys/SHA256:nothing`);
    expect(problemOf(unknown).reason).toBe('key-not-found');
  });
});
