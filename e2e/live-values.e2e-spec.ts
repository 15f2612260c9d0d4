import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { HealthDto, PointDto, SimDeviceState } from '#libs/contracts';
import { demoSiteOnFreePorts, eventually, getJson, startBuilding } from './support/building.js';
import type { Building } from './support/building.js';

const POLL_MS = 400;

describe('controller scanning the simulated demo building', () => {
  let b: Building;
  beforeAll(async () => {
    b = await startBuilding(demoSiteOnFreePorts(POLL_MS));
  }, 30000);
  afterAll(async () => {
    await b?.close();
  });

  const points = (): Promise<PointDto[]> => getJson<PointDto[]>(`${b.controller.url}/api/v1/points`);

  it('brings every point of both protocols to good quality with live values', async () => {
    const all = await eventually(
      async () => {
        const ps = await points();
        return ps.every((p) => p.quality === 'good') ? ps : undefined;
      },
      10000,
      'every point good',
    );
    const protocols = new Set(b.site.devices.map((d) => b.site.profiles[d.profile].protocol));
    expect(protocols).toEqual(new Set(['modbus', 'bacnet']));
    expect(all.length).toBe(b.site.devices.reduce((n, d) => n + b.site.profiles[d.profile].points.length, 0));
    for (const p of all) {
      expect(typeof p.value).toBe('number');
      expect(Date.parse(p.updatedAt!)).toBeGreaterThan(Date.now() - 5000);
    }
  }, 15000);

  it('reads the values the simulated hardware holds', async () => {
    const devices = await getJson<SimDeviceState[]>(`${b.sim.controlUrl}/devices`);
    const live = new Map((await points()).map((p) => [p.id, p]));
    // Writable points do not move by themselves, so the controller's value must equal the device's exactly.
    let compared = 0;
    for (const d of devices)
      for (const sp of d.points.filter((x) => x.writable)) {
        const p = live.get(`${d.id}.${sp.id}`)!;
        expect(p.value).toBeCloseTo(sp.value, 3);
        compared++;
      }
    expect(compared).toBeGreaterThan(10);
  });

  it('turns only a silent or garbling device comm-fail within three poll intervals, logs it once, and recovers', async () => {
    const modbus = b.site.devices.filter((d) => b.site.profiles[d.profile].protocol === 'modbus');
    const bacnet = b.site.devices.find((d) => b.site.profiles[d.profile].protocol === 'bacnet')!;
    const cases = [
      { v: modbus[0], fault: { offline: true } },
      { v: bacnet, fault: { offline: true } },
      { v: modbus[1], fault: { garbage: true } },
    ];
    const setFaults = (id: string, body: object): Promise<unknown> =>
      getJson(`${b.sim.controlUrl}/devices/${id}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    for (const { v, fault } of cases) {
      const t0 = Date.now();
      await setFaults(v.id, fault);
      await eventually(
        async () =>
          (await points()).filter((p) => p.deviceId === v.id).every((p) => p.quality === 'comm-fail')
            ? true
            : undefined,
        3 * POLL_MS + 1000,
        `${v.id} comm-fail`,
      );
      const elapsed = Date.now() - t0;
      const all = await points();
      const others = all.filter((p) => p.deviceId !== v.id);
      expect(others.every((p) => p.quality === 'good')).toBe(true);
      expect(others.every((p) => p.error === undefined)).toBe(true);
      // The API says why: a named cause on every failed point (a silent or garbling device times out; once its
      // breaker is open, polls are refused without touching the bus).
      const causes = new Set(all.filter((p) => p.deviceId === v.id).map((p) => p.error?.code));
      expect([...causes].every((c) => c === 'timeout' || c === 'breaker-open' || c === 'bad-response')).toBe(
        true,
      );
      // Wait several more polls: still exactly one comm-fail line for the device.
      await new Promise((r) => setTimeout(r, 4 * POLL_MS));
      const lines = b.logLines.filter((l) => l.device === v.id && String(l.msg).includes('comm-fail'));
      expect(lines).toHaveLength(1);
      const health = await getJson<HealthDto>(`${b.controller.url}/api/v1/health`);
      expect(health.status).toBe('degraded');
      expect(health.devices.find((d) => d.id === v.id)!.state).toBe('comm-fail');
      await getJson(`${b.sim.controlUrl}/devices/${v.id}/faults`, { method: 'DELETE' });
      await eventually(
        async () =>
          (await points()).filter((p) => p.deviceId === v.id).every((p) => p.quality === 'good')
            ? true
            : undefined,
        5000,
        `${v.id} back to good`,
      );
      // Three poll intervals, plus the granularity of this test's own polling of the API.
      expect(elapsed).toBeLessThanOrEqual(3 * POLL_MS + 150);
    }
  }, 30000);

  it('answers an unknown point with RFC 9457 problem details', async () => {
    const res = await fetch(`${b.controller.url}/api/v1/points/nope.nothing`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as { status: number; detail: string };
    expect(body.status).toBe(404);
    expect(body.detail).toContain('nope.nothing');
  });
});
