import { describe, expect, it } from '@jest/globals';
import { EventEmitter } from 'node:events';
import fc from 'fast-check';
import { toBacnetError } from './errors.js';
import { encodeRpmRequest, readPropertyMultipleRaw } from './rpm-request.js';
import type { RpmSpec } from './rpm-request.js';
import { refuseSegmentedResponses } from './wire.js';
import { ASN1_ARRAY_ALL, createLibClient } from './vendor.js';
import type { LibTransport } from './vendor.js';

/** A transport that keeps what the library sends instead of sending it. */
class CapturingTransport extends EventEmitter implements LibTransport {
  readonly frames: Buffer[] = [];
  getBroadcastAddress(): string {
    return '127.255.255.255:47808';
  }
  getMaxPayload(): number {
    return 1482;
  }
  send(buffer: Buffer, offset: number): void {
    this.frames.push(Buffer.from(buffer.subarray(0, offset)));
  }
  open(): void {}
  close(): void {}
}

/** The frame the library sends for `specs`, as the client's transport rewrites it (no segmented answer). */
function libraryFrame(invokeId: number, specs: RpmSpec[]): Buffer {
  const transport = new CapturingTransport();
  const lib = createLibClient({
    transport,
    interface: '127.0.0.1',
    port: 0,
    broadcastAddress: '127.255.255.255:47808',
    apduTimeoutMs: 60_000,
  });
  const pending = lib.readPropertyMultiple(
    { address: '127.0.0.1:47809' },
    specs.map((s) => ({ objectId: s.objectId, properties: [...s.properties] })),
    { invokeId },
  );
  pending.catch(() => undefined);
  lib.close();
  const frame = transport.frames[0];
  refuseSegmentedResponses(frame);
  return frame;
}

const PRESENT_VALUE = { id: 85, index: ASN1_ARRAY_ALL };

const specArb: fc.Arbitrary<RpmSpec> = fc.record({
  objectId: fc.record({
    type: fc.integer({ min: 0, max: 1023 }),
    instance: fc.integer({ min: 0, max: 4194303 }),
  }),
  properties: fc.array(
    fc.record({
      id: fc.oneof(fc.constantFrom(8, 85, 87, 104, 111), fc.integer({ min: 0, max: 4194303 })),
      index: fc.oneof(
        fc.constant(ASN1_ARRAY_ALL),
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 0xfffffffe }),
      ),
    }),
    { minLength: 1, maxLength: 3 },
  ),
});

describe('encodeRpmRequest (ASHRAE 135 §15.7.1.1)', () => {
  it('encodes a two-object request octet by octet', () => {
    const frame = encodeRpmRequest(42, [
      { objectId: { type: 0, instance: 1 }, properties: [PRESENT_VALUE] },
      { objectId: { type: 2, instance: 300 }, properties: [PRESENT_VALUE, { id: 87, index: 8 }] },
    ]);
    expect(frame.toString('hex')).toBe(
      '810a0020' + // Original-Unicast-NPDU, 32 octets
        '0104' + // NPCI: expecting reply
        '00052a0e' + // confirmed request, no segmented answer, max-APDU 1476, invoke id 42, service 14
        '0c00000001' +
        '1e' +
        '0955' +
        '1f' + // analog-input 1: present-value
        '0c0080012c' +
        '1e' +
        '0955' +
        '0957' +
        '1908' +
        '1f', // analog-value 300: present-value, priority-array[8]
    );
  });

  it('is byte for byte what the library sends, for any request', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 255 }),
        fc.array(specArb, { minLength: 1, maxLength: 30 }),
        (invokeId, specs) => {
          expect(encodeRpmRequest(invokeId, specs).equals(libraryFrame(invokeId, specs))).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('leaves index 0 out as the library does (the client refuses it before)', () => {
    const specs = [{ objectId: { type: 5, instance: 7 }, properties: [{ id: 85, index: 0 }] }];
    expect(encodeRpmRequest(1, specs).equals(libraryFrame(1, specs))).toBe(true);
  });
});

describe('readPropertyMultipleRaw', () => {
  const specs = [{ objectId: { type: 0, instance: 1 }, properties: [PRESENT_VALUE] }];

  it('sends before it waits, and decodes the ComplexACK the wait settles with', async () => {
    const order: string[] = [];
    // ReadPropertyMultiple-ACK service data: analog-input 1, present-value = REAL 21.5 (§15.7.1.3).
    const data = Buffer.from('0c00000001' + '1e' + '2955' + '4e' + '4441ac0000' + '4f' + '1f', 'hex');
    const result = await readPropertyMultipleRaw(
      {
        send: (frame, to) => order.push(`send ${frame[8]} to ${to}`),
        awaitAnswer: (id) => {
          order.push(`wait ${id}`);
          return Promise.resolve({ buffer: data, offset: 0, length: data.length });
        },
      },
      '127.0.0.1:47809',
      9,
      specs,
    );
    expect(order).toEqual(['send 9 to 127.0.0.1:47809', 'wait 9']);
    expect(result.values).toEqual([
      {
        objectId: { type: 0, instance: 1 },
        values: [
          { id: 85, index: ASN1_ARRAY_ALL, value: [expect.objectContaining({ type: 4, value: 21.5 })] },
        ],
      },
    ]);
  });

  it('fails an undecodable or truncated answer with an error named a decode error', async () => {
    const answerWith = (hex: string): Promise<unknown> => {
      const data = Buffer.from(hex, 'hex');
      return readPropertyMultipleRaw(
        {
          send: () => undefined,
          awaitAnswer: () => Promise.resolve({ buffer: data, offset: 0, length: data.length }),
        },
        '127.0.0.1:47809',
        1,
        specs,
      ).then(
        () => undefined,
        (err: unknown) => err,
      );
    };
    // Not a ReadAccessResult at all: the library's decoder gives up, in its own words.
    const notAResult = await answerWith('1f');
    expect(notAResult).toEqual(new Error('INVALID_DECODING'));
    // Cut inside the object identifier: the library's decoder throws.
    const truncated = await answerWith('0c000001');
    for (const err of [notAResult, truncated]) expect(toBacnetError(err, 'rpm').kind).toBe('decode');
  });

  it('leaves no wait behind when the send throws', async () => {
    let waits = 0;
    await expect(
      readPropertyMultipleRaw(
        {
          send: () => {
            throw new RangeError('invalid BACnet/IP address');
          },
          awaitAnswer: () => {
            waits++;
            return new Promise(() => undefined);
          },
        },
        'nowhere:x',
        1,
        specs,
      ),
    ).rejects.toThrow('invalid BACnet/IP address');
    expect(waits).toBe(0);
  });
});
