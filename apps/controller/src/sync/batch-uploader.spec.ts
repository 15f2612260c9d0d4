/**
 * The upload half of the sync client against a scripted cloud that verifies
 * every signature: gzip + signed POST, confirm only after a 200, the 409
 * sequence-gap rules, retries on no answer and 5xx, every outcome on the
 * link, and a cloud that refuses large bodies (413): smaller batches, and a
 * record too large on its own held (never dropped) and reported until the
 * cloud takes it. Steps are driven one by one; no timers run.
 */
import { describe, expect, it } from '@jest/globals';
import type { LinkOutcome } from '#libs/link';
import type { OutboxRecord } from '#libs/sync';
import type { Timers } from '../commands/timers.js';
import { Backoff } from './backoff.js';
import { BatchUploader } from './batch-uploader.js';
import type { OversizedRecord, StepResult } from './batch-uploader.js';
import { answer, BASE, client, MemoryOutbox, sample, ScriptedCloud, silentLog } from './sync-test-support.js';

const T0 = Date.UTC(2026, 5, 1, 8, 0, 0);
const noTimers: Timers = { set: () => ({}), clear: () => undefined };

function harness(
  opts: {
    maxRecords?: number;
    maxBytes?: number;
    cloudAheadMs?: number;
    workBudgetMs?: number;
    workClock?: () => number;
  } = {},
) {
  const local = { ms: T0 };
  const clock = { now: () => local.ms };
  const cloud = new ScriptedCloud({ now: () => local.ms + (opts.cloudAheadMs ?? 0) });
  const outcomes: LinkOutcome[] = [];
  const outbox = new MemoryOutbox();
  const errors: string[] = [];
  const log = Object.assign(Object.create(silentLog) as typeof silentLog, {
    error: (_o: unknown, msg: string) => errors.push(msg),
  });
  const uploader = new BatchUploader({
    client: client(cloud, clock, outcomes),
    outbox,
    site: 'hq',
    limits: { maxRecords: opts.maxRecords ?? 3, maxBytes: opts.maxBytes ?? 1 << 20 },
    timers: noTimers,
    log,
    backoff: new Backoff({ random: () => 0.5 }),
    workBudgetMs: opts.workBudgetMs,
    workClock: opts.workClock,
  });
  return { local, cloud, outcomes, outbox, uploader, errors };
}

