/**
 * The batch reader against a fake device with named failure modes
 * (CONVENTIONS.md habit 9): a small max APDU that aborts, one that drops
 * oversized requests silently, RPM rejected, a whole-RPM error for an unknown
 * object, and a dead device. Timeouts are instant here; the int specs run the
 * same reader over UDP.
 */
import { describe, expect, it } from '@jest/globals';
import { appDataSize, readPropertyMultipleAckSize } from './apdu-size.js';
import { expectedAnswerSize, packBatches, readBatched } from './batch-reader.js';
import type { ReadItem, ReadPort } from './batch-reader.js';
import { BacnetError } from './errors.js';
import { ReadCapabilities } from './read-capabilities.js';
import type { AnyObjectRef, PropertySpec, RpmResult } from './types.js';
import { ApplicationTag } from './vendor.js';

interface FakeDevice {
  /** Answers larger than this abort with segmentation-not-supported (or vanish, with dropOversized). */
  maxApdu: number;
  rpm?: boolean;
  dropOversized?: boolean;
  /** Answer a whole RPM with Error object/unknown-object when it names an unknown object. */
  failWholeRpm?: boolean;
  dead?: boolean;
  unknown?: Set<number>;
}

function fakePort(
  d: FakeDevice,
): ReadPort & { rpmCalls: number[]; rpCalls: number; aborts: number; timeouts: number } {
  const valueOf = (o: AnyObjectRef): number => o.instance + 0.5;
  const port = {
    rpmCalls: [] as number[],
    rpCalls: 0,
    aborts: 0,
    timeouts: 0,
    readProperty(_a: string, obj: AnyObjectRef): Promise<number> {
      port.rpCalls++;
      if (d.dead) {
        port.timeouts++;
        return Promise.reject(new BacnetError('timeout', 'no answer'));
      }
      if (d.unknown?.has(obj.instance))
        return Promise.reject(new BacnetError('error', 'unknown', 'object', 'unknown-object'));
      return Promise.resolve(valueOf(obj));
    },
    readPropertyMultiple(
      _a: string,
      specs: { object: AnyObjectRef; properties: PropertySpec[] }[],
    ): Promise<RpmResult[]> {
      port.rpmCalls.push(specs.length);
      if (d.dead) {
        port.timeouts++;
        return Promise.reject(new BacnetError('timeout', 'no answer'));
      }
      if (d.rpm === false)
        return Promise.reject(new BacnetError('reject', 'reject', undefined, 'unrecognized-service'));
      const hasUnknown = specs.some((s) => d.unknown?.has(s.object.instance));
      if (d.failWholeRpm && hasUnknown)
        return Promise.reject(new BacnetError('error', 'unknown', 'object', 'unknown-object'));
      const size = readPropertyMultipleAckSize(
        specs.map((s) => ({
          values: [
            {
              propertyId: 85,
              value: d.unknown?.has(s.object.instance)
                ? [{ type: ApplicationTag.ERROR, value: {} }]
                : [{ type: ApplicationTag.REAL, value: 1 }],
            },
          ],
        })),
      );
      if (size > d.maxApdu) {
        if (d.dropOversized) {
          port.timeouts++;
          return Promise.reject(new BacnetError('timeout', 'dropped'));
        }
        port.aborts++;
        return Promise.reject(new BacnetError('abort', 'too big', undefined, 'segmentation-not-supported'));
      }
      return Promise.resolve(
        specs.map((s): RpmResult =>
          d.unknown?.has(s.object.instance)
            ? {
                object: s.object,
                property: 'present-value',
                error: { errorClass: 'object', errorCode: 'unknown-object' },
              }
            : { object: s.object, property: 'present-value', value: valueOf(s.object) },
        ),
      );
    },
  };
  return port;
}

const items = (n: number): ReadItem[] =>
  Array.from({ length: n }, (_, i) => ({
    key: `p${i}`,
    object: { type: 'analog-value', instance: i },
    property: 'present-value',
  }));

describe('packBatches', () => {
  it('fills each batch up to the answer budget: 29 present-values of REAL per 480-octet APDU', () => {
    // Complex-ACK header 3 + per object 7 + property 2 + value in [4] 2 + REAL 5 = 3 + 16n (§20.1.5, §21).
    expect(expectedAnswerSize(items(29))).toBe(467);
    expect(expectedAnswerSize(items(30))).toBe(483);
    const batches = packBatches(items(100), 480);
    expect(batches.map((b) => b.length)).toEqual([29, 29, 29, 13]);
    expect(batches.every((b) => expectedAnswerSize(b) <= 480)).toBe(true);
    expect(appDataSize({ type: ApplicationTag.REAL, value: 1 })).toBe(5);
  });

  it('keeps properties of one object in one access specification and never makes an empty batch', () => {
    const three: ReadItem[] = ['object-name', 'units', 'present-value'].map((p) => ({
      key: p,
      object: { type: 'analog-input', instance: 1 },
      property: p,
      valueSize: p === 'object-name' ? 40 : 5,
    }));
    expect(packBatches(three, 1476)).toHaveLength(1);
    expect(packBatches(three, 10).map((b) => b.length)).toEqual([1, 1, 1]);
  });
});

