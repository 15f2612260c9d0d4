import { describe, expect, it } from '@jest/globals';
import { PDU_ABORT, PDU_REJECT, encodeAbort, encodeIAm, encodeReject, peekApdu } from './wire.js';

describe('wire frames', () => {
  it('encodes I-Am with the announced max-APDU (ASHRAE 135 §16.10, §20.2)', () => {
    // device 260001, max-APDU 480, no segmentation (3), vendor 999
    expect(encodeIAm(260001, 480, 3, 999).toString('hex')).toBe(
      '810a0015' + '0100' + '1000' + 'c4' + '0203f7a1' + '2201e0' + '9103' + '2203e7',
    );
  });

  it('encodes Reject and server Abort PDUs', () => {
    expect(encodeReject(17, 9).toString('hex')).toBe('810a0009' + '0100' + '601109');
    expect(encodeAbort(200, 4).toString('hex')).toBe('810a0009' + '0100' + '71c804');
  });

  it('tells a Reject from an Abort, also behind NPDU addresses and a Forwarded-NPDU', () => {
    expect(peekApdu(encodeReject(17, 9))).toEqual({ pduType: PDU_REJECT, invokeId: 17, reason: 9 });
    expect(peekApdu(encodeAbort(3, 4))).toEqual({ pduType: PDU_ABORT, invokeId: 3, reason: 4 });
    // Forwarded-NPDU (6-octet originator), NPCI with SNET 5 / SLEN 1 / SADR 0x0a, then a Reject.
    const forwarded = Buffer.from('810400130a0000025ac00108000501' + '0a' + '602a09', 'hex');
    expect(peekApdu(forwarded)).toEqual({ pduType: PDU_REJECT, invokeId: 0x2a, reason: 9 });
    expect(peekApdu(encodeIAm(1, 1476, 3, 0))).toEqual({ pduType: 1 });
  });

  it('ignores network-layer messages and garbage', () => {
    expect(peekApdu(Buffer.from('810a000801800000', 'hex'))).toBeUndefined();
    expect(peekApdu(Buffer.from('00010203040506', 'hex'))).toBeUndefined();
    expect(peekApdu(Buffer.alloc(3))).toBeUndefined();
  });
});
