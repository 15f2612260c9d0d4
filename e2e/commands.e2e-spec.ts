/**
 * Priority arbitration end to end against the simulated building: commands
 * land on the simulated hardware at the right priority (checked through the
 * simulator's control API, the hardware's true state), relinquish leaves the
 * device at the next slot or its default, bad input is refused with problem
 * details and touches nothing, an override expires once, and after a restart
 * the controller re-asserts its outputs from its SQLite file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PriorityArrayDto, ProblemDetails, SimPointState } from '#libs/contracts';
import type { LoadedSite } from '#libs/profiles';
import { startController } from '../apps/controller/src/bootstrap.js';
import type { RunningController } from '../apps/controller/src/bootstrap.js';
import { CommandService } from '../apps/controller/src/commands/command.service.js';
import type { Simulator } from '../apps/simulator/src/simulator.js';
import {
  capturingLogger,
  controllerConfig,
  eventually,
  getJson,
  simPointOf,
  startDemoSimulator,
} from './support/building.js';
import { writeRegister } from './support/modbus-raw.js';

const POLL_MS = 500;
const DAMPER = 'vav-1-01.damper-cmd';
const FAN = 'fcu-l0-reception.fan-speed-cmd';

describe('commands against the simulated building', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-commands-'));
  const logLines: Array<Record<string, unknown>> = [];
  let sim: Simulator;
  let site: LoadedSite;
  let controller: RunningController;

  const start = (): Promise<RunningController> =>
    startController(controllerConfig(site, dir), site, { logger: capturingLogger(logLines) });

  beforeAll(async () => {
    sim = await startDemoSimulator(POLL_MS);
    site = sim.resolvedSite();
    controller = await start();
  });
  afterAll(async () => {
    await controller?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const simPoint = (key: string): Promise<SimPointState> => simPointOf(sim, key);
  const post = (key: string, body: unknown): Promise<Response> =>
    fetch(`${controller.url}/api/v1/points/${key}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  const del = (key: string, priority: number | string): Promise<Response> =>
    fetch(`${controller.url}/api/v1/points/${key}/commands/${priority}`, { method: 'DELETE' });
  const service = (): CommandService => controller.app.get(CommandService);

  it('lands commands at slots 8 and 16 in a BACnet device’s own priority array; relinquish falls to the next, then the default', async () => {
    const res = await post(DAMPER, { value: 60 });
    expect(res.status).toBe(201);
    const view = (await res.json()) as PriorityArrayDto;
    expect(view).toMatchObject({
      pointId: DAMPER,
      arbitration: 'device',
      slots: [{ priority: 8, value: 60, source: 'operator' }],
      effective: { value: 60, priority: 8, source: 'operator' },
    });
    await service().command(DAMPER, { value: 40, priority: 16, source: 'schedule' });
    let hw = await simPoint(DAMPER);
    expect(hw.priorityArray).toEqual([
      { priority: 8, value: 60 },
      { priority: 16, value: 40 },
    ]);
    expect(hw.value).toBe(60);

    const after = await del(DAMPER, 8);
    expect(after.status).toBe(200);
    expect(((await after.json()) as PriorityArrayDto).effective).toEqual({
      value: 40,
      priority: 16,
      source: 'schedule',
    });
    hw = await simPoint(DAMPER);
    expect(hw.priorityArray).toEqual([{ priority: 16, value: 40 }]);
    expect(hw.value).toBe(40);

    await service().relinquish(DAMPER, 16, 'schedule');
    hw = await simPoint(DAMPER);
    expect(hw.priorityArray).toEqual([]);
    expect(hw.value).toBe(hw.relinquishDefault);
    const pa = await getJson<PriorityArrayDto>(`${controller.url}/api/v1/points/${DAMPER}/priority-array`);
    expect(pa).toMatchObject({ slots: [], effective: { priority: null, source: 'relinquish-default' } });
  });

  it('on a Modbus point keeps the array in the controller and writes the winner, then the failSafe', async () => {
    expect((await post(FAN, { value: 2 })).status).toBe(201);
    expect((await simPoint(FAN)).value).toBe(2);
    await service().command(FAN, { value: 3, priority: 16, source: 'schedule' });
    expect((await simPoint(FAN)).value).toBe(2);
    expect((await del(FAN, 8)).status).toBe(200);
    expect((await simPoint(FAN)).value).toBe(3);
    const empty = await service().relinquish(FAN, 16, 'schedule');
    expect(empty.effective).toEqual({ value: 4, priority: null, source: 'relinquish-default' });
    expect((await simPoint(FAN)).value).toBe(4);
  });

  it('refuses bad input with RFC 9457 problem details naming what is wrong, and changes nothing on the device', async () => {
    const before = await simPoint(DAMPER);
    const cases: Array<[string, unknown, number, RegExp]> = [
      [DAMPER, { value: 5 }, 422, /vav-1-01\.damper-cmd.*value 5 outside safe range 10\.\.100/],
      ['vav-1-01.no-such-point', { value: 50 }, 404, /no point "vav-1-01\.no-such-point"/],
      ['vav-1-01.zone-temp', { value: 50 }, 409, /read-only/],
      [DAMPER, { value: 'fifty' }, 400, /^value: must be number/],
      [DAMPER, { value: 50, colour: 'red' }, 400, /^colour: unknown field/],
      [DAMPER, {}, 400, /^value: is required/],
      [DAMPER, { value: 50, priority: 17 }, 400, /^priority: must be <= 16/],
      [DAMPER, { value: 50, priority: 10 }, 400, /^priority: .*operator may not use priority 10/],
      [DAMPER, { value: 50, expiresAt: '2001-01-01T00:00:00Z' }, 400, /^expiresAt: .* not in the future/],
      [DAMPER, { value: 50, expiresAt: 'tomorrow' }, 400, /^expiresAt: must match format/],
      [DAMPER, '{"value": 5', 400, /./],
    ];
    for (const [key, body, status, detail] of cases) {
      const res = await post(key, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as ProblemDetails;
      expect(problem.status).toBe(status);
      expect(problem.detail).toMatch(detail);
    }
    expect((await del(DAMPER, 17)).status).toBe(400);
    expect((await del(DAMPER, 'x')).status).toBe(400);
    const after = await simPoint(DAMPER);
    expect(after.priorityArray).toEqual(before.priorityArray);
    expect(after.lastWrite).toEqual(before.lastWrite);
    const pa = await getJson<PriorityArrayDto>(`${controller.url}/api/v1/points/${DAMPER}/priority-array`);
    expect(pa.slots).toEqual([]);
  });

  it('ends an operator override at its expiresAt exactly once, and the device reverts', async () => {
    const key = 'vav-1-02.damper-cmd';
    const expiresAt = new Date(Date.now() + 1500).toISOString();
    expect((await post(key, { value: 70, expiresAt })).status).toBe(201);
    const hw = await simPoint(key);
    expect(hw.priorityArray).toEqual([{ priority: 8, value: 70 }]);
    const pa = await getJson<PriorityArrayDto>(`${controller.url}/api/v1/points/${key}/priority-array`);
    expect(pa.slots[0].expiresAt).toBe(expiresAt);
    await eventually(
      async () => ((await simPoint(key)).priorityArray?.length === 0 ? true : undefined),
      4000,
      'expiry',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
    expect((await simPoint(key)).value).toBe(hw.relinquishDefault);
    await new Promise((r) => setTimeout(r, 1000));
    expect(logLines.filter((l) => String(l.msg).startsWith(`expired ${key} priority 8`))).toHaveLength(1);
  });

  it('after a restart on the same SQLite file re-asserts a commanded output within one poll interval', async () => {
    expect((await post(FAN, { value: 2 })).status).toBe(201);
    expect((await simPoint(FAN)).value).toBe(2);
    await controller.close();
    // Behind the controller's back: a Modbus write (FC 06, holding register 3 = PDU address 2) sets speed 1.
    const fcu = site.devices.find((d) => d.id === 'fcu-l0-reception')!;
    const endpoint = fcu.modbus;
    if (endpoint?.transport !== 'tcp') throw new Error('fcu-l0-reception is expected on Modbus TCP');
    await writeRegister(endpoint.port, 2, 1);
    expect((await simPoint(FAN)).value).toBe(1);

    controller = await start();
    const t0 = Date.now();
    await eventually(
      async () => ((await simPoint(FAN)).value === 2 ? true : undefined),
      3000,
      'fan re-asserted',
    );
    expect(Date.now() - t0).toBeLessThanOrEqual(POLL_MS);
    const pa = await getJson<PriorityArrayDto>(`${controller.url}/api/v1/points/${FAN}/priority-array`);
    expect(pa.slots).toMatchObject([{ priority: 8, value: 2, source: 'operator' }]);
  });
});
