/**
 * The upload loop against a cloud that refuses large bodies (issue 5 item 7:
 * "oversized bodies are refused before parsing"): a stub HTTP server that
 * verifies every signature with libs/sync and answers 413 for a body over
 * its limit (the wire bytes, then the inflated JSON, as the cloud does), over
 * real HTTP (fetch), from the real SQLite outbox, on real timers with a short
 * backoff. Batches shrink until the cloud takes them; an event too large on
 * its own holds the queue (never dropped, never skipped), is retried with
 * backoff and raises an alarm (an event too) until the cloud's limit is
 * raised; then everything arrives in order, exactly once, and the alarm
 * clears.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import { filter, firstValueFrom } from 'rxjs';
import { InMemoryKeyRegistry, InMemoryNonceCache, RequestVerifier, SignatureError } from '#libs/sync';
import type { IngestBatch, OutboxRecord } from '#libs/sync';
import { AlarmService } from '../alarms/alarm.service.js';
import { systemTimers } from '../commands/timers.js';
import { SqliteEventStore } from '../events/event-store.js';
import { drain, endOf, openOutbox } from '../outbox/test-support.js';
import type { Opened } from '../outbox/test-support.js';
import { Backoff } from './backoff.js';
import { BatchUploader } from './batch-uploader.js';
import { fetchTransport } from './cloud-transport.js';
import { SignedCloudClient } from './signed-client.js';
import { SyncAlarms } from './sync-alarms.js';
import { fixedKey } from './sync-test-support.js';

const log = pino({ level: 'silent' });

/** A cloud that takes batches in order and refuses (413) any body over `limit` bytes. */
class CappedCloud {
  limit: number;
  highWaterMark = 0;
  readonly taken: OutboxRecord[] = [];
  /** Each refused batch as [fromSeq, toSeq], and each accepted batch's inflated size. */
  readonly refused: Array<[number, number]> = [];
  readonly acceptedSizes: number[] = [];
  readonly server: Server;
  private readonly registry = new InMemoryKeyRegistry<string>();
  private readonly verifier = new RequestVerifier({
    resolveKey: this.registry.resolve,
    nonces: new InMemoryNonceCache(() => Date.now()),
    now: () => Date.now(),
  });
  private readonly waiters: Array<{ until: () => boolean; resolve: () => void }> = [];
  url = '';

  constructor(limit: number, publicKey: string) {
    this.limit = limit;
    this.registry.enrol(publicKey, 'ctl-1');
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Resolves once `until` holds after some request. */
  when(until: () => boolean): Promise<void> {
    return new Promise((resolve) => (until() ? resolve() : this.waiters.push({ until, resolve })));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    const raw = Buffer.concat(chunks);
    const answer = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json', date: new Date().toUTCString() });
      res.end(JSON.stringify(body));
      for (const w of [...this.waiters])
        if (w.until()) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
    };
    const tooLarge = (): void =>
      answer(413, { reason: 'body-too-large', detail: `the body exceeds the limit of ${this.limit} bytes` });
    if (raw.length > this.limit) return tooLarge();
    try {
      await this.verifier.verify({
        method: req.method ?? 'GET',
        targetUri: `${this.url}${req.url}`,
        headers: req.headers,
        body: raw,
      });
    } catch (err) {
      if (err instanceof SignatureError) return answer(401, { reason: err.reason });
      throw err;
    }
    const json = gunzipSync(raw);
    const batch = JSON.parse(json.toString('utf8')) as IngestBatch;
    if (json.length > this.limit) {
      this.refused.push([batch.fromSeq, batch.toSeq]);
      return tooLarge();
    }
    if (batch.fromSeq > this.highWaterMark + 1)
      return answer(409, { reason: 'sequence-gap', highWaterMark: this.highWaterMark });
    this.taken.push(...batch.records.filter((r) => endOf(r) > this.highWaterMark));
    this.acceptedSizes.push(json.length);
    this.highWaterMark = Math.max(this.highWaterMark, batch.toSeq);
    answer(200, { highWaterMark: this.highWaterMark });
  }
}

