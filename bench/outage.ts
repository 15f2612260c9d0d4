/**
 * `npm run bench:outage` (issue 5): a cloud outage of `--minutes` (default 10)
 * at 1,000 points per second, the controller kill -9'd `--kills` times
 * (default 2 per minute: 20 in 10 minutes) spread evenly over it; then the
 * cloud comes back and the backlog drains. Prints lost and duplicated counts
 * (target 0 and 0), the drain time (target ≤ 30 s) and the scan jitter during
 * the drain (target p99 < 100 ms). Last line `RESULT {json}`.
 *
 * The load: 10 Modbus TCP devices of 100 registers-backed points each (the
 * first 100 points of bench/scan-workload.ts's generated maps), polled every
 * second: 1,000 samples a second. The devices are libs/modbus servers in this
 * process; the controller is the BUILT one (dist/) as a child process on one
 * SQLite file and key dir; the cloud is the built cloud as a child process on
 * a fresh PostgreSQL database, enrolled through its admin API. The outage is
 * a SIGKILL of the cloud (a crash); it is restarted on the same port.
 *
 * Definitions:
 * - committed: every sample record in the controller's outbox file read after
 *   each kill -9 (the process dead, so the file holds exactly what it had
 *   committed, i.e. acknowledged), with seq above the cloud's mark when the
 *   outage began; each is looked up in the cloud by seq. `samples` is every
 *   sample the controller read during the outage: seq from the cloud's mark
 *   at the crash to the controller's last seq when the cloud came back.
 * - lost: committed samples missing from the cloud (same seq, same point and
 *   reading time) and not inside a thinned range of the loss ledger, plus any
 *   seq in 1..the controller's last seq held neither by the cloud nor by the
 *   outbox file at the end, plus rows of one kill's snapshot gone in the next.
 * - duplicated: (point, at) pairs the cloud holds more than once (extra rows),
 *   plus seqs claimed by more than one cloud record.
 * - drainSeconds: from the cloud accepting connections again until its
 *   high-water mark reached the controller's last seq at that moment.
 * - scanJitterP99Ms: per device, |interval between consecutive read cycles −
 *   the poll interval| over the cycles that ended during the drain, from the
 *   samples' reading times in PostgreSQL; p99 over all devices. The
 *   controller's own figure (GET /api/v1/sync scanJitter, a window of its last
 *   2,000 scans) is printed beside it. A reading time is taken when a cycle's
 *   last answer arrived, so this counts the devices' answer times as well as
 *   the scan loop's own lateness; to tell them apart, requestJitterP99Ms is
 *   the same measure taken from when the first request of each cycle reached
 *   its device (in this process). The machine's load average is printed with
 *   them: the controller shares the machine with the cloud, PostgreSQL and
 *   these devices, and whatever else runs on it.
 *
 *   npm run bench:outage -- [--minutes N] [--kills N]
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { stringify } from 'yaml';
import { ModbusTcpServer } from '#libs/modbus';
import { loadOrCreateKeys } from '../apps/controller/src/sync/controller-keys.js';
import { createBenchDatabase, startCloud } from './cloud-child.js';
import {
  auditCloud,
  cloudHighWaterMark,
  compareSamples,
  ControllerChild,
  controllerEnv,
  freePort,
  readOutbox,
  requestCadence,
  vanished,
} from './outage-rig.js';
import type { OutboxRowSnapshot, OutboxSnapshot, Query } from './outage-rig.js';
import { modbusProfile, modbusRegisterImage } from './scan-workload.js';

const { values: args } = parseArgs({
  options: { minutes: { type: 'string', default: '10' }, kills: { type: 'string' } },
});
const MINUTES = Number(args.minutes);
const KILLS = args.kills !== undefined ? Number(args.kills) : Math.max(1, Math.round(2 * MINUTES));
const DEVICES = 10;
const POINTS_PER_DEVICE = 100;
const POLL_MS = 1000;
const SITE = 'bench-outage';
const TOKEN = randomBytes(16).toString('hex');
if (!(MINUTES > 0) || !Number.isInteger(KILLS) || KILLS < 0)
  throw new Error(`--minutes must be > 0 and --kills a whole number ≥ 0 (got ${MINUTES}, ${KILLS})`);

const log = (msg: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function killCloud(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await gone;
}

async function adminCall(url: string, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function percentile(sorted: number[], q: number): number | null {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : null;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-bench-outage-'));
  const database = await createBenchDatabase('bulwark_outage');
  const databaseUrl = database.url;
  const servers: ModbusTcpServer[] = [];
  let cloud: ChildProcess | undefined;
  let controller: ControllerChild | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  // An idle connection still closing when DROP DATABASE ... WITH (FORCE) runs is
  // terminated by the server; that must not crash the bench after its RESULT line.
  pool.on('error', () => undefined);
  const query: Query = async <T>(sql: string, params?: unknown[]) =>
    (await pool.query(sql, params)).rows as T[];
  try {
    // The building: 10 Modbus devices × 100 points, polled every second.
    const profilesDir = join(dir, 'profiles');
    mkdirSync(join(profilesDir, 'bench'), { recursive: true });
    const devices = [];
    // When each request reached each device, from just before the cloud returns until drained.
    const requestsAt: number[][] = Array.from({ length: DEVICES }, () => []);
    let timingRequests = false;
    for (let d = 0; d < DEVICES; d++) {
      const full = modbusProfile(d);
      const profile = { ...full, points: full.points.slice(0, POINTS_PER_DEVICE) };
      writeFileSync(join(profilesDir, 'bench', `outage-${d}.yaml`), stringify(profile));
      const image = modbusRegisterImage(profile);
      const server = new ModbusTcpServer({
        host: '127.0.0.1',
        port: 0,
        handler: (req) => {
          if (timingRequests) requestsAt[d].push(Date.now());
          return req.functionCode === 3 || req.functionCode === 4
            ? {
                registers: Array.from(
                  image[req.functionCode].subarray(req.address, req.address + req.quantity),
                ),
              }
            : { exception: 1 };
        },
      });
      servers.push(server);
      const { port } = await server.listen();
      devices.push({
        id: `dev-${d}`,
        name: `Bench device ${d}`,
        profile: `bench/outage-${d}.yaml`,
        pollIntervalMs: POLL_MS,
        modbus: { transport: 'tcp', host: '127.0.0.1', port, unitId: 1 },
      });
    }
    const siteFile = join(dir, 'site.yaml');
    writeFileSync(
      siteFile,
      stringify({ schemaVersion: 1, name: 'Outage bench', timeZone: 'Europe/Berlin', devices }),
    );

    // The cloud, the site, the controller's key enrolled.
    const cloudPort = await freePort('tcp');
    const cloudUrl = `http://127.0.0.1:${cloudPort}`;
    cloud = await startCloud(databaseUrl, cloudPort, TOKEN);
    await adminCall(cloudUrl, '/api/v1/sites', { slug: SITE });
    const keyDir = join(dir, 'keys');
    const keys = loadOrCreateKeys(keyDir, { comment: `bulwark-controller@${SITE}` });
    const enrolled = (await adminCall(cloudUrl, `/api/v1/sites/${SITE}/controllers`, {
      name: 'ctl-bench',
      publicKey: keys.publicLine,
    })) as { controller: { id: number } };
    const controllerId = enrolled.controller.id;

    const dbFile = join(dir, 'controller.sqlite');
    const httpPort = await freePort('tcp');
    const bacnetPort = await freePort('udp');
    const ctl = new ControllerChild(
      `http://127.0.0.1:${httpPort}`,
      controllerEnv({
        httpPort,
        bacnetPort,
        siteFile,
        profilesDir,
        dbFile,
        logLevel: 'warn',
        cloud: { url: cloudUrl, site: SITE, keyDir },
      }),
    );
    controller = ctl;
    await ctl.start();
    const status = async (): Promise<{
      link: string;
      outbox: { lastSeq: number; backlog: number };
      scanJitter: unknown;
    }> => (await fetch(`${ctl.url}/api/v1/sync`)).json() as never;
    const hwm = (): Promise<number> => cloudHighWaterMark(query, controllerId);
    for (const until = Date.now() + 60_000; ;) {
      if ((await status()).link === 'CONNECTED' && (await hwm()) > 5 * DEVICES * POINTS_PER_DEVICE) break;
      if (Date.now() > until) throw new Error(`not connected and uploading after 60 s:\n${ctl.output}`);
      await sleep(250);
    }
    log(`connected; ${DEVICES * POINTS_PER_DEVICE} points at ${POLL_MS} ms; cloud hwm ${await hwm()}`);

    // The outage: the cloud crashes; kill -9 of the controller KILLS times, evenly spread.
    await killCloud(cloud);
    cloud = undefined;
    const outageStart = Date.now();
    const hwmAtStop = await hwm();
    const outageMs = MINUTES * 60_000;
    log(`cloud killed at hwm ${hwmAtStop}; outage of ${MINUTES} min with ${KILLS} kill -9 of the controller`);
    let previous: OutboxSnapshot | undefined;
    const committed = new Map<number, OutboxRowSnapshot>();
    let vanishedRows = 0;
    const restarts: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const at = outageStart + ((k + 0.5) * outageMs) / KILLS;
      await sleep(Math.max(0, at - Date.now()));
      await ctl.kill9();
      const snap = readOutbox(dbFile);
      if (previous) vanishedRows += vanished(previous, snap, hwmAtStop).length;
      for (const [seq, r] of snap.rows) if ((r.through ?? seq) > hwmAtStop) committed.set(seq, r);
      previous = snap;
      restarts.push(await ctl.start());
      log(
        `kill ${k + 1}/${KILLS}: ${snap.rows.size} records in the outbox (last seq ${snap.lastSeq}), restarted in ${restarts[restarts.length - 1]} ms`,
      );
    }
    await sleep(Math.max(0, outageStart + outageMs - Date.now()));

    // The cloud returns; the drain is timed to the controller's last seq at that moment.
    const target = (await status()).outbox.lastSeq;
    timingRequests = true;
    cloud = await startCloud(databaseUrl, cloudPort, TOKEN);
    const back = Date.now();
    const loadAtReturn = loadavg()[0];
    log(`cloud back after ${((back - outageStart) / 1000).toFixed(0)} s; draining to seq ${target}`);
    let drainSeconds: number | null = null;
    for (const until = back + 300_000; Date.now() < until;) {
      if ((await hwm()) >= target) {
        drainSeconds = (Date.now() - back) / 1000;
        break;
      }
      await sleep(100);
    }
    const drainedAt = Date.now();
    timingRequests = false;
    const loadAfterDrain = loadavg()[0];
    const own = (await status()).scanJitter;
    log(
      `drained in ${drainSeconds ?? '>300'} s; the controller's scan jitter window: ${JSON.stringify(own)}`,
    );
    // Let what was read during the drain arrive too, then stop the controller as a power cut would.
    const tail = (await status()).outbox.lastSeq;
    for (const until = Date.now() + 60_000; Date.now() < until && (await hwm()) < tail;) await sleep(200);
    await ctl.kill9();
    const final = readOutbox(dbFile);

    // Scan jitter during the drain, from the reading times in PostgreSQL.
    const cycles = await query<{ device: string; at: string }>(
      `SELECT DISTINCT split_part(p.key, '.', 1) AS device, (extract(epoch FROM s.at) * 1000)::bigint AS at
         FROM samples s JOIN points p ON p.id = s.point_id
        WHERE s.controller_id = $1 AND s.at BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0)
        ORDER BY 1, 2`,
      [controllerId, back - POLL_MS, drainedAt],
    );
    const deviations: number[] = [];
    for (let i = 1; i < cycles.length; i++) {
      if (cycles[i].device !== cycles[i - 1].device) continue;
      if (Number(cycles[i].at) < back) continue;
      deviations.push(Math.abs(Number(cycles[i].at) - Number(cycles[i - 1].at) - POLL_MS));
    }
    deviations.sort((a, b) => a - b);
    const requested = requestCadence(requestsAt, back, drainedAt, POLL_MS);

    // Lost and duplicated.
    const audit = await auditCloud(query, controllerId);
    const thinned = await query<{ seq: string; through: string }>(
      `SELECT seq, through FROM thinned_ranges WHERE controller_id = $1`,
      [controllerId],
    );
    const inThinned = (seq: number): boolean =>
      thinned.some((t) => seq >= Number(t.seq) && seq <= Number(t.through));
    const notThinned = new Map([...committed].filter(([seq]) => !inThinned(seq)));
    const cmp = await compareSamples(query, controllerId, notThinned);
    let missingAtEnd = 0;
    for (let seq = audit.hwm + 1; seq <= final.lastSeq; seq++) {
      const row = final.rows.get(seq);
      if (!row) missingAtEnd++;
      else seq = row.through ?? seq;
    }
    const [ledger] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM loss_ledger WHERE controller_id = $1`,
      [controllerId],
    );
    const checked = [...committed.values()].filter((r) => r.kind === 'sample').length;
    const [during] = await query<{ n: string }>(
      `SELECT count(*) AS n FROM samples WHERE controller_id = $1 AND seq > $2 AND seq <= $3`,
      [controllerId, hwmAtStop, target],
    );
    const samples = Number(during.n);
    const lost = cmp.lost + cmp.mismatched + missingAtEnd + audit.missing + vanishedRows;
    const duplicated = audit.pointAtTwice + audit.overlapping;
    const p99 = percentile(deviations, 0.99);
    console.log(`
outage ${MINUTES} min at ${DEVICES * POINTS_PER_DEVICE} points/s, ${ctl.kills - 1} kill -9 during it (+1 at the end)
  samples read during the outage: ${samples} (seq ${hwmAtStop + 1}..${target}); ${checked} of them committed before the last kill, checked one by one against the cloud; restarts ${restarts.join(', ')} ms
  lost:        ${lost}   (target 0; missing ${cmp.lost}, mismatched ${cmp.mismatched}, gaps ${audit.missing}, not in cloud nor file ${missingAtEnd}, vanished across kills ${vanishedRows}; ledger entries ${ledger.n})
  duplicated:  ${duplicated}   (target 0; (point, at) twice ${audit.pointAtTwice}, seq twice ${audit.overlapping}) ${audit.pointAtExamples.length ? JSON.stringify(audit.pointAtExamples) : ''}
  drain:       ${drainSeconds ?? 'not within 300'} s to seq ${target}   (target ≤ 30 s)
  scan jitter during the drain: p50 ${percentile(deviations, 0.5)} ms, p99 ${p99} ms, max ${deviations[deviations.length - 1] ?? null} ms over ${deviations.length} cycles   (target p99 < 100 ms)
    from the requests' arrival at the devices (without their answer times): p50 ${percentile(requested, 0.5)} ms, p99 ${percentile(requested, 0.99)} ms, max ${requested[requested.length - 1] ?? null} ms over ${requested.length} cycles
    machine load average (1 min): ${loadAtReturn.toFixed(2)} when the cloud came back, ${loadAfterDrain.toFixed(2)} once drained
  cloud: ${audit.samples} samples, ${audit.events} events, hwm ${audit.hwm}; machine ${cpus().length} × ${cpus()[0]?.model ?? '?'}`);
    console.log(
      `RESULT ${JSON.stringify({
        minutes: MINUTES,
        pointsPerSecond: DEVICES * POINTS_PER_DEVICE,
        samples,
        samplesCheckedAgainstKillSnapshots: checked,
        lost,
        duplicated,
        kills: ctl.kills - 1,
        drainSeconds,
        scanJitterP99Ms: p99,
        scanJitterCycles: deviations.length,
        requestJitterP99Ms: percentile(requested, 0.99),
        loadAverage: { atReturn: loadAtReturn, afterDrain: loadAfterDrain },
        controllerScanJitter: own,
        cloudSamples: audit.samples,
        ledgerEntries: Number(ledger.n),
      })}`,
    );
    controller = undefined;
  } finally {
    await controller?.kill9().catch(() => undefined);
    if (cloud) await killCloud(cloud);
    for (const s of servers) await s.close().catch(() => undefined);
    await pool.end();
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(`bench:outage: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
