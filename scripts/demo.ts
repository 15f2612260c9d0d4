/**
 * `npm run demo`: a simulated building, its controller and the cloud on one
 * machine. Prepares the cloud's PostgreSQL database (`bulwark_demo`), makes
 * the controller's key pair and enrols it through the cloud's CLI, starts the
 * cloud, the simulator and the controller as child processes, waits until
 * every point is alive and samples have reached the cloud, prints the URLs,
 * and stops everything on Ctrl-C. `--manual-link` runs without a cloud, with
 * the controller's simulated link instead (README, Fallback when the cloud goes).
 *
 * A small control API (default 127.0.0.1:8091) stops and starts the cloud
 * process, so a person can take the cloud away for real and watch the
 * controller fall back. Ports and paths follow the apps' own variables
 * (BULWARK_PORT, BULWARK_CLOUD_PORT, BULWARK_CLOUD_DATABASE_URL, BULWARK_SITE)
 * plus BULWARK_DEMO_SIMULATOR_PORT, BULWARK_DEMO_PORT and BULWARK_DEMO_STATE.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, extname, relative, resolve } from 'node:path';
import { findRepoRoot } from '#libs/profiles';
import type { PointDto } from '#libs/contracts';
import {
  DEMO_DATABASE_URL,
  DemoSetupError,
  cloudReceived,
  ensureKey,
  prepareDatabase,
  removeSqlite,
} from './demo-cloud.js';
import type { CloudReceived } from './demo-cloud.js';

const root = findRepoRoot();
const env = process.env;
const manualLink = process.argv.includes('--manual-link');
const site = resolve(root, env.BULWARK_SITE ?? 'sites/demo-office.yaml');
const siteSlug = basename(site, extname(site));
const state = resolve(root, env.BULWARK_DEMO_STATE ?? 'var');
const sqlite = resolve(state, 'demo-controller.sqlite');
const keyDir = resolve(state, 'demo-keys');
const tokenFile = resolve(state, 'demo-cloud-admin-token');
const databaseUrl = env.BULWARK_CLOUD_DATABASE_URL ?? DEMO_DATABASE_URL;
const controllerUrl = `http://127.0.0.1:${env.BULWARK_PORT ?? '8080'}`;
const simulatorPort = env.BULWARK_DEMO_SIMULATOR_PORT ?? '8070';
const cloudUrl = `http://127.0.0.1:${env.BULWARK_CLOUD_PORT ?? '8090'}`;
const demoPort = Number(env.BULWARK_DEMO_PORT ?? '8091');
const CONTROLLER_NAME = 'demo-controller';
const children = new Set<ChildProcess>();
/** Children the demo stopped on purpose (the cloud, through the control API). */
const expectedExits = new Set<ChildProcess>();
const names = new Map<ChildProcess, string>();
let stopping = false;

function spawnNode(
  script: string,
  args: string[],
  extra: Record<string, string>,
  pipe: boolean,
): ChildProcess {
  const child = spawn(process.execPath, [resolve(root, script), ...args], {
    cwd: root,
    env: { ...env, ...extra },
    stdio: ['ignore', pipe ? 'pipe' : 'inherit', 'inherit'],
  });
  children.add(child);
  names.set(child, basename(resolve(script, '../..')));
  child.once('exit', () => children.delete(child));
  return child;
}

/** A child whose exit stops the demo, unless the demo itself stopped it. */
function start(name: string, script: string, args: string[], extra: Record<string, string>): ChildProcess {
  const child = spawnNode(script, args, extra, false);
  child.once('exit', (code, signal) => {
    if (stopping || expectedExits.has(child)) return;
    console.error(`demo: ${name} exited (${signal ?? code}); stopping`);
    void stop(1);
  });
  return child;
}
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // The cloud last: its graceful close waits for the connections the controller holds open.
  const others = [...children].filter((c) => c !== cloud);
  await terminate(others);
  await terminate(cloud ? [cloud] : []);
  process.exit(code);
}

