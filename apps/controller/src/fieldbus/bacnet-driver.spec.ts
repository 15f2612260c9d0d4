/**
 * The BACnet driver's rules without a network: error names, value
 * conversions, and COV renewal timing on a fake clock (renewed at exactly
 * half the lifetime; a failed renewal hands just those points back).
 */
import { describe, expect, it } from '@jest/globals';
import { BacnetError } from '#libs/bacnet';
import type { CovNotification, ObjectRef } from '#libs/bacnet';
import { FakeClock, FieldbusError, flushPromises } from '#libs/fieldbus';
import type { DeviceContext, FieldbusErrorInfo } from '#libs/fieldbus';
import type { PointDef, Profile } from '#libs/profiles';
import { BacnetDriver } from './bacnet-driver.js';
import { toFieldbusError } from './bacnet-errors.js';
import type { BacnetPort } from './bacnet-link.js';
import { isCommandable, toEngineering, toRaw } from './bacnet-points.js';

const analog = (over: Partial<PointDef> = {}): PointDef => ({
  id: 'a',
  name: 'a',
  description: '',
  kind: 'analog',
  access: 'read',
  dataType: 'real',
  unit: '',
  tags: [],
  bacnet: { objectType: 'analog-input', instance: 1 },
  ...over,
});

describe('BACnet errors as fieldbus codes', () => {
  it.each([
    ['a timeout', new BacnetError('timeout', 'no answer'), 'timeout'],
    ['an undecodable answer', new BacnetError('decode', 'garbage'), 'bad-response'],
    [
      'an Error PDU',
      new BacnetError('error', 'x', 'object', 'unknown-object'),
      'bacnet-error:object/unknown-object',
    ],
    [
      'a Reject PDU',
      new BacnetError('reject', 'x', undefined, 'unrecognized-service'),
      'bacnet-reject:unrecognized-service',
    ],
    [
      'an Abort PDU',
      new BacnetError('abort', 'x', undefined, 'segmentation-not-supported'),
      'bacnet-abort:segmentation-not-supported',
    ],
    ['our client closing', new BacnetError('abort', 'client closed'), 'connection'],
    ['a value out of range', new RangeError('priority 0'), 'out-of-range'],
    ['anything else', new Error('bug'), 'internal'],
  ])('%s is named by its code', (_label, err, code) => {
    const f = toFieldbusError(err);
    expect(f.code).toBe(code);
    expect(f.cause).toBe(err);
  });
});

describe('BACnet points', () => {
  it('converts present-value to engineering units and back', () => {
    const p = analog({ scale: 0.1, offset: -40, dataType: 'real' });
    expect(toEngineering(p, 650)).toBe(25);
    expect(toRaw(p, 25)).toBeCloseTo(650);
    expect(toEngineering(analog({ kind: 'binary' }), true)).toBe(1);
    expect(toEngineering(p, null)).toBeNull();
    expect(() => toEngineering(p, 'text')).toThrow(FieldbusError);
    expect(() => toRaw(analog({ kind: 'binary' }), 2)).toThrow(/0 or 1/);
    expect(() => toRaw(analog({ kind: 'multistate' }), 0)).toThrow(/state 1\.\.n/);
  });

  it('knows which objects have a priority array (§19.2)', () => {
    expect(isCommandable(analog())).toBe(false);
    expect(isCommandable(analog({ bacnet: { objectType: 'analog-output', instance: 1 } }))).toBe(true);
    expect(isCommandable(analog({ bacnet: { objectType: 'analog-value', instance: 1 } }))).toBe(false);
    expect(
      isCommandable(analog({ bacnet: { objectType: 'analog-value', instance: 1, commandable: true } })),
    ).toBe(true);
  });
});

/** A client that accepts subscriptions, refusing objects listed in `refuse`, and records when each came. */
function fakeClient(clock: FakeClock) {
  const subscribed: [number, number][] = []; // [time, instance]
  const refuse = new Set<number>();
  let cov: ((n: CovNotification) => void) | undefined;
  const port: BacnetPort = {
    start: () => Promise.resolve(),
    close: () => Promise.resolve(),
    requestTimeoutMs: 1000,
    whoIs: () => Promise.resolve([]),
    binding: () => undefined,
    readProperty: () => Promise.resolve(0),
    readPropertyMultiple: () => Promise.resolve([]),
    writeProperty: () => Promise.resolve(),
    unsubscribeCov: () => Promise.resolve(),
    subscribeCov: (_address: string, obj: ObjectRef) => {
      subscribed.push([clock.now(), obj.instance]);
      return refuse.has(obj.instance)
        ? Promise.reject(new BacnetError('error', 'refused', 'object', 'unknown-object'))
        : Promise.resolve();
    },
    onCov: (cb: (n: CovNotification) => void) => {
      cov = cb;
      return () => (cov = undefined);
    },
  };
  return { port, subscribed, refuse, notify: (n: CovNotification) => cov?.(n) };
}

describe('COV renewal', () => {
  const profile = { bacnet: { readPropertyMultiple: true, cov: true }, points: [] } as unknown as Profile;
  const ctx: DeviceContext = {
    profile,
    site: {
      id: 'd',
      name: 'd',
      profile: 'p',
      pollIntervalMs: 1000,
      bacnet: { address: '10.0.0.1:47808', deviceInstance: 9 },
    },
  };
  const p1 = analog({ id: 'p1', bacnet: { objectType: 'analog-input', instance: 1 } });
  const p2 = analog({ id: 'p2', bacnet: { objectType: 'analog-input', instance: 2 } });

  it('renews at exactly half the lifetime, forwards notifications, and hands back only what fails', async () => {
    const clock = new FakeClock(0);
    const fake = fakeClient(clock);
    const driver = new BacnetDriver(fake.port, { clock, covLifetimeSeconds: 300, covProcessId: 7 });
    const values: [string, number, number][] = [];
    const lost: [string[], FieldbusErrorInfo][] = [];
    const ids = await driver.subscribe(ctx, [p1, p2], {
      value: (id, v, at) => values.push([id, v, at]),
      lost: (pointIds, reason) => lost.push([pointIds, reason]),
    });
    expect([...ids]).toEqual(['p1', 'p2']);
    expect(fake.subscribed).toEqual([
      [0, 1],
      [0, 2],
    ]);

    await clock.advance(149_999);
    expect(fake.subscribed).toHaveLength(2);
    await clock.advance(1);
    await flushPromises();
    expect(fake.subscribed.slice(2)).toEqual([
      [150_000, 1],
      [150_000, 2],
    ]);

    fake.notify({
      address: '10.0.0.1:47808',
      deviceInstance: 9,
      object: { type: 'analog-input', instance: 2 },
      values: { 'present-value': 21.25 },
      processId: 7,
      timeRemaining: 150,
      confirmed: true,
    });
    fake.notify({
      address: '10.0.0.1:47808',
      deviceInstance: 9,
      object: { type: 'analog-input', instance: 2 },
      values: { 'present-value': 99 },
      processId: 8, // another subscriber's process: not ours
      timeRemaining: 150,
      confirmed: false,
    });
    expect(values).toEqual([['p2', 21.25, 150_000]]);

    fake.refuse.add(1);
    await clock.advance(150_000);
    await flushPromises();
    expect(lost).toEqual([[['p1'], expect.objectContaining({ code: 'bacnet-error:object/unknown-object' })]]);
    expect(driver.subscribed(ctx)).toEqual(['p2']);
    await clock.advance(150_000);
    await flushPromises();
    expect(fake.subscribed.filter(([t]) => t === 450_000)).toEqual([[450_000, 2]]);
    await driver.close();
  });
});
