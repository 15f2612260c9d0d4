/**
 * The outage proof (issue 5, Tests; DESIGN.md points 5–7): the demo site at
 * 1 s polling, the real cloud on a fresh PostgreSQL database (in-process, so
 * it can be stopped and brought back on the same port), and the BUILT
 * controller as a child process on one SQLite file and key dir, so it can be
 * kill -9'd as a power cut would.
 *
 * 1. Connected: samples arrive in PostgreSQL.
 * 2. The cloud stops (its connections cut, as a crash): within 5 s the
 *    controller is AUTONOMOUS and the fallback schedule's value is at slot 12
 *    of every VAV's own priority array on the simulated hardware.
 * 3. kill -9 of the controller three times during the outage, each restart on
 *    the same file and key dir. While it is dead, its outbox is read straight
 *    from the file: that is what it committed (acknowledged). Nothing of an
 *    earlier snapshot may vanish in a later one.
 * 4. The cloud comes back: within 60 s it holds everything the controller had
 *    produced when the cloud returned, and every committed sample exactly
 *    once: same seq, point and reading time, per-point counts equal, the
 *    sequence unbroken from 1 to the high-water mark across every record
 *    table, no (point, at) twice, and the outage's mode changes as events.
 * 5. A last kill -9: the cloud and the file together hold every seq the
 *    controller ever assigned.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { parse, stringify } from 'yaml';
import type { ModeDto, PriorityArrayDto } from '#libs/contracts';
import { loadSite } from '#libs/profiles';
import type { SyncStatus } from '../apps/controller/src/sync/sync.service.js';
import { startCloud } from '../apps/cloud/src/bootstrap.js';
import type { RunningCloud } from '../apps/cloud/src/bootstrap.js';
import { freshDatabase, testConfig } from '../apps/cloud/src/test-support/cloud-fixture.js';
import type { TestDatabase } from '../apps/cloud/src/test-support/cloud-fixture.js';
import { Simulator } from '../apps/simulator/src/simulator.js';
import {
  auditCloud,
  cloudHighWaterMark,
  compareSamples,
  ControllerChild,
  controllerEnv,
  freePort,
  readOutbox,
  vanished,
} from '../bench/outage-rig.js';
import type { OutboxRowSnapshot, OutboxSnapshot, Query } from '../bench/outage-rig.js';
import { eventually, getJson, root, simPointOf } from './support/building.js';
import { enrolController } from './support/cloud.js';

jest.setTimeout(150_000);

const POLL_MS = 1000;
const SITE = 'demo';
const VAV_SPS = [1, 2, 3, 4, 5, 6].map((n) => `vav-1-0${n}.occupied-heating-sp`);
const KILLS = 3;

/** The demo site at 1 s polling with every device on a free loopback port. */
async function demoSiteFile(file: string): Promise<void> {
  const doc = parse(readFileSync(resolve(root, 'sites/demo-office.yaml'), 'utf8')) as {
    devices: Array<{ pollIntervalMs: number; modbus?: { port: number }; bacnet?: { address: string } }>;
  };
  for (const d of doc.devices) {
    d.pollIntervalMs = POLL_MS;
    if (d.modbus) d.modbus.port = await freePort('tcp');
    if (d.bacnet) d.bacnet.address = `127.0.0.1:${await freePort('udp')}`;
  }
  writeFileSync(file, stringify(doc));
}

