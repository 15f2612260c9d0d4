/**
 * `npm run demo` end to end: the built demo script (dist/scripts/demo.js, so
 * `npm run build` first) on free ports with its own state directory and
 * database, as a person runs it: it must enrol the controller, see samples
 * of every point in PostgreSQL with the link CONNECTED, take the cloud away
 * and bring it back through its control API, and stop everything on SIGINT.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { eventually, getJson, root } from './support/building.js';

const DEMO = resolve(root, 'dist/scripts/demo.js');
const DATABASE = 'bulwark_demo_e2e';

function freeTcpPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function freeUdpPort(): Promise<number> {
  return new Promise((done, fail) => {
    const socket = createSocket('udp4');
    socket.once('error', fail);
    socket.bind(0, '127.0.0.1', () => {
      const port = socket.address().port;
      socket.close(() => done(port));
    });
  });
}

/** The demo site with every device on a free port, written where the demo can read it. */
async function siteOnFreePorts(dir: string): Promise<string> {
  let text = readFileSync(resolve(root, 'sites/demo-office.yaml'), 'utf8');
  for (const old of text.match(/port: 150\d\d/g) ?? [])
    text = text.replace(old, `port: ${await freeTcpPort()}`);
  for (const old of text.match(/127\.0\.0\.1:478\d\d/g) ?? [])
    text = text.replace(old, `127.0.0.1:${await freeUdpPort()}`);
  const file = join(dir, 'demo-office.yaml');
  writeFileSync(file, text);
  return file;
}

describe('npm run demo', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-demo-e2e-'));
  let demo: ChildProcess | undefined;

  afterAll(async () => {
    if (demo && demo.exitCode === null) demo.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await client.connect();
    await client.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await client.end();
  });

  it('enrols the controller, shows samples of every point in the cloud, and survives the cloud going', async () => {
    expect(existsSync(DEMO)).toBe(true); // run `npm run build` first
    const [controllerPort, cloudPort, simulatorPort, demoPort, bacnetPort] = [
      await freeTcpPort(),
      await freeTcpPort(),
      await freeTcpPort(),
      await freeTcpPort(),
      await freeUdpPort(),
    ];
    const controller = `http://127.0.0.1:${controllerPort}/api/v1`;
    const control = `http://127.0.0.1:${demoPort}/cloud`;
    const child = spawn(process.execPath, [DEMO], {
      cwd: root,
      env: {
        ...process.env,
        BULWARK_SITE: await siteOnFreePorts(dir),
        BULWARK_PORT: String(controllerPort),
        BULWARK_CLOUD_PORT: String(cloudPort),
        BULWARK_DEMO_SIMULATOR_PORT: String(simulatorPort),
        BULWARK_DEMO_PORT: String(demoPort),
        BULWARK_BACNET_PORT: String(bacnetPort),
        BULWARK_BACNET_BROADCAST: `127.255.255.255:${bacnetPort}`,
        BULWARK_DEMO_STATE: join(dir, 'var'),
        BULWARK_CLOUD_DATABASE_URL: `postgres://postgres@127.0.0.1:5432/${DATABASE}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo = child;
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

    const pattern =
      /running \((\d+)\/(\d+) points good .*cloud: (\d+) samples from (\d+) points .* link (\w+)\)/;
    const ready = await eventually(
      () => Promise.resolve(pattern.exec(output) ?? undefined),
      60_000,
      `the demo's readiness line (output so far:\n${output.slice(-2000)})`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${output.slice(-3000)}`);
    });
    const [good, total, samples, points] = ready.slice(1, 5).map(Number);
    const link = ready[5];
    expect(total).toBe(196);
    expect(good).toBe(total);
    expect(points).toBe(total);
    expect(samples).toBeGreaterThanOrEqual(total);
    expect(link).toBe('CONNECTED');
    expect(output).toContain('demo: enrolled SHA256:');
    expect(existsSync(join(dir, 'var/demo-keys/id_ed25519'))).toBe(true);

    const mode = (want: string) => async () =>
      (await getJson<{ state: string }>(`${controller}/mode`)).state === want ? true : undefined;
    await fetch(`${control}/stop`, { method: 'POST' });
    await eventually(mode('AUTONOMOUS'), 6_000, 'AUTONOMOUS after the cloud was stopped');
    const restarted = (await (await fetch(`${control}/start`, { method: 'POST' })).json()) as {
      running: boolean;
    };
    expect(restarted.running).toBe(true);
    await eventually(mode('CONNECTED'), 15_000, 'CONNECTED after the cloud was started again');

    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(0);
    // Every child is gone: nothing answers on the controller's or the cloud's port.
    await expect(fetch(`${controller}/mode`)).rejects.toThrow();
    await expect(fetch(`http://127.0.0.1:${cloudPort}/api/v1/sites`)).rejects.toThrow();
  }, 120_000);
});