describe('the upload loop against a cloud that refuses large bodies (413)', () => {
  let dir: string;
  let o: Opened;
  let cloud: CappedCloud;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'bulwark-sync-413-'));
  });
  afterEach(async () => {
    await cloud?.close();
    await o?.db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shrinks batches to what the cloud takes, holds a record too large on its own loudly, and loses nothing', async () => {
    const clock = { now: () => Date.now() };
    o = await openOutbox(join(dir, 'c.sqlite'), clock, { capBytes: 64 * 1024 * 1024 });
    const events = new SqliteEventStore(o.journal, clock);
    for (let t = 0; t < 300; t++) {
      await o.outbox.appendSamples(
        ['ahu.sat', 'ahu.rat', 'vav-1.temp'].map((point, i) => ({
          point,
          at: Date.now(),
          value: 20 + i + t / 100,
          quality: 'good' as const,
        })),
      );
      if (t === 200)
        // A configuration change with a large diff: 20 kB of JSON, more than the cloud's 8 kB.
        await events.record({
          type: 'configuration',
          source: 'engineer',
          message: 'a large edit',
          data: { diff: 'x'.repeat(20_000) },
        });
    }
    const before = drain(o.outbox);
    const big = before.find((r) => r.kind === 'event')!;

    const { pair, key } = fixedKey();
    cloud = new CappedCloud(8 * 1024, pair.publicKey);
    await cloud.listen();
    const client = new SignedCloudClient({
      baseUrl: cloud.url,
      key,
      transport: fetchTransport,
      clock,
      record: () => undefined,
    });
    const uploader = new BatchUploader({
      client,
      outbox: o.outbox,
      site: 'hq',
      limits: { maxRecords: 500, maxBytes: 1 << 20 },
      timers: systemTimers,
      log,
      backoff: new Backoff({ baseMs: 5, capMs: 40 }),
    });
    const alarms = new AlarmService(o.journal, clock, log);
    const detector = new SyncAlarms({ uploader }, alarms, log);
    detector.onApplicationBootstrap();
    const stuck = firstValueFrom(uploader.oversized$.pipe(filter((r) => r !== null)));

    uploader.start();
    expect(await stuck).toMatchObject({ seq: big.seq });
    // Retried, with backoff, again and again: never dropped, nothing after it skipped ahead.
    await cloud.when(() => cloud.refused.filter(([f, t]) => f === big.seq && t === big.seq).length >= 4);
    expect(cloud.taken).toEqual(before.filter((r) => r.seq < big.seq));
    expect(uploader.status()).toMatchObject({ oversized: { seq: big.seq }, highWaterMark: big.seq - 1 });
    // (The fourth refusal may still be on its way back to the uploader.)
    expect(uploader.status().consecutiveFailures).toBeGreaterThanOrEqual(3);
    await detector.idle();
    const [alarm] = alarms.uncleared('sync-record-too-large');
    expect(alarm).toMatchObject({ severity: 'major', subject: 'cloud-sync', data: { seq: big.seq } });

    // The cloud's limit is raised: the queue moves on by itself, the alarm clears.
    const cleared = firstValueFrom(uploader.oversized$.pipe(filter((r) => r === null)));
    const whileCapped = [...cloud.acceptedSizes];
    cloud.limit = 1 << 20;
    await cleared;
    const last = before[before.length - 1].seq;
    await cloud.when(() => cloud.highWaterMark >= last);
    await uploader.stop();
    await detector.idle();
    expect(alarms.uncleared('sync-record-too-large')).toEqual([]);

    // Everything, once, in order: the records from before, then the alarm's own records.
    expect(cloud.taken.slice(0, before.length)).toEqual(before);
    expect(cloud.taken.map((r) => r.seq)).toEqual(cloud.taken.map((_, i) => i + 1));
    // Every batch the cloud took while it was capped was within its limit, and few were refused.
    expect(whileCapped.length).toBeGreaterThan(1);
    expect(Math.max(...whileCapped)).toBeLessThanOrEqual(8 * 1024);
    expect(cloud.refused.filter(([f, t]) => t > f).length).toBeLessThanOrEqual(8);
    detector.onModuleDestroy();
  }, 60_000);
});
