/**
 * Ingest on PostgreSQL (issue 5 item 7 and "Bad input"): idempotent on
 * (controller, seq), gaps and reversals refused, oversized and truncated
 * bodies refused before anything is written, other controllers unaffected.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import type { OutboxRecord } from '#libs/sync';
import {
  BATCHES,
  T_BASE,
  admin,
  batchOf,
  enrolController,
  problemOf,
  sampleRecords,
  send,
  startTestCloud,
} from '../test-support/cloud-fixture.js';
import type { TestCloud, TestController } from '../test-support/cloud-fixture.js';

const SITE = 'ingest-site';
const MAX = 256 * 1024;
const at = (s: number) => new Date(T_BASE + s * 1000).toISOString();

describe('POST /api/v1/sync/batches', () => {
  let t: TestCloud;
  let a: TestController & { id: number };
  let b: TestController & { id: number };
  const count = async (table: string, controller: number) =>
    Number(
      (
        await t.db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE controller_id = $1`, [
          controller,
        ])
      )[0].n,
    );
  const hwm = async (controller: number) =>
    Number(
      (
        await t.db.query<{ h: string }>(
          `SELECT high_water_mark AS h FROM controller_progress WHERE controller_id = $1`,
          [controller],
        )
      )[0].h,
    );
  const everything = async (controller: number) =>
    Promise.all(
      ['samples', 'events', 'alarms', 'audit', 'snapshot_versions', 'loss_ledger', 'thinned_ranges'].map(
        (x) => count(x, controller),
      ),
    );

  beforeAll(async () => {
    t = await startTestCloud({ maxBodyBytes: MAX });
    await admin(t.cloud, 'POST', '/api/v1/sites', { slug: SITE });
    await admin(t.cloud, 'POST', '/api/v1/sites', { slug: 'elsewhere' });
    a = await enrolController(t.cloud, SITE, 'ctl-a');
    b = await enrolController(t.cloud, SITE, 'ctl-b');
  }, 30_000);
  afterAll(async () => {
    await t?.close();
  });

  it('stores every kind of record in one batch and answers with the high-water mark', async () => {
    const records: OutboxRecord[] = [
      ...sampleRecords(1, 3),
      {
        seq: 4,
        at: at(4),
        kind: 'event',
        body: { type: 'mode', source: 'link', message: 'AUTONOMOUS', data: { from: 'CONNECTED' } },
      },
      { seq: 5, at: at(5), kind: 'alarm', body: { id: 7, state: 'raised', severity: 'major' } },
      {
        seq: 6,
        at: at(6),
        kind: 'audit',
        body: { actor: 'op', action: 'command', target: 'vav-1.sp', before: 21, after: 22 },
      },
      {
        seq: 7,
        at: at(7),
        kind: 'snapshot',
        body: { version: { id: 'v1', root: 'h1' }, blobs: { h1: { site: 's' } } },
      },
      {
        seq: 8,
        at: at(8),
        kind: 'loss',
        body: {
          point: 'dev-1.temp',
          from: at(0),
          to: at(60),
          samplesBefore: 60,
          samplesAfter: 1,
          reason: 'outbox-cap: keep 1 per minute',
        },
      },
      { seq: 9, at: at(9), kind: 'thinned', through: 20, body: { rows: 12 } },
      ...sampleRecords(21, 22),
    ];
    const res = await a.sendBatch(batchOf(SITE, records));
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ highWaterMark: 22 });
    expect(await everything(a.id)).toEqual([5, 1, 1, 1, 1, 1, 1]);
    const [event] = await t.db.query(
      `SELECT type, source, message, data, at FROM events WHERE controller_id = $1`,
      [a.id],
    );
    expect(event).toMatchObject({
      type: 'mode',
      source: 'link',
      message: 'AUTONOMOUS',
      data: { from: 'CONNECTED' },
    });
    expect((event.at as Date).toISOString()).toBe(at(4));
    const [loss] = await t.db.query(`SELECT point, samples_before, samples_after, reason FROM loss_ledger`);
    expect(loss).toEqual({
      point: 'dev-1.temp',
      samples_before: 60,
      samples_after: 1,
      reason: 'outbox-cap: keep 1 per minute',
    });
    expect(await t.db.query(`SELECT seq, through, rows FROM thinned_ranges`)).toEqual([
      { seq: '9', through: '20', rows: 12 },
    ]);
    const points = await t.db.query(`SELECT key FROM points ORDER BY key`);
    expect(points.map((p) => p.key)).toEqual(['dev-1.temp', 'dev-2.temp', 'dev-3.temp']);
    expect(await t.db.query(`SELECT hash, body FROM snapshot_blobs`)).toEqual([
      { hash: 'h1', body: { site: 's' } },
    ]);
  });

  it('is idempotent: the same batch twice is stored once; an overlap stores only the new part', async () => {
    const batch = batchOf(SITE, sampleRecords(23, 40));
    expect((await a.sendBatch(batch)).json).toEqual({ highWaterMark: 40 });
    const again = await a.sendBatch(batch);
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ highWaterMark: 40 });
    const overlap = await a.sendBatch(batchOf(SITE, sampleRecords(30, 50)), { gzip: false });
    expect(overlap.json).toEqual({ highWaterMark: 50 });
    const seqs = await t.db.query<{ n: string; d: string; lo: string; hi: string }>(
      `SELECT count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM samples WHERE controller_id = $1 AND seq > 22`,
      [a.id],
    );
    expect(seqs[0]).toEqual({ n: '28', d: '28', lo: '23', hi: '50' });
  });

  it('409 sequence-gap when a batch starts past the high-water mark + 1, naming expected and got', async () => {
    const res = await a.sendBatch(batchOf(SITE, sampleRecords(52, 60)));
    expect(res.status).toBe(409);
    expect(res.json).toMatchObject({ reason: 'sequence-gap', highWaterMark: 50, expected: 51, got: 52 });
    expect(problemOf(res).detail).toContain('expected a batch from 51');
    expect(await hwm(a.id)).toBe(50);
  });

  it('400 for a reversal or a hole inside a batch, nothing written', async () => {
    const before = await everything(a.id);
    const records = sampleRecords(51, 55);
    const reversed = [records[0], records[2], records[1], records[3], records[4]];
    const res = await a.sendBatch({ site: SITE, fromSeq: 51, toSeq: 55, records: reversed });
    expect(res.status).toBe(400);
    expect(problemOf(res).reason).toBe('sequence-reversal');
    expect(problemOf(res).detail).toContain('/records/2/seq');
    const holed = await a.sendBatch({
      site: SITE,
      fromSeq: 51,
      toSeq: 55,
      records: [records[0], records[2], records[3], records[4]],
    });
    expect(problemOf(holed).reason).toBe('sequence-hole');
    expect(await everything(a.id)).toEqual(before);
  });

  it('400 for a sample time PostgreSQL cannot store, nothing written, the next batch fine', async () => {
    const d = await enrolController(t.cloud, SITE, 'ctl-dates');
    const records = sampleRecords(1, 3);
    records[1] = { ...records[1], at: '2026-02-30T08:00:00Z' };
    const res = await d.sendBatch(batchOf(SITE, records));
    expect(res.status).toBe(400);
    expect(problemOf(res).reason).toBe('invalid-batch');
    expect(problemOf(res).detail).toContain('2026-02-30T08:00:00Z');
    expect(await everything(d.id)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(await hwm(d.id)).toBe(0);
    const next = await d.sendBatch(batchOf(SITE, sampleRecords(1, 3)));
    expect(next.json).toEqual({ highWaterMark: 3 });
  });

  it('400 naming the field of a malformed batch', async () => {
    const bad = batchOf(SITE, sampleRecords(51, 52));
    (bad.records[1].body as unknown as Record<string, unknown>).value = 'warm';
    const res = await a.sendBatch(bad);
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ reason: 'invalid-batch' });
    expect(problemOf(res).detail).toContain('/records/1/body/value');
    const notJson = await a.post(BATCHES, '{"site":');
    expect(problemOf(notJson).reason).toBe('invalid-json');
  });

  it('403 when a controller sends for a site it is not enrolled in', async () => {
    const res = await a.sendBatch(batchOf('elsewhere', sampleRecords(51, 52)));
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ reason: 'wrong-site', enrolledSite: SITE });
    expect(await hwm(a.id)).toBe(50);
  });

  it('413 for a Content-Length over the limit, before reading the body', async () => {
    const res = await send(`${t.cloud.url}${BATCHES}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(MAX + 1) },
    });
    expect(res.status).toBe(413);
    expect(problemOf(res).reason).toBe('body-too-large');
  });

  it('413 for a streamed (chunked) body that passes the limit, with no Content-Length to go by', async () => {
    const res = await send(`${t.cloud.url}${BATCHES}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(MAX + 1024, 0x20),
    });
    expect(res.status).toBe(413);
    expect(problemOf(res).reason).toBe('body-too-large');
  });

  it('413 for a signed gzip bomb, nothing written', async () => {
    const before = await everything(a.id);
    const json = JSON.stringify(batchOf(SITE, sampleRecords(51, 51)));
    const bomb = gzipSync(json.slice(0, -1) + ' '.repeat(20 * MAX) + '}');
    expect(bomb.length).toBeLessThan(MAX);
    const res = await a.post(BATCHES, bomb, { 'content-encoding': 'gzip' });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ reason: 'body-too-large' });
    expect(problemOf(res).detail).toContain('inflates beyond');
    expect(await everything(a.id)).toEqual(before);
    expect(await hwm(a.id)).toBe(50);
  });

  it('400 for a truncated gzip body, nothing written', async () => {
    const full = gzipSync(JSON.stringify(batchOf(SITE, sampleRecords(51, 60))));
    const res = await a.post(BATCHES, full.subarray(0, full.length - 12), { 'content-encoding': 'gzip' });
    expect(res.status).toBe(400);
    expect(problemOf(res).reason).toBe('invalid-encoding');
    expect(await hwm(a.id)).toBe(50);
  });

  it('other controllers are unaffected by one controller’s refusals and progress', async () => {
    expect(await hwm(b.id)).toBe(0);
    expect((await b.sendBatch(batchOf(SITE, sampleRecords(1, 30)))).json).toEqual({ highWaterMark: 30 });
    expect((await a.sendBatch(batchOf(SITE, sampleRecords(51, 60)))).json).toEqual({ highWaterMark: 60 });
    expect(await count('samples', b.id)).toBe(30);
    expect(await hwm(b.id)).toBe(30);
    expect(await hwm(a.id)).toBe(60);
  });

  it('two controllers of one site adding the same new points at once: both stored, each point catalogued once', async () => {
    const c = await enrolController(t.cloud, SITE, 'ctl-c');
    const d = await enrolController(t.cloud, SITE, 'ctl-d');
    const withPoints = (from: number, keys: string[]): OutboxRecord[] =>
      keys.map((point, i) => ({
        seq: from + i,
        at: at(from + i),
        kind: 'sample',
        body: { point, value: i, quality: 'good' },
      }));
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const keys = Array.from({ length: 40 }, (_, i) => `new-${round}.p${i}`);
      const from = round * 40 + 1;
      const results = await Promise.all([
        c.sendBatch(batchOf(SITE, withPoints(from, keys))),
        d.sendBatch(batchOf(SITE, withPoints(from, [...keys].reverse()))),
      ]);
      statuses.push(...results.map((r) => r.status));
    }
    expect(statuses.filter((status) => status !== 200)).toEqual([]);
    expect([await hwm(c.id), await hwm(d.id)]).toEqual([200, 200]);
    const catalogue = await t.db.query<{ n: string }>(
      `SELECT count(*) AS n FROM points WHERE key LIKE 'new-%'`,
    );
    expect(catalogue[0].n).toBe('200');
  });

  it('serialises concurrent deliveries of the same batches: each record stored once', async () => {
    const batches = [61, 81, 101].map((from) => batchOf(SITE, sampleRecords(from, from + 19)));
    // Two deliveries of each, racing: the progress row lock orders them; a later batch may see a gap and be retried.
    for (let round = 0; round < 3; round++) {
      await Promise.all(batches.flatMap((batch) => [a.sendBatch(batch), a.sendBatch(batch)]));
    }
    expect(await hwm(a.id)).toBe(120);
    const rows = await t.db.query<{ n: string; d: string }>(
      `SELECT count(*) AS n, count(DISTINCT seq) AS d FROM samples WHERE controller_id = $1 AND seq BETWEEN 61 AND 120`,
      [a.id],
    );
    expect(rows[0]).toEqual({ n: '60', d: '60' });
  });

  it('stores each sample as sent: value, null, exponent, quality, zoned and sub-microsecond times', async () => {
    const v = await enrolController(t.cloud, SITE, 'ctl-values');
    const sample = (
      seq: number,
      at: string,
      value: number | null,
      quality: 'good' | 'stale' | 'comm-fail',
    ) => ({
      seq,
      at,
      kind: 'sample' as const,
      body: { point: `exact.p${seq}`, value, quality },
    });
    const res = await v.sendBatch(
      batchOf(SITE, [
        sample(1, '2026-11-27T08:00:00.000Z', 21.375, 'good'),
        sample(2, '2026-11-27T10:00:01.5+02:00', null, 'comm-fail'),
        sample(3, '2026-11-27T08:00:02.123456789Z', 1e21, 'stale'),
        sample(4, '2026-11-27T03:00:03-05:00', -0.000125, 'good'),
      ]),
    );
    expect(res.status).toBe(200);
    const rows = await t.db.query<{
      seq: string;
      key: string;
      at: Date;
      value: number | null;
      quality: string;
    }>(
      `SELECT s.seq, p.key, s.at, s.value, s.quality FROM samples s JOIN points p ON p.id = s.point_id
        WHERE s.controller_id = $1 ORDER BY s.seq`,
      [v.id],
    );
    expect(rows.map((r) => [r.seq, r.key, r.at.toISOString(), r.value, r.quality])).toEqual([
      ['1', 'exact.p1', '2026-11-27T08:00:00.000Z', 21.375, 'good'],
      ['2', 'exact.p2', '2026-11-27T08:00:01.500Z', null, 'comm-fail'],
      ['3', 'exact.p3', '2026-11-27T08:00:02.123Z', 1e21, 'stale'],
      ['4', 'exact.p4', '2026-11-27T08:00:03.000Z', -0.000125, 'good'],
    ]);
    const [micro] = await t.db.query<{ us: string }>(
      `SELECT extract(microseconds FROM at)::text AS us FROM samples WHERE controller_id = $1 AND seq = 3`,
      [v.id],
    );
    expect(micro.us).toBe('2123457');
  });
});