describe('BatchUploader', () => {
  it('sends the oldest records gzip-compressed and signed, and confirms the acknowledged high-water mark', async () => {
    const h = harness();
    h.outbox.append(sample(1), sample(2), sample(3), sample(4));
    h.cloud.script.push(answer(200, { highWaterMark: 3 }), answer(200, { highWaterMark: 4 }));
    expect(await h.uploader.step()).toBe('sent');
    const [first] = h.cloud.requests;
    expect(first.req.method).toBe('POST');
    expect(first.req.url).toBe(`${BASE}/api/v1/sync/batches`);
    expect(first.req.headers['content-encoding']).toBe('gzip');
    expect(first.keyId).toMatch(/^SHA256:/);
    expect(first.json).toEqual({
      site: 'hq',
      fromSeq: 1,
      toSeq: 3,
      records: [sample(1), sample(2), sample(3)],
    });
    expect(h.outbox.confirms).toEqual([3]);
    expect(await h.uploader.step()).toBe('sent');
    expect(h.cloud.batches()[1]).toMatchObject({ fromSeq: 4, toSeq: 4 });
    expect(await h.uploader.step()).toBe('idle');
    expect(h.outbox.records).toEqual([]);
    expect(h.outcomes).toEqual([{ kind: 'success' }, { kind: 'success' }]);
    expect(h.uploader.status()).toMatchObject({ batches: 2, records: 4, highWaterMark: 4 });
  });

  it('confirms nothing without a 200: refused connection, timeout, 5xx, 200 without a mark, 400', async () => {
    const h = harness();
    h.outbox.append(sample(1), sample(2));
    h.cloud.script.push(
      'refused',
      'timeout',
      answer(503, { title: 'Service Unavailable', detail: 'database is restarting' }),
      answer(200, { ok: true }),
      answer(400, { detail: 'records[0].seq: must be an integer' }),
    );
    for (let i = 0; i < 5; i++) {
      expect(await h.uploader.step()).toBe('retry');
      // Each failed batch is released: not in flight any more, so cap thinning may take it (an outage must
      // not fence the backlog).
      expect(h.outbox.releases).toBe(i + 1);
    }
    expect(h.outbox.confirms).toEqual([]);
    expect(h.outbox.records.map((r) => r.seq)).toEqual([1, 2]);
    expect(h.outcomes).toEqual([
      { kind: 'failure', reason: 'POST /api/v1/sync/batches: ECONNREFUSED: connect ECONNREFUSED' },
      { kind: 'timeout' },
      { kind: 'failure', reason: 'POST /api/v1/sync/batches: 503 database is restarting' },
      { kind: 'success' },
      { kind: 'success' },
    ]);
    // Every retry resends the same records: nothing skipped, nothing reordered.
    expect(h.cloud.batches().map((b) => [b.fromSeq, b.toSeq])).toEqual(Array(5).fill([1, 2]));
    expect(h.uploader.status().consecutiveFailures).toBe(5);
    h.cloud.script.push(answer(200, { highWaterMark: 2 }));
    expect(await h.uploader.step()).toBe('sent');
    expect(h.outbox.confirms).toEqual([2]);
    expect(h.uploader.backoff.failures).toBe(0);
  });

  it('on a 409 whose cloud mark covers the batch start, confirms that mark and resumes after it', async () => {
    const h = harness({ maxRecords: 10 });
    h.outbox.append(...[1, 2, 3, 4, 5].map((s) => sample(s)));
    h.cloud.script.push(
      answer(409, { reason: 'sequence-reversal', highWaterMark: 3 }),
      answer(200, { highWaterMark: 5 }),
    );
    expect(await h.uploader.step()).toBe('sent');
    expect(h.outbox.confirms).toEqual([3]);
    expect(await h.uploader.step()).toBe('sent');
    expect(h.cloud.batches().map((b) => [b.fromSeq, b.toSeq])).toEqual([
      [1, 5],
      [4, 5],
    ]);
    expect(h.errors).toEqual([]);
  });

  it('on a 409 whose cloud mark is behind the outbox, confirms nothing and says so loudly', async () => {
    const h = harness();
    h.outbox.append(sample(8), sample(9));
    h.cloud.script.push(answer(409, { reason: 'sequence-gap', highWaterMark: 5 }));
    expect(await h.uploader.step()).toBe('retry');
    expect(h.outbox.confirms).toEqual([]);
    expect(h.errors[0]).toBe(
      'SEQUENCE GAP: the cloud holds up to seq 5 but the oldest unsent record is 8: records 6..7 were trimmed here yet are missing in the cloud; retrying',
    );
  });

  it('a thinned run counts to its `through` in the batch range', async () => {
    const h = harness();
    h.outbox.append(sample(1), {
      seq: 2,
      through: 40,
      at: sample(2).at,
      kind: 'thinned',
      body: { rows: 39 },
    });
    h.cloud.script.push(answer(200, { highWaterMark: 40 }));
    await h.uploader.step();
    expect(h.cloud.batches()[0]).toMatchObject({ fromSeq: 1, toSeq: 40 });
    expect(h.outbox.confirms).toEqual([40]);
  });

  it('learns the clock offset from the Date of a 401 "expired", so a controller 10 minutes slow gets in on the next try', async () => {
    const h = harness({ cloudAheadMs: 10 * 60_000 });
    h.outbox.append(sample(1));
    h.cloud.script.push(answer(200, { highWaterMark: 1 }));
    expect(await h.uploader.step()).toBe('retry');
    expect(h.cloud.refusals).toEqual(['expired']);
    expect(h.outcomes[0]).toMatchObject({
      kind: 'failure',
      reason: expect.stringMatching(/^POST \/api\/v1\/sync\/batches: 401 /),
    });
    expect(h.outbox.confirms).toEqual([]);
    expect(await h.uploader.step()).toBe('sent');
    expect(h.outbox.confirms).toEqual([1]);
  });

  it('shrinks the next batch when one cost more main-thread time than the budget, and grows it back after cheap ones', async () => {
    // Each step reads the work clock twice (before the peek, after the body is built): these are the costs.
    const costs = [40, 20, 2, 2, 2];
    let now = 0;
    let reads = 0;
    const workClock = (): number => (reads++ % 2 === 0 ? now : (now += costs[(reads >> 1) - 1]));
    const h = harness({ maxRecords: 400, workBudgetMs: 10, workClock });
    for (let seq = 1; seq <= 2000; seq++) h.outbox.append(sample(seq));
    h.cloud.onRequest = (_req, json) => answer(200, { highWaterMark: (json as { toSeq: number }).toSeq });
    for (let i = 0; i < costs.length; i++) expect(await h.uploader.step()).toBe('sent');
    const sizes = h.cloud.batches().map((b) => b.toSeq - b.fromSeq + 1);
    // 400 records in 40 ms → 100 (the floor); 100 in 20 ms stays at the floor; then ×1.5 per cheap batch.
    expect(sizes).toEqual([400, 100, 100, 150, 225]);
    expect(h.uploader.limits().maxRecords).toBe(338);
    expect(h.outbox.confirms).toEqual([400, 500, 600, 750, 975]);
  });

  it('keeps the configured batch size without a work budget, however long a batch took', async () => {
    let now = 0;
    const h = harness({ maxRecords: 400, workClock: () => (now += 50) });
    for (let seq = 1; seq <= 1000; seq++) h.outbox.append(sample(seq));
    h.cloud.onRequest = (_req, json) => answer(200, { highWaterMark: (json as { toSeq: number }).toSeq });
    await h.uploader.step();
    await h.uploader.step();
    expect(h.cloud.batches().map((b) => b.toSeq - b.fromSeq + 1)).toEqual([400, 400]);
  });

  /** A cloud that refuses (413) any batch whose JSON is over `limit.bytes` bytes, as the cloud's body cap does. */
  function capped(h: ReturnType<typeof harness>, limit: { bytes: number }) {
    const refused: Array<[number, number]> = [];
    const taken: OutboxRecord[] = [];
    h.cloud.onRequest = (_req, json) => {
      const batch = json as { fromSeq: number; toSeq: number; records: OutboxRecord[] };
      if (JSON.stringify(json).length > limit.bytes) {
        refused.push([batch.fromSeq, batch.toSeq]);
        return answer(413, {
          reason: 'body-too-large',
          detail: `the body exceeds the limit of ${limit.bytes} bytes`,
        });
      }
      taken.push(...batch.records);
      return answer(200, { highWaterMark: batch.toSeq });
    };
    return { refused, taken };
  }

  it('on a 413, halves the batch (records and bytes) and sends it at once; grows back, but never to a size refused', async () => {
    const h = harness({ maxRecords: 64 });
    const all = Array.from({ length: 200 }, (_, i) => sample(i + 1));
    h.outbox.append(...all);
    const one = JSON.stringify(sample(1)).length;
    const cloud = capped(h, { bytes: 20 * one });
    const results: StepResult[] = [];
    for (let i = 0; i < 100 && results.at(-1) !== 'idle'; i++) results.push(await h.uploader.step());
    // Everything arrived, once, in order; nothing was confirmed that the cloud had not taken.
    expect(cloud.taken).toEqual(all);
    expect(h.outbox.confirms).toEqual([...h.outbox.confirms].sort((a, b) => a - b));
    expect(h.outbox.confirms.at(-1)).toBe(200);
    // 64 records refused → 32 (and half the bytes) → 16, taken; then never back above a refused size.
    expect(cloud.refused.slice(0, 2)).toEqual([
      [1, 64],
      [1, 32],
    ]);
    expect(h.cloud.batches()[2]).toMatchObject({ fromSeq: 1, toSeq: 16 });
    expect(results).not.toContain('retry');
    expect(results.filter((r) => r === 'shrunk')).toHaveLength(cloud.refused.length);
    // Settled just under the limit: few refusals, and batches of about its size, not of one record.
    expect(cloud.refused.length).toBeLessThanOrEqual(4);
    const sizes = h.cloud.batches().map((b) => b.toSeq - b.fromSeq + 1);
    expect(Math.min(...sizes.slice(-5, -1))).toBeGreaterThanOrEqual(15);
    expect(h.uploader.status().limits.maxBytes).toBeLessThan(20 * one);
    expect(h.uploader.status().oversized).toBeNull();
    expect(h.outcomes.every((o) => o.kind === 'success')).toBe(true);
  });

  it('a record too large on its own is kept, retried with backoff and reported until the cloud takes it', async () => {
    const h = harness({ maxRecords: 10 });
    const big: OutboxRecord = {
      seq: 3,
      at: sample(3).at,
      kind: 'event',
      body: { type: 'configuration', source: 'engineer', message: 'x'.repeat(5000) },
    };
    const records = [sample(1), sample(2), big, sample(4), sample(5)];
    h.outbox.append(...records);
    const limit = { bytes: 2000 };
    const cloud = capped(h, limit);
    const reported: Array<OversizedRecord | null> = [];
    h.uploader.oversized$.subscribe((r) => reported.push(r));

    const results: StepResult[] = [];
    for (let i = 0; i < 8; i++) results.push(await h.uploader.step());
    // 5 records refused → 2 taken → 3 alone (the byte bound leaves no room for more) refused, again and again.
    expect(cloud.taken.map((r) => r.seq)).toEqual([1, 2]);
    expect(results).toEqual(['shrunk', 'sent', ...Array<StepResult>(6).fill('retry')]);
    expect(cloud.refused).toEqual([[1, 5], ...Array<[number, number]>(6).fill([3, 3])]);
    // Never dropped or skipped: 3, 4 and 5 are still in the outbox, nothing past 2 confirmed.
    expect(h.outbox.records.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(h.outbox.confirms).toEqual([2]);
    // Reported once (the first acknowledgement said nothing was stuck), logged loudly once.
    expect(reported).toEqual([
      null,
      { seq: 3, bytes: expect.any(Number), detail: expect.stringContaining('2000') },
    ]);
    expect(h.errors.filter((e) => e.includes('record 3 alone'))).toHaveLength(1);
    expect(h.uploader.status()).toMatchObject({ oversized: { seq: 3 }, consecutiveFailures: 6 });

    // The cloud's limit is raised: the record goes, the rest follows, the report clears.
    limit.bytes = 1 << 20;
    expect(await h.uploader.step()).toBe('sent');
    expect(await h.uploader.step()).toBe('sent');
    expect(await h.uploader.step()).toBe('idle');
    expect(cloud.taken).toEqual(records);
    expect(reported.at(-1)).toBeNull();
    expect(h.uploader.status()).toMatchObject({ oversized: null, consecutiveFailures: 0 });
  });
});
