/**
 * Every signature refusal over real HTTP against the cloud on PostgreSQL
 * (issue 5 item 3): 401, problem details, `reason` = the SignatureError code,
 * nothing written. Plus the ±60 s skew (0 false rejects) and the Date header.
 *
 * The nonce of a batch is recorded in the batch's own transaction: a replay is
 * still refused, two copies of one request racing each other are one 200 and
 * one 401, a batch that rolls back leaves its nonce unused (its exact bytes
 * may come again and are applied once), and the other signed endpoints still
 * record theirs on their own.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseSignatureFields, signRequest } from '#libs/sync';
import {
  BATCHES,
  admin,
  batchOf,
  bodyOf,
  enrolController,
  newKey,
  problemOf,
  sampleRecords,
  send,
  startTestCloud,
  TestController,
} from '../test-support/cloud-fixture.js';
import type { HttpResult, TestCloud } from '../test-support/cloud-fixture.js';

const SITE = 'sig-site';

describe('signed requests to /api/v1/sync/*', () => {
  let t: TestCloud;
  let ctl: TestController & { id: number };
  let next = 1;
  const body = () => JSON.stringify(batchOf(SITE, sampleRecords(next, next)));
  const hwm = async () =>
    Number(
      (
        await t.db.query<{ h: string }>(
          `SELECT high_water_mark AS h FROM controller_progress WHERE controller_id = $1`,
          [ctl.id],
        )
      )[0].h,
    );
  const expectRefused = (res: HttpResult, reason: string) => {
    expect({ status: res.status, reason: problemOf(res).reason }).toEqual({ status: 401, reason });
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(typeof problemOf(res).detail).toBe('string');
    expect(res.headers.date).toBeDefined();
  };

  beforeAll(async () => {
    t = await startTestCloud();
    await admin(t.cloud, 'POST', '/api/v1/sites', { slug: SITE });
    ctl = await enrolController(t.cloud, SITE, 'ctl-sig');
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  });

  it('accepts a well-signed batch and answers with a Date header', async () => {
    const res = await ctl.post(BATCHES, body());
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ highWaterMark: 1 });
    expect(Math.abs(Date.parse(String(res.headers.date)) - Date.now())).toBeLessThan(2000);
    next = 2;
  });

  it('missing-signature: no signature headers', async () => {
    const res = await send(`${t.cloud.url}${BATCHES}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(),
    });
    expectRefused(res, 'missing-signature');
  });

  it('malformed-signature: Signature-Input that does not parse', async () => {
    const b = body();
    const res = await ctl.post(BATCHES, b, { 'signature-input': 'sig1=("@method" "@target-uri"' });
    expectRefused(res, 'malformed-signature');
  });

  it('bad-signature: signed for another path; and a swapped Signature header from another request', async () => {
    const b = body();
    const elsewhere = ctl.sign('POST', '/api/v1/sync/reported', b);
    expectRefused(
      await send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers: elsewhere, body: b }),
      'bad-signature',
    );
    const mine = ctl.sign('POST', BATCHES, b);
    const other = ctl.sign('POST', BATCHES, b);
    expectRefused(
      await send(`${t.cloud.url}${BATCHES}`, {
        method: 'POST',
        headers: { ...mine, signature: other.signature },
        body: b,
      }),
      'bad-signature',
    );
  });

  it('digest-mismatch: the body was tampered with after signing', async () => {
    const b = body();
    const headers = ctl.sign('POST', BATCHES, b);
    const tampered = b.replace('"quality":"good"', '"quality":"stale"');
    expect(tampered).not.toBe(b);
    expectRefused(
      await send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers, body: tampered }),
      'digest-mismatch',
    );
  });

  it('expired and not-yet-valid: a clock 200 s off either way', async () => {
    ctl.offsetMs = -200_000;
    expectRefused(await ctl.post(BATCHES, body()), 'expired');
    ctl.offsetMs = 200_000;
    expectRefused(await ctl.post(BATCHES, body()), 'not-yet-valid');
    ctl.offsetMs = 0;
  });

  it('replayed-nonce: the same signed request twice', async () => {
    const b = body();
    const headers = ctl.sign('POST', BATCHES, b);
    const first = await send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers, body: b });
    expect(first.status).toBe(200);
    next += 1;
    expectRefused(
      await send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers, body: b }),
      'replayed-nonce',
    );
    const stored = await t.db.query(`SELECT 1 FROM used_nonces`);
    expect(stored.length).toBeGreaterThan(0);
  });

  it('unknown-key and revoked-key', async () => {
    const stranger = new TestController(newKey(), t.cloud.origin);
    expectRefused(await stranger.post(BATCHES, body()), 'unknown-key');

    const doomed = await enrolController(t.cloud, SITE, 'ctl-doomed');
    const revoke = await admin(
      t.cloud,
      'DELETE',
      `/api/v1/controllers/${doomed.id}/keys/${encodeURIComponent(doomed.key.fingerprint)}`,
    );
    expect(revoke.status).toBe(200);
    expectRefused(
      await doomed.post(BATCHES, JSON.stringify(batchOf(SITE, sampleRecords(1, 1)))),
      'revoked-key',
    );
  });

  it('rotation: both keys sign while both are active; the old one is refused once revoked', async () => {
    const ctlR = await enrolController(t.cloud, SITE, 'ctl-rotating');
    const fresh = newKey('ctl-rotating-next');
    const added = await admin(t.cloud, 'POST', `/api/v1/controllers/${ctlR.id}/keys`, {
      publicKey: fresh.publicLine,
    });
    expect(added.status).toBe(201);
    const next = new TestController(fresh, t.cloud.origin);
    const batch = (seq: number) => JSON.stringify(batchOf(SITE, sampleRecords(seq, seq)));
    expect((await ctlR.post(BATCHES, batch(1))).status).toBe(200);
    expect((await next.post(BATCHES, batch(2))).status).toBe(200);
    await admin(
      t.cloud,
      'DELETE',
      `/api/v1/controllers/${ctlR.id}/keys/${encodeURIComponent(ctlR.key.fingerprint)}`,
    );
    expectRefused(await ctlR.post(BATCHES, batch(3)), 'revoked-key');
    expect((await next.post(BATCHES, batch(3))).json).toEqual({ highWaterMark: 3 });
  });

  it('refusals wrote nothing: the high-water mark moved only with accepted batches', async () => {
    expect(await hwm()).toBe(next - 1);
    const rows = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM samples WHERE controller_id = $1`,
      [ctl.id],
    );
    expect(Number(rows[0].n)).toBe(next - 1);
  });

  it('0 false rejects at ±60 s skew (and just inside it)', async () => {
    const offsets = [-60_000, -59_000, -30_000, 0, 30_000, 59_000, 60_000];
    const outcomes: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const offset of offsets) {
        ctl.offsetMs = offset;
        const res = await ctl.post(BATCHES, body());
        outcomes.push(`${offset}:${res.status}${problemOf(res).reason ? `:${problemOf(res).reason}` : ''}`);
        if (res.status === 200) next += 1;
      }
    }
    ctl.offsetMs = 0;
    expect(outcomes.filter((o) => !o.endsWith(':200'))).toEqual([]);
  });

  it('the nonce store is shared state in PostgreSQL, not in the process', async () => {
    const b = body();
    const headers = signRequest(
      { method: 'POST', targetUri: `${t.cloud.origin}${BATCHES}`, body: b },
      {
        key: ctl.key.signing,
        created: Math.floor(Date.now() / 1000),
        expires: Math.floor(Date.now() / 1000) + 30,
        nonce: 'fixed-nonce-for-shared-store',
      },
    );
    // Another replica saw this nonce first: it is only in the table.
    await t.db.query(
      `INSERT INTO used_nonces (keyid, nonce, expires_at) VALUES ($1, $2, now() + interval '5 minutes')`,
      [ctl.key.fingerprint, 'fixed-nonce-for-shared-store'],
    );
    expectRefused(
      await send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers: { ...headers }, body: b }),
      'replayed-nonce',
    );
  });

  describe('the nonce of a batch, recorded in its transaction', () => {
    let c: TestController & { id: number };
    let seq = 0;
    /** A signed batch of the next record, and its nonce. */
    const nextBatch = (from = seq + 1) => {
      const b = JSON.stringify(batchOf(SITE, sampleRecords(from, from)));
      const headers = c.sign('POST', BATCHES, b);
      const nonce = parseSignatureFields(headers['signature-input'], headers.signature).params.nonce!;
      return { body: b, headers, nonce };
    };
    const post = (r: { body: string; headers: Record<string, string> }) =>
      send(`${t.cloud.url}${BATCHES}`, { method: 'POST', headers: r.headers, body: r.body });
    const used = async (nonce: string) =>
      (
        await t.db.query(`SELECT 1 FROM used_nonces WHERE keyid = $1 AND nonce = $2`, [
          c.key.fingerprint,
          nonce,
        ])
      ).length === 1;
    const samples = async () =>
      Number(
        (
          await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM samples WHERE controller_id = $1`, [
            c.id,
          ])
        )[0].n,
      );

    beforeAll(async () => {
      c = await enrolController(t.cloud, SITE, 'ctl-nonce');
    });

    it('two copies of one request at once: one commits (200), the other is refused as replayed (401)', async () => {
      for (let round = 0; round < 8; round++) {
        const r = nextBatch();
        const answers = await Promise.all([post(r), post(r)]);
        expect(answers.map((a) => a.status).sort()).toEqual([200, 401]);
        expect(problemOf(answers.find((a) => a.status === 401)!).reason).toBe('replayed-nonce');
        seq += 1;
        expect(await used(r.nonce)).toBe(true);
      }
      expect(await samples()).toBe(seq);
    });

    it('a batch already held is answered with the mark and uses its nonce; a replay of it is refused', async () => {
      const again = JSON.stringify(batchOf(SITE, sampleRecords(1, seq)));
      const r = { body: again, headers: c.sign('POST', BATCHES, again) };
      const first = await post(r);
      expect(first.status).toBe(200);
      expect(bodyOf<{ highWaterMark: number }>(first)).toEqual({ highWaterMark: seq });
      expectRefused(await post(r), 'replayed-nonce');
    });

    it('a batch that rolls back leaves its nonce unused: its exact bytes may come again, and are applied once', async () => {
      const ahead = nextBatch(seq + 2);
      const gap = await post(ahead);
      expect({ status: gap.status, reason: problemOf(gap).reason }).toEqual({
        status: 409,
        reason: 'sequence-gap',
      });
      expect(await used(ahead.nonce)).toBe(false);
      // The missing batch arrives; the same signed request as before now fits, and is taken once.
      expect((await post(nextBatch())).status).toBe(200);
      const replay = await post(ahead);
      expect(replay.status).toBe(200);
      expect(bodyOf<{ highWaterMark: number }>(replay)).toEqual({ highWaterMark: seq + 2 });
      seq += 2;
      expectRefused(await post(ahead), 'replayed-nonce');
      expect(await samples()).toBe(seq);
    });

    it('ping, desired and reported still record their nonces themselves', async () => {
      const headers = c.sign('GET', '/api/v1/sync/ping', '');
      const first = await send(`${t.cloud.url}/api/v1/sync/ping`, { headers });
      expect(first.status).toBe(200);
      expectRefused(await send(`${t.cloud.url}/api/v1/sync/ping`, { headers }), 'replayed-nonce');
    });
  });
});
