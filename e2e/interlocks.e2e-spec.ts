/**
 * The demo's safety interlocks end to end (issue 4 item 5): the simulated
 * building and a controller in-process, the demo site's own `interlocks:`,
 * faults injected through the simulator's control API, and the outcome checked
 * on the simulated hardware (its own priority arrays) and the controller's API.
 * - Freeze protection: AHU-1's supply air pinned at 3 °C closes the
 *   outside-air damper to its minimum and opens the heating and preheat valves
 *   at slot 2 of the device; unpinned, the slots are relinquished.
 * - Comm-fail: AHU-1 offline (its supply air sensor in comm-fail) puts the
 *   boiler's setpoint at its fail-safe over an operator's value; back online,
 *   the slot is freed and the operator's value is in force again.
 * - Proof of airflow: a VAV's airflow pinned at 0 closes its reheat valve at
 *   slot 2 after the rule's 30 s (pinned at the start, so the wait overlaps
 *   the other cases); airflow back, the slot is freed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PointDto, PriorityArrayDto, SimDeviceState, SimPointState } from '#libs/contracts';
import { demoSiteOnFreePorts, eventually, getJson, startBuilding } from './support/building.js';
import type { Building } from './support/building.js';

const POLL_MS = 500;
const SUPPLY_AIR = 'ahu-1.discharge-air-temp';
const DAMPER = 'ahu-1.outside-air-damper';
const HEATING = 'ahu-1.heating-valve';
const PREHEAT = 'ahu-1.preheat-valve';
const BOILER_SP = 'boiler-1.supply-temp-sp';
const ENABLE = 'boiler-1.enable-cmd';
const REHEAT = 'vav-1-03.reheat-valve';

describe('safety interlocks against the simulated building', () => {
  let b: Building;
  let airflowPinnedAt = 0;

  beforeAll(async () => {
    b = await startBuilding(demoSiteOnFreePorts(POLL_MS));
    // The interlocks wait for every point they read to be scanned once.
    await eventually(
      async () => ((await point(SUPPLY_AIR)).quality === 'good' ? true : undefined),
      10_000,
      'first scan of the supply air',
    );
    await setFaults('vav-1-03', { stuck: { airflow: 0 } });
    airflowPinnedAt = Date.now();
  }, 30_000);
  afterAll(async () => {
    await b?.close();
  });

  const point = (key: string): Promise<PointDto> =>
    getJson<PointDto>(`${b.controller.url}/api/v1/points/${key}`);
  const simPoint = async (key: string): Promise<SimPointState> => {
    const [deviceId, pointId] = key.split('.');
    const device = await getJson<SimDeviceState>(`${b.sim.controlUrl}/devices/${deviceId}`);
    return device.points.find((p) => p.id === pointId)!;
  };
  const priorityArray = (key: string): Promise<PriorityArrayDto> =>
    getJson<PriorityArrayDto>(`${b.controller.url}/api/v1/points/${key}/priority-array`);
  const setFaults = (deviceId: string, faults: unknown): Promise<unknown> =>
    getJson(`${b.sim.controlUrl}/devices/${deviceId}/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
  const clearFaults = (deviceId: string): Promise<unknown> =>
    getJson(`${b.sim.controlUrl}/devices/${deviceId}/faults`, { method: 'DELETE' });
  const logged = (pattern: RegExp): string[] =>
    b.logLines.map((l) => String(l.msg)).filter((m) => pattern.test(m));

  it('freeze protection: supply air at 3 °C closes the outside air and opens the heating valves at slot 2 of the device; back above 8 °C, relinquished', async () => {
    expect((await simPoint(HEATING)).priorityArray).toEqual([]);
    await setFaults('ahu-1', { stuck: { 'discharge-air-temp': 3 } });
    const t0 = Date.now();
    // The controller keeps a slot once the device has taken it: waiting for its three arrays waits for both.
    await eventually(
      async () => {
        const views = await Promise.all([DAMPER, HEATING, PREHEAT].map(priorityArray));
        return views.every((v) => v.slots.some((slot) => slot.priority === 2)) ? true : undefined;
      },
      5000,
      'freeze protection on the device',
    );
    // One poll to see 3 °C, one evaluation, three writes: within a few polls (slack for a loaded CI machine).
    expect(Date.now() - t0).toBeLessThan(6 * POLL_MS);
    for (const [key, value] of [
      [DAMPER, 10],
      [HEATING, 100],
      [PREHEAT, 100],
    ] as const) {
      const hw = await simPoint(key);
      expect({ key, slots: hw.priorityArray, value: hw.value }).toEqual({
        key,
        slots: [{ priority: 2, value }],
        value,
      });
      const pa = await priorityArray(key);
      expect(pa.slots).toMatchObject([{ priority: 2, value, source: 'interlock' }]);
    }
    expect(logged(/^interlock ahu-1-freeze-protection activated/)).toHaveLength(1);

    // An operator cannot take the damper out of freeze protection: slot 8 ranks below 2.
    const res = await fetch(`${b.controller.url}/api/v1/points/${DAMPER}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 80 }),
    });
    expect(res.status).toBe(201);
    expect((await simPoint(DAMPER)).value).toBe(10);

    await clearFaults('ahu-1'); // the simulated supply air is well above 8 °C
    await eventually(
      async () => {
        const views = await Promise.all([DAMPER, HEATING, PREHEAT].map(priorityArray));
        return views.every((v) => !v.slots.some((slot) => slot.priority === 2)) ? true : undefined;
      },
      5000,
      'freeze protection relinquished',
    );
    expect((await simPoint(PREHEAT)).priorityArray).toEqual([]);
    expect((await simPoint(HEATING)).priorityArray).toEqual([]);
    expect((await simPoint(DAMPER)).priorityArray).toEqual([{ priority: 8, value: 80 }]);
    expect((await simPoint(DAMPER)).value).toBe(80);
    expect(logged(/^interlock ahu-1-freeze-protection cleared/)).toHaveLength(1);
    expect(logged(/^interlock ahu-1-freeze-protection: relinquish /).sort()).toEqual(
      [DAMPER, HEATING, PREHEAT]
        .map((key) => `interlock ahu-1-freeze-protection: relinquish ${key} priority 2`)
        .sort(),
    );
    await fetch(`${b.controller.url}/api/v1/points/${DAMPER}/commands/8`, { method: 'DELETE' });
  }, 20_000);

  it('a sensor in comm-fail (its device offline) puts the dependent outputs at their fail-safe values; back online, freed', async () => {
    const res = await fetch(`${b.controller.url}/api/v1/points/${BOILER_SP}/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 55 }),
    });
    expect(res.status).toBe(201);
    // Ramp-limited (5 °C/min) from the boiler's 70 °C: wait only for the controller's array.
    expect((await priorityArray(BOILER_SP)).effective).toMatchObject({ value: 55, priority: 8 });

    await setFaults('ahu-1', { offline: true });
    const t0 = Date.now();
    const atSlot2 = async (key: string): Promise<boolean> =>
      (await priorityArray(key)).slots.some((s) => s.priority === 2);
    await eventually(
      async () => ((await atSlot2(BOILER_SP)) && (await atSlot2(ENABLE)) ? true : undefined),
      20_000,
      'boiler setpoint at its fail-safe',
    );
    // The rule waits 10 s of comm-fail; it acts within a few polls of that.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(10_000);
    expect((await point(SUPPLY_AIR)).quality).toBe('comm-fail');
    const pa = await priorityArray(BOILER_SP);
    expect(pa.slots).toMatchObject([
      { priority: 2, value: 70, source: 'interlock' },
      { priority: 8, value: 55, source: 'operator' },
    ]);
    expect(pa.effective).toEqual({ value: 70, priority: 2, source: 'interlock' });
    // Slot 2 outranks the ramp: the boiler is at its fail-safe at once (register resolution 0.61 °C).
    expect((await simPoint(BOILER_SP)).value).toBeCloseTo(70, 0);
    expect((await simPoint(ENABLE)).value).toBe(1);
    expect((await priorityArray(ENABLE)).slots).toMatchObject([
      { priority: 2, value: 1, source: 'interlock' },
    ]);

    await clearFaults('ahu-1');
    await eventually(
      async () => ((await atSlot2(BOILER_SP)) || (await atSlot2(ENABLE)) ? undefined : true),
      10_000,
      'fail-safe relinquished',
    );
    const after = await priorityArray(BOILER_SP);
    expect(after.slots).toMatchObject([{ priority: 8, value: 55, source: 'operator' }]);
    expect(after.effective).toMatchObject({ value: 55, priority: 8 });
    expect((await priorityArray(ENABLE)).slots).toEqual([]);
    expect(logged(/^interlock ahu-1-supply-air-lost (activated|cleared)/)).toEqual([
      expect.stringMatching(/activated/),
      expect.stringMatching(/cleared/),
    ]);
    await fetch(`${b.controller.url}/api/v1/points/${BOILER_SP}/commands/8`, { method: 'DELETE' });
  }, 40_000);

  it('proof of airflow: no air through a VAV for 30 s closes its reheat valve at slot 2 of the device; air back, freed', async () => {
    await eventually(
      async () => ((await simPoint(REHEAT)).priorityArray?.length ? true : undefined),
      40_000,
      'reheat valve closed',
    );
    expect(Date.now() - airflowPinnedAt).toBeGreaterThanOrEqual(30_000);
    const hw = await simPoint(REHEAT);
    expect({ slots: hw.priorityArray, value: hw.value }).toEqual({
      slots: [{ priority: 2, value: 0 }],
      value: 0,
    });
    expect((await simPoint('vav-1-02.reheat-valve')).priorityArray).toEqual([]);

    await clearFaults('vav-1-03');
    await eventually(
      async () => ((await simPoint(REHEAT)).priorityArray?.length === 0 ? true : undefined),
      5000,
      'reheat valve relinquished',
    );
  }, 45_000);
});
