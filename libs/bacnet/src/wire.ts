/**
 * The few BACnet/IP frames this facade reads or writes without the library:
 * - peekApdu tells a Reject PDU from an Abort PDU, which the library merges
 *   into one 'BacnetAbort' error (STACK.md trap 3);
 * - encodeReject / encodeAbort answer a confirmed request the library has no
 *   call for (it only sends Error PDUs);
 * - encodeIAm announces the device's own max-APDU (the library's iAmResponse
 *   always announces its 1482-byte buffer size, which is not a legal value).
 */

/** BVLC function codes (ASHRAE 135 Annex J.2). */
const BVLC_TYPE_BIP = 0x81;
const BVLC_ORIGINAL_UNICAST_NPDU = 0x0a;
const BVLC_FORWARDED_NPDU = 0x04;

/** APDU types, the high nibble of the APDU's first octet (ASHRAE 135 §20.1.1). */
export const PDU_REJECT = 6;
export const PDU_ABORT = 7;

export interface PeekedApdu {
  pduType: number;
  /** For Reject and Abort PDUs: the original invoke id and the reason. */
  invokeId?: number;
  reason?: number;
}

/** Reads the APDU type of a BACnet/IP datagram; undefined for network-layer messages and garbage. */
export function peekApdu(buf: Buffer): PeekedApdu | undefined {
  if (buf.length < 6 || buf[0] !== BVLC_TYPE_BIP) return undefined;
  // Annex J.2.2: a Forwarded-NPDU carries the originator's 6-octet B/IP address.
  let off = buf[1] === BVLC_FORWARDED_NPDU ? 10 : 4;
  // §6.2.2 NPCI: version, control, then DNET/DLEN/DADR, SNET/SLEN/SADR, hop count.
  if (buf[off] !== 0x01) return undefined;
  const control = buf[off + 1];
  off += 2;
  if (control & 0x80) return undefined; // network layer message, no APDU
  if (control & 0x20) off += 3 + (buf[off + 2] ?? 0);
  if (control & 0x08) off += 3 + (buf[off + 2] ?? 0);
  if (control & 0x20) off += 1;
  if (off >= buf.length) return undefined;
  const pduType = buf[off] >> 4;
  if ((pduType === PDU_REJECT || pduType === PDU_ABORT) && off + 2 < buf.length) {
    return { pduType, invokeId: buf[off + 1], reason: buf[off + 2] };
  }
  return { pduType };
}

/** BVLC Original-Unicast-NPDU + a 2-octet NPCI with no addresses (§6.2.2), around an APDU. */
function frame(apdu: number[]): Buffer {
  const len = 4 + 2 + apdu.length;
  return Buffer.from([BVLC_TYPE_BIP, BVLC_ORIGINAL_UNICAST_NPDU, len >> 8, len & 0xff, 0x01, 0x00, ...apdu]);
}

/** Reject-PDU (§20.1.8); reason from BACnetRejectReason, e.g. 9 unrecognized-service. */
export function encodeReject(invokeId: number, reason: number): Buffer {
  return frame([PDU_REJECT << 4, invokeId & 0xff, reason & 0xff]);
}

/** Abort-PDU sent by a server (§20.1.9: SRV bit set); reason from BACnetAbortReason. */
export function encodeAbort(invokeId: number, reason: number): Buffer {
  return frame([(PDU_ABORT << 4) | 0x01, invokeId & 0xff, reason & 0xff]);
}

/** Unsigned content octets, shortest form (§20.2.4). */
function unsignedOctets(n: number): number[] {
  if (n < 0x100) return [n];
  if (n < 0x10000) return [n >> 8, n & 0xff];
  if (n < 0x1000000) return [n >> 16, (n >> 8) & 0xff, n & 0xff];
  return [(n >>> 24) & 0xff, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

/** Application tag header (§20.2.1.1) for content up to 4 octets. */
function appTag(tagNumber: number, content: number[]): number[] {
  return [(tagNumber << 4) | content.length, ...content];
}

/**
 * I-Am (§16.10.1): unconfirmed service 0 with the device's object identifier,
 * max-APDU-length-accepted, segmentation-supported and vendor id.
 */
export function encodeIAm(
  deviceInstance: number,
  maxApdu: number,
  segmentation: number,
  vendorId: number,
): Buffer {
  const DEVICE = 8;
  const objectId = ((DEVICE << 22) | (deviceInstance & 0x3fffff)) >>> 0;
  return frame([
    0x10, // unconfirmed request
    0x00, // I-Am
    ...appTag(12, [
      (objectId >>> 24) & 0xff,
      (objectId >> 16) & 0xff,
      (objectId >> 8) & 0xff,
      objectId & 0xff,
    ]),
    ...appTag(2, unsignedOctets(maxApdu)),
    ...appTag(9, [segmentation]),
    ...appTag(2, unsignedOctets(vendorId)),
  ]);
}
