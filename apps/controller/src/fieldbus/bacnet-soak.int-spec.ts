/**
 * Long run at full speed: more than 5,000 BACnet requests (RPM, RP, writes)
 * through the driver to six devices at once — two of them offline, one
 * without ReadPropertyMultiple, one with a 128-octet APDU, one answering late
 * now and then — over real UDP. No request may hang: every one settles
 * within the client's timeout (plus scheduling slack), every read of a live
 * device returns every point, and the dead ones only ever fail by name.
 */
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { BacnetClient } from '#libs/bacnet';
import type { BacnetDevice } from '#libs/bacnet';
import { FieldbusError } from '#libs/fieldbus';
import type { DeviceContext } from '#libs/fieldbus';
import { findRepoRoot, loadProfile } from '#libs/profiles';
import { countingClient, deviceForProfile } from '../../../../libs/bacnet/src/test-support/profile-device.js';
import { BacnetDriver } from './bacnet-driver.js';

const VAV = loadProfile(resolve(findRepoRoot(), 'hardware-profiles/bacnet/johnson-controls/cvm-vav.yaml'));
const DAMPER = VAV.points.find((p) => p.id === 'damper-cmd')!;
const TIMEOUT_MS = 150;
const TARGET_REQUESTS = 5000;
/** Scheduling slack beyond the timeout (a busy CI machine's event loop); a hang would exceed it by far. */
const SLACK_MS = 250;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('BacnetDriver under load', () => {
  const devices: BacnetDevice[] = [];
  afterAll(async () => Promise.all(devices.map((d) => d.close())));

  it('5,000+ requests to six devices, two offline: none hangs, none is lost', async () => {
    const specs = [
      { deviceInstance: 501 },
      { deviceInstance: 502 },
      { deviceInstance: 503, supportsRpm: false },
      { deviceInstance: 504, maxApdu: 128 },
      { deviceInstance: 505, offline: true },
      { deviceInstance: 506, offline: true },
    ];
    const contexts: DeviceContext[] = [];
    for (const s of specs) {
      const device = deviceForProfile(VAV, {
        deviceInstance: s.deviceInstance,
        supportsRpm: s.supportsRpm,
        maxApdu: s.maxApdu,
      });
      devices.push(device);
      const { port } = await device.start();
      if (s.offline) device.setFault({ offline: true });
      contexts.push({
        profile: { ...VAV, bacnet: { ...VAV.bacnet!, maxApdu: undefined } },
        site: {
          id: `soak-${s.deviceInstance}`,
          name: 'soak',
          profile: 'test',
          pollIntervalMs: 1000,
          bacnet: { address: `127.0.0.1:${port}`, deviceInstance: s.deviceInstance },
        },
      });
    }
    const { client, log } = countingClient(
      new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: TIMEOUT_MS }),
      SLACK_MS,
    );
    // A short breaker so the dead devices are probed (and time out) often during the run.
    const driver = new BacnetDriver(client, { breaker: () => ({ baseMs: 50, maxMs: 200 }) });
    const failures = new Map<string, number>();
    let incomplete = 0;
    let reads = 0;
    const sent = (): number => log.rp + log.rpm + log.writes;
    const t0 = Date.now();
    try {
      await Promise.all(
        contexts.map(async (ctx, i) => {
          for (let cycle = 0; sent() < TARGET_REQUESTS; cycle++) {
            // Device 502 answers late (beyond the timeout) for a moment every 40 cycles.
            if (i === 1) devices[1].setFault(cycle % 40 === 39 ? { delayMs: TIMEOUT_MS + 50 } : {});
            try {
              if (cycle % 25 === 24) {
                await driver.write(ctx, { point: DAMPER, value: 20 + (cycle % 50), priority: 8 });
                await driver.relinquish(ctx, DAMPER, 8);
              }
              const out = await driver.readMany(ctx, VAV.points);
              reads++;
              if (out.length !== VAV.points.length || out.some((o) => o.value === undefined)) incomplete++;
            } catch (err) {
              const code = err instanceof FieldbusError ? err.code : `unnamed ${String(err)}`;
              failures.set(code, (failures.get(code) ?? 0) + 1);
              if (code === 'breaker-open') await pause(10);
            }
          }
        }),
      );
    } finally {
      await driver.close();
    }
    const elapsed = Date.now() - t0;
    expect(sent()).toBeGreaterThanOrEqual(TARGET_REQUESTS);
    expect(log.settled).toBe(sent() + log.subscribes);
    expect(log.late).toBe(0);
    expect(log.slowestMs).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
    expect(incomplete).toBe(0);
    expect(reads).toBeGreaterThan(500);
    // Only named failures: the dead devices (timeout, then breaker-open) and the late one.
    expect([...failures.keys()].every((c) => c === 'timeout' || c === 'breaker-open')).toBe(true);
    expect(failures.get('timeout')).toBeGreaterThan(4);
    expect(elapsed).toBeLessThan(20000);
  }, 30000);
});
