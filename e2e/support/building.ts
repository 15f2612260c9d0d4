/**
 * Boots the simulated demo building and a controller in-process, on free
 * ports, for end-to-end specs that talk to both through their public APIs
 * (the controller's REST API, the simulator's control API).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import type { Logger } from 'pino';
import type { SimDeviceState, SimPointState } from '#libs/contracts';
import { findRepoRoot, loadSite } from '#libs/profiles';
import type { LoadedSite } from '#libs/profiles';
import { startController } from '../../apps/controller/src/bootstrap.js';
import type { RunningController } from '../../apps/controller/src/bootstrap.js';
import type { ControllerConfig } from '../../apps/controller/src/config/controller-config.js';
import { Simulator } from '../../apps/simulator/src/simulator.js';

export interface Building {
  sim: Simulator;
  controller: RunningController;
  site: LoadedSite;
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

export const root = findRepoRoot();

/** The demo site with every address on a free port and the given poll interval. */
export function demoSiteOnFreePorts(pollIntervalMs: number): LoadedSite {
  const site = loadSite(resolve(root, 'sites/demo-office.yaml'), resolve(root, 'hardware-profiles'));
  return {
    ...site,
    devices: site.devices.map((d) => ({
      ...d,
      pollIntervalMs,
      ...(d.modbus?.transport === 'tcp' ? { modbus: { ...d.modbus, port: 0 } } : {}),
      ...(d.bacnet ? { bacnet: { ...d.bacnet, address: '127.0.0.1:0' } } : {}),
    })),
  };
}

/** The simulated demo building alone, every device on a free port. */
export function startDemoSimulator(pollIntervalMs: number): Promise<Simulator> {
  return Simulator.start({
    site: demoSiteOnFreePorts(pollIntervalMs),
    control: { host: '127.0.0.1', port: 0 },
    tickMs: 200,
  });
}

/** An in-process controller's configuration on loopback, its database in `dir`; `extra` adds to or overrides it. */
export function controllerConfig(
  site: LoadedSite,
  dir: string,
  extra: Partial<ControllerConfig> = {},
): ControllerConfig {
  return {
    host: '127.0.0.1',
    port: 0,
    site: site.file,
    profiles: resolve(root, 'hardware-profiles'),
    database: join(dir, 'controller.sqlite'),
    bacnet: { interface: '127.0.0.1', port: 0, broadcastAddress: '127.255.255.255:47808' },
    logLevel: 'info',
    ...extra,
  };
}

/** A logger that keeps every line, parsed, in `lines`, for specs that assert on what was logged. */
export function capturingLogger(lines: Array<Record<string, unknown>>): Logger {
  return pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
}

/** A point (`deviceId.pointId`) as the simulated hardware has it: its value and, for BACnet, the device's own priority array. */
export async function simPointOf(sim: Simulator, key: string): Promise<SimPointState> {
  const [deviceId, pointId] = key.split('.');
  const device = await getJson<SimDeviceState>(`${sim.controlUrl}/devices/${deviceId}`);
  return device.points.find((p) => p.id === pointId)!;
}

export async function startBuilding(site: LoadedSite): Promise<Building> {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-e2e-'));
  const sim = await Simulator.start({ site, control: { host: '127.0.0.1', port: 0 }, tickMs: 200 });
  const logLines: Array<Record<string, unknown>> = [];
  const logger = capturingLogger(logLines);
  const config = controllerConfig(site, dir);
  let controller: RunningController;
  try {
    controller = await startController(config, sim.resolvedSite(), { logger });
  } catch (err) {
    await sim.close();
    throw err;
  }
  return {
    sim,
    controller,
    site: sim.resolvedSite(),
    logLines,
    close: async () => {
      await controller.close();
      await sim.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A request with a JSON body (none when `body` is undefined); `headers` add to the content type. */
export function sendJson(
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function getJson<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs` with the last reason. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
