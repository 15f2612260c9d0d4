/**
 * Kill the controller mid-command and show the outputs re-asserted (issue 4,
 * Tests). The simulator and the BUILT controller (`npm test` builds first) run
 * as child processes on one SQLite file, as in production:
 *
 * 1. Commands at several slots: the operator's slot 8 over HTTP; the local
 *    schedule at 16 from two schedules of the site file (the controller's
 *    schedule runner); a cloud lease at 10, given through the controller's own
 *    CommandService by an in-process controller on the same file before the
 *    first child starts (there is no cloud yet, and the HTTP API commands as
 *    the operator only). Modbus points (the controller arbitrates and writes
 *    the winner) and BACnet commandable objects (the device arbitrates; the
 *    controller owns slots in the device's own priority array).
 * 2. SIGKILL right after two overrides with a short expiresAt; while the
 *    controller is down they end, and the outputs are changed behind its back
 *    (a raw Modbus write, a BACnet write and relinquish straight to the
 *    simulated devices).
 * 3. Restart on the same file: every commanded output is back within one poll
 *    interval of the controller serving, and each ended override expired
 *    exactly once (the event log).
 * 4. SIGKILL while a command request is in flight (the device slowed down so
 *    the write is still on the wire): after the restart the last committed
 *    command is re-asserted, the half-done one is not applied, and no expiry
 *    is reported a second time.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { pino } from 'pino';
import { BacnetClient } from '#libs/bacnet';
import type { EventDto, PriorityArrayDto, SimDeviceState } from '#libs/contracts';
import { loadSite } from '#libs/profiles';
import { startController } from '../apps/controller/src/bootstrap.js';
import { CommandService } from '../apps/controller/src/commands/command.service.js';
import { controllerEnv, freePort } from '../bench/outage-rig.js';
import { controllerConfig, eventually, getJson, root, sendJson } from './support/building.js';
import { writeRegister } from './support/modbus-raw.js';

jest.setTimeout(120000);

const CONTROLLER = resolve(root, 'dist/apps/controller/src/main.js');
const SIMULATOR = resolve(root, 'dist/apps/simulator/src/main.js');
const POLL_MS = 1000; // the demo's interval
const FAN = 'fcu-l0-reception.fan-speed-cmd'; // Modbus, holding register 3 (PDU address 2), failSafe 4
const FAN_2 = 'fcu-2.fan-speed-cmd'; // a second fan coil
const DAMPER_1 = 'vav-1-01.damper-cmd'; // BACnet analog-output 2131, commandable
const DAMPER_2 = 'vav-1-02.damper-cmd';

interface Ports {
  fcu: number;
  fcu2: number;
  vav1: number;
  vav2: number;
  control: number;
  http: number;
  bacnet: number;
}

function siteYaml(p: Ports): string {
  return `schemaVersion: 1
name: Restart test
timeZone: Europe/Berlin
devices:
  - id: fcu-l0-reception
    name: Reception fan coil
    profile: modbus/produal/hls34.yaml
    pollIntervalMs: ${POLL_MS}
    modbus: { transport: tcp, host: 127.0.0.1, port: ${p.fcu}, unitId: 1 }
  - id: fcu-2
    name: Second fan coil
    profile: modbus/produal/hls34.yaml
    pollIntervalMs: ${POLL_MS}
    modbus: { transport: tcp, host: 127.0.0.1, port: ${p.fcu2}, unitId: 1 }
  - id: vav-1-01
    name: VAV 1-01
    profile: bacnet/johnson-controls/cvm-vav.yaml
    pollIntervalMs: ${POLL_MS}
    bacnet: { address: '127.0.0.1:${p.vav1}', deviceInstance: 1001 }
  - id: vav-1-02
    name: VAV 1-02
    profile: bacnet/johnson-controls/cvm-vav.yaml
    pollIntervalMs: ${POLL_MS}
    bacnet: { address: '127.0.0.1:${p.vav2}', deviceInstance: 1002 }
schedules:
  - id: fans
    name: Fan coils at speed 1
    kind: local
    targets: [fcu-l0-reception.fan-speed-cmd, fcu-2.fan-speed-cmd]
    weekly: { monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [] }
    exceptions: []
    effectivePeriod: { from: any, to: any }
    scheduleDefault: 1
  - id: dampers
    name: Dampers at 35 %
    kind: local
    targets: [vav-1-01.damper-cmd, vav-1-02.damper-cmd]
    weekly: { monday: [], tuesday: [], wednesday: [], thursday: [], friday: [], saturday: [], sunday: [] }
    exceptions: []
    effectivePeriod: { from: any, to: any }
    scheduleDefault: 35
`;
}

describe('restart: kill -9 of the controller, outputs re-asserted', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-restart-'));
  const siteFile = join(dir, 'site.yaml');
  const db = join(dir, 'controller.sqlite');
  const children: ChildProcess[] = [];
  let ports: Ports;
  let controllerUrl: string;
  let simUrl: string;
  let bacnet: BacnetClient;
  let logs = '';

  const spawnChild = (script: string, args: string[], env: Record<string, string>): ChildProcess => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (logs += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (logs += d.toString()));
    children.push(child);
    return child;
  };
  const exited = (c: ChildProcess): Promise<void> =>
    c.exitCode !== null || c.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => c.once('exit', () => r()));

  /** Starts the built controller and resolves once its API answers. */
  const startChild = async (): Promise<ChildProcess> => {
    const child = spawnChild(
      CONTROLLER,
      [],
      controllerEnv({
        httpPort: ports.http,
        bacnetPort: ports.bacnet,
        siteFile,
        profilesDir: resolve(root, 'hardware-profiles'),
        dbFile: db,
        logLevel: 'info',
      }),
    );
    await eventually(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`controller exited ${child.exitCode}:\n${logs.slice(-3000)}`);
        try {
          return (await fetch(`${controllerUrl}/api/v1/health`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      30000,
      'the controller to serve',
    ).catch((err: Error) => {
      throw new Error(`${err.message}; its last output:\n${logs.slice(-4000)}`);
    });
    return child;
  };
  const kill9 = async (child: ChildProcess): Promise<void> => {
    child.kill('SIGKILL');
    await exited(child);
    expect(child.signalCode).toBe('SIGKILL');
  };

  const simDevice = (id: string): Promise<SimDeviceState> =>
    getJson<SimDeviceState>(`${simUrl}/devices/${id}`);
  const simPoint = async (key: string) => {
    const [deviceId, pointId] = key.split('.');
    return (await simDevice(deviceId)).points.find((p) => p.id === pointId)!;
  };
  const command = (key: string, body: unknown): Promise<Response> =>
    sendJson('POST', `${controllerUrl}/api/v1/points/${key}/commands`, body);
  const expiries = (key: string): Promise<EventDto[]> =>
    getJson<EventDto[]>(`${controllerUrl}/api/v1/events?type=expiry&subject=${key}`);

  /** What the outputs must be after every restart: the slots held, and the values they make. */
  const expected = async (): Promise<string[]> => {
    const fan = await simPoint(FAN);
    const fan2 = await simPoint(FAN_2);
    const d1 = await simPoint(DAMPER_1);
    const d2 = await simPoint(DAMPER_2);
    const wrong: string[] = [];
    if (fan.value !== 2) wrong.push(`${FAN} = ${fan.value}, want 2 (slot 8)`);
    if (fan2.value !== 1) wrong.push(`${FAN_2} = ${fan2.value}, want 1 (slot 16)`);
    const a1 = JSON.stringify(d1.priorityArray);
    const want1 = JSON.stringify([
      { priority: 8, value: 60 },
      { priority: 10, value: 45 },
      { priority: 16, value: 35 },
    ]);
    if (a1 !== want1) wrong.push(`${DAMPER_1} array ${a1}, want ${want1}`);
    const a2 = JSON.stringify(d2.priorityArray);
    if (a2 !== JSON.stringify([{ priority: 16, value: 35 }]))
      wrong.push(`${DAMPER_2} array ${a2}, want slot 16 = 35`);
    return wrong;
  };
  /** Resolves with the ms from `t0` until every output is as expected. */
  const reasserted = async (t0: number): Promise<number> => {
    let last: string[] = [];
    await eventually(
      async () => {
        last = await expected();
        return last.length === 0 ? true : undefined;
      },
      5000,
      'outputs re-asserted',
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${last.join('; ')}`);
    });
    return Date.now() - t0;
  };

  beforeAll(async () => {
    ports = {
      fcu: await freePort('tcp'),
      fcu2: await freePort('tcp'),
      vav1: await freePort('udp'),
      vav2: await freePort('udp'),
      control: await freePort('tcp'),
      http: await freePort('tcp'),
      bacnet: await freePort('udp'),
    };
    writeFileSync(siteFile, siteYaml(ports));
    controllerUrl = `http://127.0.0.1:${ports.http}`;
    simUrl = `http://127.0.0.1:${ports.control}`;
    spawnChild(SIMULATOR, ['--site', siteFile, '--control', `127.0.0.1:${ports.control}`], {});
    await eventually(
      async () => {
        try {
          return (await fetch(`${simUrl}/devices`)).ok ? true : undefined;
        } catch {
          return undefined;
        }
      },
      10000,
      'the simulator',
    );
    bacnet = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: 1000 });
    await bacnet.start();
  });
  afterAll(async () => {
    await bacnet?.close();
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await Promise.all(children.map(exited));
    rmSync(dir, { recursive: true, force: true });
  });

  it('re-asserts every commanded output after kill -9, ends overrides that expired while down exactly once, and drops a command killed in flight', async () => {
    // 1. A cloud lease at slot 10 through the controller's own command path, on the same file.
    const site = loadSite(siteFile, resolve(root, 'hardware-profiles'));
    const seeded = await startController(controllerConfig(site, dir, { logLevel: 'warn' }), site, {
      logger: pino({ level: 'silent' }),
    });
    const commands = seeded.app.get(CommandService);
    await commands.command(DAMPER_1, { value: 45, priority: 10, source: 'cloud', leaseMs: 10 * 60_000 });
    await seeded.close();

    // 2. The built controller: the operator's slot 8 over HTTP, two of them ending soon; then kill -9.
    let controller = await startChild();
    expect((await command(FAN, { value: 2 })).status).toBe(201);
    expect((await command(DAMPER_1, { value: 60 })).status).toBe(201);
    const endsAt = new Date(Date.now() + 1500).toISOString();
    expect((await command(DAMPER_2, { value: 70, expiresAt: endsAt })).status).toBe(201);
    expect((await command(FAN_2, { value: 3, expiresAt: endsAt })).status).toBe(201);
    expect((await simPoint(DAMPER_2)).priorityArray).toEqual([
      { priority: 8, value: 70 },
      { priority: 16, value: 35 },
    ]);
    expect((await simPoint(FAN_2)).value).toBe(3);
    await kill9(controller);
    expect(Date.now()).toBeLessThan(Date.parse(endsAt)); // killed before the overrides ended

    // Behind the controller's back: a raw Modbus write, a BACnet write and relinquish straight to the devices.
    await writeRegister(ports.fcu, 2, 1);
    const vav1 = `127.0.0.1:${ports.vav1}`;
    const ao = { type: 'analog-output' as const, instance: 2131 };
    await bacnet.writeProperty(vav1, ao, 'present-value', 20, { priority: 8 });
    await bacnet.relinquish(vav1, ao, 10);
    expect((await simPoint(FAN)).value).toBe(1);
    expect((await simPoint(DAMPER_1)).priorityArray).toEqual([
      { priority: 8, value: 20 },
      { priority: 16, value: 35 },
    ]);
    while (Date.now() <= Date.parse(endsAt) + 100) await new Promise((r) => setTimeout(r, 50));

    // 3. Restart on the same file.
    controller = await startChild();
    const took = await reasserted(Date.now());
    expect(took).toBeLessThanOrEqual(POLL_MS);
    for (const key of [DAMPER_2, FAN_2]) {
      // The expiry's event commits with the array, after the device is set (a crash between repeats both).
      const ended = await eventually(
        async () => ((await expiries(key)).length > 0 ? expiries(key) : undefined),
        2000,
        `the expiry of ${key}`,
      );
      expect(ended.map((e) => [e.data?.priority, e.source])).toEqual([[8, 'operator']]);
    }
    const pa = await getJson<PriorityArrayDto>(`${controllerUrl}/api/v1/points/${DAMPER_1}/priority-array`);
    expect(pa.slots.map((s) => [s.priority, s.value, s.source])).toEqual([
      [8, 60, 'operator'],
      [10, 45, 'cloud'],
      [16, 35, 'schedule'],
    ]);

    // 4. Kill -9 while a command is in flight: the device answers slowly, so the write is still on the wire.
    const DELAY_MS = 1500;
    await putFaults('fcu-l0-reception', { delayMs: DELAY_MS });
    const sentAt = Date.now();
    const inFlight = command(FAN, { value: 1 }).then(
      (r) => r.status,
      () => 'no answer',
    );
    await new Promise((r) => setTimeout(r, 400));
    await kill9(controller);
    expect(await inFlight).toBe('no answer');
    // The simulated device answers its requests in turn: let the slowed one finish, so the restarted
    // controller is not measured waiting behind an answer meant for a dead process.
    while (Date.now() < sentAt + DELAY_MS + 200) await new Promise((r) => setTimeout(r, 50));
    await putFaults('fcu-l0-reception', null);
    await writeRegister(ports.fcu, 2, 1); // whatever the interrupted write left, the device now holds 1

    controller = await startChild();
    expect(await reasserted(Date.now())).toBeLessThanOrEqual(POLL_MS);
    const fan = await getJson<PriorityArrayDto>(`${controllerUrl}/api/v1/points/${FAN}/priority-array`);
    expect(fan.slots.map((s) => [s.priority, s.value, s.source])).toEqual([
      [8, 2, 'operator'],
      [16, 1, 'schedule'],
    ]);
    const fanCommands = await getJson<EventDto[]>(
      `${controllerUrl}/api/v1/events?type=command&source=operator&subject=${FAN}`,
    );
    expect(fanCommands.map((e) => e.data?.value)).toEqual([2]); // the command killed in flight was not applied
    for (const key of [DAMPER_2, FAN_2]) expect(await expiries(key)).toHaveLength(1);
    await kill9(controller);
  });

  async function putFaults(deviceId: string, body: unknown): Promise<void> {
    const res = await fetch(`${simUrl}/devices/${deviceId}/faults`, {
      method: body === null ? 'DELETE' : 'PUT',
      headers: { 'content-type': 'application/json' },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status).toBeLessThan(300);
  }
});
