/**
 * A kill -9 of the cloud mid-ingest loses nothing it acknowledged and doubles
 * nothing on the resend (issue 5 item 7). The cloud runs from dist/ as a child
 * process (build first); PostgreSQL itself cannot be restarted from a test, so
 * the app is what dies.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  ADMIN_TOKEN,
  admin,
  batchOf,
  freshDatabase,
  newKey,
  sampleRecords,
  TestController,
} from '../test-support/cloud-fixture.js';
import type { TestDatabase } from '../test-support/cloud-fixture.js';
import { freePort, spawnCloud } from '../test-support/cloud-process.js';
import type { CloudProcess } from '../test-support/cloud-process.js';
import type { RunningCloud } from '../bootstrap.js';

const SITE = 'restart-site';
const PER_BATCH = 250;
const TOTAL = 20 * PER_BATCH;

describe('cloud killed mid-ingest', () => {
  let db: TestDatabase;
  let cloud: CloudProcess | undefined;
  beforeAll(async () => {
    db = await freshDatabase();
  }, 30_000);
  afterAll(async () => {
    await cloud?.kill('SIGKILL');
    await db?.drop();
  });

  it('keeps every acknowledged record, and the resend after restart stores each record once', async () => {
    const port = await freePort();
    const env = { BULWARK_CLOUD_DATABASE_URL: db.url, BULWARK_CLOUD_ADMIN_TOKEN: ADMIN_TOKEN };
    cloud = await spawnCloud(env, port);
    const handle = { url: cloud.url, origin: cloud.url } as RunningCloud;
    await admin(handle, 'POST', '/api/v1/sites', { slug: SITE });
    const key = newKey();
    const enrolled = await admin(handle, 'POST', `/api/v1/sites/${SITE}/controllers`, {
      name: 'ctl-k',
      publicKey: key.publicLine,
    });
    expect(enrolled.status).toBe(201);
    const controller = new TestController(key, cloud.url);

    // Send in order, as the sync client does; kill the cloud while batches are in flight.
    let acked = 0;
    let killed = false;
    const sender = (async () => {
      while (acked < TOTAL) {
        try {
          const res = await controller.sendBatch(batchOf(SITE, sampleRecords(acked + 1, acked + PER_BATCH)));
          if (res.status !== 200) throw new Error(`unexpected ${res.status}: ${res.text}`);
          acked = (res.json as { highWaterMark: number }).highWaterMark;
        } catch (error) {
          if (killed) return;
          throw error;
        }
      }
    })();
    while (acked < 4 * PER_BATCH) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    await cloud.kill('SIGKILL');
    await sender;
    const ackedBeforeKill = acked;
    expect(ackedBeforeKill).toBeLessThan(TOTAL);

    const [after] = await db.query<{ hwm: string; n: string; max: string | null }>(
      `SELECT p.high_water_mark AS hwm, (SELECT count(*) FROM samples) AS n, (SELECT max(seq) FROM samples) AS max
         FROM controller_progress p`,
    );
    const durable = Number(after.hwm);
    // Nothing acknowledged is lost; at most the batch in flight committed without its answer arriving.
    expect(durable).toBeGreaterThanOrEqual(ackedBeforeKill);
    expect(durable - ackedBeforeKill).toBeLessThanOrEqual(PER_BATCH);
    expect(Number(after.n)).toBe(durable);
    expect(Number(after.max)).toBe(durable);

    // Restart; the controller resends from what it knows was acknowledged, so maybe a batch twice.
    cloud = await spawnCloud(env, port);
    acked = ackedBeforeKill;
    while (acked < TOTAL) {
      const res = await controller.sendBatch(
        batchOf(SITE, sampleRecords(acked + 1, Math.min(TOTAL, acked + PER_BATCH))),
      );
      expect(res.status).toBe(200);
      acked = (res.json as { highWaterMark: number }).highWaterMark;
    }
    const [end] = await db.query<{ n: string; d: string; min: string; max: string }>(
      `SELECT count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS min, max(seq) AS max FROM samples`,
    );
    expect(end).toEqual({ n: String(TOTAL), d: String(TOTAL), min: '1', max: String(TOTAL) });
  }, 60_000);
});