describe('packBatches sized by what each value really takes', () => {
  it('packs 100 binary present-values (ENUMERATED, 2 octets) in one 1476-octet answer, 100 REALs in two', () => {
    const of = (valueSize: number): ReadItem[] =>
      Array.from({ length: 100 }, (_, i) => ({
        key: `b${i}`,
        object: { type: 'binary-value', instance: i },
        property: 'present-value',
        valueSize,
      }));
    // 3 + 100 × (object 7 + property 2 + [4] 2 + ENUMERATED 2) = 1303 octets: an error result (6) is not assumed for each.
    expect(expectedAnswerSize(of(2))).toBe(1303);
    expect(packBatches(of(2), 1476)).toHaveLength(1);
    expect(packBatches(of(5), 1476).map((b) => b.length)).toEqual([92, 8]);
  });
});

describe('readBatched', () => {
  it('reads 100 points of a 1476-octet device in the minimum of 2 requests', async () => {
    const port = fakePort({ maxApdu: 1476 });
    const caps = new ReadCapabilities({ rpm: true, maxApdu: 1476 });
    const out = await readBatched(port, 'dev', items(100), caps);
    expect(port.rpmCalls).toEqual([92, 8]);
    expect(out.every((o, i) => o.value === i + 0.5)).toBe(true);
  });

  it('small max APDU: shrinks the batch after aborts and remembers it (no abort on the next read)', async () => {
    const port = fakePort({ maxApdu: 128 });
    const caps = new ReadCapabilities({ rpm: true }); // nothing known: assumes 1476
    const first = await readBatched(port, 'dev', items(40), caps);
    expect(first.map((o) => o.value)).toEqual(items(40).map((_, i) => i + 0.5));
    expect(port.aborts).toBeGreaterThan(0);
    expect(caps.budget).toBeLessThanOrEqual(128);
    expect(caps.events.map((e) => e.what).join('\n')).toMatch(/segmentation-not-supported/);

    port.rpmCalls.length = 0;
    port.aborts = 0;
    const second = await readBatched(port, 'dev', items(40), caps);
    expect(second.every((o) => o.error === undefined)).toBe(true);
    expect(port.aborts).toBe(0);
    // 128 octets hold 7 present-values (3 + 16 × 7 = 115): 6 requests is the minimum for 40.
    expect(port.rpmCalls.length).toBeLessThanOrEqual(Math.ceil(40 / Math.floor((128 - 3) / 16)) + 1);
  });

  it('a device rejecting RPM: falls back to ReadProperty and remembers', async () => {
    const port = fakePort({ maxApdu: 1476, rpm: false });
    const caps = new ReadCapabilities({ rpm: true });
    const first = await readBatched(port, 'dev', items(5), caps);
    expect(first.map((o) => o.value)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
    expect(caps.rpm).toBe(false);
    expect(port.rpmCalls).toHaveLength(1);
    await readBatched(port, 'dev', items(5), caps);
    expect(port.rpmCalls).toHaveLength(1);
    expect(port.rpCalls).toBe(10);
  });

  it('unknown objects: that item carries the device error, the others their values', async () => {
    const port = fakePort({ maxApdu: 1476, unknown: new Set([3]) });
    const out = await readBatched(port, 'dev', items(6), new ReadCapabilities({ rpm: true }));
    expect(out[3].error).toMatchObject({ kind: 'error', errorClass: 'object', errorCode: 'unknown-object' });
    expect(out.filter((o) => o.value !== undefined)).toHaveLength(5);
    expect(port.rpmCalls).toEqual([6]);
  });

  it('a device failing a whole RPM for one unknown object: splits until that object stands alone', async () => {
    const port = fakePort({ maxApdu: 1476, unknown: new Set([5]), failWholeRpm: true });
    const out = await readBatched(port, 'dev', items(16), new ReadCapabilities({ rpm: true }));
    expect(out[5].error).toMatchObject({ errorCode: 'unknown-object' });
    expect(out.filter((o) => o.value !== undefined)).toHaveLength(15);
    expect(port.rpmCalls.length).toBeLessThanOrEqual(2 * Math.ceil(Math.log2(16)) + 1);
  });

  it('a device that drops oversized requests: one probe tells "too large" from "down", the budget shrinks', async () => {
    const port = fakePort({ maxApdu: 200, dropOversized: true });
    const caps = new ReadCapabilities({ rpm: true });
    const out = await readBatched(port, 'dev', items(30), caps);
    expect(out.every((o) => o.error === undefined)).toBe(true);
    // 483 octets dropped → 480 budget, 227 dropped → 206 budget, then answered.
    expect(port.timeouts).toBe(2);
    expect(caps.budget).toBe(206);
    port.timeouts = 0;
    await readBatched(port, 'dev', items(30), caps);
    expect(port.timeouts).toBe(0);
  });

  it('a dead device costs two timeouts while its batch size is unproven, one afterwards', async () => {
    const d: FakeDevice = { maxApdu: 1476, dead: true };
    const port = fakePort(d);
    const caps = new ReadCapabilities({ rpm: true });
    await expect(readBatched(port, 'dev', items(30), caps)).rejects.toMatchObject({ kind: 'timeout' });
    expect(port.timeouts).toBe(2);
    expect(caps.budget).toBe(1476); // a dead device teaches nothing about sizes

    d.dead = false;
    await readBatched(port, 'dev', items(30), caps);
    d.dead = true;
    port.timeouts = 0;
    await expect(readBatched(port, 'dev', items(30), caps)).rejects.toMatchObject({ kind: 'timeout' });
    expect(port.timeouts).toBe(1);
  });

  it('ReadProperty mode: a dead device costs one timeout, not one per point', async () => {
    const port = fakePort({ maxApdu: 1476, dead: true });
    await expect(
      readBatched(port, 'dev', items(10), new ReadCapabilities({ rpm: false })),
    ).rejects.toMatchObject({ kind: 'timeout' });
    expect(port.rpCalls).toBe(1);
  });
});
