/**
 * Test devices built from a hardware profile (as the simulator builds them,
 * which apps other than the simulator may not import), with a distinct value
 * per point so a misread cannot pass by luck, and a client wrapper that
 * counts and times every request.
 */
import type { PointDef, Profile } from '#libs/profiles';
import { BacnetDevice } from '../device.js';
import type { BacnetDeviceOptions, DeviceObjectDef } from '../device.js';
import type { BacnetClient } from '../client.js';

/** A value the point can hold, distinct per index: analog i×1.5+10.25, binary alternating, multi-state cycling. */
export function valueFor(p: PointDef, i: number): number {
  if (p.kind === 'binary') return i % 2;
  if (p.kind === 'multistate') {
    const n = Object.keys(p.states ?? { 1: '' }).length;
    return (i % n) + 1;
  }
  return 10.25 + i * 1.5;
}

function stateTexts(states: Record<string, string>): string[] {
  const n = Math.max(...Object.keys(states).map(Number));
  return Array.from({ length: n }, (_, i) => states[String(i + 1)] ?? `state ${i + 1}`);
}

export function objectsOf(profile: Profile): DeviceObjectDef[] {
  return profile.points.map((p, i) => {
    const b = p.bacnet!;
    const commandable = b.commandable ?? (p.access === 'write' && b.objectType.endsWith('-output'));
    return {
      type: b.objectType,
      instance: b.instance,
      name: p.name,
      description: p.description,
      units: p.unit,
      presentValue: valueFor(p, i),
      commandable,
      relinquishDefault: commandable ? (p.failSafe ?? valueFor(p, i)) : undefined,
      stateTexts: p.states ? stateTexts(p.states) : undefined,
    };
  });
}

export function deviceForProfile(
  profile: Profile,
  over: Partial<BacnetDeviceOptions> & { deviceInstance: number },
): BacnetDevice {
  return new BacnetDevice({
    interface: '127.0.0.1',
    port: 0,
    deviceName: `${profile.model} ${over.deviceInstance}`,
    vendorId: profile.bacnet?.vendorId,
    maxApdu: profile.bacnet?.maxApdu,
    supportsRpm: profile.bacnet?.readPropertyMultiple,
    supportsCov: profile.bacnet?.cov,
    objects: objectsOf(profile),
    ...over,
  });
}

export interface RequestLog {
  rp: number;
  rpm: number;
  writes: number;
  subscribes: number;
  /** Longest time a request took to settle, ms. */
  slowestMs: number;
  /** Requests that took longer than the client's timeout plus `slackMs`. */
  late: number;
  settled: number;
}

/** A BacnetClient whose request calls are counted and timed (a Proxy: every other call goes straight through). */
export function countingClient(
  client: BacnetClient,
  slackMs = 100,
): { client: BacnetClient; log: RequestLog } {
  const log: RequestLog = { rp: 0, rpm: 0, writes: 0, subscribes: 0, slowestMs: 0, late: 0, settled: 0 };
  const counted: Record<string, keyof RequestLog> = {
    readProperty: 'rp',
    readPropertyMultiple: 'rpm',
    writeProperty: 'writes',
    subscribeCov: 'subscribes',
  };
  const proxy = new Proxy(client, {
    get(target, key, receiver) {
      const v: unknown = Reflect.get(target, key, receiver);
      if (typeof v !== 'function') return v;
      const field = typeof key === 'string' ? counted[key] : undefined;
      if (!field) return (v as (...a: unknown[]) => unknown).bind(target);
      return (...args: unknown[]) => {
        log[field]++;
        const t0 = Date.now();
        const done = (): void => {
          const ms = Date.now() - t0;
          log.settled++;
          log.slowestMs = Math.max(log.slowestMs, ms);
          if (ms > target.requestTimeoutMs + slackMs) log.late++;
        };
        const p = (v as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        p.then(done, done);
        return p;
      };
    },
  });
  return { client: proxy, log };
}
