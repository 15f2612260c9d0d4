/**
 * Fallback when the cloud goes, end to end (issue 4 item 4, DESIGN.md points
 * 1–2 and 5): the demo building in-process with link driver 'manual', the
 * FAKE cloud switched off through `PUT /api/v1/mode/simulated-link`. Pulling
 * the link drives the demo's fallback schedule (cloud-loss-setpoints, slot 12)
 * onto the simulated hardware within 5 s, measured from the pull to the value
 * on the device as the simulator's control API shows it (the hardware's own
 * priority array and present value); restoring the link steps it back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ModeDto, PriorityArrayDto, ProblemDetails, SimPointState } from '#libs/contracts';
import type { LoadedSite } from '#libs/profiles';
import { startController } from '../apps/controller/src/bootstrap.js';
import type { RunningController } from '../apps/controller/src/bootstrap.js';
import type { Simulator } from '../apps/simulator/src/simulator.js';
import {
  capturingLogger,
  controllerConfig,
  eventually,
  getJson,
  sendJson,
  simPointOf,
  startDemoSimulator,
} from './support/building.js';

const POLL_MS = 500;
const SCHEDULE = 'cloud-loss-setpoints';
// BACnet commandable: each device keeps its own array.
const VAV_SPS = [1, 2, 3, 4, 5, 6].map((n) => `vav-1-0${n}.occupied-heating-sp`);
const VAV_SP = VAV_SPS[0];
// Modbus: the controller keeps the array and writes the winner, ramping at the profile's 2 °C/min.
const FCU_SP = 'fcu-l0-reception.setpoint';
const FCU_FAIL_SAFE = 21;

describe('fallback when the cloud goes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bulwark-fallback-'));
  const logLines: Array<Record<string, unknown>> = [];
  let sim: Simulator;
  let site: LoadedSite;
  let controller: RunningController;

  beforeAll(async () => {
    sim = await startDemoSimulator(POLL_MS);
    site = sim.resolvedSite();
    controller = await startController(controllerConfig(site, dir, { link: { driver: 'manual' } }), site, {
      logger: capturingLogger(logLines),
    });
  });
  afterAll(async () => {
    await controller?.close();
    await sim?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const simPoint = (key: string): Promise<SimPointState> => simPointOf(sim, key);
  const mode = (): Promise<ModeDto> => getJson<ModeDto>(`${controller.url}/api/v1/mode`);
  const priorityArray = (key: string): Promise<PriorityArrayDto> =>
    getJson<PriorityArrayDto>(`${controller.url}/api/v1/points/${key}/priority-array`);
  const simulatedLink = (body: unknown): Promise<Response> =>
    sendJson('PUT', `${controller.url}/api/v1/mode/simulated-link`, body);
  const slot12 = (p: SimPointState): number | undefined =>
    p.priorityArray?.find((s) => s.priority === 12)?.value;
  const modeLines = (): string[] =>
    logLines.map((l) => String(l.msg)).filter((m) => m.startsWith('link ') && m.includes(' → '));

  let fallbackValue: number;

  it('becomes CONNECTED once the simulated cloud answers; the fallback slot is held but not in force, and not on the device', async () => {
    await eventually(
      async () => ((await mode()).state === 'CONNECTED' ? true : undefined),
      10_000,
      'CONNECTED',
    );
    const view = await eventually(
      async () => {
        const pa = await priorityArray(VAV_SP);
        return pa.slots.some((s) => s.priority === 12) ? pa : undefined;
      },
      10_000,
      `slot 12 of ${VAV_SP}`,
    );
    const slot = view.slots.find((s) => s.priority === 12)!;
    expect(slot).toMatchObject({ source: 'fallback-schedule', inForce: false });
    expect(view.effective.priority).not.toBe(12);
    fallbackValue = slot.value;
    expect([19, 20]).toContain(fallbackValue);
    // Starting AUTONOMOUS, the controller wrote slot 12 at boot; CONNECTED took it off the device again.
    await eventually(
      async () => (slot12(await simPoint(VAV_SP)) === undefined ? true : undefined),
      5000,
      'slot 12 off',
    );
    expect((await simPoint(FCU_SP)).value).not.toBe(fallbackValue);
    expect(await mode()).toMatchObject({
      state: 'CONNECTED',
      driver: 'manual',
      fallbackSchedules: [],
      simulatedLink: { reachable: true },
    });
  }, 20_000);

  it('pulling the simulated link drives the fallback value onto the simulated devices within 5 s', async () => {
    const pulled = Date.now();
    const res = await simulatedLink({ reachable: false });
    expect(res.status).toBe(200);
    expect(((await res.json()) as ModeDto).state).toBe('DEGRADED');
    // Every VAV's own priority array and present value, as the simulated hardware holds them.
    let vavs = await Promise.all(VAV_SPS.map(simPoint));
    const landed = (): boolean => vavs.every((p) => slot12(p) === fallbackValue && p.value === fallbackValue);
    while (!landed() && Date.now() - pulled < 10_000) {
      await new Promise((r) => setTimeout(r, 20));
      vavs = await Promise.all(VAV_SPS.map(simPoint));
    }
    const elapsed = Date.now() - pulled;
    console.log(`fallback value on ${VAV_SPS.length} simulated VAVs ${elapsed} ms after the link was pulled`);
    expect(vavs.map((p) => [slot12(p), p.value])).toEqual(VAV_SPS.map(() => [fallbackValue, fallbackValue]));
    expect(elapsed).toBeLessThan(5000);

    // The FCU (Modbus) is the controller's to arbitrate: slot 12 won at once, the output ramps to it at 2 °C/min.
    const fcuView = await priorityArray(FCU_SP);
    expect(fcuView.effective).toEqual({ value: fallbackValue, priority: 12, source: 'fallback-schedule' });
    expect(fcuView.pending).toMatchObject({ value: fallbackValue, reason: 'rate-limit' });
    await eventually(
      async () => ((await simPoint(FCU_SP)).value < FCU_FAIL_SAFE ? true : undefined),
      6000,
      'the FCU setpoint ramping towards the fallback value',
    );

    expect(await mode()).toMatchObject({
      state: 'AUTONOMOUS',
      fallbackSchedules: [SCHEDULE],
      lastFailure: { reason: 'request failed: simulated link: the cloud is unreachable' },
      simulatedLink: { reachable: false },
    });
    const view = await priorityArray(VAV_SP);
    expect(view.effective).toEqual({ value: fallbackValue, priority: 12, source: 'fallback-schedule' });
    expect(view.slots.find((s) => s.priority === 12)?.inForce).toBe(true);
  }, 30_000);

  it('restoring the link steps the fallback back: NULL at slot 12 on the device, the mirror keeping the slot', async () => {
    expect((await simulatedLink({ reachable: true })).status).toBe(200);
    const vav = await eventually(
      async () => {
        const p = await simPoint(VAV_SP);
        return slot12(p) === undefined ? p : undefined;
      },
      6000,
      'slot 12 relinquished on the device',
    );
    expect(vav.value).toBe(vav.relinquishDefault);
    expect((await mode()).state).toBe('CONNECTED');
    expect((await priorityArray(FCU_SP)).effective).toEqual({
      value: FCU_FAIL_SAFE,
      priority: null,
      source: 'relinquish-default',
    });
    await eventually(
      async () => ((await simPoint(FCU_SP)).value === FCU_FAIL_SAFE ? true : undefined),
      15_000,
      'the FCU setpoint back at its fail-safe',
    );
    const view = await priorityArray(VAV_SP);
    expect(view.slots).toEqual([
      expect.objectContaining({
        priority: 12,
        value: fallbackValue,
        source: 'fallback-schedule',
        inForce: false,
      }),
    ]);
    expect(modeLines()).toEqual([
      expect.stringMatching(/^link AUTONOMOUS → CONNECTED: \d+ consecutive successful exchanges/),
      expect.stringMatching(/^link CONNECTED → DEGRADED: request failed: simulated link/),
      expect.stringMatching(
        /^link DEGRADED → AUTONOMOUS: no successful exchange for 4000 ms; fallback schedules in force/,
      ),
      expect.stringMatching(/^link AUTONOMOUS → CONNECTED: .*; fallback schedules step back/),
    ]);
  }, 20_000);

  it('refuses a malformed simulated-link body with problem details naming the field', async () => {
    const res = await simulatedLink({ reachable: 'yes' });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as ProblemDetails).detail).toMatch(/^reachable: must be boolean/);
  });
});
