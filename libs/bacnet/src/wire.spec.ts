import { describe, expect, it } from '@jest/globals';
import {
  BVLC,
  PDU_ABORT,
  PDU_REJECT,
  bipAddressOctets,
  decodeBvlcResult,
  encodeAbort,
  encodeBvlcResult,
  encodeIAm,
  encodeRegisterForeignDevice,
  encodeReject,
  peekApdu,
  readBipAddress,
  refuseSegmentedResponses,
} from './wire.js';

describe('wire frames', () => {
  it('encodes I-Am with the announced max-APDU (ASHRAE 135 §16.10, §20.2)', () => {
    // device 260001, max-APDU 480, no segmentation (3), vendor 999
    expect(encodeIAm(260001, 480, 3, 999).toString('hex')).toBe(
      '810a0015' + '0100' + '1000' + 'c4' + '0203f7a1' + '2201e0' + '9103' + '2203e7',
    );
    // The same as an Original-Broadcast-NPDU (Annex J.2.12).
    expect(encodeIAm(260001, 480, 3, 999, true).subarray(0, 2).toString('hex')).toBe('810b');
  });

  it('encodes Reject and server Abort PDUs', () => {
    expect(encodeReject(17, 9).toString('hex')).toBe('810a0009' + '0100' + '601109');
    expect(encodeAbort(200, 4).toString('hex')).toBe('810a0009' + '0100' + '71c804');
  });

  it('tells a Reject from an Abort, also behind NPDU addresses and a Forwarded-NPDU', () => {
    expect(peekApdu(encodeReject(17, 9))).toEqual({
      pduType: PDU_REJECT,
      offset: 6,
      invokeId: 17,
      reason: 9,
    });
    expect(peekApdu(encodeAbort(3, 4))).toEqual({ pduType: PDU_ABORT, offset: 6, invokeId: 3, reason: 4 });
    // Forwarded-NPDU (originator 10.0.0.2:47808), NPCI with SNET 5 / SLEN 1 / SADR 0x0a, then a Reject.
    const forwarded = Buffer.from('810400130a000002bac00108000501' + '0a' + '602a09', 'hex');
    expect(peekApdu(forwarded)).toEqual({
      pduType: PDU_REJECT,
      offset: 16,
      invokeId: 0x2a,
      reason: 9,
      forwardedFrom: '10.0.0.2:47808',
    });
    expect(peekApdu(encodeIAm(1, 1476, 3, 0))).toEqual({ pduType: 1, offset: 6 });
  });

  it('names the invoke id of every kind of answer (§20.1: simple/complex ack, error)', () => {
    const answer = (first: number): Buffer => Buffer.from([0x81, 0x0a, 0, 9, 1, 0, first, 0x33, 0x0c]);
    expect(peekApdu(answer(0x20))).toMatchObject({ pduType: 2, invokeId: 0x33 });
    expect(peekApdu(answer(0x30))).toMatchObject({ pduType: 3, invokeId: 0x33 });
    expect(peekApdu(answer(0x50))).toMatchObject({ pduType: 5, invokeId: 0x33 });
  });

  it('ignores network-layer messages, BVLL-only messages and garbage', () => {
    expect(peekApdu(Buffer.from('810a000801800000', 'hex'))).toBeUndefined();
    expect(peekApdu(encodeBvlcResult(0x30))).toBeUndefined();
    expect(peekApdu(Buffer.from('00010203040506', 'hex'))).toBeUndefined();
    expect(peekApdu(Buffer.alloc(3))).toBeUndefined();
  });

  it('rewrites an outgoing confirmed request to refuse segmented answers (§20.1.2.4-5)', () => {
    // ReadProperty request: SA bit set, max-segments 65 (0x70) | max-APDU 1476 (0x05).
    const req = Buffer.from('810a0011' + '0104' + '0275' + '0c0c' + '0000000119' + '55', 'hex');
    refuseSegmentedResponses(req);
    expect(req.subarray(6, 8).toString('hex')).toBe('0005');
    const ack = encodeAbort(1, 4);
    refuseSegmentedResponses(ack);
    expect(ack).toEqual(encodeAbort(1, 4));
  });

  it('encodes foreign-device registration and reads BVLC results (Annex J.2.1, J.2.6)', () => {
    expect(encodeRegisterForeignDevice(300).toString('hex')).toBe('81050006012c');
    expect(() => encodeRegisterForeignDevice(0)).toThrow(RangeError);
    expect(decodeBvlcResult(encodeBvlcResult(0x0030))).toBe(0x0030);
    expect(decodeBvlcResult(encodeIAm(1, 50, 3, 0))).toBeUndefined();
    expect(bipAddressOctets('127.0.0.1:47809')).toEqual([127, 0, 0, 1, 0xba, 0xc1]);
    expect(readBipAddress(Buffer.from([0, 0, 0, 0, 10, 1, 2, 3, 0xba, 0xc0]), 4)).toBe('10.1.2.3:47808');
    expect(BVLC.DISTRIBUTE_BROADCAST_TO_NETWORK).toBe(0x09);
  });
});
