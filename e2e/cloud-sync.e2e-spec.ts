/**
 * The sync client against the real cloud on PostgreSQL (issue 5 items 2–6):
 * the demo building in-process with link driver 'cloud'. The controller's key
 * is made as the controller makes it and enrolled through the admin API;
 * samples arrive in PostgreSQL; a desired command lands at slot 10 on a
 * simulated device and is reported back; stopping the cloud makes the link
 * AUTONOMOUS within 5 s with the fallback schedule in force; bringing it back
 * drains the backlog with every record exactly once and the sequence unbroken.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { pino } from 'pino';
import type { ModeDto, SimPointState } from '#libs/contracts';
import type { LoadedSite } from '#libs/profiles';
import { startController } from '../apps/controller/src/bootstrap.js';
import type { RunningController } from '../apps/controller/src/bootstrap.js';
import type { SyncStatus } from '../apps/controller/src/sync/sync.service.js';
import { startCloud } from '../apps/cloud/src/bootstrap.js';
import type { RunningCloud } from '../apps/cloud/src/bootstrap.js';
import { admin, freshDatabase, testConfig } from '../apps/cloud/src/test-support/cloud-fixture.js';
import type { TestDatabase } from '../apps/cloud/src/test-support/cloud-fixture.js';
import type { Simulator } from '../apps/simulator/src/simulator.js';
import { controllerConfig, eventually, getJson, simPointOf, startDemoSimulator } from './support/building.js';
import { enrolController } from './support/cloud.js';

const POLL_MS = 500;
const SITE = 'demo';
const VAV_SP = 'vav-1-01.occupied-heating-sp';

describe('cloud sync end to end', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-sync-'));
  let db: TestDatabase;
  let cloud: RunningCloud | undefined;
  let cloudPort: number;
  let sim: Simulator;
  let site: LoadedSite;
  let controller: RunningController;
  let controllerId: number;

  const bootCloud = async (port: number): Promise<RunningCloud> =>
    startCloud(testConfig(db.url, { port, publicOrigin: `http://127.0.0.1:${port}` }));

  beforeAll(async () => {
    db = await freshDatabase();
    cloud = await bootCloud(0);
    cloudPort = Number(new URL(cloud.url).port);
    await cloud.close();
    cloud = await bootCloud(cloudPort);
    controllerId = await enrolController(cloud, SITE, join(dir, 'keys'), 'ctl-1');

    sim = await startDemoSimulator(POLL_MS);
    site = sim.resolvedSite();
    const config = controllerConfig(site, dir, {
      logLevel: 'warn',
      link: { driver: 'cloud' },
      cloud: {
        url: `http://127.0.0.1:${cloudPort}`,
        site: SITE,
        keyDir: join(dir, 'keys'),
        batchMaxRecords: 500,
        batchMaxBytes: 256 * 1024,
        longPollSeconds: 5,
      },
    });
    controller = await startController(config, site, { logger: pino({ level: 'silent' }) });
  }, 60_000);

  afterAll(async () => {
    await controller?.close();
    await sim?.close();
    await cloud?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const mode = (): Promise<ModeDto> => getJson<ModeDto>(`${controller.url}/api/v1/mode`);
  const sync = (): Promise<SyncStatus> => getJson<SyncStatus>(`${controller.url}/api/v1/sync`);
  const simPoint = (key: string): Promise<SimPointState> => simPointOf(sim, key);
  const count = async (sql: string): Promise<number> =>
    Number((await db.query<{ n: string }>(sql, [controllerId]))[0].n);

  it('connects with the enrolled key and its samples arrive in PostgreSQL', async () => {
    await eventually(
      async () => ((await mode()).state === 'CONNECTED' ? true : undefined),
      15_000,
      'CONNECTED',
    );
    expect((await mode()).driver).toBe('cloud');
    await eventually(
      async () =>
        (await count('SELECT count(*) AS n FROM samples WHERE controller_id = $1')) > 50 ? true : undefined,
      15_000,
      'samples in PostgreSQL',
    );
    const status = await sync();
    expect(status.keyId).toMatch(/^SHA256:/);
    expect(status.upload.highWaterMark).toBeGreaterThan(0);
  }, 40_000);

  it('applies a desired command at slot 10 on the simulated device and reports it to the cloud', async () => {
    const put = await admin(cloud!, 'PUT', `/api/v1/controllers/${controllerId}/desired`, {
      commands: [{ point: VAV_SP, value: 22.5, leaseMs: 60_000, leaseId: 'e2e-lease' }],
    });
    expect(put.status).toBe(200);
    await eventually(
      async () => {
        const p = await simPoint(VAV_SP);
        return p.priorityArray?.find((s) => s.priority === 10)?.value === 22.5 ? true : undefined;
      },
      15_000,
      'slot 10 on the device',
    );
    const state = await eventually(
      async () => {
        const s = (await admin(cloud!, 'GET', `/api/v1/controllers/${controllerId}/state`)).json as {
          inSync: boolean;
          points: Record<string, { value: number; priority: number; source: string; cloudInForce: boolean }>;
        };
        return s.inSync && s.points[VAV_SP]?.source === 'cloud' ? s : undefined;
      },
      15_000,
      'reported state',
    );
    expect(state.points[VAV_SP]).toMatchObject({
      value: 22.5,
      priority: 10,
      source: 'cloud',
      cloudInForce: true,
    });
  }, 40_000);

  it('goes AUTONOMOUS within 5 s of the cloud stopping, with the fallback schedule in force', async () => {
    // A crash, not a drain: the controller's kept-alive connections and its long-poll are cut too.
    const server = cloud!.app.getHttpServer() as import('node:http').Server;
    const cut = setInterval(() => server.closeAllConnections(), 20);
    await cloud!.close();
    clearInterval(cut);
    cloud = undefined;
    const stopped = Date.now();
    await eventually(
      async () => ((await mode()).state === 'AUTONOMOUS' ? true : undefined),
      10_000,
      'AUTONOMOUS',
    );
    const detection = Date.now() - stopped;
    expect(detection).toBeLessThanOrEqual(5000);
    await eventually(
      async () => ((await mode()).fallbackSchedules.length > 0 ? true : undefined),
      5000,
      'fallback schedules in force',
    );
    const status = await sync();
    expect(status.outcomes.failure + status.outcomes.timeout).toBeGreaterThan(0);
    // An outage of a few seconds builds a backlog.
    await new Promise((r) => setTimeout(r, 4000));
    expect((await sync()).outbox.backlog).toBeGreaterThan(0);
  }, 30_000);

  it('drains the backlog once the cloud is back: every record exactly once, the sequence unbroken', async () => {
    cloud = await bootCloud(cloudPort);
    await eventually(
      async () => ((await mode()).state === 'CONNECTED' ? true : undefined),
      20_000,
      'CONNECTED again',
    );
    const drained = await eventually(
      async () => {
        const s = await sync();
        return s.outbox.backlog < 50 && s.upload.highWaterMark !== null ? s : undefined;
      },
      30_000,
      'backlog drained',
    );
    const hwm = drained.upload.highWaterMark!;
    const rows = await db.query<{ seq: string; through: string }>(
      `SELECT seq, seq AS through FROM samples WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM events WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM alarms WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM audit WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM snapshot_versions WHERE controller_id = $1
       UNION ALL SELECT seq, seq FROM loss_ledger WHERE controller_id = $1
       UNION ALL SELECT seq, through FROM thinned_ranges WHERE controller_id = $1
       ORDER BY 1`,
      [controllerId],
    );
    let expected = 1;
    for (const r of rows) {
      if (Number(r.seq) > hwm) break;
      expect(Number(r.seq)).toBe(expected);
      expected = Number(r.through) + 1;
    }
    expect(expected).toBe(hwm + 1);
    // No sample twice: one row per point and reading time.
    const twice = await db.query(
      `SELECT p.key, s.at, array_agg(s.seq ORDER BY s.seq) AS seqs, array_agg(s.value) AS vals FROM samples s JOIN points p ON p.id = s.point_id
        WHERE s.controller_id = $1 GROUP BY 1, 2 HAVING count(*) > 1`,
      [controllerId],
    );
    if (twice.length) console.log(`samples twice: ${JSON.stringify(twice)}`);
    expect(
      await count(
        `SELECT count(*) AS n FROM (SELECT point_id, at FROM samples WHERE controller_id = $1 GROUP BY 1, 2 HAVING count(*) > 1) d`,
      ),
    ).toBe(0);
    // The outage is in the cloud too, as mode changes.
    expect(
      await count(`SELECT count(*) AS n FROM events WHERE controller_id = $1 AND type = 'mode-change'`),
    ).toBeGreaterThanOrEqual(2);
    expect(drained.scanJitter.samples).toBeGreaterThan(0);
    console.log(`sync e2e: hwm ${hwm}, scan jitter ${JSON.stringify(drained.scanJitter)}`);
  }, 60_000);
});
