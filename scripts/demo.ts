/**
 * `npm run demo`: a simulated building and its controller on one machine,
 * nothing to set up beyond `npm ci`. Starts the simulator and the controller
 * as child processes, waits until every point is alive, prints the URLs, and
 * stops both cleanly on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import { findRepoRoot } from '#libs/profiles';
import type { PointDto } from '#libs/contracts';

const root = findRepoRoot();
const site = resolve(root, process.env.BULWARK_SITE ?? 'sites/demo-office.yaml');
const controllerUrl = 'http://127.0.0.1:8080';
const children: ChildProcess[] = [];

function start(name: string, script: string, args: string[], env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, [resolve(root, script), ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`demo: ${name} exited (${signal ?? code}); stopping`);
      void stop(1);
    }
  });
  children.push(child);
  return child;
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of children) c.kill('SIGTERM');
  const running = children.filter((c) => c.exitCode === null && c.signalCode === null);
  await Promise.all(running.map((c) => new Promise((r) => c.once('exit', r))));
  process.exit(code);
}

async function waitForPoints(deadlineMs: number): Promise<PointDto[] | undefined> {
  const until = Date.now() + deadlineMs;
  let last: PointDto[] | undefined;
  while (Date.now() < until && !stopping) {
    try {
      const res = await fetch(`${controllerUrl}/api/v1/points`);
      if (res.ok) {
        last = (await res.json()) as PointDto[];
        if (last.length > 0 && last.every((p) => p.quality === 'good')) return last;
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return last;
}

async function main(): Promise<void> {
  process.once('SIGINT', () => void stop(0));
  process.once('SIGTERM', () => void stop(0));
  const t0 = Date.now();
  // The air handler hosts Schedule and Calendar objects 1-2 for schedule import/export (README, Schedules).
  const simArgs = ['--site', site, '--control', '127.0.0.1:8070', '--schedule-objects', 'ahu-1:2'];
  start('simulator', 'dist/apps/simulator/src/main.js', simArgs, {});
  await new Promise((r) => setTimeout(r, 500));
  start('controller', 'dist/apps/controller/src/main.js', [], {
    BULWARK_SITE: site,
    BULWARK_DB: resolve(root, 'var/demo-controller.sqlite'),
    BULWARK_LOG_LEVEL: 'warn',
    // A fake cloud link a person can pull: PUT /api/v1/mode/simulated-link (README, Fallback when the cloud goes).
    BULWARK_LINK_DRIVER: 'manual',
  });
  const points = await waitForPoints(20000);
  if (stopping) return;
  const good = points?.filter((p) => p.quality === 'good').length ?? 0;
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`
Bulwark demo is running (${good}/${points?.length ?? 0} points good after ${secs} s).

  Live points:        ${controllerUrl}/api/v1/points
  Controller health:  ${controllerUrl}/api/v1/health
  Simulated hardware: http://127.0.0.1:8070/devices   (fault injection: PUT /devices/{id}/faults)

  Try:  curl -X PUT -H 'content-type: application/json' -d '{"offline":true}' http://127.0.0.1:8070/devices/vav-1-01/faults
        then watch that VAV's points turn comm-fail in ${controllerUrl}/api/v1/points?deviceId=vav-1-01

  Cloud link (fake):  ${controllerUrl}/api/v1/mode   (pull it: PUT /api/v1/mode/simulated-link {"reachable":false})

Press Ctrl-C to stop.`);
}

main().catch((err: unknown) => {
  console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
  void stop(1);
});
