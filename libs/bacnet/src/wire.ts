/**
 * The few BACnet/IP frames this facade reads or writes without the library:
 * - peekApdu reads the BVLL, NPCI and the first APDU octets of a datagram: it
 *   tells a Reject PDU from an Abort PDU (the library merges them, STACK.md
 *   trap 3), names the invoke id an answer belongs to, and the originator of a
 *   Forwarded-NPDU;
 * - refuseSegmentedResponses rewrites an outgoing confirmed request so it says
 *   "no segmented answer" (the library always asks for 65 segments);
 * - encodeReject / encodeAbort answer a confirmed request the library has no
 *   call for (it only sends Error PDUs);
 * - encodeIAm announces the device's own max-APDU (the library's iAmResponse
 *   always announces its 1482-byte buffer size, which is not a legal value);
 * - the BVLL messages of foreign-device registration (Annex J.5.2).
 */

/** BVLC type and function codes (ASHRAE 135 Annex J.2). */
export const BVLC_TYPE_BIP = 0x81;
export const BVLC = {
  RESULT: 0x00,
  FORWARDED_NPDU: 0x04,
  REGISTER_FOREIGN_DEVICE: 0x05,
  READ_FDT: 0x06,
  READ_FDT_ACK: 0x07,
  DELETE_FDT_ENTRY: 0x08,
  DISTRIBUTE_BROADCAST_TO_NETWORK: 0x09,
  ORIGINAL_UNICAST_NPDU: 0x0a,
  ORIGINAL_BROADCAST_NPDU: 0x0b,
} as const;

/** BVLC-Result codes (Annex J.2.1.1). */
export const BVLC_RESULT = {
  SUCCESS: 0x0000,
  WRITE_BDT_NAK: 0x0010,
  READ_BDT_NAK: 0x0020,
  REGISTER_FOREIGN_DEVICE_NAK: 0x0030,
  READ_FDT_NAK: 0x0040,
  DELETE_FDT_ENTRY_NAK: 0x0050,
  DISTRIBUTE_BROADCAST_TO_NETWORK_NAK: 0x0060,
} as const;

/**
 * The largest datagram a B/IP peer may send: a 1497-octet NPDU (Table 6-1,
 * B/IP) behind the 10-octet BVLL header of a Forwarded-NPDU (Annex J.2.5).
 */
export const MAX_BIP_DATAGRAM = 1507;

/** APDU types, the high nibble of the APDU's first octet (ASHRAE 135 §20.1.1). */
export const PDU_CONFIRMED_REQUEST = 0;
export const PDU_UNCONFIRMED_REQUEST = 1;
export const PDU_SIMPLE_ACK = 2;
export const PDU_COMPLEX_ACK = 3;
export const PDU_SEGMENT_ACK = 4;
export const PDU_ERROR = 5;
export const PDU_REJECT = 6;
export const PDU_ABORT = 7;

/** The PDU types that answer a confirmed request, and carry its invoke id in their second octet. */
const ANSWER_TYPES = new Set([PDU_SIMPLE_ACK, PDU_COMPLEX_ACK, PDU_ERROR, PDU_REJECT, PDU_ABORT]);

export interface PeekedApdu {
  pduType: number;
  /** Offset of the APDU in the datagram. */
  offset: number;
  /** For answers (simple/complex ack, error, reject, abort): the invoke id of the request answered. */
  invokeId?: number;
  /** For Reject and Abort PDUs: the reason. */
  reason?: number;
  /** Set for a Forwarded-NPDU: the originator's 'host:port' (Annex J.2.5). */
  forwardedFrom?: string;
}

