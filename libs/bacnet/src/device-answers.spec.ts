import { describe, expect, it } from '@jest/globals';
import { AnswerCache } from './device-answers.js';
import { encodeRpmRequest } from './rpm-request.js';
import { encodeAbort, encodeIAm } from './wire.js';
import { ASN1_ARRAY_ALL } from './vendor.js';

const PEER = '127.0.0.1:47809';
const SPECS = [{ objectId: { type: 0, instance: 1 }, properties: [{ id: 85, index: ASN1_ARRAY_ALL }] }];

/** A ReadPropertyMultiple-ACK frame (Original-Unicast, bare NPCI) with some service data. */
function ack(invokeId: number, data = '0c000000011e29554e4441ac00004f1f'): Buffer {
  const apdu = Buffer.concat([Buffer.from([0x30, invokeId, 14]), Buffer.from(data, 'hex')]);
  const frame = Buffer.concat([Buffer.from([0x81, 0x0a, 0, 0, 0x01, 0x00]), apdu]);
  frame.writeUInt16BE(frame.length, 2);
  return frame;
}

function cache(): { answers: AnswerCache; bump: () => void } {
  let version = 0;
  return { answers: new AnswerCache(() => version), bump: () => void version++ };
}

describe('AnswerCache', () => {
  it('answers a repeated request with the captured answer under the new invoke id', () => {
    const { answers } = cache();
    expect(answers.lookup(encodeRpmRequest(1, SPECS), PEER)).toBeUndefined();
    answers.sent(ack(1), PEER);
    const again = answers.lookup(encodeRpmRequest(2, SPECS), PEER);
    expect(again?.toString('hex')).toBe(ack(2).toString('hex'));
    expect(answers.hits).toBe(1);
  });

  it('keeps an Abort the same way (an answer too large for the device is too large every time)', () => {
    const { answers } = cache();
    answers.lookup(encodeRpmRequest(7, SPECS), PEER);
    answers.sent(encodeAbort(7, 4), PEER);
    expect(answers.lookup(encodeRpmRequest(8, SPECS), PEER)?.equals(encodeAbort(8, 4))).toBe(true);
  });

  it('forgets every answer once the object table changed', () => {
    const { answers, bump } = cache();
    answers.lookup(encodeRpmRequest(1, SPECS), PEER);
    answers.sent(ack(1), PEER);
    bump();
    expect(answers.lookup(encodeRpmRequest(2, SPECS), PEER)).toBeUndefined();
  });

  it('does not keep an answer made while the table changed', () => {
    const { answers, bump } = cache();
    answers.lookup(encodeRpmRequest(1, SPECS), PEER);
    bump();
    answers.sent(ack(1), PEER);
    expect(answers.lookup(encodeRpmRequest(2, SPECS), PEER)).toBeUndefined();
  });

  it('keeps only the answer to the request just seen: same peer, same invoke id', () => {
    const { answers } = cache();
    answers.lookup(encodeRpmRequest(1, SPECS), PEER);
    answers.sent(ack(1), '127.0.0.1:47810');
    answers.sent(ack(2), PEER);
    answers.sent(encodeIAm(5, 1476, 3, 0), PEER);
    expect(answers.lookup(encodeRpmRequest(3, SPECS), PEER)).toBeUndefined();
  });

  it('tells requests apart by everything but the invoke id', () => {
    const { answers } = cache();
    answers.lookup(encodeRpmRequest(1, SPECS), PEER);
    answers.sent(ack(1), PEER);
    const other = [{ objectId: { type: 0, instance: 2 }, properties: [{ id: 85, index: ASN1_ARRAY_ALL }] }];
    expect(answers.lookup(encodeRpmRequest(2, other), PEER)).toBeUndefined();
  });

  it('leaves alone what is not a plain unsegmented read sent straight to the device', () => {
    const { answers } = cache();
    const plain = encodeRpmRequest(1, SPECS);
    const segmented = Buffer.from(plain);
    segmented[6] |= 0x08;
    const broadcast = Buffer.from(plain);
    broadcast[1] = 0x0b;
    const routed = Buffer.concat([
      plain.subarray(0, 5),
      Buffer.from([0x24, 0x00, 0x05, 0x00, 0xff]),
      plain.subarray(6),
    ]);
    routed.writeUInt16BE(routed.length, 2);
    const writeProperty = Buffer.from(plain);
    writeProperty[9] = 15;
    for (const frame of [segmented, broadcast, routed, writeProperty, encodeIAm(5, 1476, 3, 0)]) {
      expect(answers.lookup(frame, PEER)).toBeUndefined();
      answers.sent(ack(1), PEER);
      expect(answers.lookup(frame, PEER)).toBeUndefined();
    }
    expect(answers.hits).toBe(0);
  });
});