/** SIGTERM, and SIGKILL for whatever has not exited 5 s later. */
async function terminate(list: ChildProcess[]): Promise<void> {
  const running = list.filter((c) => c.exitCode === null && c.signalCode === null);
  for (const c of running) c.kill('SIGTERM');
  const late = setTimeout(() => {
    for (const c of running.filter((r) => r.exitCode === null && r.signalCode === null)) {
      console.error(`demo: ${names.get(c) ?? 'a child'} did not stop within 5 s of SIGTERM; killing it`);
      c.kill('SIGKILL');
    }
  }, 5000);
  await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
  clearTimeout(late);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs the cloud's CLI to completion and answers its output; a failure is named. */
async function cloudCli(args: string[]): Promise<string> {
  const child = spawnNode(
    'dist/apps/cloud/src/cli.js',
    args,
    { BULWARK_CLOUD_DATABASE_URL: databaseUrl },
    true,
  );
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new DemoSetupError(`cloud cli ${args[0]} failed (exit ${code}):\n${out}`);
  return out;
}

// ── the cloud process, which the control API may stop and start ─────────────
let cloud: ChildProcess | undefined;
let adminToken = '';

async function startCloud(): Promise<void> {
  const child = spawnNode(
    'dist/apps/cloud/src/main.js',
    [],
    {
      BULWARK_CLOUD_DATABASE_URL: databaseUrl,
      BULWARK_CLOUD_ADMIN_TOKEN: adminToken,
      BULWARK_CLOUD_LOG_LEVEL: 'warn',
    },
    true,
  );
  cloud = child;
  await new Promise<void>((ready, fail) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      seen += chunk.toString('utf8');
      if (seen.includes('cloud: listening on')) ready();
    });
    child.once('exit', (code, signal) => {
      if (cloud === child) cloud = undefined;
      fail(new DemoSetupError(`the cloud exited (${signal ?? code}) before it listened`));
      if (stopping || expectedExits.has(child)) return;
      console.error(`demo: cloud exited (${signal ?? code}); stopping`);
      void stop(1);
    });
  });
}

async function stopCloud(): Promise<void> {
  const child = cloud;
  if (!child) return;
  expectedExits.add(child);
  const exited = new Promise((r) => child.once('exit', r));
  // SIGKILL, as a crash or a cut line would: the demo shows an outage, not an orderly shutdown
  // (a SIGTERM'd cloud now goes too, common/graceful-shutdown.ts, but answers work under way first).
  child.kill('SIGKILL');
  await exited;
}

/** GET /cloud, POST /cloud/stop, POST /cloud/start: the demo's own control of the cloud process. */
function controlApi(): Promise<void> {
  const server = createServer((req, res) => {
    const answer = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    };
    const now = () => ({ running: cloud !== undefined, pid: cloud?.pid ?? null, url: cloudUrl });
    const route = `${req.method} ${req.url}`;
    if (manualLink) return answer(404, { detail: 'the demo runs without a cloud (--manual-link)' });
    if (route === 'GET /cloud') return answer(200, now());
    if (route === 'POST /cloud/stop') {
      void stopCloud().then(() => answer(200, now()));
      return;
    }
    if (route === 'POST /cloud/start') {
      if (cloud) return answer(200, now());
      startCloud().then(
        () => answer(200, now()),
        (err: unknown) => answer(500, { detail: (err as Error).message }),
      );
      return;
    }
    answer(404, { detail: `no route ${route}: GET /cloud, POST /cloud/stop, POST /cloud/start` });
  });
  server.unref();
  return new Promise((ready, fail) => {
    server.once('error', fail);
    server.listen(demoPort, '127.0.0.1', () => ready());
  });
}

// ── waiting for the building and the cloud ──────────────────────────────────
async function getJson<T>(url: string): Promise<T | undefined> {
  try {
    const res = await fetch(url);
    return res.ok ? ((await res.json()) as T) : undefined;
  } catch {
    return undefined; // not listening yet
  }
}

async function waitForPoints(deadlineMs: number): Promise<PointDto[] | undefined> {
  const until = Date.now() + deadlineMs;
  let last: PointDto[] | undefined;
  while (Date.now() < until && !stopping) {
    last = (await getJson<PointDto[]>(`${controllerUrl}/api/v1/points`)) ?? last;
    if (last && last.length > 0 && last.every((p) => p.quality === 'good')) return last;
    await sleep(250);
  }
  return last;
}

