/**
 * Bad input sent to our client over real UDP, one fault per test: every
 * request settles within its timeout with a named BacnetError, nothing
 * crashes, and the client keeps working with a healthy device afterwards.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BacnetClient, BacnetError } from './index.js';
import type { BacnetDevice } from './index.js';
import { testDevice } from './test-support/fixtures.js';
import { RoguePeer, unicast } from './test-support/rogue-peer.js';

const AI = { type: 'analog-input' as const, instance: 1 };
const TIMEOUT_MS = 300;

/** present-value 21.5 of analog-input 1, as a ReadProperty-ACK (§15.5.1.3). */
function readPropertyAck(invokeId: number): Buffer {
  const real = Buffer.alloc(4);
  real.writeFloatBE(21.5);
  return unicast([0x30, invokeId, 0x0c, 0x0c, 0, 0, 0, 1, 0x19, 0x55, 0x3e, 0x44, ...real, 0x3f]);
}

describe('malformed and hostile answers', () => {
  let client: BacnetClient;
  let rogue: RoguePeer;
  let other: RoguePeer;
  let healthy: BacnetDevice;
  let healthyAddress: string;

  beforeAll(async () => {
    client = new BacnetClient({ interface: '127.0.0.1', port: 0, timeoutMs: TIMEOUT_MS });
    await client.start();
    rogue = new RoguePeer();
    await rogue.start();
    other = new RoguePeer();
    await other.start();
    healthy = testDevice();
    healthyAddress = `127.0.0.1:${(await healthy.start()).port}`;
  });
  afterAll(async () => {
    await client.close();
    await rogue.close();
    await other.close();
    await healthy.close();
  });

  /** Reads from the rogue peer: the named error and how long it took. */
  async function readRogue(
    read: () => Promise<unknown> = () => client.readProperty(rogue.address, AI, 'present-value'),
  ): Promise<{ err: BacnetError; ms: number }> {
    const t0 = Date.now();
    const err = await read().then(
      () => {
        throw new Error('expected a BacnetError, but the read succeeded');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BacnetError);
    const ms = Date.now() - t0;
    expect(ms).toBeLessThan(TIMEOUT_MS + 150);
    // The client is still fine: a healthy device answers at once.
    expect(await client.readProperty(healthyAddress, AI, 'present-value')).toBe(21.5);
    return { err: err as BacnetError, ms };
  }

  it('garbage datagram (no BVLL) → timeout', async () => {
    rogue.answer = () => Buffer.from('this is not BACnet at all');
    expect((await readRogue()).err.kind).toBe('timeout');
  });

  it('BVLL length that disagrees with the datagram → timeout', async () => {
    rogue.answer = (id) => {
      const f = readPropertyAck(id);
      f.writeUInt16BE(f.length + 7, 2);
      return f;
    };
    expect((await readRogue()).err.kind).toBe('timeout');
  });

  it('truncated ReadProperty-ACK → decode, at once', async () => {
    rogue.answer = (id) => unicast([0x30, id, 0x0c, 0x0c, 0x00]);
    const { err, ms } = await readRogue();
    expect(err.kind).toBe('decode');
    expect(ms).toBeLessThan(TIMEOUT_MS);
  });

  it('ReadPropertyMultiple-ACK with garbage tags → decode', async () => {
    rogue.answer = (id) => unicast([0x30, id, 0x0e, 0xff, 0xff, 0x00, 0x13, 0x37]);
    const { err } = await readRogue(() =>
      client.readPropertyMultiple(rogue.address, [{ object: AI, properties: ['present-value'] }]),
    );
    expect(err.kind).toBe('decode');
  });

  it('oversized datagram (3000 octets, > the 1507 a B/IP peer may send) → decode, at once', async () => {
    rogue.answer = (id) => unicast(Buffer.concat([Buffer.from([0x30, id, 0x0c]), Buffer.alloc(3000, 0x44)]));
    const before = client.stats().badDatagrams;
    const { err, ms } = await readRogue();
    expect(err.kind).toBe('decode');
    expect(err.message).toMatch(/oversized datagram \(3009 > 1507 octets\)/);
    expect(ms).toBeLessThan(TIMEOUT_MS);
    expect(client.stats().badDatagrams).toBe(before + 1);
  });

  it('a segmented answer that never completes (we refused segmentation) → timeout', async () => {
    // Complex-ACK with SEG and MOR bits, sequence 0, window 1 (§20.1.5), then silence.
    rogue.answer = (id) => unicast([0x3c, id, 0x00, 0x01, 0x0c, 0x0c, 0, 0, 0, 1]);
    expect((await readRogue()).err.kind).toBe('timeout');
  });

  it('the right answer from the wrong peer is dropped (§5.4: transactions are per peer) → timeout', async () => {
    const before = client.stats().answersFromWrongPeer;
    rogue.answer = (id) => {
      other.send(readPropertyAck(id), `127.0.0.1:${client.port}`);
      return undefined;
    };
    expect((await readRogue()).err.kind).toBe('timeout');
    expect(client.stats().answersFromWrongPeer).toBe(before + 1);
  });

  it('Reject, Abort and Error PDUs with reasons and codes unknown to the library → named', async () => {
    rogue.answer = (id) => unicast([0x60, id, 0x07]);
    expect((await readRogue()).err).toMatchObject({ kind: 'reject', errorCode: 'too-many-arguments' });
    rogue.answer = (id) => unicast([0x71, id, 0xc8]);
    expect((await readRogue()).err).toMatchObject({ kind: 'abort', errorCode: 'abort-reason-200' });
    // Error PDU (§20.1.7): class 77, code 999 — proprietary numbers (§21: ≥ 64 and ≥ 256).
    rogue.answer = (id) => unicast([0x50, id, 0x0c, 0x91, 0x4d, 0x92, 0x03, 0xe7]);
    expect((await readRogue()).err).toMatchObject({
      kind: 'error',
      errorClass: 'error-class-77',
      errorCode: 'error-code-999',
    });
  });

  it('2,000 random datagrams between requests: no crash, every answer still arrives', async () => {
    rogue.answer = () => undefined;
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256;
    const values: unknown[] = [];
    // Bursts of 100 (a bigger burst only measures the kernel's receive buffer, which drops what overflows).
    for (let burst = 0; burst < 20; burst++) {
      for (let i = 0; i < 100; i++) {
        const body = Buffer.from(Array.from({ length: 4 + (i % 60) }, random));
        // Half of them look like B/IP: right type and length, random NPDU/APDU.
        if (i % 2) {
          body[0] = 0x81;
          body[1] = [0x0a, 0x0b, 0x04, 0x00][(i >> 1) % 4];
          body.writeUInt16BE(body.length, 2);
        }
        rogue.send(body, `127.0.0.1:${client.port}`);
      }
      values.push(await client.readProperty(healthyAddress, AI, 'present-value'));
    }
    expect(values).toEqual(new Array(20).fill(21.5));
  });
});
