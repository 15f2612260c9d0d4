/**
 * ReadPropertyMultiple requests encoded here rather than by the library.
 *
 * Why: the library encodes every tag through a fresh array and Buffer and a
 * copy, about 150 µs for a 100-object request on the bench machine — most of
 * a controller's CPU per scan, far more than decoding the answer. The request
 * is a flat list of object identifiers and property references (§15.7.1.1,
 * Clause 21), written here in one pass into one buffer. The answer still goes
 * the library's way: its request table (ours, request-table.ts) is told to
 * wait for the invoke id, and it settles it with the ComplexACK, an Error, a
 * Reject or an Abort exactly as for a request it sent itself; the ACK is
 * decoded by the library's own decoder.
 *
 * The frame is what the library sends after wire.ts refuseSegmentedResponses:
 * Original-Unicast-NPDU (Annex J.2.11), NPCI expecting a reply (§6.2.2), a
 * confirmed request with no segmented answer accepted and max-APDU 1476
 * (§20.1.2), invoke id, service 14.
 */
import { MAX_APDU_1476, SERVICE_READ_PROPERTY_MULTIPLE } from './raw-requests.js';
import type { UdpTransport } from './transport.js';
import { BVLC, BVLC_TYPE_BIP, PDU_CONFIRMED_REQUEST } from './wire.js';
import { ASN1_ARRAY_ALL, decodeRpmAck, requestTableOf } from './vendor.js';
import type { LibAckData, LibClient, LibObjectId, LibPropertyRef, LibRpmResult } from './vendor.js';

const HEADER = 4 + 2 + 4;

export interface RpmSpec {
  objectId: LibObjectId;
  properties: readonly LibPropertyRef[];
}

/** Octets of an unsigned value in its shortest form (§20.2.4). */
function unsignedLength(n: number): number {
  return n < 0x100 ? 1 : n < 0x10000 ? 2 : n < 0x1000000 ? 3 : 4;
}

function writeUnsigned(buf: Buffer, at: number, n: number, length: number): number {
  buf.writeUIntBE(n, at, length);
  return at + length;
}

/** Whether a property reference carries an array index: the library leaves out ALL and index 0 alike. */
const hasIndex = (p: LibPropertyRef): boolean => p.index !== ASN1_ARRAY_ALL && p.index !== 0;

/** ReadPropertyMultiple-Request as a whole B/IP frame, byte for byte what the library sends for `specs`. */
export function encodeRpmRequest(invokeId: number, specs: readonly RpmSpec[]): Buffer {
  let size = HEADER;
  for (const s of specs) {
    // [0] object identifier (tag + 4), [1] opening and closing.
    size += 5 + 2;
    for (const p of s.properties) {
      size += 1 + unsignedLength(p.id);
      if (hasIndex(p)) size += 1 + unsignedLength(p.index);
    }
  }
  const buf = Buffer.allocUnsafe(size);
  buf[0] = BVLC_TYPE_BIP;
  buf[1] = BVLC.ORIGINAL_UNICAST_NPDU;
  buf.writeUInt16BE(size, 2);
  buf[4] = 0x01; // NPCI version
  buf[5] = 0x04; // expecting reply, normal priority
  buf[6] = PDU_CONFIRMED_REQUEST << 4; // not segmented, no segmented answer accepted
  buf[7] = MAX_APDU_1476; // max-segments unspecified
  buf[8] = invokeId & 0xff;
  buf[9] = SERVICE_READ_PROPERTY_MULTIPLE;
  let at = HEADER;
  for (const s of specs) {
    // §20.2.1: context tag octet = tag number << 4 | class bit 0x08 | length (6 opening, 7 closing).
    buf[at++] = 0x0c;
    buf.writeUInt32BE(((s.objectId.type & 0x3ff) * 0x400000 + (s.objectId.instance & 0x3fffff)) >>> 0, at);
    at += 4;
    buf[at++] = 0x1e;
    for (const p of s.properties) {
      const idLength = unsignedLength(p.id);
      buf[at++] = 0x08 | idLength;
      at = writeUnsigned(buf, at, p.id, idLength);
      if (hasIndex(p)) {
        const indexLength = unsignedLength(p.index);
        buf[at++] = 0x18 | indexLength;
        at = writeUnsigned(buf, at, p.index, indexLength);
      }
    }
    buf[at++] = 0x1f;
  }
  return buf;
}

/** The parts of a client the request needs: the library's wait for an invoke id, and a way to send a frame. */
export interface RpmChannel {
  /** Settles with the ComplexACK's data, or rejects as the library does (error, abort, timeout). */
  awaitAnswer(invokeId: number): Promise<unknown>;
  send(frame: Buffer, to: string): void;
}

/** The channel of a client's library and transport; undefined when the library's request table is not ours. */
export function rpmChannelOf(lib: LibClient, transport: UdpTransport): RpmChannel | undefined {
  const table = requestTableOf(lib);
  if (!table) return undefined;
  return { awaitAnswer: (id) => table.add(id), send: (frame, to) => transport.sendFrame(frame, to) };
}

/** Sends one ReadPropertyMultiple and decodes its answer; the caller's Transactions bound and name it. */
export async function readPropertyMultipleRaw(
  channel: RpmChannel,
  address: string,
  invokeId: number,
  specs: readonly RpmSpec[],
): Promise<LibRpmResult> {
  // Sent, then awaited, as the library does: an answer is read from the socket on a later turn of the event
  // loop, so it always finds its request; and a send that throws leaves no wait behind.
  channel.send(encodeRpmRequest(invokeId, specs), address);
  const answer = channel.awaitAnswer(invokeId);
  const result = decodeRpmAck((await answer) as LibAckData);
  // The library's own words for an undecodable answer, so errors.ts names it the same way.
  if (!result) throw new Error('INVALID_DECODING');
  return result;
}