/** 'a.b.c.d:port' from the 6-octet B/IP address at `off` (Annex J.1.2). */
export function readBipAddress(buf: Buffer, off: number): string {
  return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}:${buf.readUInt16BE(off + 4)}`;
}

/** The 6-octet B/IP address of 'a.b.c.d:port'. */
export function bipAddressOctets(address: string): number[] {
  const i = address.lastIndexOf(':');
  const host = i < 0 ? address : address.slice(0, i);
  const port = i < 0 ? 47808 : Number(address.slice(i + 1));
  const octets = host.split('.').map(Number);
  if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
    throw new RangeError(`not an IPv4 B/IP address: "${address}"`);
  }
  return [...octets, port >> 8, port & 0xff];
}

/** Reads the APDU type of a BACnet/IP datagram; undefined for network-layer messages, BVLL-only messages and garbage. */
export function peekApdu(buf: Buffer): PeekedApdu | undefined {
  if (buf.length < 6 || buf[0] !== BVLC_TYPE_BIP) return undefined;
  const func = buf[1];
  if (func !== BVLC.ORIGINAL_UNICAST_NPDU && func !== BVLC.ORIGINAL_BROADCAST_NPDU) {
    if (func !== BVLC.FORWARDED_NPDU && func !== BVLC.DISTRIBUTE_BROADCAST_TO_NETWORK) return undefined;
  }
  const forwarded = func === BVLC.FORWARDED_NPDU;
  if (forwarded && buf.length < 12) return undefined;
  // Annex J.2.5: a Forwarded-NPDU carries the originator's 6-octet B/IP address.
  let off = forwarded ? 10 : 4;
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
  const out: PeekedApdu = { pduType, offset: off };
  if (forwarded) out.forwardedFrom = readBipAddress(buf, 4);
  if (ANSWER_TYPES.has(pduType) && off + 1 < buf.length) out.invokeId = buf[off + 1];
  if ((pduType === PDU_REJECT || pduType === PDU_ABORT) && off + 2 < buf.length) out.reason = buf[off + 2];
  return out;
}

/**
 * Clears the segmented-response-accepted bit and max-segments of an outgoing
 * confirmed request (§20.1.2.4, §20.1.2.5), in place. A device whose answer
 * does not fit one APDU must then abort with segmentation-not-supported
 * (§5.4.5.2), which the batch reader turns into smaller requests. Why: the
 * library reassembles segments in one store shared by every peer, so two
 * segmented answers at once would corrupt each other.
 */
export function refuseSegmentedResponses(frame: Buffer): void {
  const p = peekApdu(frame);
  if (!p || p.pduType !== PDU_CONFIRMED_REQUEST || p.offset + 1 >= frame.length) return;
  frame[p.offset] &= ~0x02;
  frame[p.offset + 1] &= 0x0f;
}

/** BVLC Original-Unicast-NPDU (or -Broadcast) + a 2-octet NPCI with no addresses (§6.2.2), around an APDU. */
function frame(apdu: number[], func: number = BVLC.ORIGINAL_UNICAST_NPDU): Buffer {
  const len = 4 + 2 + apdu.length;
  return Buffer.from([BVLC_TYPE_BIP, func, len >> 8, len & 0xff, 0x01, 0x00, ...apdu]);
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
 * max-APDU-length-accepted, segmentation-supported and vendor id. Unicast to
 * the asker, or as an Original-Broadcast-NPDU (what most devices send, and
 * what a BBMD forwards to its foreign devices).
 */
export function encodeIAm(
  deviceInstance: number,
  maxApdu: number,
  segmentation: number,
  vendorId: number,
  broadcast = false,
): Buffer {
  const DEVICE = 8;
  const objectId = ((DEVICE << 22) | (deviceInstance & 0x3fffff)) >>> 0;
  return frame(
    [
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
    ],
    broadcast ? BVLC.ORIGINAL_BROADCAST_NPDU : BVLC.ORIGINAL_UNICAST_NPDU,
  );
}

/** Register-Foreign-Device (Annex J.2.6): time-to-live in seconds, 1..65535. */
export function encodeRegisterForeignDevice(ttlSeconds: number): Buffer {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > 0xffff) {
    throw new RangeError(`foreign-device time-to-live must be 1..65535 s, got ${ttlSeconds}`);
  }
  return Buffer.from([BVLC_TYPE_BIP, BVLC.REGISTER_FOREIGN_DEVICE, 0, 6, ttlSeconds >> 8, ttlSeconds & 0xff]);
}

/** BVLC-Result (Annex J.2.1). */
export function encodeBvlcResult(code: number): Buffer {
  return Buffer.from([BVLC_TYPE_BIP, BVLC.RESULT, 0, 6, code >> 8, code & 0xff]);
}

/** The result code of a BVLC-Result datagram; undefined for anything else. */
export function decodeBvlcResult(buf: Buffer): number | undefined {
  if (buf.length !== 6 || buf[0] !== BVLC_TYPE_BIP || buf[1] !== BVLC.RESULT) return undefined;
  if (buf.readUInt16BE(2) !== 6) return undefined;
  return buf.readUInt16BE(4);
}