describe('outage: the cloud gone, the controller killed, nothing lost and nothing doubled', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-outage-'));
  const siteFile = join(dir, 'site.yaml');
  const dbFile = join(dir, 'controller.sqlite');
  const keyDir = join(dir, 'keys');
  let db: TestDatabase;
  let query: Query;
  let cloud: RunningCloud | undefined;
  let cloudPort: number;
  let sim: Simulator;
  let controller: ControllerChild;
  let controllerId: number;

  const bootCloud = (port: number): Promise<RunningCloud> =>
    startCloud(
      testConfig(db.url, {
        port,
        publicOrigin: `http://127.0.0.1:${port}`,
        maxBodyBytes: 16 * 1024 * 1024,
      }),
    );

  beforeAll(async () => {
    db = await freshDatabase();
    query = db.query;
    cloud = await bootCloud(0);
    cloudPort = Number(new URL(cloud.url).port);
    await cloud.close();
    cloud = await bootCloud(cloudPort);
    controllerId = await enrolController(cloud, SITE, keyDir, 'ctl-outage');

    await demoSiteFile(siteFile);
    sim = await Simulator.start({
      site: loadSite(siteFile, resolve(root, 'hardware-profiles')),
      control: { host: '127.0.0.1', port: 0 },
      tickMs: 200,
    });
    const httpPort = await freePort('tcp');
    const bacnetPort = await freePort('udp');
    controller = new ControllerChild(
      `http://127.0.0.1:${httpPort}`,
      controllerEnv({
        httpPort,
        bacnetPort,
        siteFile,
        profilesDir: resolve(root, 'hardware-profiles'),
        dbFile,
        logLevel: 'warn',
        cloud: { url: `http://127.0.0.1:${cloudPort}`, site: SITE, keyDir },
      }),
    );
    await controller.start();
  }, 90_000);

  afterAll(async () => {
    await controller?.kill9();
    await sim?.close();
    await cloud?.close();
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const mode = (): Promise<ModeDto> => getJson<ModeDto>(`${controller.url}/api/v1/mode`);
  const sync = (): Promise<SyncStatus> => getJson<SyncStatus>(`${controller.url}/api/v1/sync`);
  const slot12 = async (key: string): Promise<number | undefined> =>
    (await simPointOf(sim, key))?.priorityArray?.find((s) => s.priority === 12)?.value;
  const cloudHwm = (): Promise<number> => cloudHighWaterMark(query, controllerId);

  it('stays autonomous through the outage and kill -9s, then delivers every sample exactly once', async () => {
    // 1. Connected, samples flowing.
    await eventually(
      async () => ((await mode()).state === 'CONNECTED' ? true : undefined),
      30_000,
      'CONNECTED',
    );
    await eventually(
      async () => ((await cloudHwm()) > 200 ? true : undefined),
      30_000,
      'samples in PostgreSQL',
    );
    // The fallback value the controller holds at slot 12, not in force while connected.
    const held = await eventually(
      async () => {
        const pa = await getJson<PriorityArrayDto>(
          `${controller.url}/api/v1/points/${VAV_SPS[0]}/priority-array`,
        );
        return pa.slots.find((s) => s.priority === 12);
      },
      10_000,
      'slot 12 held',
    );
    const fallbackValue = held.value;

    // 2. The cloud crashes: its connections, the kept-alive ones and the long-poll included, are cut.
    const server = cloud!.app.getHttpServer() as Server;
    const cut = setInterval(() => server.closeAllConnections(), 20);
    const stopped = Date.now();
    await cloud!.close();
    clearInterval(cut);
    cloud = undefined;
    const hwmAtStop = await cloudHwm();
    let autonomousAfter: number | undefined;
    let fallbackAfter: number | undefined;
    while ((autonomousAfter === undefined || fallbackAfter === undefined) && Date.now() - stopped < 15_000) {
      if (autonomousAfter === undefined && (await mode()).state === 'AUTONOMOUS')
        autonomousAfter = Date.now() - stopped;
      if (fallbackAfter === undefined) {
        const values = await Promise.all(VAV_SPS.map(slot12));
        if (values.every((v) => v === fallbackValue)) fallbackAfter = Date.now() - stopped;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(
      `outage: AUTONOMOUS ${autonomousAfter} ms and fallback ${fallbackValue} at slot 12 on ${VAV_SPS.length} VAVs ${fallbackAfter} ms after the cloud stopped`,
    );
    expect(autonomousAfter).toBeLessThanOrEqual(5000);
    expect(fallbackAfter).toBeLessThanOrEqual(5000);
    expect((await mode()).fallbackSchedules).toContain('cloud-loss-setpoints');

    // 3. kill -9 three times during the outage; what each dead controller committed is read from its file.
    const snapshots: OutboxSnapshot[] = [];
    for (let k = 0; k < KILLS; k++) {
      await new Promise((r) => setTimeout(r, 2500));
      expect(await controller.kill9()).toBe('SIGKILL');
      const snap = readOutbox(dbFile);
      const earlier = snapshots[snapshots.length - 1] ?? { lastSeq: 0, rows: new Map() };
      expect(vanished(earlier, snap, hwmAtStop)).toEqual([]);
      snapshots.push(snap);
      const took = await controller.start();
      // Restarted without a cloud: autonomous again, the fallback still on the devices.
      expect((await mode()).state).toBe('AUTONOMOUS');
      expect(await Promise.all(VAV_SPS.map(slot12))).toEqual(VAV_SPS.map(() => fallbackValue));
      console.log(`outage: kill ${k + 1}: ${snap.rows.size} records in the outbox, restart ${took} ms`);
    }
    expect(controller.kills).toBe(KILLS);
    const committed = new Map<number, OutboxRowSnapshot>();
    for (const s of snapshots)
      for (const [seq, r] of s.rows) if ((r.through ?? seq) > hwmAtStop) committed.set(seq, r);
    const committedSamples = [...committed.values()].filter((r) => r.kind === 'sample').length;
    expect(committedSamples).toBeGreaterThan(500); // a real outage's worth: ~190 points a second for ~10 s
    await new Promise((r) => setTimeout(r, 2000));

    // 4. The cloud comes back on the same port.
    const producedBeforeReturn = (await sync()).outbox.lastSeq;
    cloud = await bootCloud(cloudPort);
    const back = Date.now();
    await eventually(
      async () => ((await cloudHwm()) >= producedBeforeReturn ? true : undefined),
      60_000,
      `the cloud's high-water mark to reach ${producedBeforeReturn}`,
    );
    const drainedAfter = Date.now() - back;
    expect(drainedAfter).toBeLessThanOrEqual(60_000);
    await eventually(
      async () => ((await mode()).state === 'CONNECTED' ? true : undefined),
      30_000,
      'CONNECTED again',
    );

    const audit = await auditCloud(query, controllerId);
    const samples = await compareSamples(query, controllerId, committed);
    console.log(
      `outage: drained to seq ${producedBeforeReturn} in ${drainedAfter} ms; cloud ${JSON.stringify(audit)}; committed during the outage ${JSON.stringify({ ...samples, countDiffs: samples.countDiffs.length })}`,
    );
    expect(audit).toMatchObject({ missing: 0, overlapping: 0, aboveHwm: 0, pointAtTwice: 0 });
    expect(samples.compared).toBe(committedSamples);
    expect(samples).toMatchObject({ lost: 0, mismatched: 0, countDiffs: [] });

    // The outage as events: to AUTONOMOUS after the stop, to CONNECTED after the return.
    const modes = await query<{ to: string; at: Date }>(
      `SELECT data->>'to' AS to, at FROM events WHERE controller_id = $1 AND type = 'mode-change' ORDER BY seq`,
      [controllerId],
    );
    expect(modes.some((m) => m.to === 'AUTONOMOUS' && m.at.getTime() >= stopped - 1000)).toBe(true);
    expect(modes.some((m) => m.to === 'CONNECTED' && m.at.getTime() >= back - 1000)).toBe(true);

    // 5. A last kill -9: the cloud and the file together hold every seq ever assigned, each once.
    await controller.kill9();
    const final = readOutbox(dbFile);
    const end = await auditCloud(query, controllerId);
    expect(end).toMatchObject({ missing: 0, overlapping: 0, aboveHwm: 0, pointAtTwice: 0 });
    expect(end.hwm).toBeLessThanOrEqual(final.lastSeq);
    const notInCloud: number[] = [];
    for (let seq = end.hwm + 1; seq <= final.lastSeq; seq++) {
      const row = final.rows.get(seq);
      if (!row) notInCloud.push(seq);
      else seq = row.through ?? seq;
    }
    expect(notInCloud).toEqual([]);
  });
});
