/**
 * The replay worker from dist/ (build first) on a real outbox file: it hands
 * over the batch the main thread's peek would have made (the same body,
 * gzipped), stays inside the range the main thread reserved, sizes that range
 * from what the last batch spanned (thinned runs), and a worker that dies
 * fails the batch it was asked for instead of hanging the sync client. The
 * reserved range is fenced from cap thinning before the worker reads it. And
 * the uploader, fed by the worker, sends every record once, in order.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { OutboxRecord } from '#libs/sync';
import type { Timers } from '../commands/timers.js';
import { prepared } from '../events/sqlite-journal.js';
import { peekRows, toRecord } from '../outbox/outbox-read.js';
import type { OutboxSample } from '../outbox/outbox.service.js';
import type { ReservedRange } from '../outbox/outbox.port.js';
import { drain, gaps, openOutbox } from '../outbox/test-support.js';
import type { Opened } from '../outbox/test-support.js';
import { BatchUploader } from './batch-uploader.js';
import { ReplayReader, workerScript } from './replay-reader.js';
import { answer, client, ScriptedCloud, silentLog } from './sync-test-support.js';
import { batchJsonOf } from './sync-outbox.js';

const WORKER = workerScript();
const T0 = Date.parse('2025-06-02T00:00:00Z');
const MIN = 60_000;

/** A thread's nice value (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNice(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const tick = (at: number, points: number): OutboxSample[] =>
  Array.from({ length: points }, (_, i) => ({ point: `d.p${i}`, at, value: i, quality: 'good' as const }));

describe('ReplayReader (the replay worker)', () => {
  let dir: string;
  let o: Opened;
  let now = T0;
  const clock = { now: () => now };
  const readers: ReplayReader[] = [];
  const logged: string[] = [];
  const log = {
    info: (_o: object, msg: string): void => void logged.push(msg),
    warn: (_o: object, msg: string): void => void logged.push(msg),
  };

  const reader = (outbox: Pick<Opened['outbox'], 'reserve'> = o.outbox, workerUrl = WORKER): ReplayReader => {
    const r = new ReplayReader({ file: join(dir, 'c.sqlite'), site: 'hq', outbox, log, workerUrl });
    readers.push(r);
    return r;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-replay-'));
    now = T0;
    logged.length = 0;
    o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes: 1024 ** 3 });
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) await r.close();
    await o.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands over, gzipped, the very body the main thread would have built, at a lower CPU priority', async () => {
    for (let t = 0; t < 3; t++) await o.outbox.appendSamples(tick(T0 + t * 1000, 5));
    const limits = { maxRecords: 7, maxBytes: 1 << 20 };
    const batch = await reader().next(limits);
    const here = o.outbox.peekJson(limits)!;
    expect(batch).toMatchObject({ count: 7, fromSeq: 1, toSeq: 7, bytes: here.bytes });
    expect(gunzipSync(batch!.body).toString('utf8')).toBe(batchJsonOf('hq', here));
    // The worker thread runs at nice 10 (Linux, as the controller's box runs); the main thread stays at 0.
    expect(logged).toContain('sync: replay worker started (nice 10)');
    expect(threadNice(process.pid)).toBe(0);
    expect([...readdirSync('/proc/self/task')].map(Number).map(threadNice)).toContain(10);
  });

  it('reads only inside the reserved range, and answers nothing when nothing is unsent', async () => {
    await o.outbox.appendSamples(tick(T0, 10));
    const ranges: ReservedRange[] = [];
    const narrow = { reserve: () => (ranges.push({ afterSeq: 0, throughSeq: 3 }), ranges.at(-1)) };
    const batch = await reader(narrow).next({ maxRecords: 10, maxBytes: 1 << 20 });
    expect(batch).toMatchObject({ count: 3, fromSeq: 1, toSeq: 3 });

    await o.outbox.confirm(10);
    expect(await reader().next({ maxRecords: 10, maxBytes: 1 << 20 })).toBeUndefined();
  });

  it('spans more sequence numbers after a batch of thinned runs, so a thinned backlog still goes in full batches', async () => {
    // Samples at 1, 41, 81 and 121, each followed by a thinned run of 39 (written as thinning writes them).
    for (let from = 2; from <= 122; from += 40) {
      await o.outbox.appendSamples(tick(T0 + from * 1000, 1));
      await o.journal.write((conn) => {
        prepared(
          conn,
          `INSERT INTO "outbox" ("seq", "through", "kind", "at", "point", "body", "bytes") VALUES (?, ?, 'thinned', ?, NULL, '{"rows":39}', 11)`,
        ).run(from, from + 38, T0 + from * 1000);
        prepared(conn, `UPDATE "sqlite_sequence" SET "seq" = ? WHERE "name" = 'outbox'`).run(from + 38);
      });
    }
    await o.outbox.appendSamples(tick(T0 + 200_000, 10));
    const spans: number[] = [];
    const r = reader({ reserve: (span) => (spans.push(span), o.outbox.reserve(span)) });
    const limits = { maxRecords: 4, maxBytes: 1 << 20 };
    // The first range (4 × 1.25 sequence numbers) holds only two records' starts.
    expect(await r.next(limits)).toMatchObject({ count: 2, fromSeq: 1, toSeq: 40 });
    await o.outbox.confirm(40);
    // Two records stood for 40 sequence numbers: the next range spans 4 × 20 × 1.25, a full batch.
    expect(await r.next(limits)).toMatchObject({ count: 4, fromSeq: 41, toSeq: 120 });
    expect(spans).toEqual([5, 100]);
  });

  it('fails the batch asked for when the worker dies, and starts a new worker for the next', async () => {
    await o.outbox.appendSamples(tick(T0, 3));
    const dying = reader(o.outbox, new URL('data:text/javascript,process.exit(3)'));
    await expect(dying.next({ maxRecords: 10, maxBytes: 1 << 20 })).rejects.toThrow(
      'the replay worker exited (code 3)',
    );
    await expect(dying.next({ maxRecords: 10, maxBytes: 1 << 20 })).rejects.toThrow('code 3');
  });

  it('fences the reserved range from cap thinning before the worker reads it', async () => {
    await o.db.destroy();
    o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes: 6_000 });
    let fenced: OutboxRecord[] = [];
    for (let t = 0; t < 360; t++) {
      now = T0 + t * 5000;
      await o.outbox.appendSamples(tick(now, 4));
      if (t === 2) {
        // What the worker reads after the reserve: 10 of the 12 samples appended so far.
        const range = o.outbox.reserve(10)!;
        fenced = o.journal
          .read((conn) => peekRows(conn, range.afterSeq, 100, 1e9, range.throughSeq))
          .map(toRecord);
      }
      await o.outbox.idle();
    }
    const records = drain(o.outbox);
    expect(gaps(records)).toEqual([]);
    expect(fenced.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(records.slice(0, 10)).toEqual(fenced);
    // Thinning did run over that first minute, right after the fence.
    expect(records.some((r) => r.kind === 'thinned' && r.seq > 10 && Date.parse(r.at) < T0 + MIN)).toBe(true);
  });

  /** Steps an uploader fed by `source` until idle; what the cloud received, and the warnings logged. */
  async function upload(source: ReplayReader) {
    const cloud = new ScriptedCloud(clock);
    cloud.onRequest = (_req, json) => answer(200, { highWaterMark: (json as { toSeq: number }).toSeq });
    const noTimers: Timers = { set: () => ({}), clear: () => undefined };
    const warnings: string[] = [];
    const uploader = new BatchUploader({
      client: client(cloud, clock, []),
      outbox: o.outbox,
      site: 'hq',
      limits: { maxRecords: 40, maxBytes: 1 << 20 },
      timers: noTimers,
      log: Object.assign(Object.create(silentLog) as typeof silentLog, {
        warn: (_o: unknown, msg: string) => warnings.push(msg),
      }),
      source,
    });
    const results: string[] = [];
    for (let i = 0; i < 10 && results.at(-1) !== 'idle'; i++) results.push(await uploader.step());
    return { results, records: cloud.batches().flatMap((b) => b.records), warnings };
  }

  it('feeds the uploader: every record reaches the cloud once, in order, and is trimmed after its acknowledgement', async () => {
    for (let t = 0; t < 5; t++) await o.outbox.appendSamples(tick(T0 + t * 1000, 30));
    const expected = drain(o.outbox);
    const sent = await upload(reader());
    expect(sent.results).toEqual(['sent', 'sent', 'sent', 'sent', 'idle']);
    expect(sent.records).toEqual(expected);
    expect(sent.warnings).toEqual([]);
    expect(o.outbox.stats()).toMatchObject({ backlog: 0, confirmedSeq: 150 });
  });

  it('a worker that cannot run does not stall the replay: the batches are read on the main thread, said once', async () => {
    for (let t = 0; t < 5; t++) await o.outbox.appendSamples(tick(T0 + t * 1000, 30));
    const expected = drain(o.outbox);
    const sent = await upload(reader(o.outbox, new URL('data:text/javascript,process.exit(3)')));
    expect(sent.results).toEqual(['sent', 'sent', 'sent', 'sent', 'idle']);
    expect(sent.records).toEqual(expected);
    expect(sent.warnings).toEqual(['sync: the replay worker exited (code 3); reading on the main thread']);
    expect(o.outbox.stats()).toMatchObject({ backlog: 0, confirmedSeq: 150 });
  });
});