/** Until the cloud holds samples of every point (or the deadline), and the link's state then. */
async function waitForCloud(
  controllerId: number,
  points: number,
  deadlineMs: number,
): Promise<{ received: CloudReceived; link: string }> {
  const until = Date.now() + deadlineMs;
  let received: CloudReceived = { samples: 0, points: 0, highWaterMark: 0 };
  let link = 'unknown';
  while (Date.now() < until && !stopping) {
    received = await cloudReceived(databaseUrl, controllerId);
    link = (await getJson<{ state: string }>(`${controllerUrl}/api/v1/mode`))?.state ?? link;
    if (received.points >= points && link === 'CONNECTED') break;
    await sleep(250);
  }
  return { received, link };
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  const t0 = Date.now();
  mkdirSync(state, { recursive: true });
  await controlApi();

  let controllerId = 0;
  const linkEnv: Record<string, string> = {};
  if (manualLink) {
    // The simulated link a person can pull: PUT /api/v1/mode/simulated-link (README, Fallback when the cloud goes).
    linkEnv.BULWARK_LINK_DRIVER = 'manual';
  } else {
    // The controller's outbox and the cloud's high-water mark describe one history: both fresh, or both kept.
    const key = ensureKey(keyDir, `bulwark-controller@${siteSlug}`);
    const fresh = key.created || !existsSync(sqlite);
    const existed = await prepareDatabase(databaseUrl, fresh);
    if (!existed && !fresh) removeSqlite(sqlite);
    console.log(
      fresh || !existed
        ? `demo: fresh cloud database ${new URL(databaseUrl).pathname.slice(1)} and controller state`
        : `demo: keeping the cloud database and ${relative(root, sqlite)} from the last run`,
    );
    const enrolled = await cloudCli([
      'enrol',
      '--site',
      siteSlug,
      '--name',
      CONTROLLER_NAME,
      '--key',
      key.publicPath,
    ]);
    controllerId = Number(/controller (\d+) "/.exec(enrolled)?.[1] ?? NaN);
    if (!Number.isInteger(controllerId))
      throw new DemoSetupError(`cannot read the controller id from:\n${enrolled}`);
    console.log(
      `demo: enrolled ${key.fingerprint} as controller ${controllerId} "${CONTROLLER_NAME}" at site "${siteSlug}"`,
    );
    adminToken = randomBytes(24).toString('base64url');
    writeFileSync(tokenFile, `${adminToken}\n`, { mode: 0o600 });
    await startCloud();
    Object.assign(linkEnv, {
      BULWARK_CLOUD_URL: cloudUrl,
      BULWARK_CLOUD_SITE: siteSlug,
      BULWARK_CLOUD_KEY_DIR: keyDir,
    });
  }

  // The air handler hosts Schedule and Calendar objects 1-2 for schedule import/export (README, Schedules).
  const simArgs = [
    '--site',
    site,
    '--control',
    `127.0.0.1:${simulatorPort}`,
    '--schedule-objects',
    'ahu-1:2',
  ];
  start('simulator', 'dist/apps/simulator/src/main.js', simArgs, {});
  await sleep(500);
  start('controller', 'dist/apps/controller/src/main.js', [], {
    BULWARK_SITE: site,
    BULWARK_DB: sqlite,
    BULWARK_LOG_LEVEL: 'warn',
    ...linkEnv,
  });
  const points = await waitForPoints(20000);
  if (stopping) return;
  const good = points?.filter((p) => p.quality === 'good').length ?? 0;
  const pointsLine = `${good}/${points?.length ?? 0} points good after ${((Date.now() - t0) / 1000).toFixed(1)} s`;
  let cloudLines = `  Cloud link (fake):  ${controllerUrl}/api/v1/mode   (pull it: PUT /api/v1/mode/simulated-link {"reachable":false})`;
  let summary = pointsLine;
  if (!manualLink) {
    const { received, link } = await waitForCloud(controllerId, points?.length ?? 1, 30000);
    if (stopping) return;
    summary += `; cloud: ${received.samples} samples from ${received.points} points received after ${((Date.now() - t0) / 1000).toFixed(1)} s, link ${link}`;
    cloudLines = `  Cloud link:         ${controllerUrl}/api/v1/mode   (outbox: ${controllerUrl}/api/v1/health, ${controllerUrl}/api/v1/outbox/ledger)
  Cloud (admin):      ${cloudUrl}/api/v1/controllers/${controllerId}/state   (Authorization: Bearer $(cat ${relative(root, tokenFile)}))
  Take the cloud away: curl -X POST http://127.0.0.1:${demoPort}/cloud/stop   (and /cloud/start to bring it back)`;
  }
  console.log(`
Bulwark demo is running (${summary}).

  Live points:        ${controllerUrl}/api/v1/points
  Controller health:  ${controllerUrl}/api/v1/health
  Simulated hardware: http://127.0.0.1:${simulatorPort}/devices   (fault injection: PUT /devices/{id}/faults)

  Try:  curl -X PUT -H 'content-type: application/json' -d '{"offline":true}' http://127.0.0.1:${simulatorPort}/devices/vav-1-01/faults
        then watch that VAV's points turn comm-fail in ${controllerUrl}/api/v1/points?deviceId=vav-1-01

${cloudLines}

Press Ctrl-C to stop.`);
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
